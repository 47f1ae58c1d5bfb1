/*
 * TIFF decoding with libtiff: one channel of each page (or every page as
 * the z slices of a volume), strips or tiles, contiguous or separate
 * planes, any compression libtiff decodes, 8/16-bit unsigned integer and
 * 32/64-bit float samples.
 *
 * A source records every page's directory offset when it is opened, so a
 * reader jumps to a page with TIFFSetSubDirectory instead of walking the
 * directory chain; a reader keeps its last file open for the next page.
 */
#include "io/tiff_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* libtiff on a file descriptor, messages per handle                   */
/* ------------------------------------------------------------------ */

static int fd_of(thandle_t h)
{
    return ((tiffio_io *)h)->fd;
}

static tmsize_t fd_read(thandle_t h, void *buf, tmsize_t n)
{
    size_t done = 0;
    while (done < (size_t)n) {
        ssize_t r = read(fd_of(h), (char *)buf + done, (size_t)n - done);
        if (r == 0)
            break;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ((tiffio_io *)h)->io_errno = errno;
            return done ? (tmsize_t)done : -1;
        }
        done += (size_t)r;
    }
    return (tmsize_t)done;
}

static tmsize_t fd_write(thandle_t h, void *buf, tmsize_t n)
{
    size_t done = 0;
    while (done < (size_t)n) {
        ssize_t r = write(fd_of(h), (const char *)buf + done, (size_t)n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            ((tiffio_io *)h)->io_errno = r < 0 ? errno : EIO;
            return -1;
        }
        done += (size_t)r;
    }
    return (tmsize_t)done;
}

static toff_t fd_seek(thandle_t h, toff_t off, int whence)
{
    off_t r = lseek(fd_of(h), (off_t)off, whence);
    return r < 0 ? (toff_t)-1 : (toff_t)r;
}

/* The caller owns the descriptor: closing the TIFF leaves it open. */
static int fd_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t fd_size(thandle_t h)
{
    struct stat st;
    return fstat(fd_of(h), &st) == 0 ? (toff_t)st.st_size : 0;
}

/* No memory mapping: read(2) is as fast here, and a file truncated while
 * mapped would raise SIGBUS instead of an error. */
static int fd_map(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}

static void fd_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

/* libtiff's own function names ("TIFFFetchDirectory") mean nothing to a
 * user; a codec's ("LZWDecode") at least says what failed. */
static int useful_module(const char *module, const char *path)
{
    return module && *module && strncmp(module, "TIFF", 4) != 0 &&
           strncmp(module, "_TIFF", 5) != 0 && (!path || strcmp(module, path) != 0);
}

/* Remove "PATH: " where libtiff repeats the file name in its message. */
static void drop_path(char *msg, const char *path)
{
    size_t n = path ? strlen(path) : 0;
    char *p;
    while (n && (p = strstr(msg, path)) && p[n] == ':' && p[n + 1] == ' ')
        memmove(p, p + n + 2, strlen(p + n + 2) + 1);
}

static int on_tiff_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    tiffio_io *m = user;
    if (m->msg[0])
        return 1; /* the first error is the cause; later ones are consequences */
    size_t n = 0;
    if (useful_module(module, m->path))
        n = (size_t)snprintf(m->msg, sizeof m->msg, "%s: ", module);
    if (n < sizeof m->msg)
        vsnprintf(m->msg + n, sizeof m->msg - n, fmt, ap);
    drop_path(m->msg, m->path);
    return 1; /* handled: do not also call libtiff's global handler */
}

/* Warnings (unknown tags, odd but readable values) do not affect pixels. */
static int on_tiff_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

struct tiff *locus_tiffio_client_open(int fd, const char *mode, tiffio_io *m)
{
    m->fd = fd;
    m->io_errno = 0;
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts) {
        snprintf(m->msg, sizeof m->msg, "out of memory");
        return NULL;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_tiff_error, m);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_tiff_warning, m);
    m->msg[0] = '\0';
    TIFF *tif = TIFFClientOpenExt(m->path ? m->path : "", mode, (thandle_t)m, fd_read, fd_write,
                                  fd_seek, fd_close, fd_size, fd_map, fd_unmap, opts);
    TIFFOpenOptionsFree(opts);
    return tif;
}

/* ------------------------------------------------------------------ */
/* Pages                                                               */
/* ------------------------------------------------------------------ */

/* What a directory says about its samples and layout. */
typedef struct {
    uint32_t width, height, depth, rows_per_strip, tile_w, tile_h;
    uint16_t bps, spp, format, photometric, planar, compression;
    int tiled, alpha; /* alpha: the extra sample of a 2-sample image is alpha */
} tiffio_page;

static void get_page(TIFF *tif, tiffio_page *p)
{
    memset(p, 0, sizeof *p);
    p->compression = COMPRESSION_NONE;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p->width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p->height);
    TIFFGetFieldDefaulted(tif, TIFFTAG_IMAGEDEPTH, &p->depth);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &p->bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &p->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &p->format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &p->planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &p->compression);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &p->photometric))
        p->photometric = p->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    uint16_t nextra = 0, *extra = NULL;
    TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &nextra, &extra);
    p->alpha = nextra == 1 && extra &&
               (extra[0] == EXTRASAMPLE_ASSOCALPHA || extra[0] == EXTRASAMPLE_UNASSALPHA);
    p->tiled = TIFFIsTiled(tif);
    if (p->tiled) {
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &p->tile_w);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &p->tile_h);
    } else {
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &p->rows_per_strip);
        if (p->rows_per_strip == 0 || p->rows_per_strip > p->height)
            p->rows_per_strip = p->height;
    }
}

static const char *format_words(uint16_t format)
{
    switch (format) {
    case SAMPLEFORMAT_UINT:
        return "unsigned integer";
    case SAMPLEFORMAT_INT:
        return "signed integer";
    case SAMPLEFORMAT_IEEEFP:
        return "floating-point";
    case SAMPLEFORMAT_VOID:
        return "untyped";
    case SAMPLEFORMAT_COMPLEXINT:
        return "complex integer";
    case SAMPLEFORMAT_COMPLEXIEEEFP:
        return "complex floating-point";
    }
    return "unknown-format";
}

/* The locus pixel type of a page's samples, or 0. */
static locus_dtype dtype_of(const tiffio_page *p)
{
    int integer = p->format == SAMPLEFORMAT_UINT || p->format == SAMPLEFORMAT_VOID;
    int signed_int = p->format == SAMPLEFORMAT_INT;
    if (integer && p->bps == 8)
        return LOCUS_U8;
    if (integer && p->bps == 16)
        return LOCUS_U16;
    if (integer && p->bps == 32)
        return LOCUS_U32;
    if (signed_int && p->bps == 8)
        return LOCUS_I8;
    if (signed_int && p->bps == 16)
        return LOCUS_I16;
    if (signed_int && p->bps == 32)
        return LOCUS_I32;
    if (p->format == SAMPLEFORMAT_IEEEFP && p->bps == 32)
        return LOCUS_F32;
    if (p->format == SAMPLEFORMAT_IEEEFP && p->bps == 64)
        return LOCUS_F64;
    return 0;
}

static int check_photometric(const tiffio_page *p, const char *path, const char *pre, int *layout,
                             locus_error *err)
{
    switch (p->photometric) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE:
        *layout = p->spp == 1               ? IMAGEIO_GREY
                  : p->spp == 2 && p->alpha ? IMAGEIO_GREY_ALPHA
                                            : IMAGEIO_MULTI;
        return LOCUS_OK;
    case PHOTOMETRIC_RGB:
        if (p->spp < 3)
            return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre,
                                      "corrupt TIFF (RGB with %u samples per pixel)", p->spp);
        *layout = p->spp == 3 ? IMAGEIO_RGB : IMAGEIO_RGBA;
        return LOCUS_OK;
    case PHOTOMETRIC_PALETTE:
        return locus_imageio_fail(
            err, LOCUS_E_UNSUPPORTED, path, pre,
            "palette-colour TIFF images are not supported (greyscale and RGB are)");
    case PHOTOMETRIC_SEPARATED:
        return locus_imageio_fail(
            err, LOCUS_E_UNSUPPORTED, path, pre,
            "CMYK (separated) TIFF images are not supported (greyscale and RGB "
            "are)");
    case PHOTOMETRIC_YCBCR:
        return locus_imageio_fail(
            err, LOCUS_E_UNSUPPORTED, path, pre,
            "YCbCr colour (e.g. JPEG-compressed) TIFF images are not supported "
            "(greyscale and RGB are)");
    }
    return locus_imageio_fail(
        err, LOCUS_E_UNSUPPORTED, path, pre,
        "TIFF photometric interpretation %u is not supported (greyscale and RGB "
        "are)",
        p->photometric);
}

/* Tiles are decoded one at a time into a buffer: refuse absurd ones. */
static int check_tiles(const tiffio_page *p, const char *path, const char *pre, locus_error *err)
{
    if (p->tile_w == 0 || p->tile_h == 0)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre, "corrupt TIFF (tile size is 0)");
    uint64_t tile = (uint64_t)p->tile_w * p->tile_h, page = (uint64_t)p->width * p->height;
    if (tile > ((uint64_t)8 << 20) && tile > 4 * page)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, pre,
                                  "tiles of %u x %u pixels are too large for a %u x %u page",
                                  p->tile_w, p->tile_h, p->width, p->height);
    return LOCUS_OK;
}

/* Whether locus can decode a page: its pixel type and the sample to take. */
static int check_page(const tiffio_page *p, int channel, const char *path, const char *pre,
                      locus_dtype *dtype, int *pick, locus_error *err)
{
    if (p->depth > 1)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, pre,
                                  "TIFF pages with an ImageDepth of %u are not supported",
                                  p->depth);
    *dtype = dtype_of(p);
    if (!*dtype)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, pre,
                                  "%u-bit %s samples are not supported (8-, 16- and 32-bit "
                                  "integers, signed or not, and 32- and 64-bit floats are)",
                                  p->bps, format_words(p->format));
    if (p->spp < 1 || p->spp > 4)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, pre,
                                  "%u samples per pixel are not supported (1 to 4 are)", p->spp);
    int layout = IMAGEIO_GREY;
    int st = check_photometric(p, path, pre, &layout, err);
    if (st)
        return st;
    if (!TIFFIsCODECConfigured(p->compression))
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, pre,
                                  "TIFF compression scheme %u is not supported by this libtiff",
                                  p->compression);
    st = locus_imageio_check_size(path, pre, (uint64_t)p->width * p->height,
                                  locus_dtype_size(*dtype) * p->spp, err);
    if (st)
        return st;
    if (p->tiled && (st = check_tiles(p, path, pre, err)))
        return st;
    return locus_imageio_pick_channel(channel, p->spp, layout, path, pre, pick, err);
}

/* The "page N: " that prefixes a page's errors in a multi-page file. */
static const char *page_label(char *buf, size_t n, int multi, size_t page)
{
    if (!multi)
        return "";
    snprintf(buf, n, "page %zu: ", page);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Scanning a file when a source opens                                 */
/* ------------------------------------------------------------------ */

static int add_offset(tiffio_pages *pages, size_t *cap, uint64_t off)
{
    if (pages->npages == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        uint64_t *p = realloc(pages->offsets, size_mul(ncap, sizeof *p));
        if (!p)
            return LOCUS_E_NOMEM;
        pages->offsets = p;
        *cap = ncap;
    }
    pages->offsets[pages->npages++] = off;
    return LOCUS_OK;
}

/*
 * Keep the first page-level problem so locus_source_check can report it,
 * and every page's, for axis metadata to pick the first of the pages its
 * frames use (locus_tiffio_axes_apply).
 */
static void note_page_problem(tiffio_pages *pages, size_t page, const locus_error *e)
{
    if (!pages->first_status) {
        pages->first_error = locus_error_keep(e);
        pages->first_status = e->status;
    }
    tiffio_problem *p = realloc(pages->problems, (pages->nproblems + 1) * sizeof *p);
    if (!p)
        return; /* only the open-time report is the poorer */
    pages->problems = p;
    p[pages->nproblems].page = page;
    p[pages->nproblems].status = e->status;
    p[pages->nproblems++].error = locus_error_keep(e);
}

static int same_format(const tiffio_page *a, const tiffio_page *b)
{
    return a->bps == b->bps && a->format == b->format;
}

/* A volume's pages must all have the first one's size and sample type
 * (both pages have passed check_page: their types are locus's). */
static int check_volume_page(const tiffio_page *first, const tiffio_page *p, size_t k,
                             const char *path, locus_error *err)
{
    if (p->width == first->width && p->height == first->height && same_format(first, p))
        return LOCUS_OK;
    return locus_imageio_fail(err, LOCUS_E_SHAPE, path, "",
                              "page %zu is %u x %u %s, page 0 is %u x %u %s (width x height); the "
                              "pages of a volume must have one size and sample type",
                              k, p->width, p->height, locus_dtype_name(dtype_of(p)), first->width,
                              first->height, locus_dtype_name(dtype_of(first)));
}

/* Check one page as it is scanned; only volumes fail on a page. */
static int scan_page(TIFF *tif, tiffio_pages *pages, const tiffio_page *first, const char *path,
                     int channel, int volume, locus_error *err)
{
    size_t k = pages->npages - 1;
    tiffio_page p;
    get_page(tif, &p);
    char buf[48];
    const char *pre = page_label(buf, sizeof buf, pages->multi, k);
    locus_error e;
    locus_dtype dtype;
    int pick;
    int st = check_page(&p, channel, path, pre, &dtype, &pick, &e);
    if (!st && volume && k > 0)
        st = check_volume_page(first, &p, k, path, &e);
    if (st && volume) {
        if (err)
            *err = e;
        return st;
    }
    if (st)
        note_page_problem(pages, k, &e);
    return LOCUS_OK;
}

static int scan_directories(TIFF *tif, tiffio_io *m, const char *path, int channel, int volume,
                            tiffio_pages *pages, locus_error *err)
{
    size_t cap = 0;
    tiffio_page first;
    get_page(tif, &first);
    pages->multi = !TIFFLastDirectory(tif);
    for (;;) {
        if (add_offset(pages, &cap, TIFFCurrentDirOffset(tif)))
            return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
        int st = scan_page(tif, pages, &first, path, channel, volume, err);
        if (st)
            return st;
        if (TIFFLastDirectory(tif))
            return LOCUS_OK;
        m->msg[0] = '\0';
        if (!TIFFReadDirectory(tif))
            return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                      "page %zu: corrupt or truncated TIFF (%s)", pages->npages,
                                      m->msg[0] ? m->msg : "unreadable directory");
    }
}

/* The first page's ImageDescription (axis metadata), copied; NULL if none. */
static char *first_description(TIFF *tif, size_t *n)
{
    const char *d = NULL;
    *n = 0;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &d) || !d)
        return NULL;
    char *copy = strdup(d);
    if (copy)
        *n = strlen(copy);
    return copy;
}

/*
 * ImageJ writes a stack over 4 GiB with one directory and `images` pages
 * of raw data one after another from page 0's data on (its TIFF offsets
 * cannot reach further). When the one page is uncompressed, in strips,
 * and its strips are contiguous, pages 1 .. images - 1 follow it.
 */
static int raw_layout(TIFF *tif, uint64_t *start, uint64_t *bytes)
{
    tiffio_page p;
    get_page(tif, &p);
    if (p.compression != COMPRESSION_NONE || p.tiled || TIFFIsTiled(tif) || !dtype_of(&p) ||
        (p.planar == PLANARCONFIG_SEPARATE && p.spp > 1))
        return 0;
    uint64_t want = (uint64_t)p.width * p.height * p.spp * (p.bps / 8), next = 0;
    uint32_t n = TIFFNumberOfStrips(tif);
    for (uint32_t s = 0; s < n; s++) {
        int e = 0;
        uint64_t off = TIFFGetStrileOffsetWithErr(tif, s, &e);
        uint64_t cnt = e ? 0 : TIFFGetStrileByteCountWithErr(tif, s, &e);
        if (e || (s > 0 && off != next))
            return 0;
        if (s == 0)
            *start = off;
        next = off + cnt;
    }
    *bytes = want;
    return n > 0 && next - *start == want;
}

/* Extend a one-directory ImageJ stack (still at that directory) to its
 * raw pages; those past the end of the file fail when read. */
static int add_raw_pages(TIFF *tif, int fd, const tiffio_axes *ax, const char *path,
                         tiffio_pages *pages, locus_error *err)
{
    uint64_t start = 0, bytes = 0, images = ax->ij.images;
    if (ax->kind != AXES_IMAGEJ || pages->npages != 1 || images < 2 ||
        !raw_layout(tif, &start, &bytes) || bytes == 0 || images > UINT64_MAX / bytes ||
        start > UINT64_MAX - images * bytes || images > SIZE_MAX / sizeof(uint64_t))
        return LOCUS_OK;
    /* a file cut short keeps the pages it holds, and one that fails to
     * read: the description alone commits no memory */
    struct stat sb;
    uint64_t size = fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    uint64_t whole = size > start ? (size - start) / bytes : 0;
    uint64_t n = images < whole + 1 ? images : whole + 1;
    if (n < 2)
        return LOCUS_OK;
    uint64_t *o = realloc(pages->offsets, (size_t)n * sizeof *o);
    if (!o)
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    pages->offsets = o;
    for (uint64_t k = 1; k < n; k++)
        o[k] = start + k * bytes;
    pages->npages = (size_t)n;
    pages->raw_from = 1;
    pages->multi = 1;
    if (images > whole) {
        locus_error e;
        locus_imageio_fail(&e, LOCUS_E_FORMAT, path, "",
                           "truncated TIFF (ImageJ stack of %llu images of %llu bytes from byte "
                           "%llu; the file holds %llu of them)",
                           (unsigned long long)images, (unsigned long long)bytes,
                           (unsigned long long)start, (unsigned long long)whole);
        note_page_problem(pages, (size_t)n - 1, &e);
    }
    return LOCUS_OK;
}

/* Scan a file's directories, with its axis metadata when axes is given. */
static int scan_tiff_file(int fd, const char *path, int channel, int volume, int use_axes,
                          tiffio_pages *pages, locus_error *err)
{
    memset(pages, 0, sizeof *pages);
    pages->page_channel = channel;
    tiffio_io m = {.path = path};
    if (lseek(fd, 0, SEEK_SET) != 0)
        return locus_error_errno(err, path, errno, NULL);
    TIFF *tif = locus_tiffio_client_open(fd, "r", &m);
    if (!tif)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt or truncated TIFF (%s)",
                                  m.msg[0] ? m.msg : "unreadable header");
    size_t n = 0;
    char *desc = use_axes ? first_description(tif, &n) : NULL;
    tiffio_axes ax;
    locus_tiffio_axes_read(desc, n, &ax);
    free(desc);
    int pc = locus_tiffio_axes_page_channel(&ax, channel);
    int st = scan_directories(tif, &m, path, pc, volume, pages, err);
    if (!st)
        st = add_raw_pages(tif, fd, &ax, path, pages, err);
    TIFFClose(tif);
    if (!st && use_axes && (st = locus_tiffio_axes_apply(&ax, path, channel, volume, pages, err))) {
        pages->npages = 0; /* the file's metadata makes its pages unusable as frames */
        free(pages->planes);
        pages->planes = NULL;
    }
    locus_tiffio_axes_free(&ax);
    locus_tiffio_problems_free(pages); /* needed only while scanning */
    if (st && volume)
        pages->npages = 0;
    return st;
}

int locus_tiffio_scan(int fd, const char *path, int channel, int volume, tiffio_pages *pages,
                      locus_error *err)
{
    return scan_tiff_file(fd, path, channel, volume, 1, pages, err);
}

int locus_tiffio_scan_path(const char *path, int channel, int volume, tiffio_pages *pages,
                           locus_error *err)
{
    memset(pages, 0, sizeof *pages);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno));
    struct stat sb;
    int st =
        fstat(fd, &sb) != 0 ? locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno))
        : !S_ISREG(sb.st_mode) ? locus_imageio_fail(err, LOCUS_E_IO, path, "", "not a regular file")
                               : scan_tiff_file(fd, path, channel, volume, 0, pages, err);
    close(fd);
    return st;
}

void locus_tiffio_problems_free(tiffio_pages *pages)
{
    for (size_t i = 0; i < pages->nproblems; i++)
        free(pages->problems[i].error);
    free(pages->problems);
    pages->problems = NULL;
    pages->nproblems = 0;
}

void locus_tiffio_pages_free(tiffio_pages *pages)
{
    free(pages->offsets);
    free(pages->first_error);
    free(pages->planes);
    free(pages->layout);
    locus_tiffio_problems_free(pages);
    for (size_t i = 0; i < pages->nset; i++) {
        free(pages->set[i].path);
        locus_tiffio_pages_free(&pages->set[i].pages);
    }
    free(pages->set);
    memset(pages, 0, sizeof *pages);
}

/* ------------------------------------------------------------------ */
/* Decoding a page                                                     */
/* ------------------------------------------------------------------ */

/* An open TIFF file, kept by a reader for its next page. */
struct tiffio_handle {
    TIFF *tif;
    int fd;
    uint64_t size;
    tiffio_io m;
    /* which file: a path can be replaced by another file */
    char *path;
    dev_t dev;
    ino_t ino;
    off_t bytes;
    struct timespec mtime;
};

/* Where a page's pixels go, and how. */
typedef struct {
    tiffio_handle *h;
    const tiffio_page *p;
    const char *path, *pre;
    int pick;
    size_t size; /* bytes per sample */
    unsigned char *dst;
    locus_reader *rd;
    locus_error *err;
    uint64_t raw; /* a raw page (ImageJ > 4 GiB): where its data starts; 0: none */
} tiffio_job;

/* Name a truncated file before libtiff reads past its end. */
static int check_strile(const tiffio_job *j, uint32_t index)
{
    const char *what = j->p->tiled ? "tile" : "strip";
    int e = 0;
    uint64_t off = TIFFGetStrileOffsetWithErr(j->h->tif, index, &e);
    uint64_t n = e ? 0 : TIFFGetStrileByteCountWithErr(j->h->tif, index, &e);
    if (e)
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre,
                                  "corrupt TIFF (no offset for %s %u)", what, index);
    if (n > 0 && off >= j->h->size)
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre,
                                  "truncated TIFF (%s %u is past the end of the file)", what,
                                  index);
    if (n > j->h->size - (off < j->h->size ? off : j->h->size))
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre,
                                  "truncated TIFF (%s %u ends early)", what, index);
    return LOCUS_OK;
}

/*
 * Zero n bytes at buf. A large region is handed back to the kernel
 * instead (MADV_DONTNEED: private anonymous memory, which is what
 * allocators hand out, then reads as zeros), so that zeroing the buffer
 * for a huge page a tiny file merely claims does not commit that memory.
 */
static void zero_bytes(void *buf, size_t n)
{
#if defined(__linux__) && defined(MADV_DONTNEED)
    long page = sysconf(_SC_PAGESIZE);
    if (n >= ((size_t)64 << 20) && page > 0) {
        uintptr_t start = (uintptr_t)buf, end = start + n, mask = (uintptr_t)page - 1;
        uintptr_t a = (start + mask) & ~mask, b = end & ~mask;
        if (madvise((void *)a, b - a, MADV_DONTNEED) == 0) {
            memset(buf, 0, a - start);
            memset((void *)b, 0, end - b);
            return;
        }
    }
#endif
    memset(buf, 0, n);
}

/*
 * Before a codec decodes a strip or tile into buf, zero it. Codecs may
 * report a strip complete without writing all of it (found by
 * fuzz/fuzz_tiff.c and fuzz/fuzz_source.c): libtiff's deflate codec,
 * built with libdeflate as Debian's is, accepts data that inflates to
 * more than the strip holds (LIBDEFLATE_INSUFFICIENT_SPACE, for "odd
 * files in the wild"), but libdeflate stops before a match that would
 * overflow, leaving the last bytes unwritten; its JPEG codec decodes a
 * JPEG smaller than the strip and leaves the rest. Those bytes were
 * whatever the reader's buffer held, so a page decoded differently
 * depending on what the reader had read before. Zeroed, they are the
 * same every time. Uncompressed data is read exactly or not at all.
 *
 * A deflate strip too short to inflate to n bytes (deflate expands at
 * most 1032-fold) cannot be whole: say so rather than zero (or decode)
 * gigabytes for it.
 */
static int clear_for_codec(const tiffio_job *j, const char *what, uint32_t index, void *buf,
                           size_t n)
{
    uint16_t c = j->p->compression;
    if (c == COMPRESSION_NONE)
        return LOCUS_OK;
    if (c == COMPRESSION_ADOBE_DEFLATE || c == COMPRESSION_DEFLATE) {
        int e = 0;
        uint64_t bytes = TIFFGetStrileByteCountWithErr(j->h->tif, index, &e);
        if (e || bytes < n / 1032)
            return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre,
                                      "corrupt TIFF (%s %u: %llu bytes cannot inflate to %zu)",
                                      what, index, (unsigned long long)bytes, n);
    }
    zero_bytes(buf, n);
    return LOCUS_OK;
}

static int decode_failed(const tiffio_job *j, const char *what, uint32_t index)
{
    return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre, "corrupt TIFF (%s %u: %s)",
                              what, index, j->h->m.msg[0] ? j->h->m.msg : "cannot decode");
}

/*
 * Uncompressed strips of one sample a pixel that follow one another in
 * the file, each exactly its rows: the page in one pread straight into
 * the frame. Through libtiff each strip was a seek and a read (a
 * 2048x2048 frame of 2-row strips: 1024 of each, about a tenth of the
 * bench movie's run in the kernel). *done says whether it applied; the
 * strips are checked as the strip path checks them, so a damaged file
 * gets the same error.
 */
static int read_exactly(const tiffio_job *j, void *buf, size_t n, uint64_t off);
static void swap_samples(TIFF *tif, void *buf, size_t count, size_t size);

static int read_contiguous_strips(const tiffio_job *j, uint32_t first, uint32_t count,
                                  size_t out_row, int *done)
{
    const tiffio_page *p = j->p;
    TIFF *tif = j->h->tif;
    uint16_t fill = FILLORDER_MSB2LSB;
    *done = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &fill);
    if (p->compression != COMPRESSION_NONE || fill != FILLORDER_MSB2LSB ||
        (p->spp > 1 && p->planar != PLANARCONFIG_SEPARATE))
        return LOCUS_OK;
    uint64_t start = 0, at = 0;
    for (uint32_t s = 0; s < count; s++) {
        uint32_t rows = p->height - s * p->rows_per_strip < p->rows_per_strip
                            ? p->height - s * p->rows_per_strip
                            : p->rows_per_strip;
        int st = check_strile(j, first + s), e = 0;
        if (st)
            return st;
        uint64_t off = TIFFGetStrileOffsetWithErr(tif, first + s, &e);
        uint64_t n = TIFFGetStrileByteCountWithErr(tif, first + s, &e);
        if (s == 0)
            start = at = off;
        if (e || off != at || n != (uint64_t)out_row * rows)
            return LOCUS_OK; /* not one run of whole strips: strip by strip */
        at += n;
    }
    int st = read_exactly(j, j->dst, (size_t)(at - start), start);
    if (st)
        return st;
    swap_samples(tif, j->dst, (size_t)p->width * p->height, j->size);
    *done = 1;
    return LOCUS_OK;
}

static int read_strips(const tiffio_job *j)
{
    const tiffio_page *p = j->p;
    TIFF *tif = j->h->tif;
    int separate = p->planar == PLANARCONFIG_SEPARATE && p->spp > 1;
    int n = separate ? 1 : p->spp; /* samples per pixel within a strip */
    uint32_t rps = p->rows_per_strip;
    uint32_t per_plane = (p->height - 1) / rps + 1;
    if (TIFFNumberOfStrips(tif) != (separate ? (uint64_t)per_plane * p->spp : per_plane))
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre,
                                  "corrupt TIFF (wrong number of strips)");
    size_t out_row = (size_t)p->width * j->size, in_row = out_row * (size_t)n;
    int whole = 0, st0 = read_contiguous_strips(j, separate ? (uint32_t)j->pick * per_plane : 0,
                                                per_plane, out_row, &whole);
    if (st0 || whole)
        return st0;
    if (n > 1 && locus_mem_reserve(&j->rd->scratch, &j->rd->scratch_cap, size_mul(in_row, rps)))
        return locus_imageio_fail(j->err, LOCUS_E_NOMEM, j->path, j->pre, "out of memory");
    for (uint32_t s = 0; s < per_plane; s++) {
        uint32_t strip = separate ? (uint32_t)j->pick * per_plane + s : s;
        uint32_t rows = p->height - s * rps < rps ? p->height - s * rps : rps;
        unsigned char *out = j->dst + (size_t)s * rps * out_row;
        void *in = n > 1 ? j->rd->scratch : out;
        int st = check_strile(j, strip);
        if (st)
            return st;
        j->h->m.msg[0] = '\0';
        tmsize_t want = (tmsize_t)(in_row * rows);
        if ((st = clear_for_codec(j, "strip", strip, in, (size_t)want)))
            return st;
        if (TIFFReadEncodedStrip(tif, strip, in, want) != want)
            return decode_failed(j, "strip", strip);
        if (n > 1)
            locus_imageio_extract(out, in, (size_t)rows * p->width, n, j->pick, j->size);
    }
    return LOCUS_OK;
}

/* Copy the part of a decoded tile that lies inside the image. */
static void place_tile(const tiffio_job *j, const unsigned char *tile, uint32_t x, uint32_t y,
                       int n, int pick)
{
    const tiffio_page *p = j->p;
    uint32_t cols = p->width - x < p->tile_w ? p->width - x : p->tile_w;
    uint32_t rows = p->height - y < p->tile_h ? p->height - y : p->tile_h;
    size_t in_row = (size_t)p->tile_w * (size_t)n * j->size;
    for (uint32_t r = 0; r < rows; r++) {
        unsigned char *out = j->dst + ((size_t)(y + r) * p->width + x) * j->size;
        locus_imageio_extract(out, tile + r * in_row, cols, n, pick, j->size);
    }
}

static int read_tiles(const tiffio_job *j)
{
    const tiffio_page *p = j->p;
    TIFF *tif = j->h->tif;
    int separate = p->planar == PLANARCONFIG_SEPARATE && p->spp > 1;
    int n = separate ? 1 : p->spp;
    size_t bytes = size_mul(size_mul(p->tile_w, p->tile_h), (size_t)n * j->size);
    if (bytes == SIZE_MAX || (tmsize_t)bytes != TIFFTileSize(tif))
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre,
                                  "corrupt TIFF (tile size)");
    if (locus_mem_reserve(&j->rd->scratch, &j->rd->scratch_cap, bytes))
        return locus_imageio_fail(j->err, LOCUS_E_NOMEM, j->path, j->pre, "out of memory");
    for (uint32_t y = 0; y < p->height; y += p->tile_h) {
        for (uint32_t x = 0; x < p->width; x += p->tile_w) {
            uint32_t tile = TIFFComputeTile(tif, x, y, 0, (uint16_t)(separate ? j->pick : 0));
            int st = check_strile(j, tile);
            if (st)
                return st;
            j->h->m.msg[0] = '\0';
            if ((st = clear_for_codec(j, "tile", tile, j->rd->scratch, bytes)))
                return st;
            if (TIFFReadEncodedTile(tif, tile, j->rd->scratch, (tmsize_t)bytes) != (tmsize_t)bytes)
                return decode_failed(j, "tile", tile);
            place_tile(j, j->rd->scratch, x, y, n, separate ? 0 : j->pick);
            if (p->width - x <= p->tile_w)
                break; /* x += tile_w could wrap around */
        }
        if (p->height - y <= p->tile_h)
            break;
    }
    return LOCUS_OK;
}

/*
 * The most a codec expands its input (0: no bound known). A file too
 * small to hold a page's data at that rate is cut short: say so before
 * allocating for a large page.
 */
static uint64_t max_expansion(uint16_t compression)
{
    switch (compression) {
    case COMPRESSION_NONE:
        return 1;
    case COMPRESSION_PACKBITS:
        return 64; /* two bytes for a run of 128 */
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE:
        return 1032;
    case COMPRESSION_LZW:
        return 4096; /* one 12-bit code for a string of up to 4096 bytes */
    }
    return 0;
}

static int check_room(const tiffio_handle *h, const tiffio_page *p, size_t size, const char *path,
                      const char *pre, locus_error *err)
{
    uint64_t rate = max_expansion(p->compression);
    int separate = p->planar == PLANARCONFIG_SEPARATE;
    uint64_t bytes = (uint64_t)p->width * p->height * size * (separate ? 1 : p->spp);
    /* small pages get the exact account of check_strile instead */
    if (rate && bytes > ((uint64_t)16 << 20) && bytes / rate > h->size)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre,
                                  "truncated TIFF (%llu bytes cannot hold a %u x %u page)",
                                  (unsigned long long)h->size, p->width, p->height);
    return LOCUS_OK;
}

/* Move to a page and read its description. */
static int enter_page(tiffio_handle *h, uint64_t off, const char *path, const char *pre,
                      tiffio_page *p, locus_error *err)
{
    h->m.msg[0] = '\0';
    if (!TIFFSetSubDirectory(h->tif, off))
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre, "corrupt or truncated TIFF (%s)",
                                  h->m.msg[0] ? h->m.msg : "unreadable directory");
    get_page(h->tif, p);
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* The reader's open file                                              */
/* ------------------------------------------------------------------ */

static void handle_close(tiffio_handle *h)
{
    if (h->tif)
        TIFFClose(h->tif);
    if (h->fd >= 0)
        close(h->fd);
    h->tif = NULL;
    h->fd = -1;
}

void locus_tiffio_handle_free(tiffio_handle *h)
{
    if (!h)
        return;
    handle_close(h);
    free(h->path);
    free(h);
}

static int same_file(const tiffio_handle *h, const char *path, const struct stat *st)
{
    return h->tif && h->path && !strcmp(h->path, path) && h->dev == st->st_dev &&
           h->ino == st->st_ino && h->bytes == st->st_size &&
           h->mtime.tv_sec == st->st_mtim.tv_sec && h->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int handle_open(tiffio_handle *h, const char *path, locus_error *err)
{
    struct stat st;
    h->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (h->fd < 0 || fstat(h->fd, &st) != 0)
        return locus_error_errno(err, path, errno, NULL);
    if (!h->path || strcmp(h->path, path) != 0) {
        free(h->path);
        if (!(h->path = strdup(path)))
            return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    }
    h->dev = st.st_dev;
    h->ino = st.st_ino;
    h->bytes = st.st_size;
    h->mtime = st.st_mtim;
    h->size = (uint64_t)st.st_size;
    h->m.path = h->path;
    /* "h": the header only; every read names its directory. */
    h->tif = locus_tiffio_client_open(h->fd, "rh", &h->m);
    if (!h->tif)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt or truncated TIFF (%s)",
                                  h->m.msg[0] ? h->m.msg : "unreadable header");
    return LOCUS_OK;
}

/* The reader's open TIFF for path, reopened only when the file changes. */
static int handle_get(locus_reader *rd, const char *path, tiffio_handle **out, locus_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return locus_error_errno(err, path, errno, NULL);
    if (!rd->tiff) {
        if (!(rd->tiff = calloc(1, sizeof *rd->tiff)))
            return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
        rd->tiff->fd = -1;
    }
    *out = rd->tiff;
    if (same_file(rd->tiff, path, &st))
        return LOCUS_OK;
    handle_close(rd->tiff);
    int status = handle_open(rd->tiff, path, err);
    if (status)
        handle_close(rd->tiff);
    return status;
}

/* ------------------------------------------------------------------ */
/* Reading frames                                                      */
/* ------------------------------------------------------------------ */

/* Read all of n bytes at off, or say how the file ends. */
static int read_exactly(const tiffio_job *j, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(j->h->fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return locus_imageio_fail(j->err, LOCUS_E_IO, j->path, j->pre, "read error: %s",
                                      strerror(errno));
        if (r == 0)
            return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, j->pre,
                                      "truncated TIFF (the page's %zu bytes from byte %llu end "
                                      "early)",
                                      n, (unsigned long long)off);
        done += (size_t)r;
    }
    return LOCUS_OK;
}

/* Samples in the file's byte order, in place, to the host's. */
static void swap_samples(TIFF *tif, void *buf, size_t count, size_t size)
{
    if (!TIFFIsByteSwapped(tif) || size == 1)
        return;
    for (size_t done = 0; done < count;) {
        tmsize_t n = count - done > (1u << 30) ? (tmsize_t)1 << 30 : (tmsize_t)(count - done);
        if (size == 2)
            TIFFSwabArrayOfShort((uint16_t *)buf + done, n);
        else if (size == 4)
            TIFFSwabArrayOfLong((uint32_t *)buf + done, n);
        else
            TIFFSwabArrayOfDouble((double *)buf + done, n);
        done += (size_t)n;
    }
}

/* A raw page: uncompressed contiguous samples, laid out as page 0's. */
static int read_raw(const tiffio_job *j)
{
    const tiffio_page *p = j->p;
    size_t npx = (size_t)p->width * p->height, bytes = npx * j->size * p->spp;
    void *in = j->dst;
    if (p->spp > 1 && locus_mem_reserve(&j->rd->scratch, &j->rd->scratch_cap, bytes))
        return locus_imageio_fail(j->err, LOCUS_E_NOMEM, j->path, j->pre, "out of memory");
    if (p->spp > 1)
        in = j->rd->scratch;
    int st = read_exactly(j, in, bytes, j->raw);
    if (st)
        return st;
    if (p->spp > 1)
        locus_imageio_extract(j->dst, in, npx, p->spp, j->pick, j->size);
    swap_samples(j->h->tif, j->dst, npx, j->size);
    return LOCUS_OK;
}

static int decode_page(tiffio_job *j)
{
    if (j->raw)
        return read_raw(j);
    return j->p->tiled ? read_tiles(j) : read_strips(j);
}

/* Move to page k: its directory, or for a raw page page 0's (which
 * describes it) with *raw set to where its data starts. */
static int enter_numbered(tiffio_handle *h, const tiffio_pages *pages, size_t k, const char *path,
                          const char *pre, tiffio_page *p, uint64_t *raw, locus_error *err)
{
    int is_raw = pages->raw_from && k >= pages->raw_from;
    *raw = is_raw ? pages->offsets[k] : 0;
    return enter_page(h, pages->offsets[is_raw ? 0 : k], path, pre, p, err);
}

static void describe(locus_image *img, void *data, locus_dtype dtype, int ndim, size_t z,
                     const tiffio_page *p)
{
    img->data = data;
    img->dtype = dtype;
    img->ndim = ndim;
    size_t shape[3] = {z, p->height, p->width};
    for (int i = 0; i < ndim; i++)
        img->shape[i] = shape[3 - ndim + i];
    locus_image_set_contiguous(img);
}

static int read_page(tiffio_handle *h, const char *path, const tiffio_pages *pages, size_t page,
                     int channel, locus_reader *rd, locus_image *img, locus_error *err)
{
    char buf[48];
    const char *pre = page_label(buf, sizeof buf, pages->multi, page);
    tiffio_page p;
    uint64_t raw = 0;
    int st = enter_numbered(h, pages, page, path, pre, &p, &raw, err);
    locus_dtype dtype = LOCUS_U8;
    int pick = 0;
    if (!st)
        st = check_page(&p, channel, path, pre, &dtype, &pick, err);
    size_t size = locus_dtype_size(dtype);
    if (!st)
        st = check_room(h, &p, size, path, pre, err);
    if (!st &&
        locus_mem_reserve(&rd->pixels, &rd->pixels_cap, size_mul((size_t)p.width * p.height, size)))
        st = locus_imageio_fail(err, LOCUS_E_NOMEM, path, pre, "out of memory");
    if (st)
        return st;
    tiffio_job j = {h, &p, path, pre, pick, size, rd->pixels, rd, err, raw};
    st = decode_page(&j);
    if (!st)
        describe(img, rd->pixels, dtype, 2, 1, &p);
    return st;
}

/* Room for every slice, sized by the first page. */
static int reserve_volume(locus_reader *rd, const tiffio_page *p, size_t npages, size_t size,
                          const char *path, locus_error *err)
{
    uint64_t voxels = (uint64_t)p->width * p->height * npages;
    int st = locus_imageio_check_size(path, "", voxels, size, err);
    if (!st && locus_mem_reserve(&rd->pixels, &rd->pixels_cap, size_mul((size_t)voxels, size)))
        st = locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    return st;
}

static int read_volume(tiffio_handle *h, const char *path, const tiffio_pages *pages, int channel,
                       locus_reader *rd, locus_image *img, locus_error *err)
{
    tiffio_page first = {0}, p;
    locus_dtype dtype = LOCUS_U8;
    if (pages->npages == 0)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "TIFF without pages");
    for (size_t z = 0; z < pages->npages; z++) {
        char buf[48];
        const char *pre = page_label(buf, sizeof buf, pages->multi, z);
        int pick = 0;
        uint64_t raw = 0;
        int st = enter_numbered(h, pages, z, path, pre, &p, &raw, err);
        if (!st)
            st = check_page(&p, channel, path, pre, &dtype, &pick, err);
        if (!st)
            st = check_room(h, &p, locus_dtype_size(dtype), path, pre, err);
        if (!st && z == 0) {
            first = p;
            st = reserve_volume(rd, &p, pages->npages, locus_dtype_size(dtype), path, err);
        }
        if (!st && z > 0)
            st = check_volume_page(&first, &p, z, path, err);
        if (st)
            return st;
        size_t size = locus_dtype_size(dtype), slice = (size_t)p.width * p.height * size;
        tiffio_job j = {h,  &p,  path, pre, pick, size, (unsigned char *)rd->pixels + z * slice,
                        rd, err, raw};
        if ((st = decode_page(&j)))
            return st;
    }
    describe(img, rd->pixels, dtype, 3, pages->npages, &first);
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* Frames laid out by axis metadata                                    */
/* ------------------------------------------------------------------ */

/* Where a frame's planes go: shared by its slices. */
typedef struct {
    const char *path; /* the file the source lists */
    const tiffio_pages *pages;
    locus_reader *rd;
    tiffio_page first;
    locus_dtype dtype;
    locus_error *err;
} mapped_frame;

static int plane_missing(const mapped_frame *f, size_t frame, size_t z)
{
    char where[64] = "";
    if (f->pages->depth > 1)
        snprintf(where, sizeof where, ", z slice %zu", z);
    return locus_imageio_fail(f->err, LOCUS_E_FORMAT, f->path, "",
                              "frame %zu%s: the %s metadata puts the plane in no page", frame,
                              where, f->pages->layout ? f->pages->layout : "stack");
}

/* Decode slice z of a frame (plane pl) into its place. */
static int read_plane(mapped_frame *f, const tiffio_plane *pl, size_t z)
{
    const tiffio_pages *pages = f->pages;
    const tiffio_pages *fp = pl->file ? &pages->set[pl->file - 1].pages : pages;
    const char *path = pl->file ? pages->set[pl->file - 1].path : f->path;
    tiffio_handle *h = NULL;
    int st = pl->page < fp->npages ? handle_get(f->rd, path, &h, f->err)
                                   : locus_imageio_fail(f->err, LOCUS_E_FORMAT, path, "",
                                                        "page %llu of the stack is missing",
                                                        (unsigned long long)pl->page);
    char buf[48];
    const char *pre = page_label(buf, sizeof buf, fp->multi, (size_t)pl->page);
    tiffio_page p;
    uint64_t raw = 0;
    int pick = 0;
    if (!st)
        st = enter_numbered(h, fp, (size_t)pl->page, path, pre, &p, &raw, f->err);
    if (!st)
        st = check_page(&p, pages->page_channel, path, pre, &f->dtype, &pick, f->err);
    size_t size = locus_dtype_size(f->dtype);
    if (!st)
        st = check_room(h, &p, size, path, pre, f->err);
    if (!st && z == 0) {
        f->first = p;
        st = reserve_volume(f->rd, &p, pages->depth, size, path, f->err);
    }
    if (!st && z > 0)
        st = check_volume_page(&f->first, &p, z, path, f->err);
    if (st)
        return st;
    size_t slice = (size_t)p.width * p.height * size;
    tiffio_job j = {
        h,     &p,     path, pre, pick, size, (unsigned char *)f->rd->pixels + z * slice,
        f->rd, f->err, raw};
    return decode_page(&j);
}

static int read_mapped(const char *path, const tiffio_pages *pages, size_t frame, int volume,
                       locus_reader *rd, locus_image *img, locus_error *err)
{
    if (frame >= pages->nframes)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "no frame %zu", frame);
    mapped_frame f = {path, pages, rd, {0}, LOCUS_U8, err};
    const tiffio_plane *planes = &pages->planes[frame * pages->depth];
    for (size_t z = 0; z < pages->depth; z++) {
        int st = planes[z].file == TIFFIO_MISSING ? plane_missing(&f, frame, z)
                                                  : read_plane(&f, &planes[z], z);
        if (st)
            return st;
    }
    describe(img, rd->pixels, f.dtype, volume ? 3 : 2, pages->depth, &f.first);
    return LOCUS_OK;
}

int locus_tiffio_read(const char *path, const tiffio_pages *pages, size_t page, int volume,
                      int channel, locus_reader *rd, locus_image *img, locus_error *err)
{
    if (pages->planes)
        return read_mapped(path, pages, page, volume, rd, img, err);
    tiffio_handle *h = NULL;
    int st = handle_get(rd, path, &h, err);
    if (st)
        return st;
    if (volume)
        st = read_volume(h, path, pages, channel, rd, img, err);
    else
        st = read_page(h, path, pages, page, channel, rd, img, err);
    return st;
}

/* ------------------------------------------------------------------ */
/* Every page of an open file (for the writer's BigTIFF rewrite)       */
/* ------------------------------------------------------------------ */

static int each_page(tiffio_handle *h, const tiffio_pages *pages, const char *path,
                     int (*fn)(void *, const locus_image *, locus_error *), void *user,
                     locus_reader *rd, locus_error *err)
{
    for (size_t k = 0; k < pages->npages; k++) {
        locus_image img;
        int st = read_page(h, path, pages, k, 0, rd, &img, err);
        if (!st)
            st = fn(user, &img, err);
        if (st)
            return st;
    }
    return LOCUS_OK;
}

int locus_tiffio_each_page(int fd, const char *path,
                           int (*fn)(void *user, const locus_image *page, locus_error *err),
                           void *user, locus_error *err)
{
    tiffio_pages pages;
    int st = locus_tiffio_scan(fd, path, 0, 0, &pages, err);
    struct stat sb;
    if (!st && fstat(fd, &sb) != 0)
        st = locus_error_errno(err, path, errno, NULL);
    tiffio_handle h = {.fd = -1, .size = st ? 0 : (uint64_t)sb.st_size, .m = {.path = path}};
    if (!st && lseek(fd, 0, SEEK_SET) != 0)
        st = locus_error_errno(err, path, errno, NULL);
    if (!st && !(h.tif = locus_tiffio_client_open(fd, "rh", &h.m)))
        st = locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt or truncated TIFF (%s)",
                                h.m.msg);
    locus_reader rd = {0};
    if (!st)
        st = each_page(&h, &pages, path, fn, user, &rd, err);
    if (h.tif)
        TIFFClose(h.tif);
    locus_mem_release(&rd.pixels, &rd.pixels_cap);
    locus_mem_release(&rd.scratch, &rd.scratch_cap);
    locus_tiffio_pages_free(&pages);
    return st;
}
