/*
 * libFuzzer harness for the TIFF reader (src/io/tiff_read.c through
 * src/io/source.c).
 *
 * The input is written to a file under /dev/shm and opened as a source
 * with channels -1, 0, 1, 2 and 3 (one frame per page), and in --volume
 * mode with -1, 0 and 1 (one 3-D frame). Every frame is decoded by two
 * readers:
 *
 *   A  pages in order, buffers pre-filled with 0x00 (its cached open
 *      file moves forward from page to page)
 *   B  pages in reverse order, buffers pre-filled with 0xff (its cached
 *      file jumps backwards)
 *
 * and the two must agree exactly (status, message, shape, dtype, pixel
 * hash): the result of reading a page must not depend on what the reader
 * read before, and no byte of the output may be left unwritten (it would
 * differ between the fills).
 *
 * Each result is also checked on its own (common.h), and a success
 * against what libtiff itself says of that directory: width, height,
 * and a sample type of the right size and kind; for a volume, that it
 * has as many pages as the file has frames when opened page by page.
 *
 * Files whose pages claim more than 256 MiB in a compression with no
 * expansion bound are opened but not decoded (fuzz_tiff_claims_too_much
 * in common.h).
 */
#include "common.h"

#include <tiffio.h>

static locus_reader *rd_a, *rd_b;
static int is_tiff;       /* the input starts like a TIFF */
static size_t pages_seen; /* frames of the file opened page by page */
static int decode;        /* read the frames (else only open the sources) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rd_a = locus_reader_create();
    rd_b = locus_reader_create();
    if (!rd_a || !rd_b)
        abort();
    return 0;
}

/* ------------------------------------------------------------------ */
/* What libtiff says of the file                                       */
/* ------------------------------------------------------------------ */

static TIFF *open_quietly(const char *path)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        abort();
    TIFFOpenOptionsSetErrorHandlerExtR(o, fuzz_tiff_quiet, NULL);
    TIFFOpenOptionsSetWarningHandlerExtR(o, fuzz_tiff_quiet, NULL);
    TIFF *tif = TIFFOpenExt(path, "r", o);
    TIFFOpenOptionsFree(o);
    return tif;
}

/* The sample type libtiff's tags imply, or 0. */
static locus_dtype tag_dtype(TIFF *tif)
{
    uint16_t bps = 1, fmt = SAMPLEFORMAT_UINT;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    int integer = fmt == SAMPLEFORMAT_UINT || fmt == SAMPLEFORMAT_VOID;
    if (integer && bps == 8)
        return LOCUS_U8;
    if (integer && bps == 16)
        return LOCUS_U16;
    if (integer && bps == 32)
        return LOCUS_U32;
    if (fmt == SAMPLEFORMAT_INT && (bps == 8 || bps == 16 || bps == 32))
        return bps == 8 ? LOCUS_I8 : bps == 16 ? LOCUS_I16 : LOCUS_I32;
    if (fmt == SAMPLEFORMAT_IEEEFP && bps == 32)
        return LOCUS_F32;
    if (fmt == SAMPLEFORMAT_IEEEFP && bps == 64)
        return LOCUS_F64;
    return 0;
}

/* A decoded page (or volume) against libtiff's directory `dir`. */
static void check_promise(TIFF *tif, tdir_t dir, const locus_image *img, int channel, int volume,
                          const char *what)
{
    if (!tif) {
        if (is_tiff)
            fuzz_fail("%s: decoded a TIFF libtiff cannot open", what);
        return; /* a PNG */
    }
    if (!TIFFSetDirectory(tif, dir))
        return; /* libtiff's own walk differs (it is not what locus uses): no verdict */
    uint32_t w = 0, h = 0;
    uint16_t spp = 1;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    size_t y = img->shape[volume ? 1 : 0], x = img->shape[volume ? 2 : 1];
    if (y != h || x != w)
        fuzz_fail("%s: shape %zu x %zu but directory %u says %u x %u", what, y, x, (unsigned)dir, h,
                  w);
    if (img->dtype != tag_dtype(tif))
        fuzz_fail("%s: dtype %d, but the tags say %d", what, (int)img->dtype, (int)tag_dtype(tif));
    if (channel >= (int)spp)
        fuzz_fail("%s: channel %d of %u samples", what, channel, spp);
}

/* ------------------------------------------------------------------ */
/* The harness                                                         */
/* ------------------------------------------------------------------ */

/* At most this many pages are compared between readers (the rest are still read by A). */
enum { KEEP = 4096 };

static void run_source(const char *path, TIFF *tif, int channel, int volume)
{
    locus_source *src = fuzz_open(path, channel, volume);
    if (!src)
        return;
    if (!decode) {
        locus_source_free(src);
        return;
    }
    char what[80];
    locus_error problem;
    int problem_st = locus_source_check(src, &problem);
    int ndim = volume ? 3 : 2, any_failed = 0;
    size_t n = locus_source_frames(src);
    static fuzz_result kept[KEEP];
    fuzz_poison(rd_a, 0x00);
    fuzz_poison(rd_b, 0xff);
    for (size_t f = 0; f < n; f++) {
        fuzz_result a;
        snprintf(what, sizeof what, "channel %d volume %d frame %zu (forward)", channel, volume, f);
        fuzz_read(src, f, rd_a, ndim, path, &a, what);
        any_failed |= a.status != 0;
        /* axis metadata maps frames to pages its own way (tests/io/test_axes.c) */
        if (!a.status && !fuzz_many_volumes)
            check_promise(tif, volume ? 0 : (tdir_t)f, &a.img, channel, volume, what);
        /* (not TIFFNumberOfDirectories: libtiff's own count gives up on odd files) */
        if (!a.status && volume && a.img.shape[0] != pages_seen && !fuzz_many_volumes)
            fuzz_fail("%s: a volume of %zu pages, but %zu pages as separate frames", what,
                      a.img.shape[0], pages_seen);
        if (f < KEEP) {
            kept[f] = a;
            kept[f].img.data =
                NULL; /* A's pixels are overwritten by its next read: copy small ones */
            size_t bytes = a.status ? 0 : fuzz_image_bytes(&a.img);
            if (bytes && bytes <= (1u << 20) && (kept[f].img.data = malloc(bytes)))
                memcpy((void *)kept[f].img.data, a.img.data, bytes);
        }
    }
    for (size_t f = n < KEEP ? n : KEEP; f-- > 0;) {
        fuzz_result b;
        snprintf(what, sizeof what, "channel %d volume %d frame %zu (backward)", channel, volume,
                 f);
        fuzz_read(src, f, rd_b, ndim, path, &b, what);
        void *copy = (void *)kept[f].img.data;
        if (!copy)
            kept[f].img.data = b.img.data; /* not kept: compare hashes only */
        snprintf(what, sizeof what, "channel %d volume %d frame %zu: forward vs backward", channel,
                 volume, f);
        fuzz_same(&kept[f], &b, what);
        free(copy);
    }
    if (problem_st && !any_failed)
        fuzz_fail("channel %d volume %d: open found \"%s\" but every frame decodes", channel,
                  volume, problem.message);
    if (!volume)
        pages_seen = n;
    locus_source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trim(&rd_a);
    fuzz_trim(&rd_b);
    const char *path = fuzz_file(0, "input.tif");
    fuzz_write(path, data, size);
    is_tiff =
        size >= 2 && ((data[0] == 'I' && data[1] == 'I') || (data[0] == 'M' && data[1] == 'M'));
    TIFF *tif = open_quietly(path);
    const char *desc = NULL;
    fuzz_many_volumes = tif && TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc) && desc &&
                        (strncmp(desc, "ImageJ=", 7) == 0 || strchr(desc, '<'));
    pages_seen = 0;
    decode = !fuzz_tiff_claims_too_much(path);
    static const int channels[] = {-1, 0, 1, 2, 3};
    for (size_t i = 0; i < sizeof channels / sizeof *channels; i++)
        run_source(path, tif, channels[i], 0);
    for (int c = -1; c <= 1; c++)
        run_source(path, tif, c, 1);
    if (tif)
        TIFFClose(tif);
    return 0;
}
