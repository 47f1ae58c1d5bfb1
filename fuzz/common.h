/*
 * Shared by the libFuzzer harnesses (fuzz_png.c, fuzz_tiff.c,
 * fuzz_source.c): the input as a file under /dev/shm, the invariants
 * every result of locus_source_open / locus_source_read must satisfy,
 * and readers whose buffers are pre-filled with a distinct byte each, so
 * that two readers decoding the same frame can only agree if neither
 * hands out bytes it never wrote.
 *
 * Any broken invariant prints what was expected and calls abort(), which
 * libFuzzer reports as a crash and saves the input.
 */
#ifndef LOCUS_FUZZ_COMMON_H
#define LOCUS_FUZZ_COMMON_H

#include "io/imageio.h"

#include <errno.h>
#include <fcntl.h>
#include <tiffio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* The input as a file                                                 */
/* ------------------------------------------------------------------ */

/* A directory of this process under /dev/shm (or $TMPDIR), made once. */
static char fuzz_dir_path[256];

static void fuzz_remove_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
    if (fuzz_dir_path[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fuzz_dir_path);
}

__attribute__((noreturn, format(printf, 1, 2))) static void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\n*** locus fuzz invariant broken: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fuzz_remove_dir(); /* abort() skips atexit */
    abort();
}

static const char *fuzz_dir(void)
{
    if (fuzz_dir_path[0])
        return fuzz_dir_path;
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm"
                       : getenv("TMPDIR")                                ? getenv("TMPDIR")
                                                                         : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/locus-fuzz-%ld", base, (long)getpid());
    if (mkdir(fuzz_dir_path, 0700) != 0 && errno != EEXIST) {
        perror(fuzz_dir_path);
        abort();
    }
    atexit(fuzz_remove_dir);
    return fuzz_dir_path;
}

/* The path of a file in that directory (static storage per name slot). */
static const char *fuzz_file(int slot, const char *name)
{
    static char paths[8][320];
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fuzz_dir(), name);
    return paths[slot];
}

/* Replace the file at path with these bytes (the same inode, reused). */
static void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t r = write(fd, data + done, size - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            perror(path);
            abort();
        }
        done += (size_t)r;
    }
    close(fd);
}

/* ------------------------------------------------------------------ */
/* Invariants                                                          */
/* ------------------------------------------------------------------ */

/*
 * A failure: a documented status a reader may return, recorded in err
 * too, and a message that is one nonempty line starting "PATH: " (when
 * path is given) with something after it.
 */
static void fuzz_check_error(int st, const locus_error *e, const char *path, const char *what)
{
    if (st != LOCUS_E_NOMEM && st != LOCUS_E_IO && st != LOCUS_E_FORMAT &&
        st != LOCUS_E_UNSUPPORTED && st != LOCUS_E_CHANNEL && st != LOCUS_E_SHAPE)
        fuzz_fail("%s: status %d is not a reader's LOCUS_E_* code", what, st);
    if (e->status != st)
        fuzz_fail("%s: returned %d but err->status is %d", what, st, e->status);
    if (!memchr(e->message, '\0', sizeof e->message))
        fuzz_fail("%s: message is not NUL-terminated", what);
    size_t n = strlen(e->message);
    if (n == 0)
        fuzz_fail("%s: empty message", what);
    if (strchr(e->message, '\n') || strchr(e->message, '\r'))
        fuzz_fail("%s: message is more than one line: \"%s\"", what, e->message);
    if (e->message[n - 1] == '.' || e->message[n - 1] == ' ')
        fuzz_fail("%s: message ends with '%c': \"%s\"", what, e->message[n - 1], e->message);
    if (path) {
        size_t p = strlen(path);
        if (strncmp(e->message, path, p) != 0 || e->message[p] != ':' || e->message[p + 1] != ' ' ||
            e->message[p + 2] == '\0')
            fuzz_fail("%s: message does not start with \"%s: \": \"%s\"", what, path, e->message);
    }
}

/*
 * A decoded frame: a valid dtype, ndim axes of nonzero length, C-contiguous
 * strides, and every byte readable (ASan checks the reads). Returns a hash
 * of the pixels.
 */
static uint64_t fuzz_check_image(const locus_image *img, int ndim, const char *what)
{
    size_t size = locus_dtype_size(img->dtype);
    if (size == 0 || !locus_dtype_name(img->dtype))
        fuzz_fail("%s: invalid dtype %d", what, (int)img->dtype);
    if (img->ndim != ndim)
        fuzz_fail("%s: ndim %d, expected %d", what, img->ndim, ndim);
    if (!img->data)
        fuzz_fail("%s: no pixel data", what);
    size_t n = 1;
    ptrdiff_t stride = (ptrdiff_t)size;
    for (int i = ndim - 1; i >= 0; i--) {
        if (img->shape[i] == 0)
            fuzz_fail("%s: axis %d has length 0", what, i);
        if (img->strides[i] != stride)
            fuzz_fail("%s: axis %d stride %td, expected %td", what, i, img->strides[i], stride);
        stride *= (ptrdiff_t)img->shape[i];
        n *= img->shape[i];
    }
    if ((uint64_t)n > IMAGEIO_MAX_PIXELS)
        fuzz_fail("%s: %zu pixels is over the limit", what, n);
    const volatile unsigned char *p = img->data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n * size; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* A frame's outcome, kept to compare two readers. */
typedef struct {
    int status;
    locus_error err;
    locus_image img;
    uint64_t hash;
} fuzz_result;

static size_t fuzz_image_bytes(const locus_image *img)
{
    size_t n = locus_dtype_size(img->dtype);
    for (int i = 0; i < img->ndim; i++)
        n *= img->shape[i];
    return n;
}

/*
 * Two decodes of one frame must agree exactly: status, message, and on
 * success dtype, shape and every pixel. Both images must still be valid.
 */
static void fuzz_same(const fuzz_result *a, const fuzz_result *b, const char *what)
{
    if (a->status != b->status)
        fuzz_fail("%s: status %d (\"%s\") vs %d (\"%s\")", what, a->status,
                  a->status ? a->err.message : "", b->status, b->status ? b->err.message : "");
    if (a->status) {
        if (strcmp(a->err.message, b->err.message) != 0)
            fuzz_fail("%s: messages differ: \"%s\" vs \"%s\"", what, a->err.message,
                      b->err.message);
        return;
    }
    if (a->img.dtype != b->img.dtype || a->img.ndim != b->img.ndim)
        fuzz_fail("%s: dtype/ndim differ", what);
    for (int i = 0; i < a->img.ndim; i++)
        if (a->img.shape[i] != b->img.shape[i])
            fuzz_fail("%s: shape differs on axis %d: %zu vs %zu", what, i, a->img.shape[i],
                      b->img.shape[i]);
    size_t n = fuzz_image_bytes(&a->img);
    if (a->hash != b->hash || memcmp(a->img.data, b->img.data, n) != 0) {
        const unsigned char *p = a->img.data, *q = b->img.data;
        size_t i = 0;
        while (i < n && p[i] == q[i])
            i++;
        if (i == n) /* one side's pixels were not kept: only the hashes differ */
            fuzz_fail("%s: pixels differ (hashes %016llx vs %016llx, %zu bytes)", what,
                      (unsigned long long)a->hash, (unsigned long long)b->hash, n);
        fuzz_fail("%s: pixels differ (first at byte %zu of %zu: 0x%02x vs 0x%02x)", what, i, n,
                  p[i], q[i]);
    }
}

/* ------------------------------------------------------------------ */
/* Readers with poisoned buffers                                       */
/* ------------------------------------------------------------------ */

enum { FUZZ_POISON_MAX = 4 << 20 };

/*
 * Fill (the first 4 MiB of) a reader's output and scratch buffers with
 * `byte`, allocating 64 KiB of each first so that small frames always
 * land in poisoned memory. Cached open files are closed: the fuzz input
 * file is rewritten in place, possibly with the same size and mtime.
 */
static void fuzz_poison(locus_reader *rd, unsigned char byte)
{
    if (rd->tiff) {
        locus_tiffio_handle_free(rd->tiff);
        rd->tiff = NULL;
    }
    if (locus_mem_reserve(&rd->pixels, &rd->pixels_cap, 1 << 16) ||
        locus_mem_reserve(&rd->scratch, &rd->scratch_cap, 1 << 16))
        abort();
    memset(rd->pixels, byte, rd->pixels_cap < FUZZ_POISON_MAX ? rd->pixels_cap : FUZZ_POISON_MAX);
    memset(rd->scratch, byte,
           rd->scratch_cap < FUZZ_POISON_MAX ? rd->scratch_cap : FUZZ_POISON_MAX);
}

/*
 * Replace a reader whose buffers grew past FUZZ_TRIM_BYTES for an earlier
 * input, keeping its probe (the libpng-only switch). fuzz_poison fills
 * whole buffers, and a reader kept from a large input made every later
 * input pay for filling them: fuzz_png fell from over 1000 to under 60
 * executions a second once one input had grown the buffers to 4 MiB
 * (perf: 87% of the time in fuzz_poison's memset).
 */
enum { FUZZ_TRIM_BYTES = 1 << 20 };

static void fuzz_trim(locus_reader **rd)
{
    if ((*rd)->pixels_cap <= FUZZ_TRIM_BYTES && (*rd)->scratch_cap <= FUZZ_TRIM_BYTES)
        return;
    locus_reader *fresh = locus_reader_create();
    if (!fresh)
        abort();
    fresh->probe = (*rd)->probe;
    locus_reader_free(*rd);
    *rd = fresh;
}

/* Read one frame and check it on its own; the result stays for fuzz_same. */
static void fuzz_read(const locus_source *src, size_t frame, locus_reader *rd, int ndim,
                      const char *path, fuzz_result *r, const char *what)
{
    memset(r, 0, sizeof *r);
    r->status = locus_source_read(src, frame, rd, &r->img, &r->err);
    if (r->status)
        fuzz_check_error(r->status, &r->err, path, what);
    else if (r->err.status != 0 || r->err.message[0] != '\0')
        fuzz_fail("%s: success, but err is not cleared (\"%s\")", what, r->err.message);
    else
        r->hash = fuzz_check_image(&r->img, ndim, what);
}

/*
 * Whether a TIFF claims pages the reader would, by design, reserve a lot
 * of memory for without being able to tell from the file's size that
 * they cannot be there: more than FUZZ_CLAIM_MAX bytes of samples in
 * all, in a compression with no known expansion bound (the reader's
 * check_room bounds none, PackBits, LZW and deflate; JPEG, ZSTD, LZMA,
 * WebP, LERC... are unbounded). Such inputs are opened but not decoded:
 * under ASan, reserving and freeing gigabytes takes seconds, and they
 * would only rediscover that (see fuzz/README.md, "Known limitations").
 */
enum { FUZZ_CLAIM_MAX = 256 << 20 };

static int fuzz_tiff_quiet(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static int fuzz_tiff_claims_too_much(const char *path)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        abort();
    TIFFOpenOptionsSetErrorHandlerExtR(o, fuzz_tiff_quiet, NULL);
    TIFFOpenOptionsSetWarningHandlerExtR(o, fuzz_tiff_quiet, NULL);
    TIFF *tif = TIFFOpenExt(path, "r", o);
    TIFFOpenOptionsFree(o);
    if (!tif)
        return 0;
    uint64_t claimed = 0;
    int dirs = 0;
    do {
        uint32_t w = 0, h = 0;
        uint16_t bps = 1, spp = 1, comp = COMPRESSION_NONE;
        TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
        TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
        TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
        TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
        TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
        int bounded = comp == COMPRESSION_NONE || comp == COMPRESSION_PACKBITS ||
                      comp == COMPRESSION_LZW || comp == COMPRESSION_DEFLATE ||
                      comp == COMPRESSION_ADOBE_DEFLATE;
        if (!bounded)
            claimed += (uint64_t)w * h * spp * (bps > 8 ? bps / 8 : 1);
    } while (claimed <= FUZZ_CLAIM_MAX && ++dirs < 4096 && TIFFReadDirectory(tif));
    TIFFClose(tif);
    return claimed > FUZZ_CLAIM_MAX;
}

/* Whether a one-file volume source may have several frames: set by a
 * harness for a file whose axis metadata gives one volume per time. */
static int fuzz_many_volumes;

/* Open a one-file source and check what the open says. NULL if it failed. */
static locus_source *fuzz_open(const char *path, int channel, int volume)
{
    locus_source_opts o = {.channel = channel, .volume = volume};
    locus_source *src = NULL;
    locus_error err;
    const char *in[1] = {path};
    int st = locus_source_open(&src, in, 1, &o, &err);
    if (st) {
        if (src)
            fuzz_fail("open failed (%d) but returned a source", st);
        fuzz_check_error(st, &err, path, "open");
        return NULL;
    }
    if (err.status || err.message[0])
        fuzz_fail("open succeeded but err is not cleared");
    size_t n = locus_source_frames(src);
    if (n == 0)
        fuzz_fail("open succeeded with no frames");
    if (locus_source_files(src) != 1)
        fuzz_fail("one input file became %zu files", locus_source_files(src));
    if (locus_source_ndim(src) != (volume ? 3 : 2))
        fuzz_fail("source ndim %d with volume=%d", locus_source_ndim(src), volume);
    if (volume && n != 1 && !fuzz_many_volumes)
        fuzz_fail("a volume source of one file has %zu frames", n);
    for (size_t i = 0; i < n; i++)
        if (!locus_source_path(src, i) || strcmp(locus_source_path(src, i), path) != 0)
            fuzz_fail("frame %zu is not of the input file", i);
    if (locus_source_path(src, n))
        fuzz_fail("a path for frame %zu of %zu", n, n);
    locus_error e;
    st = locus_source_check(src, &e);
    if (st)
        fuzz_check_error(st, &e, path, "source check");
    /* out-of-range frames fail as parameters, not as crashes */
    locus_reader *rd = locus_reader_create();
    locus_image img;
    st = locus_source_read(src, n, rd, &img, &e);
    if (st != LOCUS_E_PARAM || e.status != LOCUS_E_PARAM)
        fuzz_fail("reading frame %zu of %zu: status %d, not LOCUS_E_PARAM", n, n, st);
    locus_reader_free(rd);
    return src;
}

#endif
