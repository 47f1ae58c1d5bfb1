/*
 * libFuzzer harness for the PNG reader (src/io/png_read.c through
 * src/io/source.c).
 *
 * The input is written to a file under /dev/shm and opened as a source
 * with channels -1, 0, 1, 2 and 3, and in --volume mode with -1 and 0.
 * Every frame is decoded twice:
 *
 *   fast    a reader that may use the fast path (locus's own inflate and
 *           unfiltering), its buffers pre-filled with 0x00
 *   libpng  a reader with png_no_fast set, so libpng decodes everything,
 *           its buffers pre-filled with 0xff
 *
 * and the two must agree exactly (status, message, shape, dtype, every
 * pixel). When the fast path accepted a file, this is the differential
 * check against libpng; either way it catches bytes of the output that
 * no decoder wrote (they would differ between the two fills).
 *
 * Each result is also checked on its own (common.h): a success has the
 * shape and sample type the IHDR promises and every byte is readable; a
 * failure has a reader's LOCUS_E_* status and a one-line message that
 * starts with the file's path.
 *
 * A custom mutator repairs what random mutation breaks and libpng would
 * reject at once: after libFuzzer's mutation it (for 3 inputs in 4)
 * recomputes every chunk CRC and (for 2 in 4) the zlib stream's Adler-32
 * (of what zlib, or else libdeflate, decodes), so that mutated image data
 * reaches the decoders instead of the checksums.
 */
#include "common.h"

#include <libdeflate.h>
#include <zlib.h>

static locus_reader *rd_fast, *rd_libpng;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rd_fast = locus_reader_create();
    rd_libpng = locus_reader_create();
    if (!rd_fast || !rd_libpng)
        abort();
    rd_libpng->probe.png_no_fast = 1;
    return 0;
}

static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------------ */
/* What the IHDR promises                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    int valid; /* a PNG signature and an IHDR-sized chunk first */
    uint32_t width, height;
    int depth, ctype, interlace;
} ihdr;

static ihdr parse_ihdr(const uint8_t *d, size_t n)
{
    ihdr h = {0};
    if (n < 33 || memcmp(d, signature, 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0)
        return h;
    h.valid = 1;
    h.width = get_be32(d + 16);
    h.height = get_be32(d + 20);
    h.depth = d[24];
    h.ctype = d[25];
    h.interlace = d[28];
    return h;
}

static void check_promise(const ihdr *h, const locus_image *img, int channel, const char *what)
{
    if (!h->valid)
        fuzz_fail("%s: decoded a file without a PNG signature and IHDR", what);
    if (img->shape[0] != h->height || img->shape[1] != h->width)
        fuzz_fail("%s: shape %zu x %zu but IHDR says %u x %u", what, img->shape[0], img->shape[1],
                  h->height, h->width);
    /* 1/2/4-bit grey and palette indices become uint8 samples */
    locus_dtype want = h->depth <= 8 ? LOCUS_U8 : h->depth == 16 ? LOCUS_U16 : 0;
    if (img->dtype != want)
        fuzz_fail("%s: dtype %d for bit depth %d", what, (int)img->dtype, h->depth);
    /* a palette is RGB, or RGBA with tRNS: channel 3 is checked by reading */
    int samples = h->ctype == 0   ? 1
                  : h->ctype == 4 ? 2
                  : h->ctype == 2 ? 3
                  : h->ctype == 6 ? 4
                  : h->ctype == 3 ? 4
                                  : 0;
    if (samples == 0)
        fuzz_fail("%s: decoded colour type %d", what, h->ctype);
    if (channel >= samples)
        fuzz_fail("%s: channel %d of a %d-sample image", what, channel, samples);
    if (h->ctype == 3 && channel < 0)
        fuzz_fail("%s: a palette image decoded without a channel", what);
    if (channel < 0 && samples > 2)
        fuzz_fail("%s: a colour image decoded without a channel", what);
    if (h->interlace > 1)
        fuzz_fail("%s: interlace method %d", what, h->interlace);
}

/* ------------------------------------------------------------------ */
/* The harness                                                         */
/* ------------------------------------------------------------------ */

/* libpng failed in zlib's inflate (not on a CRC, truncation or size). */
static int zlib_refusal(const fuzz_result *r)
{
    return r->status == LOCUS_E_FORMAT &&
           (strstr(r->err.message, "IDAT: invalid") || strstr(r->err.message, "IDAT: too many") ||
            strstr(r->err.message, "too far back"));
}

static void run_source(const char *path, const ihdr *h, int channel, int volume)
{
    locus_source *src = fuzz_open(path, channel, volume);
    if (!src)
        return;
    char what[64];
    locus_error problem;
    int problem_st = locus_source_check(src, &problem);
    int any_failed = 0;
    size_t n = locus_source_frames(src);
    for (size_t f = 0; f < n; f++) {
        fuzz_result a, b;
        fuzz_poison(rd_fast, 0x00);
        fuzz_poison(rd_libpng, 0xff);
        unsigned long fast_before = rd_fast->probe.png_fast;
        snprintf(what, sizeof what, "channel %d volume %d frame %zu (fast)", channel, volume, f);
        fuzz_read(src, f, rd_fast, volume ? 3 : 2, path, &a, what);
        int used_fast = rd_fast->probe.png_fast != fast_before;
        if (rd_fast->probe.png_fast - fast_before > 1 || (used_fast && a.status))
            fuzz_fail("%s: fast path count %lu -> %lu with status %d", what, fast_before,
                      rd_fast->probe.png_fast, a.status);
        snprintf(what, sizeof what, "channel %d volume %d frame %zu (libpng)", channel, volume, f);
        fuzz_read(src, f, rd_libpng, volume ? 3 : 2, path, &b, what);
        if (rd_libpng->probe.png_fast)
            fuzz_fail("png_no_fast reader used the fast path");
        snprintf(what, sizeof what, "channel %d frame %zu: %s", channel, f,
                 used_fast ? "fast path vs libpng" : "libpng, two readers");
        /* the one allowed difference (src/io/png_read.c): libdeflate decodes
         * checksummed deflate data that zlib's stricter rules refuse */
        if (!(used_fast && !a.status && zlib_refusal(&b)))
            fuzz_same(&a, &b, what);
        if (!a.status && !volume)
            check_promise(h, &a.img, channel, what);
        any_failed |= a.status != 0;
    }
    if (problem_st && !any_failed)
        fuzz_fail("channel %d volume %d: open found \"%s\" but every frame decodes", channel,
                  volume, problem.message);
    locus_source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trim(&rd_fast);
    fuzz_trim(&rd_libpng);
    const char *path = fuzz_file(0, "input.png");
    fuzz_write(path, data, size);
    ihdr h = parse_ihdr(data, size);
    static const int channels[] = {-1, 0, 1, 2, 3};
    for (size_t i = 0; i < sizeof channels / sizeof *channels; i++)
        run_source(path, &h, channels[i], 0);
    run_source(path, &h, -1, 1);
    run_source(path, &h, 0, 1);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The mutator's repairs                                               */
/* ------------------------------------------------------------------ */

/*
 * Recompute the Adler-32 after the deflate stream held in the IDAT
 * chunks (those of the first run of consecutive IDATs), when the stream
 * ends and 4 bytes follow it.
 */
static void fix_adler(uint8_t *d, size_t n)
{
    enum { MAXREG = 256 };
    size_t off[MAXREG], len[MAXREG], nreg = 0, total = 0;
    size_t pos = 8;
    int in_idat = 0;
    while (pos + 12 <= n && nreg < MAXREG) {
        uint32_t l = get_be32(d + pos);
        if (l > n - pos - 12)
            break;
        int idat = memcmp(d + pos + 4, "IDAT", 4) == 0;
        if (!idat && in_idat)
            break;
        if (idat) {
            off[nreg] = pos + 8;
            len[nreg++] = l;
            total += l;
            in_idat = 1;
        }
        pos += 12 + (size_t)l;
    }
    if (total < 6)
        return;
    uint8_t *s = malloc(total);
    if (!s)
        return;
    for (size_t i = 0, k = 0; i < nreg; k += len[i], i++)
        memcpy(s + k, d + off[i], len[i]);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {
        free(s);
        return;
    }
    static uint8_t out[1 << 16];
    uLong adler = adler32(0, NULL, 0);
    z.next_in = s + 2;
    z.avail_in = (uInt)(total - 2);
    int r;
    size_t produced = 0;
    do {
        z.next_out = out;
        z.avail_out = sizeof out;
        r = inflate(&z, Z_NO_FLUSH);
        size_t got = sizeof out - z.avail_out;
        adler = adler32(adler, out, (uInt)got);
        produced += got;
    } while (r == Z_OK && produced < ((size_t)64 << 20));
    size_t end = r == Z_STREAM_END ? z.total_in : 0;
    inflateEnd(&z);
    if (!end) {
        /* zlib refuses the stream: libdeflate may still decode it (it is
         * more lenient), and the fast path must not then accept it */
        static struct libdeflate_decompressor *ld;
        static uint8_t big[4 << 20];
        size_t got = 0;
        if (!ld && !(ld = libdeflate_alloc_decompressor()))
            abort();
        if (libdeflate_deflate_decompress_ex(ld, s + 2, total - 2, big, sizeof big, &end, &got) !=
            LIBDEFLATE_SUCCESS)
            end = 0;
        adler = adler32(adler32(0, NULL, 0), big, (uInt)got);
    }
    if (end && 2 + end + 4 <= total) {
        put_be32(s + 2 + end, (uint32_t)adler);
        for (size_t i = 0, k = 0; i < nreg; k += len[i], i++)
            memcpy(d + off[i], s + k, len[i]);
    }
    free(s);
}

/* Recompute the CRC of every whole chunk. */
static void fix_crcs(uint8_t *d, size_t n)
{
    size_t pos = 8;
    while (pos + 12 <= n) {
        uint32_t l = get_be32(d + pos);
        if (l > n - pos - 12)
            break;
        put_be32(d + pos + 8 + l, (uint32_t)crc32(0, d + pos + 4, 4 + l));
        pos += 12 + (size_t)l;
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    size = LLVMFuzzerMutate(data, size, max_size);
    if (size < 33 || memcmp(data, signature, 8) != 0 || seed % 4 == 0)
        return size;
    if (seed % 4 >= 2)
        fix_adler(data, size);
    fix_crcs(data, size);
    return size;
}
