/*
 * docs/ALGORITHM.md §2-3: invert, boxcar background, Gaussian low pass, band pass.
 *
 * Every separable pass walks one axis of an image viewed as
 * (outer, n, inner) with `inner` contiguous. Along x (inner == 1) a pass
 * works line by line through a padded copy of the line; along y and z it
 * works on whole rows (or planes) at a time, so the inner loops run over
 * contiguous memory and the compiler vectorises them. Both forms do the
 * same arithmetic per pixel in the same order, so results are identical
 * to the letter of the spec whichever form runs.
 */
#include "locate/divide.h"
#include "locate/plan.h"

#include <math.h>
#include <string.h>

/* The (outer, n, inner) view of padded axis a. */
typedef struct {
    size_t outer, n, inner;
} axis_view;

static axis_view view_of(const plan *pl, int a)
{
    axis_view v = {1, pl->shape[a], 1};
    for (int b = 0; b < a; b++)
        v.outer *= pl->shape[b];
    for (int b = a + 1; b < 3; b++)
        v.inner *= pl->shape[b];
    return v;
}

static size_t clamp_index(ptrdiff_t i, size_t n)
{
    if (i < 0)
        return 0;
    if ((size_t)i >= n)
        return n - 1;
    return (size_t)i;
}

/* ------------------------------------------------------------------ */
/* §2 invert, and a contiguous copy of the input when it is strided.   */
/* ------------------------------------------------------------------ */

static int is_contiguous(const locus_image *img)
{
    ptrdiff_t want = (ptrdiff_t)locus_dtype_size(img->dtype);
    for (int a = img->ndim - 1; a >= 0; a--) {
        if (img->shape[a] > 1 && img->strides[a] != want)
            return 0;
        want *= (ptrdiff_t)img->shape[a];
    }
    return 1;
}

/* Copy a strided image into dst, inverting if asked. */
#define DEFINE_COPY(name, T, INVERT)                                                               \
    static void name(const locus_image *img, T *dst, int invert)                                   \
    {                                                                                              \
        size_t n0 = img->ndim == 3 ? img->shape[0] : 1;                                            \
        size_t ny = img->shape[img->ndim - 2], nx = img->shape[img->ndim - 1];                     \
        ptrdiff_t s0 = img->ndim == 3 ? img->strides[0] : 0;                                       \
        ptrdiff_t sy = img->strides[img->ndim - 2], sx = img->strides[img->ndim - 1];              \
        for (size_t z = 0; z < n0; z++)                                                            \
            for (size_t y = 0; y < ny; y++) {                                                      \
                const char *row = (const char *)img->data + (ptrdiff_t)z * s0 + (ptrdiff_t)y * sy; \
                for (size_t x = 0; x < nx; x++) {                                                  \
                    T v;                                                                           \
                    memcpy(&v, row + (ptrdiff_t)x * sx, sizeof v);                                 \
                    *dst++ = invert ? (T)(INVERT) : v;                                             \
                }                                                                                  \
            }                                                                                      \
    }

/* Integer images: v XOR maxval (signed ones too: int8 -1 becomes -128,
 * as NumPy's XOR of two's complement values); float images: 1 - v in
 * their own type. */
DEFINE_COPY(copy_u8, uint8_t, v ^ 0xFFu)
DEFINE_COPY(copy_u16, uint16_t, v ^ 0xFFFFu)
DEFINE_COPY(copy_i8, int8_t, v ^ 0x7F)
DEFINE_COPY(copy_i16, int16_t, v ^ 0x7FFF)
DEFINE_COPY(copy_i32, int32_t, v ^ 0x7FFFFFFF)
DEFINE_COPY(copy_u32, uint32_t, v ^ 0xFFFFFFFFu)
DEFINE_COPY(copy_f32, float, 1.0f - v)
DEFINE_COPY(copy_f64, double, 1.0 - v)

static int all_finite(const void *data, locus_dtype t, size_t n)
{
    int ok = 1;
    if (t == LOCUS_F32) {
        const float *p = data;
        for (size_t i = 0; i < n; i++)
            ok &= isfinite(p[i]) != 0;
    } else if (t == LOCUS_F64) {
        const double *p = data;
        for (size_t i = 0; i < n; i++)
            ok &= isfinite(p[i]) != 0;
    }
    return ok;
}

int locus_preprocess_raw(locus_workspace *ws, const locus_image *img, const void **raw,
                         locus_error *err)
{
    const plan *pl = &ws->pl;
    int invert = pl->params.invert;
    if (!invert && is_contiguous(img)) {
        *raw = img->data;
    } else {
        size_t bytes = size_mul(pl->npix, locus_dtype_size(pl->dtype));
        if (locus_mem_reserve(&ws->raw, &ws->raw_cap, bytes))
            return locus_error_set(err, LOCUS_E_NOMEM, "out of memory (image copy of %zu bytes)",
                                   bytes);
        switch (pl->dtype) {
        case LOCUS_U8:
            copy_u8(img, ws->raw, invert);
            break;
        case LOCUS_U16:
            copy_u16(img, ws->raw, invert);
            break;
        case LOCUS_I8:
            copy_i8(img, ws->raw, invert);
            break;
        case LOCUS_I16:
            copy_i16(img, ws->raw, invert);
            break;
        case LOCUS_I32:
            copy_i32(img, ws->raw, invert);
            break;
        case LOCUS_U32:
            copy_u32(img, ws->raw, invert);
            break;
        case LOCUS_F32:
            copy_f32(img, ws->raw, invert);
            break;
        default:
            copy_f64(img, ws->raw, invert);
            break;
        }
        *raw = ws->raw;
    }
    /* A NaN would make the scale in §4 NaN and every later step
     * meaningless; refuse it rather than return a silently wrong table. */
    if (!all_finite(*raw, pl->dtype, pl->npix))
        return locus_error_set(err, LOCUS_E_FORMAT, "image has NaN or infinite pixel values");
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* §3a boxcar background                                               */
/* ------------------------------------------------------------------ */

/*
 * One boxcar pass of a pixel type: along y or z (whole rows: ystart sums
 * the first window into acc, ystep emits output row i and moves the
 * window on, for i = 0, 1, ... in turn) and along x (a line at a time).
 * The whole-image passes and the row stream of the band pass both run on
 * these, so there is one implementation of each pass.
 */
typedef struct {
    void (*ystart)(const void *src, size_t n, size_t inner, int k, void *acc);
    void (*ystep)(const void *src, size_t n, size_t inner, int k, void *acc, size_t i, void *out);
    void (*xline)(const void *src, void *dst, size_t n, int k, void *scratch);
} boxcar_ops;

/*
 * The boxcar's y steps and x lines vectorised a 512-bit register at a
 * time where AVX-512 is on: GCC 12 tunes for 256-bit vectors on this
 * CPU. For the whole library that was a loss on bulk_water (locate only
 * 1.19 -> 1.22 ms/frame); these passes alone gain on both (perf samples
 * of the 2048x2048 y steps 407 -> 274, bulk_water's 441 -> 375), and
 * 2048x2048 locate only 24.5 -> 23.9 ms/frame thread CPU (medians of 5
 * alternating runs), bulk_water unchanged. (GCC's attribute; Clang has no
 * such target string and keeps its own tuning.)
 */
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define WIDE_VECTORS __attribute__((target("prefer-vector-width=512")))
#else
#define WIDE_VECTORS
#endif

/* Row quotients: out[i] = trunc(s[i] / k) into T, by DIV per pixel. */
#define DEFINE_QUOTIENTS(name, T, ACC, DIV)                                                        \
    static void name(const ACC *restrict s, T *restrict out, size_t n, const divisor *d)           \
    {                                                                                              \
        for (size_t i = 0; i < n; i++)                                                             \
            out[i] = (T)DIV(s[i], d);                                                              \
    }

/*
 * Narrow windows are summed directly, a vector of sums at a time with
 * every term added in registers: k loads and one store per vector, where
 * doubling makes a pass over the line per binary digit of k and per set
 * digit, each with two loads and a store. Measured (perf samples of the
 * same runs, Sapphire Rapids): bulk_water's x pass (k = 13) 942 -> 739,
 * the 2048x2048 window sums (k = 7) 120 -> 74. A vector is one AVX-512
 * register where there are such (GCC splits the 32-byte default in two
 * elsewhere): 2048x2048 locate only 26.2 -> 25.8 ms/frame (medians of 4
 * alternating runs), bulk_water unchanged.
 */
#if defined(__AVX512F__)
enum { BOXCAR_DIRECT_MAX_K = 16, BOXCAR_VEC_BYTES = 64 };
#else
enum { BOXCAR_DIRECT_MAX_K = 16, BOXCAR_VEC_BYTES = 32 };
#endif

/*
 * Integer images: the exact window sum (edge pixels repeated) divided by
 * the width, truncated into the image's type after each pass (scipy keeps
 * a running sum since 1.0, exact for integers). Window sums of ACC fit:
 * int32 for 8- and 16-bit images (65535 * 4095 < 2^31), int64 for 32-bit.
 * These are the passes of a type whose quotients come from a row function
 * QUOT.
 */
#define DEFINE_BOXCAR_INT_ROWS(name, T, ACC, QUOT)                                                 \
    typedef ACC name##_vec __attribute__((vector_size(BOXCAR_VEC_BYTES)));                         \
    enum { name##_LANES = BOXCAR_VEC_BYTES / sizeof(ACC) };                                        \
    static void name##_window_direct(const ACC *restrict ext, ACC *restrict sums, size_t n, int k) \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + name##_LANES <= n; i += name##_LANES) {                                         \
            name##_vec acc, v;                                                                     \
            memcpy(&acc, ext + i, sizeof acc);                                                     \
            for (int j = 1; j < k; j++) {                                                          \
                memcpy(&v, ext + i + j, sizeof v);                                                 \
                acc += v;                                                                          \
            }                                                                                      \
            memcpy(sums + i, &acc, sizeof acc);                                                    \
        }                                                                                          \
        for (; i < n; i++) {                                                                       \
            ACC acc = 0;                                                                           \
            for (int j = 0; j < k; j++)                                                            \
                acc = (ACC)(acc + ext[i + (size_t)j]);                                             \
            sums[i] = acc;                                                                         \
        }                                                                                          \
    }                                                                                              \
    /* sums[i] = ext[i] + ... + ext[i + k - 1] for i < n, by doubling: ext                         \
     * becomes the sums of 2, 4, 8, ... consecutive values in place, and                           \
     * the widths of k's binary digits are added up. Integer sums are exact                        \
     * in any order. Each step is a loop over the line that vectorises,                            \
     * where the running sum this replaces was a chain of dependent adds                           \
     * (two per pixel: a third of the boxcar's samples in perf annotate).                          \
     * ext (n + k - 1 values) is overwritten. */                                                   \
    static void name##_window(ACC *restrict ext, ACC *restrict sums, size_t n, int k)              \
    {                                                                                              \
        size_t len = n + (size_t)k - 1, off = 0;                                                   \
        if (k <= BOXCAR_DIRECT_MAX_K) {                                                            \
            name##_window_direct(ext, sums, n, k);                                                 \
            return;                                                                                \
        }                                                                                          \
        for (size_t i = 0; i < n; i++)                                                             \
            sums[i] = 0;                                                                           \
        for (size_t width = 1; width <= (size_t)k; width *= 2) {                                   \
            /* ext[i] is now the sum of `width` values from i, for i + width <= len + 1 */         \
            if ((size_t)k & width) {                                                               \
                const ACC *part = ext + off;                                                       \
                for (size_t i = 0; i < n; i++)                                                     \
                    sums[i] += part[i];                                                            \
                off += width;                                                                      \
            }                                                                                      \
            if (2 * width > (size_t)k)                                                             \
                break;                                                                             \
            size_t valid = len + 1 - 2 * width; /* sums of 2 * width values */                     \
            for (size_t i = 0; i < valid; i++)                                                     \
                ext[i] += ext[i + width];                                                          \
        }                                                                                          \
    }                                                                                              \
    /* along x: an edge-padded copy of the line, running sums, then the                            \
     * quotients (restrict: the sums never alias the line, so the running                          \
     * sum stays in registers) */                                                                  \
    WIDE_VECTORS static void name##_line(const T *restrict src, T *restrict dst, size_t n, int k,  \
                                         ACC *restrict ext, ACC *restrict sums)                    \
    {                                                                                              \
        size_t s1 = (size_t)k / 2, s2 = (size_t)k - s1 - 1;                                        \
        divisor dv = divisor_of(k);                                                                \
        for (size_t j = 0; j < s1; j++)                                                            \
            ext[j] = src[0];                                                                       \
        for (size_t j = 0; j < n; j++)                                                             \
            ext[s1 + j] = src[j];                                                                  \
        for (size_t j = 0; j < s2; j++)                                                            \
            ext[s1 + n + j] = src[n - 1];                                                          \
        name##_window(ext, sums, n, k);                                                            \
        QUOT(sums, dst, n, &dv);                                                                   \
    }                                                                                              \
    /* along y or z: one running sum per column, whole rows at a time;                             \
     * start sums the first window, each step emits row i and moves on */                          \
    static void name##_ystart(const void *vsrc, size_t n, size_t inner, int k, void *vacc)         \
    {                                                                                              \
        const T *src = vsrc;                                                                       \
        ACC *acc = vacc;                                                                           \
        ptrdiff_t s1 = k / 2;                                                                      \
        memset(acc, 0, inner * sizeof *acc);                                                       \
        for (ptrdiff_t j = 0; j < k; j++) {                                                        \
            const T *r = src + clamp_index(j - s1, n) * inner;                                     \
            for (size_t x = 0; x < inner; x++)                                                     \
                acc[x] = (ACC)(acc[x] + r[x]);                                                     \
        }                                                                                          \
    }                                                                                              \
    WIDE_VECTORS static void name##_ystep(const void *vsrc, size_t n, size_t inner, int k,         \
                                          void *vacc, size_t i, void *vout)                        \
    {                                                                                              \
        const T *src = vsrc;                                                                       \
        ACC *acc = vacc;                                                                           \
        T *out = vout;                                                                             \
        ptrdiff_t s1 = k / 2;                                                                      \
        divisor dv = divisor_of(k);                                                                \
        const T *old = src + clamp_index((ptrdiff_t)i - s1, n) * inner;                            \
        const T *nxt = src + clamp_index((ptrdiff_t)i + k - s1, n) * inner;                        \
        QUOT(acc, out, inner, &dv);                                                                \
        for (size_t x = 0; x < inner; x++)                                                         \
            acc[x] = (ACC)(acc[x] + (ACC)nxt[x] - (ACC)old[x]);                                    \
    }                                                                                              \
    /* scratch: the padded line, then its sums */                                                  \
    static void name##_xline(const void *src, void *dst, size_t n, int k, void *scratch)           \
    {                                                                                              \
        ACC *w = scratch;                                                                          \
        name##_line(src, dst, n, k, w, w + n + (size_t)k);                                         \
    }                                                                                              \
    static const boxcar_ops name = {name##_ystart, name##_ystep, name##_xline};

/*
 * Float images: the spec's reference sums through a running cumulative
 * sum c over the edge-extended line and takes (c[i+k] - c[i]) / k; two
 * running sums ("lead" c[i+k] and "lag" c[i]) reproduce those roundings
 * exactly, whichever form the pass takes. The result keeps the image's
 * float type.
 */
#define DEFINE_BOXCAR_FLOAT(name, T)                                                               \
    static void name##_line(const T *src, T *dst, size_t n, int k)                                 \
    {                                                                                              \
        ptrdiff_t s1 = k / 2;                                                                      \
        double lag = 0, lead = 0;                                                                  \
        for (ptrdiff_t j = 0; j < k; j++)                                                          \
            lead += src[clamp_index(j - s1, n)];                                                   \
        for (size_t i = 0; i < n; i++) {                                                           \
            dst[i] = (T)((lead - lag) / k);                                                        \
            lag += src[clamp_index((ptrdiff_t)i - s1, n)];                                         \
            lead += src[clamp_index((ptrdiff_t)i + k - s1, n)];                                    \
        }                                                                                          \
    }                                                                                              \
    /* acc: lag then lead, a row each */                                                           \
    static void name##_ystart(const void *vsrc, size_t n, size_t inner, int k, void *vacc)         \
    {                                                                                              \
        const T *src = vsrc;                                                                       \
        double *lag = vacc, *lead = lag + inner;                                                   \
        ptrdiff_t s1 = k / 2;                                                                      \
        for (size_t x = 0; x < inner; x++)                                                         \
            lag[x] = lead[x] = 0;                                                                  \
        for (ptrdiff_t j = 0; j < k; j++) {                                                        \
            const T *r = src + clamp_index(j - s1, n) * inner;                                     \
            for (size_t x = 0; x < inner; x++)                                                     \
                lead[x] += r[x];                                                                   \
        }                                                                                          \
    }                                                                                              \
    static void name##_ystep(const void *vsrc, size_t n, size_t inner, int k, void *vacc,          \
                             size_t i, void *vout)                                                 \
    {                                                                                              \
        const T *src = vsrc;                                                                       \
        double *lag = vacc, *lead = lag + inner;                                                   \
        T *out = vout;                                                                             \
        ptrdiff_t s1 = k / 2;                                                                      \
        const T *old = src + clamp_index((ptrdiff_t)i - s1, n) * inner;                            \
        const T *nxt = src + clamp_index((ptrdiff_t)i + k - s1, n) * inner;                        \
        for (size_t x = 0; x < inner; x++) {                                                       \
            out[x] = (T)((lead[x] - lag[x]) / k);                                                  \
            lag[x] += old[x];                                                                      \
            lead[x] += nxt[x];                                                                     \
        }                                                                                          \
    }                                                                                              \
    static void name##_xline(const void *src, void *dst, size_t n, int k, void *scratch)           \
    {                                                                                              \
        (void)scratch;                                                                             \
        name##_line(src, dst, n, k);                                                               \
    }                                                                                              \
    static const boxcar_ops name = {name##_ystart, name##_ystep, name##_xline};

/* ... and those whose quotients come from DIV a pixel at a time. */
#define DEFINE_BOXCAR_INT(name, T, ACC, DIV)                                                       \
    DEFINE_QUOTIENTS(name##_quotients, T, ACC, DIV)                                                \
    DEFINE_BOXCAR_INT_ROWS(name, T, ACC, name##_quotients)

DEFINE_BOXCAR_INT(boxcar_u8, uint8_t, int32_t, divide_exact)
DEFINE_BOXCAR_INT_ROWS(boxcar_u8_narrow, uint8_t, uint16_t, divide_u16_row)
DEFINE_BOXCAR_INT(boxcar_u16, uint16_t, int32_t, divide_exact)
DEFINE_BOXCAR_INT_ROWS(boxcar_u16_narrow, uint16_t, int32_t, divide_f24_row)
DEFINE_BOXCAR_INT(boxcar_i8, int8_t, int32_t, divide_exact_signed)
DEFINE_BOXCAR_INT(boxcar_i16, int16_t, int32_t, divide_exact_signed)
DEFINE_BOXCAR_INT(boxcar_i32, int32_t, int64_t, divide_wide)
DEFINE_BOXCAR_INT(boxcar_u32, uint32_t, int64_t, divide_wide)
DEFINE_BOXCAR_FLOAT(boxcar_f32, float)
DEFINE_BOXCAR_FLOAT(boxcar_f64, double)

/* The widest window whose uint8 sums fit in 16 bits (255 * 257 = 65535),
 * and whose uint16 sums are exact in a float (65535 * 256 < 2^24). */
enum { BOXCAR_NARROW_MAX_K = 257, BOXCAR_U16_NARROW_MAX_K = 256 };

/* The pass for pixel type t and width k. uint8 passes of up to 257
 * pixels sum in 16 bits (boxcar_u8_narrow): twice the lanes per vector
 * and a division of a few 16-bit operations instead of a round trip
 * through double. Measured on bulk_water (k = 13), the boxcar stage
 * alone (thread CPU time, three runs alternating with the int32 form):
 * 0.53 -> 0.34 ms/frame. uint16 passes of up to 256 pixels divide
 * through float (divide_f24), twice the lanes of double: the 2048x2048
 * boxcar's perf samples 414 -> 343 (measured before the direct window
 * sums). */
static const boxcar_ops *boxcar_for(locus_dtype t, int k)
{
    switch (t) {
    case LOCUS_U8:
        return k <= BOXCAR_NARROW_MAX_K ? &boxcar_u8_narrow : &boxcar_u8;
    case LOCUS_U16:
        return k <= BOXCAR_U16_NARROW_MAX_K ? &boxcar_u16_narrow : &boxcar_u16;
    case LOCUS_I8:
        return &boxcar_i8;
    case LOCUS_I16:
        return &boxcar_i16;
    case LOCUS_I32:
        return &boxcar_i32;
    case LOCUS_U32:
        return &boxcar_u32;
    case LOCUS_F32:
        return &boxcar_f32;
    default:
        return &boxcar_f64;
    }
}

/* Scratch bytes of a pass: the accumulators of a y or z pass (two doubles
 * or one int64 a column at most), or a padded x line and its sums. */
static size_t pass_scratch(size_t inner, size_t nx, int kx)
{
    size_t rows = 2 * inner * sizeof(double);
    size_t line = (2 * nx + (size_t)kx) * sizeof(int64_t);
    return rows > line ? rows : line;
}

/* One pass over the whole image along view v, src to dst (es bytes a pixel). */
static void boxcar_pass(const boxcar_ops *ops, const void *src, void *dst, axis_view v, int k,
                        size_t es, void *scratch)
{
    size_t block = v.n * v.inner * es;
    for (size_t o = 0; o < v.outer; o++) {
        const char *s = (const char *)src + o * block;
        char *d = (char *)dst + o * block;
        if (v.inner == 1) {
            ops->xline(s, d, v.n, k, scratch);
            continue;
        }
        ops->ystart(s, v.n, v.inner, k, scratch);
        for (size_t i = 0; i < v.n; i++)
            ops->ystep(s, v.n, v.inner, k, scratch, i, d + i * v.inner * es);
    }
}

int locus_preprocess_boxcar(locus_workspace *ws, const void *raw, const void **background)
{
    const plan *pl = &ws->pl;
    size_t es = locus_dtype_size(pl->dtype), bytes = size_mul(pl->npix, es);
    size_t nx = pl->shape[2], inner = pl->shape[0] > 1 ? pl->shape[1] * nx : nx;
    const void *src = raw;
    int flip = 0;
    if (locus_mem_reserve(&ws->line, &ws->line_cap, pass_scratch(inner, nx, pl->smoothing[2])))
        return LOCUS_E_NOMEM;
    for (int a = 0; a < 3; a++) {
        int k = pl->smoothing[a];
        if (k <= 1)
            continue;
        if (locus_mem_reserve(&ws->bg[flip], &ws->bg_cap[flip], bytes))
            return LOCUS_E_NOMEM;
        boxcar_pass(boxcar_for(pl->dtype, k), src, ws->bg[flip], view_of(pl, a), k, es, ws->line);
        src = ws->bg[flip];
        flip ^= 1;
    }
    *background = src;
    return LOCUS_OK;
}

/*
 * The boxcar of a 2-D image one row at a time, in order, as the band
 * pass consumes it: the y pass's running sums advance a row per call and
 * the x pass runs on that row while it is in L1. The background is never
 * stored whole: two frame-sized buffers fewer (bulk_water: 542 KB of
 * peak RSS; a 2048x2048 uint16 frame: 16 MB written and read again) for
 * the same rows, made by the same passes as locus_preprocess_boxcar.
 */
typedef struct {
    const plan *pl;
    const void *raw;
    const boxcar_ops *yops, *xops; /* NULL: no pass along that axis */
    void *acc, *yrow, *xscratch, *out;
    size_t es, next;
} boxcar_stream;

/* Bytes of scratch a stream needs. */
static size_t stream_scratch(const plan *pl)
{
    size_t nx = pl->shape[2], es = locus_dtype_size(pl->dtype);
    return pass_scratch(nx, nx, 1) + pass_scratch(1, nx, pl->smoothing[2]) + 2 * nx * es;
}

static void stream_start(boxcar_stream *s, const plan *pl, const void *raw, void *scratch)
{
    size_t nx = pl->shape[2];
    *s = (boxcar_stream){.pl = pl, .raw = raw, .es = locus_dtype_size(pl->dtype)};
    s->yops = pl->smoothing[1] > 1 ? boxcar_for(pl->dtype, pl->smoothing[1]) : NULL;
    s->xops = pl->smoothing[2] > 1 ? boxcar_for(pl->dtype, pl->smoothing[2]) : NULL;
    char *p = scratch;
    s->acc = p;
    p += pass_scratch(nx, nx, 1);
    s->xscratch = p;
    p += pass_scratch(1, nx, pl->smoothing[2]);
    s->yrow = p;
    s->out = p + nx * s->es;
    if (s->yops)
        s->yops->ystart(raw, pl->shape[1], nx, pl->smoothing[1], s->acc);
}

/* Background row s->next (then the next, on the next call). */
static const void *stream_row(boxcar_stream *s)
{
    const plan *pl = s->pl;
    size_t nx = pl->shape[2], i = s->next++;
    const void *row = (const char *)s->raw + i * nx * s->es;
    if (s->yops) {
        s->yops->ystep(s->raw, pl->shape[1], nx, pl->smoothing[1], s->acc, i, s->yrow);
        row = s->yrow;
    }
    if (s->xops) {
        s->xops->xline(row, s->out, nx, pl->smoothing[2], s->xscratch);
        row = s->out;
    }
    return row;
}

/* ------------------------------------------------------------------ */
/* §3b Gaussian low pass                                               */
/* ------------------------------------------------------------------ */

/* Eight pixels from p + i as doubles (exact), in AVX-512 lanes. GCC 12
 * converts the plain loop's 8- and 16-bit pixels through 128-bit halves,
 * and vector-extension lanes one at a time; for the rows the Gaussian's
 * y pass converts, the conversion's perf samples on bulk_water 555 -> 205
 * (Sapphire Rapids; locate only about 1.14 -> 1.11 ms/frame). */
#if defined(__AVX512F__)
#include <immintrin.h>

static inline __m512d load8_u8(const void *p, size_t i)
{
    __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)((const uint8_t *)p + i));
    return _mm512_cvtepi32_pd(_mm256_cvtepu8_epi32(b));
}

static inline __m512d load8_u16(const void *p, size_t i)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)((const uint16_t *)p + i));
    return _mm512_cvtepi32_pd(_mm256_cvtepu16_epi32(b));
}
#endif

/* Convert n pixels of any type to double. */
#define LOAD_CASE(TAG, T)                                                                          \
    case TAG: {                                                                                    \
        const T *p = (const T *)src + start;                                                       \
        for (size_t i = 0; i < n; i++)                                                             \
            out[i] = p[i];                                                                         \
        break;                                                                                     \
    }

/* The same eight at a time where AVX-512F is on. */
#if defined(__AVX512F__)
#define LOAD_LANES(p, LOAD8)                                                                       \
    for (; i + 8 <= n; i += 8)                                                                     \
        _mm512_storeu_pd(out + i, LOAD8(p, i));
#else
#define LOAD_LANES(p, LOAD8)
#endif
#define LOAD_CASE_LANES(TAG, T, LOAD8)                                                             \
    case TAG: {                                                                                    \
        const T *p = (const T *)src + start;                                                       \
        size_t i = 0;                                                                              \
        LOAD_LANES(p, LOAD8)                                                                       \
        for (; i < n; i++)                                                                         \
            out[i] = p[i];                                                                         \
        break;                                                                                     \
    }

static void load_doubles(const void *src, locus_dtype t, size_t start, size_t n, double *out)
{
    switch (t) {
        LOAD_CASE(LOCUS_I8, int8_t)
        LOAD_CASE(LOCUS_I16, int16_t)
        LOAD_CASE(LOCUS_I32, int32_t)
        LOAD_CASE(LOCUS_U32, uint32_t)
        LOAD_CASE_LANES(LOCUS_U8, uint8_t, load8_u8)
        LOAD_CASE_LANES(LOCUS_U16, uint16_t, load8_u16)
    case LOCUS_F32: {
        const float *p = (const float *)src + start;
        for (size_t i = 0; i < n; i++)
            out[i] = p[i];
        break;
    }
    default:
        memcpy(out, (const double *)src + start, n * sizeof(double));
        break;
    }
}

/*
 * out[i] = x[i] g[0], then += (x[i-j] + x[i+j]) g[j] for j = w..1, with
 * zero outside: the order scipy's correlate1d uses for a symmetric kernel.
 */
static void gauss_start(double *out, const double *centre, double g0, size_t len)
{
    for (size_t x = 0; x < len; x++)
        out[x] = centre[x] * g0;
}

static void gauss_add(double *out, const double *a, const double *b, double gj, size_t len)
{
    for (size_t x = 0; x < len; x++)
        out[x] += (a[x] + b[x]) * gj;
}

/*
 * The same sums with the accumulators in registers: out[x] for a block
 * of GAUSS_BLOCK pixels is summed over every tap before it is stored,
 * where gauss_start / gauss_add read and write out once per tap. The
 * order of the operations on each pixel is unchanged. lo[j], hi[j]
 * (j = 1..w) are the rows (or shifted lines) that tap j pairs.
 * Measured (locate only, thread CPU time, alternating): 2048x2048
 * uint16 58.1 -> 54.2 ms/frame; bulk_water unchanged. Blocks of 32 or
 * 64 were slower (2.6 -> 3.1-3.3 ms on bulk_water).
 *
 * In GCC vector types, one lane per pixel: from the plain loops over a
 * block GCC 12 vectorised across the taps instead, with gathers, which
 * on an Intel Sapphire Rapids made this function 37% of bulk_water's
 * locate (gathers are slow there). Eight lanes (one AVX-512 register; two
 * AVX2 ones elsewhere) in two vectors: bulk_water locate only 1.77 ->
 * 1.71 ms/frame (medians of 7 alternating runs on that CPU), 2048x2048
 * unchanged; four lanes in four vectors, or eight in one or three, were
 * slower.
 */
enum { GAUSS_LANES = 8, GAUSS_VECS = 2, GAUSS_BLOCK = GAUSS_LANES * GAUSS_VECS, GAUSS_MAX_W = 32 };
typedef double gauss_vec __attribute__((vector_size(GAUSS_LANES * sizeof(double))));

/* The vector at p + x, unaligned: one load or store. Macros, not
 * functions: a function taking or returning a 64-byte vector changes the
 * ABI where AVX-512 is off, and GCC's -Wpsabi warning (an error here)
 * stops the build on such a machine. (memcpy into arrays of vectors,
 * as this code had, GCC split into halves through the stack for the two
 * rows at once, and the halves' stores stalled the full load after them:
 * bulk_water's locate 1.21 -> 1.48 ms/frame.) */
typedef double gauss_uvec __attribute__((vector_size(sizeof(gauss_vec)), aligned(8), may_alias));
#define GAUSS_GET(p, x) (*(const gauss_uvec *)(const void *)((p) + (x)))
#define GAUSS_PUT(p, x, v) (*(gauss_uvec *)(void *)((p) + (x)) = (v))

static void gauss_sum(double *restrict out, const double *centre, const double *const *lo,
                      const double *const *hi, const double *g, int w, size_t len)
{
    size_t x0 = 0;
    for (; x0 + GAUSS_BLOCK <= len; x0 += GAUSS_BLOCK) {
        const size_t x1 = x0 + GAUSS_LANES;
        gauss_vec a = GAUSS_GET(centre, x0) * g[0], b = GAUSS_GET(centre, x1) * g[0];
        for (int j = w; j >= 1; j--) {
            a += (GAUSS_GET(lo[j], x0) + GAUSS_GET(hi[j], x0)) * g[j];
            b += (GAUSS_GET(lo[j], x1) + GAUSS_GET(hi[j], x1)) * g[j];
        }
        GAUSS_PUT(out, x0, a);
        GAUSS_PUT(out, x1, b);
    }
    for (; x0 < len; x0++) {
        double acc = centre[x0] * g[0];
        for (int j = w; j >= 1; j--)
            acc += (lo[j][x0] + hi[j][x0]) * g[j];
        out[x0] = acc;
    }
}

/*
 * The x pass's sums with w fixed at compile time (the default noise_size
 * 1 gives w = 4): taps unrolled, their weights held in vector registers,
 * the shifted lines as constant offsets from the line (where gauss_sum
 * loads each tap's pointers and weight again for every block). Each
 * pixel's operations and their order are gauss_sum's. The x pass's perf
 * samples (AMD EPYC, three runs each): bulk_water 625 -> 469, the
 * 2048x2048 bench movie 1656 -> 1129. (The same for the y pass's pairs
 * of rows gained nothing: its loads come from L2.)
 */
enum { GAUSS_FIXED_MAX_W = 8 };
#define DEFINE_GAUSS_LINE(W)                                                                       \
    static void gauss_line_##W(double *restrict out, const double *line, const double *g,          \
                               size_t len)                                                         \
    {                                                                                              \
        gauss_vec gv[W + 1];                                                                       \
        for (int j = 0; j <= W; j++)                                                               \
            gv[j] = (gauss_vec){0} + g[j];                                                         \
        size_t x0 = 0;                                                                             \
        for (; x0 + GAUSS_BLOCK <= len; x0 += GAUSS_BLOCK) {                                       \
            const ptrdiff_t a0 = (ptrdiff_t)x0, b0 = a0 + GAUSS_LANES;                             \
            gauss_vec a = GAUSS_GET(line, a0) * gv[0], b = GAUSS_GET(line, b0) * gv[0];            \
            for (int j = W; j >= 1; j--) {                                                         \
                a += (GAUSS_GET(line, a0 - j) + GAUSS_GET(line, a0 + j)) * gv[j];                  \
                b += (GAUSS_GET(line, b0 - j) + GAUSS_GET(line, b0 + j)) * gv[j];                  \
            }                                                                                      \
            GAUSS_PUT(out, x0, a);                                                                 \
            GAUSS_PUT(out, x0 + GAUSS_LANES, b);                                                   \
        }                                                                                          \
        for (; x0 < len; x0++) {                                                                   \
            double acc = line[x0] * g[0];                                                          \
            for (int j = W; j >= 1; j--)                                                           \
                acc += (line[(ptrdiff_t)x0 - j] + line[x0 + (size_t)j]) * g[j];                    \
            out[x0] = acc;                                                                         \
        }                                                                                          \
    }
DEFINE_GAUSS_LINE(1)
DEFINE_GAUSS_LINE(2)
DEFINE_GAUSS_LINE(3)
DEFINE_GAUSS_LINE(4)
DEFINE_GAUSS_LINE(5)
DEFINE_GAUSS_LINE(6)
DEFINE_GAUSS_LINE(7)
DEFINE_GAUSS_LINE(8)

/* The x pass over one line (padded by w on each side): the fixed form
 * for w, else the register-blocked sums, else tap by tap. */
static void gauss_line(double *restrict out, const double *line, const double *g, int w, size_t len)
{
    static void (*const fixed[GAUSS_FIXED_MAX_W + 1])(double *restrict, const double *,
                                                      const double *, size_t) = {
        NULL,         gauss_line_1, gauss_line_2, gauss_line_3, gauss_line_4,
        gauss_line_5, gauss_line_6, gauss_line_7, gauss_line_8};
    if (w >= 1 && w <= GAUSS_FIXED_MAX_W) {
        fixed[w](out, line, g, len);
    } else if (w <= GAUSS_MAX_W) {
        const double *lo[GAUSS_MAX_W + 1], *hi[GAUSS_MAX_W + 1];
        for (int j = 1; j <= w; j++) {
            lo[j] = line - j;
            hi[j] = line + j;
        }
        gauss_sum(out, line, lo, hi, g, w, len);
    } else {
        gauss_start(out, line, g[0], len);
        for (int j = w; j >= 1; j--)
            gauss_add(out, line - j, line + j, g[j], len);
    }
}

/*
 * Two output rows at once, i and i + 1, from rows c[-w] .. c[w + 1] (c[j]
 * is row i + j), each pixel's sum in the order of gauss_sum. The rows
 * the two share are loaded once: at tap j row i pairs c[-j] with c[j]
 * and row i + 1 pairs c[1 - j] with c[1 + j], and c[-j], c[1 + j] are the
 * c[1 - j'], c[j'] loaded at tap j' = j + 1 just before. The y pass
 * streams its rows from L2 (2w + 2 rows of a 2048-pixel line are 160 KB),
 * so the loads count: measured (Sapphire Rapids, medians of 5 alternating
 * runs) locate only on bulk_water 1.239 -> 1.194 ms/frame, on 2048x2048
 * 27.1 -> 26.4.
 */
#define DEFINE_GAUSS_PAIR(name, T, GET)                                                            \
    static void name(double *restrict out0, double *restrict out1, const T *const *c,              \
                     const double *g, int w, size_t len)                                           \
    {                                                                                              \
        size_t x0 = 0;                                                                             \
        for (; x0 + GAUSS_BLOCK <= len; x0 += GAUSS_BLOCK) {                                       \
            const size_t x1 = x0 + GAUSS_LANES;                                                    \
            gauss_vec a0 = GET(c[0], x0) * g[0], b0 = GET(c[0], x1) * g[0];                        \
            gauss_vec a1 = GET(c[1], x0) * g[0], b1 = GET(c[1], x1) * g[0];                        \
            /* row i's low row and row i + 1's high row at tap w */                                \
            gauss_vec lo_a = GET(c[-w], x0), lo_b = GET(c[-w], x1);                                \
            gauss_vec hi_a = GET(c[w + 1], x0), hi_b = GET(c[w + 1], x1);                          \
            for (int j = w; j >= 1; j--) {                                                         \
                gauss_vec h0a = GET(c[j], x0), h0b = GET(c[j], x1);                                \
                gauss_vec l1a = GET(c[1 - j], x0), l1b = GET(c[1 - j], x1);                        \
                a0 += (lo_a + h0a) * g[j];                                                         \
                b0 += (lo_b + h0b) * g[j];                                                         \
                a1 += (l1a + hi_a) * g[j];                                                         \
                b1 += (l1b + hi_b) * g[j];                                                         \
                lo_a = l1a;                                                                        \
                lo_b = l1b;                                                                        \
                hi_a = h0a;                                                                        \
                hi_b = h0b;                                                                        \
            }                                                                                      \
            GAUSS_PUT(out0, x0, a0);                                                               \
            GAUSS_PUT(out0, x1, b0);                                                               \
            GAUSS_PUT(out1, x0, a1);                                                               \
            GAUSS_PUT(out1, x1, b1);                                                               \
        }                                                                                          \
        for (; x0 < len; x0++) {                                                                   \
            double a0 = (double)c[0][x0] * g[0], a1 = (double)c[1][x0] * g[0];                     \
            for (int j = w; j >= 1; j--) {                                                         \
                a0 += ((double)c[-j][x0] + (double)c[j][x0]) * g[j];                               \
                a1 += ((double)c[1 - j][x0] + (double)c[1 + j][x0]) * g[j];                        \
            }                                                                                      \
            out0[x0] = a0;                                                                         \
            out1[x0] = a1;                                                                         \
        }                                                                                          \
    }
#define GAUSS_GET_DOUBLES(p, x) ((gauss_vec)GAUSS_GET(p, x))
DEFINE_GAUSS_PAIR(gauss_sum_pair, double, GAUSS_GET_DOUBLES)

/* Receives each output row of a row pass. */
typedef void (*row_sink)(void *ctx, size_t row, const double *values);

/* Row m of a ring of `slots` rows of `in` values, or the zero row
 * outside [0, n). */
static const double *ring_row(const double *ring, size_t slots, size_t in, const double *zero,
                              ptrdiff_t m, size_t n)
{
    return m >= 0 && (size_t)m < n ? ring + ((size_t)m % slots) * in : zero;
}

/*
 * gauss_sum_pair's sums read straight from uint8 or uint16 rows, each
 * vector converted to doubles in registers (exactly, as load_doubles
 * converts them): the same operations in the same order on each pixel,
 * without the ring of doubles. The y pass's 2w + 2 rows are then 2 or 4
 * times fewer bytes than doubles (a 2048-pixel line's 10 rows of uint16:
 * 40 KB, where the doubles were 160 KB), and nothing is stored to read
 * back; but each row is converted at every tap instead of once. The y
 * pass's and the conversion's perf samples (AMD EPYC, three runs each):
 * 2048-wide uint16 rows 2284 -> 1442, 2048-wide uint8 about 660 -> 473;
 * 640-wide rows, whose ring of doubles is 51 KB, lost (uint16 500 -> 610,
 * bulk_water's uint8 460 -> 607). So only where the ring would be larger
 * than GAUSS_DIRECT_MIN_RING.
 */
enum { GAUSS_DIRECT_MIN_RING = 128 * 1024 };
#if defined(__AVX512F__)
/* eight pixels of an integer row, converted in registers */
#define GAUSS_GET_U8(p, x) ((gauss_vec)load8_u8(p, x))
#define GAUSS_GET_U16(p, x) ((gauss_vec)load8_u16(p, x))
DEFINE_GAUSS_PAIR(gauss_pair_u8, uint8_t, GAUSS_GET_U8)
DEFINE_GAUSS_PAIR(gauss_pair_u16, uint16_t, GAUSS_GET_U16)

/* The y pass of a 2-D uint8/uint16 frame from its own rows (src is the
 * raw image, which emit never writes); rows outside [0, n) are zeros.
 * An odd last row is made as the first of a pair, the second discarded
 * (into out2). Returns 0 where it does not apply. */
static int gauss_rows_int(const void *src, locus_dtype t, size_t first, size_t n, size_t in,
                          const double *g, int w, double *zero_buf, double *out, double *out2,
                          row_sink emit, void *ctx)
{
    size_t ring_bytes = (2 * (size_t)w + 2) * in * sizeof(double);
    if ((t != LOCUS_U8 && t != LOCUS_U16) || !out2 || w > GAUSS_MAX_W ||
        ring_bytes < GAUSS_DIRECT_MIN_RING)
        return 0;
    size_t es = locus_dtype_size(t);
    const unsigned char *base = (const unsigned char *)src + first * es;
    memset(zero_buf, 0, in * es);
    for (size_t i = 0; i < n; i += 2) {
        const void *c[2 * GAUSS_MAX_W + 2];
        for (ptrdiff_t j = -w; j <= w + 1; j++) {
            ptrdiff_t m = (ptrdiff_t)i + j;
            c[j + w] = m >= 0 && (size_t)m < n ? base + (size_t)m * in * es : (void *)zero_buf;
        }
        if (t == LOCUS_U8)
            gauss_pair_u8(out, out2, (const uint8_t *const *)c + w, g, w, in);
        else
            gauss_pair_u16(out, out2, (const uint16_t *const *)c + w, g, w, in);
        emit(ctx, i, out);
        if (i + 1 < n)
            emit(ctx, i + 1, out2);
    }
    return 1;
}
#else
static int gauss_rows_int(const void *src, locus_dtype t, size_t first, size_t n, size_t in,
                          const double *g, int w, double *zero_buf, double *out, double *out2,
                          row_sink emit, void *ctx)
{
    (void)src, (void)t, (void)first, (void)n, (void)in, (void)g, (void)w, (void)zero_buf;
    (void)out, (void)out2, (void)emit, (void)ctx;
    return 0;
}
#endif

/*
 * Along y or z: a ring of the 2w+2 rows two output rows need, converted
 * to double once each, over rows [0, n) of `inner` values starting at
 * element `first` of src. Each output row is built in `out` (with
 * `out2` non-NULL and w <= GAUSS_MAX_W, rows i and i + 1 together in out
 * and out2) and handed to emit. Source rows are copied into the ring
 * before the output rows of the same index are emitted, so emit may
 * overwrite src rows already used.
 */
static void gauss_rows(const void *src, locus_dtype t, size_t first, size_t n, size_t in,
                       const double *g, int w, double *ring, double *out, double *out2,
                       row_sink emit, void *ctx)
{
    size_t slots = 2 * (size_t)w + 2, loaded = 0;
    double *zero = ring + slots * in;
    if (gauss_rows_int(src, t, first, n, in, g, w, zero, out, out2, emit, ctx))
        return;
    memset(zero, 0, in * sizeof *zero);
    int pairs = out2 && w <= GAUSS_MAX_W;
    for (size_t i = 0; i < n;) {
        size_t rows = pairs && i + 1 < n ? 2 : 1;
        for (; loaded < n && loaded < i + rows + (size_t)w; loaded++)
            load_doubles(src, t, first + loaded * in, in, ring + (loaded % slots) * in);
        if (w <= GAUSS_MAX_W) {
            const double *c[2 * GAUSS_MAX_W + 2];
            for (ptrdiff_t j = -w; j <= w + 1; j++)
                c[j + w] = ring_row(ring, slots, in, zero, (ptrdiff_t)i + j, n);
            if (rows == 2) {
                gauss_sum_pair(out, out2, c + w, g, w, in);
                emit(ctx, i, out);
                emit(ctx, i + 1, out2);
                i += 2;
                continue;
            }
            const double *lo[GAUSS_MAX_W + 1], *hi[GAUSS_MAX_W + 1];
            for (int j = 1; j <= w; j++) {
                lo[j] = c[w - j];
                hi[j] = c[w + j];
            }
            gauss_sum(out, c[w], lo, hi, g, w, in);
        } else {
            gauss_start(out, ring_row(ring, slots, in, zero, (ptrdiff_t)i, n), g[0], in);
            for (ptrdiff_t j = w; j >= 1; j--)
                gauss_add(out, ring_row(ring, slots, in, zero, (ptrdiff_t)i - j, n),
                          ring_row(ring, slots, in, zero, (ptrdiff_t)i + j, n), g[j], in);
        }
        emit(ctx, i, out);
        i++;
    }
}

/* ------------------------------------------------------------------ */
/* §3c band pass                                                       */
/* ------------------------------------------------------------------ */

/*
 * dst = v - bg, zeroed below the threshold; returns the row's maximum.
 * In GCC/Clang vector types, eight lanes at a time in two independent
 * maxima: GCC does not vectorise a running maximum of doubles (it may
 * not reorder one without -ffast-math), and one vector of maxima made
 * every step wait on the last. The background row comes converted to
 * double by load_doubles, whose plain loop GCC vectorises; building the
 * vectors from scalar conversions here was a third of the samples of
 * the band pass's last step (perf annotate), though the stage's time
 * did not measurably change (bulk_water, band pass 0.74 ms/frame either
 * way: the step waits on storing lp); it also makes one function of the
 * eight per-type ones. Each lane keeps the scalar form's
 * comparisons, so dst is the same; the maximum is exact in any order
 * (nothing here is NaN; its sign when it is zero does not matter to §4).
 */
typedef double locus_v4d __attribute__((vector_size(32)));
typedef long long locus_v4i __attribute__((vector_size(32)));

/* a where m is set, else b. A macro: a function taking or returning
 * 32-byte vectors changes the ABI where AVX is off, and GCC's -Wpsabi
 * warning (an error here) stops the build on such a machine. */
#define V4_PICK(m, a, b) ((locus_v4d)(((locus_v4i)(a) & (m)) | ((locus_v4i)(b) & ~(m))))

static double subtract_row(double *dst, const double *v, const double *bg, size_t n,
                           double threshold)
{
    const locus_v4d thr = {threshold, threshold, threshold, threshold}, zero = {0, 0, 0, 0};
    locus_v4d lane0 = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, lane1 = lane0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        locus_v4d a0, a1, b0, b1;
        memcpy(&a0, v + i, sizeof a0);
        memcpy(&a1, v + i + 4, sizeof a1);
        memcpy(&b0, bg + i, sizeof b0);
        memcpy(&b1, bg + i + 4, sizeof b1);
        locus_v4d d0 = a0 - b0, d1 = a1 - b1;
        d0 = V4_PICK(d0 >= thr, d0, zero);
        d1 = V4_PICK(d1 >= thr, d1, zero);
        memcpy(dst + i, &d0, sizeof d0);
        memcpy(dst + i + 4, &d1, sizeof d1);
        lane0 = V4_PICK(d0 > lane0, d0, lane0);
        lane1 = V4_PICK(d1 > lane1, d1, lane1);
    }
    double mx = lane0[0];
    for (int k = 0; k < 4; k++) {
        mx = lane0[k] > mx ? lane0[k] : mx;
        mx = lane1[k] > mx ? lane1[k] : mx;
    }
    for (; i < n; i++) {
        double d = v[i] - bg[i];
        d = d >= threshold ? d : 0.0;
        dst[i] = d;
        mx = d > mx ? d : mx;
    }
    return mx;
}

/*
 * The same with a uint8 or uint16 background row, converted in the loop: the
 * conversion is exact, so d is the same as from the converted row,
 * without storing that row as doubles and loading it again. AVX-512F
 * only: GCC 12 converts vector-extension uint8 lanes to double one lane
 * at a time. Measured (Sapphire Rapids, perf samples of the same runs):
 * bulk_water's subtraction and conversions 1886 -> 1412, locate only
 * 1.21 -> 1.16 ms/frame; 2048x2048 uint16 28.3 -> 26.8 ms/frame (medians
 * of alternating runs).
 */
#if defined(__AVX512F__)
/* Eight values of d stored at dst + at as doubles, or rounded to float
 * (the narrow bp of locus_preprocess_bandpass_f32). */
#define STORE8_F64(dst, at, d) _mm512_storeu_pd((double *)(dst) + (at), d)
#define STORE8_F32(dst, at, d) _mm256_storeu_ps((float *)(dst) + (at), _mm512_cvtpd_ps(d))
#define DEFINE_SUBTRACT_INT(name, T, LOAD, D, STORE8)                                              \
    static double name(void *vdst, const double *v, const void *vbg, size_t n, double threshold)   \
    {                                                                                              \
        const T *bg = vbg;                                                                         \
        D *dst = vdst;                                                                             \
        const __m512d thr = _mm512_set1_pd(threshold);                                             \
        __m512d lane[2] = {_mm512_set1_pd(-INFINITY), _mm512_set1_pd(-INFINITY)};                  \
        size_t i = 0;                                                                              \
        for (; i + 16 <= n; i += 16)                                                               \
            for (int h = 0; h < 2; h++) {                                                          \
                size_t at = i + 8 * (size_t)h;                                                     \
                __m512d d = _mm512_sub_pd(_mm512_loadu_pd(v + at), LOAD(bg, at));                  \
                d = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(d, thr, _CMP_GE_OQ), d);                \
                STORE8(dst, at, d);                                                                \
                lane[h] =                                                                          \
                    _mm512_mask_mov_pd(lane[h], _mm512_cmp_pd_mask(d, lane[h], _CMP_GT_OQ), d);    \
            }                                                                                      \
        double l0[8], l1[8], mx = -INFINITY;                                                       \
        _mm512_storeu_pd(l0, lane[0]);                                                             \
        _mm512_storeu_pd(l1, lane[1]);                                                             \
        for (int k = 0; k < 8; k++) {                                                              \
            mx = l0[k] > mx ? l0[k] : mx;                                                          \
            mx = l1[k] > mx ? l1[k] : mx;                                                          \
        }                                                                                          \
        for (; i < n; i++) {                                                                       \
            double d = v[i] - (double)bg[i];                                                       \
            d = d >= threshold ? d : 0.0;                                                          \
            dst[i] = (D)d;                                                                         \
            mx = d > mx ? d : mx;                                                                  \
        }                                                                                          \
        return mx;                                                                                 \
    }

DEFINE_SUBTRACT_INT(subtract_row_u8, uint8_t, load8_u8, double, STORE8_F64)
DEFINE_SUBTRACT_INT(subtract_row_u16, uint16_t, load8_u16, double, STORE8_F64)
DEFINE_SUBTRACT_INT(subtract_row_u8_f32, uint8_t, load8_u8, float, STORE8_F32)
DEFINE_SUBTRACT_INT(subtract_row_u16_f32, uint16_t, load8_u16, float, STORE8_F32)
#endif

/*
 * The last steps of the band pass, one image row at a time while the row
 * is in cache: the Gaussian along x (through a copy padded with w zeros
 * each side), bp = low pass - background, the threshold, the maximum.
 * Fusing them writes the double-sized bp image once instead of four
 * times: on a 2048x2048 frame the band pass is bound by memory traffic.
 */
typedef struct {
    const plan *pl;
    double *lp;
    float *lp32; /* instead of lp: bp rounded to float (locus_preprocess_bandpass_f32) */
    const void *bg;
    double *pad[2];     /* x-pass lines (nx + 2w, zero ends): the y pass's two rows */
    double *xrow;       /* x-pass output */
    double *bgrow;      /* the background row as double */
    double *bprow;      /* a bp row before its rounding to float */
    boxcar_stream *bgs; /* the background row by row (2-D), or NULL: bg */
    size_t row0;        /* index of row 0 of the current plane */
    double max;
} row_finisher;

static void finish_row(void *vctx, size_t i, const double *in)
{
    row_finisher *f = vctx;
    const plan *pl = f->pl;
    size_t nx = pl->shape[2], row = f->row0 + i;
    const double *v = in;
    if (pl->gauss[2]) {
        int w = pl->gauss_w[2];
        const double *g = pl->gauss[2];
        double *line = f->pad[0] + w;
        if (in == f->pad[1] + w) /* the y pass usually writes straight into a padded line */
            line = f->pad[1] + w;
        else if (in != line)
            memcpy(line, in, nx * sizeof *line);
        gauss_line(f->xrow, line, g, w, nx);
        v = f->xrow;
    }
    const void *bg =
        f->bgs ? stream_row(f->bgs) : (const char *)f->bg + row * nx * locus_dtype_size(pl->dtype);
    double mx;
#if defined(__AVX512F__)
    if (f->lp32 && pl->dtype == LOCUS_U8)
        mx = subtract_row_u8_f32(f->lp32 + row * nx, v, bg, nx, pl->threshold);
    else if (f->lp32 && pl->dtype == LOCUS_U16)
        mx = subtract_row_u16_f32(f->lp32 + row * nx, v, bg, nx, pl->threshold);
    else if (pl->dtype == LOCUS_U8)
        mx = subtract_row_u8(f->lp + row * nx, v, bg, nx, pl->threshold);
    else if (pl->dtype == LOCUS_U16)
        mx = subtract_row_u16(f->lp + row * nx, v, bg, nx, pl->threshold);
    else
#endif
    {
        load_doubles(bg, pl->dtype, 0, nx, f->bgrow);
        double *dst = f->lp32 ? f->bprow : f->lp + row * nx;
        mx = subtract_row(dst, v, f->bgrow, nx, pl->threshold);
        if (f->lp32)
            for (size_t x = 0; x < nx; x++)
                f->lp32[row * nx + x] = (float)dst[x];
    }
    f->max = mx > f->max ? mx : f->max;
}

/* The z pass of a volume: planes written back into lp. */
typedef struct {
    double *lp;
    size_t plane;
} plane_writer;

static void write_plane(void *vctx, size_t z, const double *values)
{
    plane_writer *p = vctx;
    memcpy(p->lp + z * p->plane, values, p->plane * sizeof *values);
}

/* Scratch doubles the band pass needs (see locus_preprocess_bandpass). */
static size_t bandpass_scratch(const plan *pl)
{
    size_t nx = pl->shape[2], plane = pl->shape[1] * nx, wz = (size_t)pl->gauss_w[0];
    size_t wy = (size_t)pl->gauss_w[1], wx = (size_t)pl->gauss_w[2];
    size_t zpass = pl->gauss[0] ? (2 * wz + 4) * plane : 0; /* ring, zero plane, output */
    size_t rows = (pl->gauss[1] ? (2 * wy + 3) * nx : 0) + 2 * (nx + 2 * wx) + 3 * nx;
    return zpass > rows ? zpass : rows;
}

/* bp into ws->lp, as doubles or (narrow) rounded to float. */
static int bandpass(locus_workspace *ws, const void *raw, const void *background, int narrow,
                    double *bp_max)
{
    const plan *pl = &ws->pl;
    size_t nz = pl->shape[0], ny = pl->shape[1], nx = pl->shape[2], plane = ny * nx;
    size_t es = narrow ? sizeof(float) : sizeof(double);
    if (locus_mem_reserve((void **)&ws->lp, &ws->lp_cap, size_mul(pl->npix, es)) ||
        locus_mem_reserve(&ws->line, &ws->line_cap, size_mul(bandpass_scratch(pl), sizeof(double))))
        return LOCUS_E_NOMEM;
    double *scratch = ws->line;
    const void *src = raw;
    boxcar_stream stream;
    if (!background) {
        if (nz != 1)
            return LOCUS_E_PARAM; /* volumes pass the whole background */
        if (locus_mem_reserve(&ws->bg[0], &ws->bg_cap[0], stream_scratch(pl)))
            return LOCUS_E_NOMEM;
        stream_start(&stream, pl, raw, ws->bg[0]);
    }
    locus_dtype st = pl->dtype;
    if (pl->gauss[0]) {
        plane_writer pw = {ws->lp, plane};
        gauss_rows(src, st, 0, nz, plane, pl->gauss[0], pl->gauss_w[0], scratch,
                   scratch + (2 * (size_t)pl->gauss_w[0] + 3) * plane, NULL, write_plane, &pw);
        src = ws->lp;
        st = LOCUS_F64;
    }
    size_t wy = (size_t)pl->gauss_w[1], wx = (size_t)pl->gauss_w[2];
    double *ring = scratch, *pad = ring + (pl->gauss[1] ? (2 * wy + 3) * nx : 0);
    size_t padded = nx + 2 * wx;
    row_finisher f = {.pl = pl,
                      .lp = narrow ? NULL : ws->lp,
                      .lp32 = narrow ? (float *)(void *)ws->lp : NULL,
                      .bg = background,
                      .pad = {pad, pad + padded},
                      .xrow = pad + 2 * padded,
                      .bgrow = pad + 2 * padded + nx,
                      .bprow = pad + 2 * padded + 2 * nx,
                      .bgs = background ? NULL : &stream,
                      .max = -INFINITY};
    /* rows land in the x pass's padded lines */
    double *yrow = f.pad[0] + wx, *yrow2 = f.pad[1] + wx;
    memset(pad, 0, 2 * padded * sizeof *pad);
    for (size_t z = 0; z < nz; z++) {
        f.row0 = z * ny;
        if (pl->gauss[1]) {
            gauss_rows(src, st, z * plane, ny, nx, pl->gauss[1], (int)wy, ring, yrow, yrow2,
                       finish_row, &f);
            continue;
        }
        for (size_t y = 0; y < ny; y++) {
            load_doubles(src, st, (z * ny + y) * nx, nx, yrow);
            finish_row(&f, y, yrow);
        }
    }
    *bp_max = f.max;
    return LOCUS_OK;
}

int locus_preprocess_bandpass(locus_workspace *ws, const void *raw, const void *background,
                              double *bp_max)
{
    return bandpass(ws, raw, background, 0, bp_max);
}

int locus_preprocess_bandpass_f32(locus_workspace *ws, const void *raw, double *bp_max)
{
    if (!locus_bandpass_f32_applies(&ws->pl))
        return LOCUS_E_PARAM;
    return bandpass(ws, raw, NULL, 1, bp_max);
}

/* ------------------------------------------------------------------ */
/* §3 at one pixel                                                     */
/* ------------------------------------------------------------------ */

/*
 * Per pixel type T (uint8, uint16):
 *
 * lowpass_y_at: the y pass of the low pass at (y, x), zero outside the
 * image along x (the x pass's padding): gauss_rows' sum for that pixel.
 *
 * boxcar_y_at: the y pass of the boxcar at (y, x): the window sum of the
 * column, edge rows repeated, divided by the width (integers: exact in any
 * order, so the same quotient as the row passes').
 *
 * bandpass_at: bp at (y, x) from the two.
 *
 * Typed, not through pixel_get (the type's switch in each of a pixel's
 * 130-odd loads): the settling's perf samples on the 2048x2048 bench
 * movie 156 -> 108. What is left is mostly the misses of its column
 * loads.
 */
#define DEFINE_BANDPASS_AT(N, T)                                                                   \
    static double lowpass_y_at_##N(const plan *pl, const T *raw, size_t y, ptrdiff_t x)            \
    {                                                                                              \
        size_t ny = pl->shape[1], nx = pl->shape[2];                                               \
        if (x < 0 || (size_t)x >= nx)                                                              \
            return 0.0;                                                                            \
        const T *col = raw + (size_t)x;                                                            \
        double c = col[y * nx];                                                                    \
        const double *g = pl->gauss[1];                                                            \
        if (!g)                                                                                    \
            return c;                                                                              \
        double acc = c * g[0];                                                                     \
        for (size_t j = (size_t)pl->gauss_w[1]; j >= 1; j--) {                                     \
            double lo = y >= j ? (double)col[(y - j) * nx] : 0.0;                                  \
            double hi = y + j < ny ? (double)col[(y + j) * nx] : 0.0;                              \
            acc += (lo + hi) * g[j];                                                               \
        }                                                                                          \
        return acc;                                                                                \
    }                                                                                              \
    static uint32_t boxcar_y_at_##N(const plan *pl, const T *raw, size_t y, size_t x)              \
    {                                                                                              \
        size_t ny = pl->shape[1], nx = pl->shape[2];                                               \
        int k = pl->smoothing[1];                                                                  \
        if (k <= 1)                                                                                \
            return raw[y * nx + x];                                                                \
        uint32_t sum = 0; /* at most 65535 * 4095 */                                               \
        for (ptrdiff_t j = 0; j < k; j++)                                                          \
            sum += raw[clamp_index((ptrdiff_t)y - k / 2 + j, ny) * nx + x];                        \
        return sum / (uint32_t)k;                                                                  \
    }                                                                                              \
    static double bandpass_at_##N(const plan *pl, const T *raw, size_t y, size_t x)                \
    {                                                                                              \
        size_t nx = pl->shape[2];                                                                  \
        double L = lowpass_y_at_##N(pl, raw, y, (ptrdiff_t)x);                                     \
        const double *g = pl->gauss[2];                                                            \
        if (g) {                                                                                   \
            L *= g[0];                                                                             \
            for (ptrdiff_t j = pl->gauss_w[2]; j >= 1; j--)                                        \
                L += (lowpass_y_at_##N(pl, raw, y, (ptrdiff_t)x - j) +                             \
                      lowpass_y_at_##N(pl, raw, y, (ptrdiff_t)x + j)) *                            \
                     g[j];                                                                         \
        }                                                                                          \
        int k = pl->smoothing[2];                                                                  \
        uint64_t B = 0;                                                                            \
        if (k > 1) {                                                                               \
            for (ptrdiff_t j = 0; j < k; j++)                                                      \
                B += boxcar_y_at_##N(pl, raw, y, clamp_index((ptrdiff_t)x - k / 2 + j, nx));       \
            B /= (uint64_t)k;                                                                      \
        } else {                                                                                   \
            B = boxcar_y_at_##N(pl, raw, y, x);                                                    \
        }                                                                                          \
        double d = L - (double)B;                                                                  \
        return d >= pl->threshold ? d : 0.0;                                                       \
    }

DEFINE_BANDPASS_AT(u8, uint8_t)
DEFINE_BANDPASS_AT(u16, uint16_t)

double locus_preprocess_bandpass_at(const plan *pl, const void *raw, size_t y, size_t x)
{
    return pl->dtype == LOCUS_U8 ? bandpass_at_u8(pl, raw, y, x) : bandpass_at_u16(pl, raw, y, x);
}
