/*
 * LOCATE.md §2-3: invert, boxcar background, Gaussian low pass, band pass.
 *
 * Every separable pass walks one axis of an image viewed as
 * (outer, n, inner) with `inner` contiguous. Along x (inner == 1) a pass
 * works line by line through a padded copy of the line; along y and z it
 * works on whole rows (or planes) at a time, so the inner loops run over
 * contiguous memory and the compiler vectorises them. Both forms do the
 * same arithmetic per pixel in the same order, so results are identical
 * to the letter of the spec whichever form runs.
 */
#include "plan.h"

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

/* Integer images: v XOR maxval; float images: 1 - v in their own type. */
DEFINE_COPY(copy_u8, uint8_t, v ^ 0xFFu)
DEFINE_COPY(copy_u16, uint16_t, v ^ 0xFFFFu)
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

int preprocess_raw(locus_workspace *ws, const locus_image *img, const void **raw, locus_error *err)
{
    const plan *pl = &ws->pl;
    int invert = pl->params.invert;
    if (!invert && is_contiguous(img)) {
        *raw = img->data;
    } else {
        size_t bytes = size_mul(pl->npix, locus_dtype_size(pl->dtype));
        if (buffer_reserve(&ws->raw, &ws->raw_cap, bytes))
            return error_set(err, LOCUS_E_NOMEM, "out of memory (image copy of %zu bytes)", bytes);
        switch (pl->dtype) {
        case LOCUS_U8:
            copy_u8(img, ws->raw, invert);
            break;
        case LOCUS_U16:
            copy_u16(img, ws->raw, invert);
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
        return error_set(err, LOCUS_E_FORMAT, "image has NaN or infinite pixel values");
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* §3a boxcar background                                               */
/* ------------------------------------------------------------------ */

/*
 * Integer images: the exact window sum (edge pixels repeated) divided by
 * the width, truncated into the image's type after each pass. Sums are
 * kept in doubles: they are integers far below 2^53, so exact, and
 * trunc(sum / k) in double equals the integer quotient (sum / k is never
 * within rounding distance of the next integer up).
 *
 * Float images: the spec's reference sums through a running cumulative
 * sum c over the edge-extended line and takes (c[i+k] - c[i]) / k; two
 * running sums ("lead" c[i+k] and "lag" c[i]) reproduce those roundings
 * exactly, whichever form the pass takes.
 */
#define DEFINE_BOXCAR(name, T, IS_INT)                                                             \
    static void name##_line(const T *src, T *dst, size_t n, int k)                                 \
    {                                                                                              \
        ptrdiff_t s1 = k / 2;                                                                      \
        if (IS_INT) {                                                                              \
            double acc = 0;                                                                        \
            for (ptrdiff_t j = -s1; j < k - s1; j++)                                               \
                acc += src[clamp_index(j, n)];                                                     \
            for (size_t i = 0; i < n; i++) {                                                       \
                dst[i] = (T)(acc / k);                                                             \
                acc += (double)src[clamp_index((ptrdiff_t)i + k - s1, n)] -                        \
                       (double)src[clamp_index((ptrdiff_t)i - s1, n)];                             \
            }                                                                                      \
        } else {                                                                                   \
            double lag = 0, lead = 0;                                                              \
            for (ptrdiff_t j = 0; j < k; j++)                                                      \
                lead += src[clamp_index(j - s1, n)];                                               \
            for (size_t i = 0; i < n; i++) {                                                       \
                dst[i] = (T)((lead - lag) / k);                                                    \
                lag += src[clamp_index((ptrdiff_t)i - s1, n)];                                     \
                lead += src[clamp_index((ptrdiff_t)i + k - s1, n)];                                \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    static void name##_rows(const T *src, T *dst, size_t n, size_t inner, int k, double *lag,      \
                            double *lead)                                                          \
    {                                                                                              \
        ptrdiff_t s1 = k / 2;                                                                      \
        for (size_t x = 0; x < inner; x++)                                                         \
            lag[x] = lead[x] = 0;                                                                  \
        for (ptrdiff_t j = 0; j < k; j++) {                                                        \
            const T *r = src + clamp_index(j - s1, n) * inner;                                     \
            for (size_t x = 0; x < inner; x++)                                                     \
                lead[x] += r[x];                                                                   \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) {                                                           \
            T *out = dst + i * inner;                                                              \
            const T *old = src + clamp_index((ptrdiff_t)i - s1, n) * inner;                        \
            const T *nxt = src + clamp_index((ptrdiff_t)i + k - s1, n) * inner;                    \
            if (IS_INT) {                                                                          \
                /* lead holds the window sum; lag is unused */                                     \
                for (size_t x = 0; x < inner; x++) {                                               \
                    out[x] = (T)(lead[x] / k);                                                     \
                    lead[x] += (double)nxt[x] - (double)old[x];                                    \
                }                                                                                  \
            } else {                                                                               \
                for (size_t x = 0; x < inner; x++) {                                               \
                    out[x] = (T)((lead[x] - lag[x]) / k);                                          \
                    lag[x] += old[x];                                                              \
                    lead[x] += nxt[x];                                                             \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    static void name(const void *vsrc, void *vdst, axis_view v, int k, double *scratch)            \
    {                                                                                              \
        const T *src = vsrc;                                                                       \
        T *dst = vdst;                                                                             \
        size_t block = v.n * v.inner;                                                              \
        for (size_t o = 0; o < v.outer; o++) {                                                     \
            if (v.inner == 1)                                                                      \
                name##_line(src + o * block, dst + o * block, v.n, k);                             \
            else                                                                                   \
                name##_rows(src + o * block, dst + o * block, v.n, v.inner, k, scratch,            \
                            scratch + v.inner);                                                    \
        }                                                                                          \
    }

DEFINE_BOXCAR(boxcar_u8, uint8_t, 1)
DEFINE_BOXCAR(boxcar_u16, uint16_t, 1)
DEFINE_BOXCAR(boxcar_f32, float, 0)
DEFINE_BOXCAR(boxcar_f64, double, 0)

typedef void (*boxcar_fn)(const void *, void *, axis_view, int, double *);

static boxcar_fn boxcar_for(locus_dtype t)
{
    switch (t) {
    case LOCUS_U8:
        return boxcar_u8;
    case LOCUS_U16:
        return boxcar_u16;
    case LOCUS_F32:
        return boxcar_f32;
    default:
        return boxcar_f64;
    }
}

/* Doubles of line scratch the passes need: two accumulator rows for the
 * boxcar, a ring of 2w+1 rows plus a zero row for the Gaussian, and a
 * padded line. */
static size_t scratch_doubles(const plan *pl)
{
    size_t need = 0;
    for (int a = 0; a < 3; a++) {
        axis_view v = view_of(pl, a);
        size_t w = pl->gauss[a] ? (size_t)pl->gauss_w[a] : 0;
        size_t rows = v.inner == 1 ? 2 * w + v.n : (2 * w + 2) * v.inner;
        if (rows < 2 * v.inner)
            rows = 2 * v.inner;
        if (rows > need)
            need = rows;
    }
    return need;
}

static int reserve_scratch(locus_workspace *ws)
{
    return buffer_reserve(&ws->line, &ws->line_cap,
                          size_mul(scratch_doubles(&ws->pl), sizeof(double)));
}

int preprocess_boxcar(locus_workspace *ws, const void *raw, const void **background)
{
    const plan *pl = &ws->pl;
    size_t bytes = size_mul(pl->npix, locus_dtype_size(pl->dtype));
    boxcar_fn pass = boxcar_for(pl->dtype);
    const void *src = raw;
    int flip = 0;
    if (reserve_scratch(ws))
        return LOCUS_E_NOMEM;
    for (int a = 0; a < 3; a++) {
        if (pl->smoothing[a] <= 1)
            continue;
        if (buffer_reserve(&ws->bg[flip], &ws->bg_cap[flip], bytes))
            return LOCUS_E_NOMEM;
        pass(src, ws->bg[flip], view_of(pl, a), pl->smoothing[a], ws->line);
        src = ws->bg[flip];
        flip ^= 1;
    }
    *background = src;
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* §3b Gaussian low pass                                               */
/* ------------------------------------------------------------------ */

/* Convert n pixels of any type to double. */
static void load_doubles(const void *src, locus_dtype t, size_t start, size_t n, double *out)
{
    switch (t) {
    case LOCUS_U8: {
        const uint8_t *p = (const uint8_t *)src + start;
        for (size_t i = 0; i < n; i++)
            out[i] = p[i];
        break;
    }
    case LOCUS_U16: {
        const uint16_t *p = (const uint16_t *)src + start;
        for (size_t i = 0; i < n; i++)
            out[i] = p[i];
        break;
    }
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

/* Along x: each line through a copy padded with w zeros on each side. */
static void gauss_lines(const void *src, locus_dtype t, double *dst, axis_view v, const double *g,
                        int w, double *pad)
{
    double *line = pad + w;
    memset(pad, 0, (size_t)w * sizeof *pad);
    memset(line + v.n, 0, (size_t)w * sizeof *pad);
    for (size_t o = 0; o < v.outer; o++) {
        double *out = dst + o * v.n;
        load_doubles(src, t, o * v.n, v.n, line);
        gauss_start(out, line, g[0], v.n);
        for (int j = w; j >= 1; j--)
            gauss_add(out, line - j, line + j, g[j], v.n);
    }
}

/*
 * Along y or z: a ring of the 2w+1 rows an output row needs, converted
 * to double once each. Each source row is copied into the ring before
 * its output row is written, so dst may be src.
 */
static void gauss_rows(const void *src, locus_dtype t, double *dst, axis_view v, const double *g,
                       int w, double *ring)
{
    size_t slots = 2 * (size_t)w + 1, in = v.inner, n = v.n;
    double *zero = ring + slots * in;
    memset(zero, 0, in * sizeof *zero);
    for (size_t o = 0; o < v.outer; o++) {
        size_t base = o * n * in;
        for (size_t m = 0; m < (size_t)w && m < n; m++)
            load_doubles(src, t, base + m * in, in, ring + (m % slots) * in);
        for (size_t i = 0; i < n; i++) {
            double *out = dst + base + i * in;
            if (i + w < n)
                load_doubles(src, t, base + (i + w) * in, in, ring + ((i + w) % slots) * in);
            gauss_start(out, ring + (i % slots) * in, g[0], in);
            for (size_t j = (size_t)w; j >= 1; j--) {
                const double *lo = i >= j ? ring + ((i - j) % slots) * in : zero;
                const double *hi = i + j < n ? ring + ((i + j) % slots) * in : zero;
                gauss_add(out, lo, hi, g[j], in);
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* §3c band pass                                                       */
/* ------------------------------------------------------------------ */

#define DEFINE_SUBTRACT(name, T)                                                                   \
    static double name(double *lp, const void *vbg, size_t n, double threshold)                    \
    {                                                                                              \
        const T *bg = vbg;                                                                         \
        double mx = -INFINITY;                                                                     \
        for (size_t i = 0; i < n; i++) {                                                           \
            double v = lp[i] - (double)bg[i];                                                      \
            v = v >= threshold ? v : 0.0;                                                          \
            lp[i] = v;                                                                             \
            mx = v > mx ? v : mx;                                                                  \
        }                                                                                          \
        return mx;                                                                                 \
    }

DEFINE_SUBTRACT(subtract_u8, uint8_t)
DEFINE_SUBTRACT(subtract_u16, uint16_t)
DEFINE_SUBTRACT(subtract_f32, float)
DEFINE_SUBTRACT(subtract_f64, double)

int preprocess_bandpass(locus_workspace *ws, const void *raw, const void *background,
                        double *bp_max)
{
    const plan *pl = &ws->pl;
    if (buffer_reserve((void **)&ws->lp, &ws->lp_cap, size_mul(pl->npix, sizeof(double))) ||
        reserve_scratch(ws))
        return LOCUS_E_NOMEM;
    const void *src = raw;
    locus_dtype st = pl->dtype;
    for (int a = 0; a < 3; a++) {
        if (!pl->gauss[a])
            continue;
        axis_view v = view_of(pl, a);
        if (v.inner == 1)
            gauss_lines(src, st, ws->lp, v, pl->gauss[a], pl->gauss_w[a], ws->line);
        else
            gauss_rows(src, st, ws->lp, v, pl->gauss[a], pl->gauss_w[a], ws->line);
        src = ws->lp;
        st = LOCUS_F64;
    }
    if (src == raw)
        load_doubles(raw, pl->dtype, 0, pl->npix, ws->lp);
    switch (pl->dtype) {
    case LOCUS_U8:
        *bp_max = subtract_u8(ws->lp, background, pl->npix, pl->threshold);
        break;
    case LOCUS_U16:
        *bp_max = subtract_u16(ws->lp, background, pl->npix, pl->threshold);
        break;
    case LOCUS_F32:
        *bp_max = subtract_f32(ws->lp, background, pl->npix, pl->threshold);
        break;
    default:
        *bp_max = subtract_f64(ws->lp, background, pl->npix, pl->threshold);
        break;
    }
    return LOCUS_OK;
}
