/*
 * A multi-page TIFF writer for grey uint8/uint16/float32/float64 images:
 * synthetic movies and volumes, and test files in every layout the
 * reader must handle (strips or tiles, several compressions, either byte
 * order, classic or BigTIFF).
 *
 * Classic TIFF cannot exceed 4 GiB and the final size is not known when
 * the file is opened, so the writer starts classic and, when a page
 * would cross the limit, rewrites what it has as BigTIFF (reading the
 * pages back from the old file, which it keeps open after unlinking).
 */
#include "io/imageio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

struct locus_tiff_writer {
    TIFF *tif;
    char *path;
    tiffio_options o;
    tiffio_io io;
    int big;
    void *buf; /* one strip or tile, packed */
    size_t cap;
};

void locus_tiffio_options_init(tiffio_options *o)
{
    memset(o, 0, sizeof *o);
}

int locus_tiffio_writer_is_bigtiff(const tiffio_writer *w)
{
    return w && w->big;
}

static int write_failed(tiffio_writer *w, locus_error *err)
{
    if (w->io.io_errno)
        return locus_imageio_fail(err, LOCUS_E_IO, w->path, "", "cannot write: %s",
                                  strerror(w->io.io_errno));
    return locus_imageio_fail(err, LOCUS_E_IO, w->path, "", "cannot write TIFF (%s)",
                              w->io.msg[0] ? w->io.msg : "libtiff failed");
}

static int start_file(tiffio_writer *w, locus_error *err)
{
    char mode[8] = "w";
    if (w->big)
        strcat(mode, "8");
    if (w->o.big_endian)
        strcat(mode, "b");
    int fd = open(w->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return locus_imageio_fail(err, LOCUS_E_IO, w->path, "", "cannot create: %s",
                                  strerror(errno));
    w->io.path = w->path;
    w->tif = locus_tiffio_client_open(fd, mode, &w->io);
    if (!w->tif)
        return write_failed(w, err);
    return LOCUS_OK;
}

static int check_options(const tiffio_options *o, const char *path, locus_error *err)
{
    if (o->compression < TIFFIO_NONE || o->compression > TIFFIO_PACKBITS || o->predictor < 0 ||
        o->predictor > 3 || o->tile % 16 != 0)
        return locus_imageio_fail(err, LOCUS_E_PARAM, path, "", "invalid TIFF writer options");
    /* libtiff 4.5 byte-swaps before the floating-point predictor, which
     * must see native values: such files decode to garbage. */
    if (o->predictor == 3 && o->big_endian && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
        return locus_imageio_fail(err, LOCUS_E_PARAM, path, "",
                                  "libtiff cannot write the floating-point predictor in big-endian "
                                  "byte order on this machine");
    return LOCUS_OK;
}

int locus_tiffio_writer_open_opts(tiffio_writer **out, const char *path, const tiffio_options *o,
                                  locus_error *err)
{
    *out = NULL;
    tiffio_options defaults;
    locus_tiffio_options_init(&defaults);
    if (!o)
        o = &defaults;
    int st = check_options(o, path, err);
    if (st)
        return st;
    tiffio_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    }
    w->o = *o;
    w->io.fd = -1;
    w->big = o->bigtiff;
    if ((st = start_file(w, err))) {
        locus_tiffio_writer_close(w, NULL);
        return st;
    }
    *out = w;
    return LOCUS_OK;
}

int locus_tiffio_writer_open(tiffio_writer **w, const char *path, locus_error *err)
{
    return locus_tiffio_writer_open_opts(w, path, NULL, err);
}

/* ------------------------------------------------------------------ */
/* One page                                                            */
/* ------------------------------------------------------------------ */

static const uint16_t compression_codes[] = {COMPRESSION_NONE, COMPRESSION_LZW,
                                             COMPRESSION_ADOBE_DEFLATE, COMPRESSION_PACKBITS};

/* Copy n pixels of row y from x0 on, packed, to dst. */
static void pack_row(unsigned char *dst, const locus_image *img, size_t y, size_t x0, size_t n)
{
    size_t size = locus_dtype_size(img->dtype);
    const unsigned char *src = (const unsigned char *)img->data + (ptrdiff_t)y * img->strides[0] +
                               (ptrdiff_t)x0 * img->strides[1];
    if (img->strides[1] == (ptrdiff_t)size) {
        memcpy(dst, src, n * size);
        return;
    }
    for (size_t x = 0; x < n; x++)
        memcpy(dst + x * size, src + (ptrdiff_t)x * img->strides[1], size);
}

static int set_tags(tiffio_writer *w, const locus_image *img)
{
    TIFF *tif = w->tif;
    locus_dtype t = img->dtype;
    int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->shape[1]) &&
             TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->shape[0]) &&
             TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)(8 * locus_dtype_size(t))) &&
             TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)1) &&
             TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                          (uint16_t)(t == LOCUS_F32 || t == LOCUS_F64 ? SAMPLEFORMAT_IEEEFP
                                     : t == LOCUS_I8 || t == LOCUS_I16 || t == LOCUS_I32
                                         ? SAMPLEFORMAT_INT
                                         : SAMPLEFORMAT_UINT)) &&
             TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (uint16_t)PHOTOMETRIC_MINISBLACK) &&
             TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG) &&
             TIFFSetField(tif, TIFFTAG_COMPRESSION, compression_codes[w->o.compression]) &&
             TIFFSetField(tif, TIFFTAG_SOFTWARE, "locus");
    if (ok && w->o.predictor > 1)
        ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, (uint16_t)w->o.predictor);
    if (ok && w->o.tile)
        ok = TIFFSetField(tif, TIFFTAG_TILEWIDTH, (uint32_t)w->o.tile) &&
             TIFFSetField(tif, TIFFTAG_TILELENGTH, (uint32_t)w->o.tile);
    return ok;
}

static uint32_t strip_rows(tiffio_writer *w, uint32_t height)
{
    uint32_t rps = w->o.rows_per_strip ? w->o.rows_per_strip : TIFFDefaultStripSize(w->tif, 0);
    return rps == 0 || rps > height ? height : rps;
}

static int write_strips(tiffio_writer *w, const locus_image *img)
{
    uint32_t height = (uint32_t)img->shape[0], rps = strip_rows(w, height);
    size_t row = img->shape[1] * locus_dtype_size(img->dtype);
    if (!TIFFSetField(w->tif, TIFFTAG_ROWSPERSTRIP, rps) ||
        locus_mem_reserve(&w->buf, &w->cap, size_mul(row, rps)))
        return 0;
    for (uint32_t s = 0, y = 0; y < height; s++, y += rps) {
        uint32_t rows = height - y < rps ? height - y : rps;
        for (uint32_t r = 0; r < rows; r++)
            pack_row((unsigned char *)w->buf + r * row, img, y + r, 0, img->shape[1]);
        /* libtiff may swap or difference the buffer in place: it is ours. */
        if (TIFFWriteEncodedStrip(w->tif, s, w->buf, (tmsize_t)(row * rows)) < 0)
            return 0;
        if (height - y <= rps)
            break;
    }
    return 1;
}

static int write_tiles(tiffio_writer *w, const locus_image *img)
{
    size_t size = locus_dtype_size(img->dtype), t = w->o.tile, bytes = t * t * size;
    size_t height = img->shape[0], width = img->shape[1];
    if (locus_mem_reserve(&w->buf, &w->cap, bytes))
        return 0;
    for (size_t y = 0; y < height; y += t) {
        for (size_t x = 0; x < width; x += t) {
            size_t rows = height - y < t ? height - y : t, cols = width - x < t ? width - x : t;
            memset(w->buf, 0, bytes); /* the part of edge tiles outside the image */
            for (size_t r = 0; r < rows; r++)
                pack_row((unsigned char *)w->buf + r * t * size, img, y + r, x, cols);
            uint32_t tile = TIFFComputeTile(w->tif, (uint32_t)x, (uint32_t)y, 0, 0);
            if (TIFFWriteEncodedTile(w->tif, tile, w->buf, (tmsize_t)bytes) < 0)
                return 0;
        }
    }
    return 1;
}

static int write_page(tiffio_writer *w, const locus_image *page, locus_error *err)
{
    w->io.msg[0] = '\0';
    int ok = set_tags(w, page);
    if (ok)
        ok = w->o.tile ? write_tiles(w, page) : write_strips(w, page);
    if (ok)
        ok = TIFFWriteDirectory(w->tif);
    return ok ? LOCUS_OK : write_failed(w, err);
}

/* ------------------------------------------------------------------ */
/* Switching to BigTIFF                                                */
/* ------------------------------------------------------------------ */

static int copy_page(void *user, const locus_image *page, locus_error *err)
{
    return write_page(user, page, err);
}

/* Rewrite the pages so far as BigTIFF, from the unlinked classic file. */
static int become_bigtiff(tiffio_writer *w, locus_error *err)
{
    w->io.msg[0] = '\0';
    TIFFClose(w->tif);
    w->tif = NULL;
    int old = w->io.fd;
    w->io.fd = -1;
    if (w->io.msg[0] || w->io.io_errno) {
        close(old);
        return write_failed(w, err);
    }
    if (unlink(w->path) != 0) {
        close(old);
        return locus_imageio_fail(err, LOCUS_E_IO, w->path, "", "cannot replace: %s",
                                  strerror(errno));
    }
    w->big = 1;
    int st = start_file(w, err);
    if (!st)
        st = locus_tiffio_each_page(old, w->path, copy_page, w, err);
    close(old);
    return st;
}

/* Whether a page of `bytes` pixel bytes still fits a classic TIFF. */
static int fits_classic(tiffio_writer *w, uint64_t bytes, uint64_t height)
{
    struct stat st;
    if (fstat(w->io.fd, &st) != 0)
        return 0;
    uint64_t limit = w->o.classic_limit ? w->o.classic_limit : UINT32_MAX - (1u << 20);
    /* LZW can expand data by half; strip tables take 16 bytes a row at most. */
    uint64_t bound = w->o.compression ? bytes + bytes / 2 : bytes;
    bound += 16 * height + 4096;
    return (uint64_t)st.st_size + bound <= limit;
}

/* ------------------------------------------------------------------ */
/* Adding images                                                       */
/* ------------------------------------------------------------------ */

static int check_image(const tiffio_writer *w, const locus_image *img, locus_error *err)
{
    if (!img || !img->data || (img->ndim != 2 && img->ndim != 3) || !locus_dtype_size(img->dtype))
        return locus_imageio_fail(
            err, LOCUS_E_PARAM, w->path, "",
            "TIFF output needs a 2-D or 3-D uint8/uint16/float32/float64 image");
    for (int i = 0; i < img->ndim; i++)
        if (img->shape[i] == 0 || img->shape[i] > UINT32_MAX)
            return locus_imageio_fail(err, LOCUS_E_SHAPE, w->path, "",
                                      "cannot write an image with a size of %zu", img->shape[i]);
    if (!w->tif)
        return locus_imageio_fail(err, LOCUS_E_IO, w->path, "", "TIFF writer failed earlier");
    return LOCUS_OK;
}

/* The 2-D slice z of img (img itself when 2-D). */
static locus_image slice_of(const locus_image *img, size_t z)
{
    int d = img->ndim - 2;
    locus_image s = {.dtype = img->dtype, .ndim = 2};
    s.data = (const unsigned char *)img->data + (ptrdiff_t)z * (d ? img->strides[0] : 0);
    s.shape[0] = img->shape[d];
    s.shape[1] = img->shape[d + 1];
    s.strides[0] = img->strides[d];
    s.strides[1] = img->strides[d + 1];
    return s;
}

int locus_tiffio_writer_add(tiffio_writer *w, const locus_image *img, locus_error *err)
{
    int st = check_image(w, img, err);
    size_t nz = img && img->ndim == 3 ? img->shape[0] : 1;
    for (size_t z = 0; !st && z < nz; z++) {
        locus_image page = slice_of(img, z);
        uint64_t bytes = (uint64_t)page.shape[0] * page.shape[1] * locus_dtype_size(page.dtype);
        if (!w->big && !fits_classic(w, bytes, page.shape[0]))
            st = become_bigtiff(w, err);
        if (!st)
            st = write_page(w, &page, err);
    }
    return st;
}

int locus_tiffio_writer_close(tiffio_writer *w, locus_error *err)
{
    if (!w)
        return LOCUS_OK;
    int st = LOCUS_OK;
    if (w->tif) {
        w->io.msg[0] = '\0';
        TIFFClose(w->tif);
        if (w->io.msg[0] || w->io.io_errno)
            st = write_failed(w, err);
    }
    if (w->io.fd >= 0 && close(w->io.fd) != 0 && !st)
        st = locus_error_errno(err, w->path, errno, "cannot write");
    locus_mem_release(&w->buf, &w->cap);
    free(w->path);
    free(w);
    return st;
}

/* The public face (locus.h): the default options. */
int locus_tiff_writer_open(locus_tiff_writer **w, const char *path, locus_error *err)
{
    return locus_tiffio_writer_open(w, path, err);
}

int locus_tiff_writer_add(locus_tiff_writer *w, const locus_image *img, locus_error *err)
{
    return locus_tiffio_writer_add(w, img, err);
}

int locus_tiff_writer_close(locus_tiff_writer *w, locus_error *err)
{
    return locus_tiffio_writer_close(w, err);
}
