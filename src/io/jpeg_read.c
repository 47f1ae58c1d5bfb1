/*
 * JPEG decoding with libjpeg (Debian's libjpeg62-turbo), set up as PIL
 * sets it up, so that the pixels are PIL's (numpy.asarray(Image.open(f)),
 * which pims users see): libjpeg's defaults — the accurate integer IDCT
 * (JDCT_ISLOW), fancy upsampling, block smoothing — a greyscale file as
 * uint8 grey, a 3-component file (YCbCr or RGB, as libjpeg decides from
 * its markers) as RGB, from which a channel is taken as from a PNG.
 * CMYK/YCCK and other component counts are refused: PIL keeps CMYK as
 * four inverted ink channels, which are not intensities.
 *
 * PIL refuses a file that ends before its end-of-image marker ("image
 * file is truncated"); libjpeg instead warns (JWRN_JPEG_EOF) and pads, so
 * that warning is an error here too. Other warnings (corrupt entropy data
 * that libjpeg decodes through) are not: PIL ignores them, and the
 * pixels are libjpeg's either way.
 *
 * libjpeg reports errors by longjmp; each decode has its own error
 * state, so concurrent decodes share nothing.
 */
#include "io/imageio.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jerror.h>
#include <jpeglib.h>

/* The most memory libjpeg may take for one image (a progressive file
 * keeps every coefficient: about 2 bytes per sample), and the most scans
 * it may read: a file of many scans costs a pass over the image each
 * (libjpeg-turbo's djpeg limits them the same way). */
#define JPEGIO_MAX_MEMORY ((long)4 << 30)
#define JPEGIO_MAX_SCANS 1000

typedef struct {
    struct jpeg_error_mgr pub;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    int truncated; /* the data ended early (JWRN_JPEG_EOF) */
    int too_many_scans;
    char msg[JMSG_LENGTH_MAX];
} jpegio_error;

static void on_error(j_common_ptr cinfo)
{
    jpegio_error *e = (jpegio_error *)cinfo->err;
    if (!e->msg[0])
        (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
    jpegio_error *e = (jpegio_error *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF)
        e->truncated = 1;
}

static void on_progress(j_common_ptr cinfo)
{
    jpegio_error *e = (jpegio_error *)cinfo->err;
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > JPEGIO_MAX_SCANS) {
        e->too_many_scans = 1;
        longjmp(e->jump, 1);
    }
}

/* ------------------------------------------------------------------ */
/* What the header says                                                */
/* ------------------------------------------------------------------ */

static int jpegio_failure(const jpegio_error *e, const char *path, locus_error *err)
{
    if (e->too_many_scans)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "JPEG with more than %d scans", JPEGIO_MAX_SCANS);
    if (strstr(e->msg, "nsufficient memory") || strstr(e->msg, "Backing store"))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "",
                                  "out of memory (decoding the JPEG needs more than %ld MiB)",
                                  JPEGIO_MAX_MEMORY >> 20);
    if (strstr(e->msg, "Unsupported JPEG data precision") || strstr(e->msg, "Unsupported color") ||
        strstr(e->msg, "Bogus")) /* "Bogus input colorspace", from unusual components */
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "", "unsupported JPEG (%s)",
                                  e->msg);
    return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt JPEG (%s)", e->msg);
}

/* What locus reads of a JPEG's components: 0 with the layout, or the error. */
static int jpegio_layout(const struct jpeg_decompress_struct *c, const char *path, int *samples,
                         int *layout, locus_error *err)
{
    if (c->num_components == 1 && c->jpeg_color_space == JCS_GRAYSCALE) {
        *samples = 1;
        *layout = IMAGEIO_GREY;
        return LOCUS_OK;
    }
    if (c->num_components == 3 &&
        (c->jpeg_color_space == JCS_YCbCr || c->jpeg_color_space == JCS_RGB)) {
        *samples = 3;
        *layout = IMAGEIO_RGB;
        return LOCUS_OK;
    }
    if (c->num_components == 4)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "CMYK JPEG images are not supported (greyscale and colour "
                                  "(YCbCr or RGB) are)");
    return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                              "JPEG with %d components is not supported (greyscale and colour "
                              "(YCbCr or RGB) are)",
                              c->num_components);
}

/* Everything a header allows to be decided: the sample to take, the size. */
static int jpegio_check(const struct jpeg_decompress_struct *c, int channel, const char *path,
                        int *pick, locus_error *err)
{
    int samples = 1, layout = IMAGEIO_GREY, chosen = 0;
    int st = jpegio_layout(c, path, &samples, &layout, err);
    if (!st)
        st = locus_imageio_check_size(path, "", (uint64_t)c->image_width * c->image_height,
                                      (size_t)samples, err);
    if (!st)
        st = locus_imageio_pick_channel(channel, samples, layout, path, "", &chosen, err);
    if (pick)
        *pick = chosen;
    return st;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    struct jpeg_decompress_struct c;
    jpegio_error e;
    const char *path;
    int channel;
    locus_reader *rd;
    locus_image *img;
    locus_error *err;
} jpegio_job;

static int jpegio_rows(jpegio_job *j, int samples, int pick)
{
    struct jpeg_decompress_struct *c = &j->c;
    size_t w = c->output_width, h = c->output_height;
    if (locus_mem_reserve(&j->rd->pixels, &j->rd->pixels_cap, size_mul(w, h)) ||
        (samples > 1 && locus_mem_reserve(&j->rd->scratch, &j->rd->scratch_cap, w * 3)))
        return locus_imageio_fail(j->err, LOCUS_E_NOMEM, j->path, "", "out of memory");
    unsigned char *out = j->rd->pixels;
    while (c->output_scanline < c->output_height) {
        unsigned char *row = out + (size_t)c->output_scanline * w;
        JSAMPROW in = samples > 1 ? j->rd->scratch : row;
        if (jpeg_read_scanlines(c, &in, 1) != 1)
            break;
        if (samples > 1)
            locus_imageio_extract(row, in, w, samples, pick, 1);
    }
    /* PIL also wants the end-of-image marker: it refuses a file without */
    if (!j->e.truncated && c->output_scanline == c->output_height)
        jpeg_finish_decompress(c);
    if (j->e.truncated || c->output_scanline < c->output_height)
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, "",
                                  "truncated JPEG (image data ends early)");
    j->img->data = out;
    j->img->dtype = LOCUS_U8;
    j->img->ndim = 2;
    j->img->shape[0] = h;
    j->img->shape[1] = w;
    locus_image_set_contiguous(j->img);
    return LOCUS_OK;
}

/* Everything that may longjmp. */
static int jpegio_decode(jpegio_job *j, const unsigned char *data, size_t n)
{
    struct jpeg_decompress_struct *c = &j->c;
    jpeg_create_decompress(c);
    c->mem->max_memory_to_use = JPEGIO_MAX_MEMORY;
    c->progress = &j->e.progress;
    jpeg_mem_src(c, data, (unsigned long)n);
    jpeg_read_header(c, TRUE);
    if (j->e.truncated)
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, "",
                                  "truncated JPEG (header ends early)");
    int pick = 0;
    int st = jpegio_check(c, j->channel, j->path, &pick, j->err);
    if (st)
        return st;
    int samples = c->num_components == 1 ? 1 : 3;
    c->out_color_space = samples == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(c);
    if (c->output_components != samples)
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, "",
                                  "corrupt JPEG (%d output components)", c->output_components);
    return jpegio_rows(j, samples, pick);
}

static int jpegio_run(jpegio_job *j, const unsigned char *data, size_t n)
{
    if (setjmp(j->e.jump))
        return jpegio_failure(&j->e, j->path, j->err);
    return jpegio_decode(j, data, n);
}

/* The whole file into the reader's I/O buffer. */
static int jpegio_load(int fd, const char *path, locus_reader *rd, size_t *n, locus_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno));
    if (sb.st_size <= 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "file is empty");
    if ((uint64_t)sb.st_size > IMAGEIO_MAX_BYTES)
        return locus_imageio_fail(err, LOCUS_E_SHAPE, path, "",
                                  "JPEG file of %lld bytes is too "
                                  "large",
                                  (long long)sb.st_size);
    size_t want = (size_t)sb.st_size;
    if (locus_mem_reserve(&rd->io, &rd->io_cap, want))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, (unsigned char *)rd->io + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return locus_imageio_fail(err, LOCUS_E_IO, path, "", "read error: %s", strerror(errno));
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *n = got;
    return LOCUS_OK;
}

static void jpegio_job_init(jpegio_job *j, const char *path, int channel, locus_reader *rd,
                            locus_image *img, locus_error *err)
{
    memset(j, 0, sizeof *j);
    j->path = path;
    j->channel = channel;
    j->rd = rd;
    j->img = img;
    j->err = err;
    j->c.err = jpeg_std_error(&j->e.pub);
    j->e.pub.error_exit = on_error;
    j->e.pub.emit_message = on_message;
    j->e.progress.progress_monitor = on_progress;
}

int locus_jpegio_read(const char *path, int channel, locus_reader *rd, locus_image *img,
                      locus_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno));
    size_t n = 0;
    int st = jpegio_load(fd, path, rd, &n, err);
    close(fd);
    if (st)
        return st;
    jpegio_job j;
    jpegio_job_init(&j, path, channel, rd, img, err);
    st = jpegio_run(&j, rd->io, n);
    jpeg_destroy_decompress(&j.c);
    return st;
}

/* ------------------------------------------------------------------ */
/* At open: the header only                                            */
/* ------------------------------------------------------------------ */

/* Read the header from the n bytes at data; 1 if they end before it. */
static int header_run(jpegio_job *j, const unsigned char *data, size_t n, locus_error *problem)
{
    if (setjmp(j->e.jump))
        return j->e.truncated ? 1 : jpegio_failure(&j->e, j->path, j->err);
    struct jpeg_decompress_struct *c = &j->c;
    jpeg_create_decompress(c);
    jpeg_mem_src(c, data, (unsigned long)n);
    jpeg_read_header(c, TRUE);
    if (j->e.truncated)
        return 1;
    jpegio_check(c, j->channel, j->path, NULL, problem);
    return LOCUS_OK;
}

/* Read more of the file into buf (now n bytes of it): 0 at its end. */
static size_t read_more(int fd, unsigned char *buf, size_t n, size_t cap)
{
    size_t got = n;
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/*
 * A header can follow large APP segments (EXIF thumbnails): read 64 KiB,
 * and twice as much again while libjpeg runs out before the frame header.
 */
int locus_jpegio_scan(int fd, const char *path, int channel, locus_error *problem, locus_error *err)
{
    locus_error_clear(problem);
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    int st = 1;
    if (lseek(fd, 0, SEEK_SET) != 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno));
    while (st == 1) {
        size_t ncap = cap ? 2 * cap : (size_t)1 << 16;
        unsigned char *nb = ncap < cap || ncap > ((size_t)1 << 30) ? NULL : realloc(buf, ncap);
        if (!nb) {
            st = locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                    "corrupt JPEG (no frame header in its first %zu bytes)", n);
            break;
        }
        buf = nb;
        cap = ncap;
        size_t got = read_more(fd, buf, n, cap);
        int more = got == cap;
        n = got;
        jpegio_job j;
        jpegio_job_init(&j, path, channel, NULL, NULL, err);
        st = header_run(&j, buf, n, problem);
        jpeg_destroy_decompress(&j.c);
        if (st == 1 && !more)
            st = locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                    "truncated JPEG (header ends early)");
    }
    free(buf);
    return st;
}
