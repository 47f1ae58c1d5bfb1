/*
 * LOCATE.md §5: candidate maxima. A pixel of I is a candidate when it
 * equals the maximum of its box, exceeds the percentile threshold of the
 * non-zero pixels, and lies inside the margins.
 *
 * The percentile comes from a histogram of I (I is uint8 or uint16), not
 * a sort. The box maximum is van Herk / Gil-Werman: per axis, prefix and
 * suffix maxima within blocks of k, then one max per pixel — three
 * comparisons per pixel whatever the box size. Along y and z it runs on
 * whole rows at a time so the loops vectorise.
 */
#include "plan.h"

#include <math.h>
#include <string.h>

/*
 * NumPy's percentile, method 'linear': v[floor(p)] and v[floor(p)+1]
 * interpolated with NumPy's _lerp, which computes from the upper end
 * when the fraction is >= 0.5 (and so rounds differently).
 */
double maxima_percentile(const uint32_t *hist, size_t nbins, double percentile, size_t *nonzero)
{
    size_t n = 0;
    for (size_t v = 1; v < nbins; v++)
        n += hist[v];
    *nonzero = n;
    if (n == 0)
        return 0;
    double virt = (double)(n - 1) * (percentile / 100);
    double below = floor(virt);
    size_t lo_rank, hi_rank;
    if (virt >= (double)(n - 1)) {
        lo_rank = hi_rank = n - 1;
    } else {
        lo_rank = (size_t)below;
        hi_rank = lo_rank + 1;
    }
    /* Walk the cumulative histogram to the values at the two ranks. */
    double lo_val = 0, hi_val = 0;
    size_t seen = 0;
    int have_lo = 0;
    for (size_t v = 1; v < nbins; v++) {
        seen += hist[v];
        if (!have_lo && seen > lo_rank) {
            lo_val = (double)v;
            have_lo = 1;
        }
        if (seen > hi_rank) {
            hi_val = (double)v;
            break;
        }
    }
    double t = virt - below;
    double diff = hi_val - lo_val;
    return t >= 0.5 ? hi_val - diff * (1 - t) : lo_val + diff * t;
}

/* Span of the box around i: [i - lo, i + hi] (even boxes reach one
 * further up), as scipy's grey_dilation places a footprint. */
static void box_span(int k, int *lo, int *hi)
{
    *lo = k % 2 ? (k - 1) / 2 : k / 2 - 1;
    *hi = k - 1 - *lo;
}

/*
 * One van Herk / Gil-Werman pass along an axis viewed as (outer, n,
 * inner). The padded sequence P has lo zeros, the n values, then zeros
 * up to a whole number of blocks; g and h are the prefix and suffix
 * maxima within each block of k, and out[i] = max(h[i], g[i + k - 1]).
 * Outside the image counts as 0, which never wins: I is unsigned.
 */
#define DEFINE_VHGW(name, T)                                                                       \
    static void name(const T *src, T *dst, size_t outer, size_t n, size_t inner, int k, T *g,      \
                     T *h)                                                                         \
    {                                                                                              \
        int lo, hi;                                                                                \
        box_span(k, &lo, &hi);                                                                     \
        size_t len = n + (size_t)k - 1;                                                            \
        len = (len + (size_t)k - 1) / (size_t)k * (size_t)k;                                       \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *s = src + o * n * inner;                                                      \
            T *d = dst + o * n * inner;                                                            \
            /* prefix maxima: g = P, then running max within blocks */                             \
            for (size_t j = 0; j < len; j++) {                                                     \
                T *gj = g + j * inner;                                                             \
                ptrdiff_t i = (ptrdiff_t)j - lo;                                                   \
                if (i >= 0 && (size_t)i < n)                                                       \
                    memcpy(gj, s + (size_t)i * inner, inner * sizeof(T));                          \
                else                                                                               \
                    memset(gj, 0, inner * sizeof(T));                                              \
                if (j % (size_t)k) {                                                               \
                    const T *prev = gj - inner;                                                    \
                    for (size_t x = 0; x < inner; x++)                                             \
                        gj[x] = gj[x] > prev[x] ? gj[x] : prev[x];                                 \
                }                                                                                  \
            }                                                                                      \
            /* suffix maxima within blocks, from the padded values */                              \
            for (size_t j = len; j-- > 0;) {                                                       \
                T *hj = h + j * inner;                                                             \
                ptrdiff_t i = (ptrdiff_t)j - lo;                                                   \
                if (i >= 0 && (size_t)i < n)                                                       \
                    memcpy(hj, s + (size_t)i * inner, inner * sizeof(T));                          \
                else                                                                               \
                    memset(hj, 0, inner * sizeof(T));                                              \
                if ((j + 1) % (size_t)k) {                                                         \
                    const T *next = hj + inner;                                                    \
                    for (size_t x = 0; x < inner; x++)                                             \
                        hj[x] = hj[x] > next[x] ? hj[x] : next[x];                                 \
                }                                                                                  \
            }                                                                                      \
            for (size_t i = 0; i < n; i++) {                                                       \
                const T *a = h + i * inner, *b = g + (i + (size_t)k - 1) * inner;                  \
                T *out = d + i * inner;                                                            \
                for (size_t x = 0; x < inner; x++)                                                 \
                    out[x] = a[x] > b[x] ? a[x] : b[x];                                            \
            }                                                                                      \
        }                                                                                          \
    }

DEFINE_VHGW(vhgw_rows_u8, uint8_t)
DEFINE_VHGW(vhgw_rows_u16, uint16_t)

/* The same along x, one line at a time with scalar loops. */
#define DEFINE_VHGW_LINES(name, T)                                                                 \
    static void name(const T *src, T *dst, size_t outer, size_t n, int k, T *g, T *h)              \
    {                                                                                              \
        int lo, hi;                                                                                \
        box_span(k, &lo, &hi);                                                                     \
        size_t len = n + (size_t)k - 1;                                                            \
        len = (len + (size_t)k - 1) / (size_t)k * (size_t)k;                                       \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *s = src + o * n;                                                              \
            T *d = dst + o * n;                                                                    \
            memset(g, 0, (size_t)lo * sizeof(T));                                                  \
            memcpy(g + lo, s, n * sizeof(T));                                                      \
            memset(g + lo + n, 0, (len - n - (size_t)lo) * sizeof(T));                             \
            memcpy(h, g, len * sizeof(T));                                                         \
            for (size_t j = 1; j < len; j++)                                                       \
                if (j % (size_t)k && g[j - 1] > g[j])                                              \
                    g[j] = g[j - 1];                                                               \
            for (size_t j = len - 1; j-- > 0;)                                                     \
                if ((j + 1) % (size_t)k && h[j + 1] > h[j])                                        \
                    h[j] = h[j + 1];                                                               \
            for (size_t i = 0; i < n; i++) {                                                       \
                T a = h[i], b = g[i + (size_t)k - 1];                                              \
                d[i] = a > b ? a : b;                                                              \
            }                                                                                      \
        }                                                                                          \
    }

DEFINE_VHGW_LINES(vhgw_lines_u8, uint8_t)
DEFINE_VHGW_LINES(vhgw_lines_u16, uint16_t)

/* Scratch elements a pass needs: g and h over the padded length. */
static size_t vhgw_scratch(size_t n, size_t inner, int k)
{
    size_t len = n + (size_t)k - 1;
    len = (len + (size_t)k - 1) / (size_t)k * (size_t)k;
    return 2 * len * inner;
}

int maxima_box_max(locus_workspace *ws, const void *I, const void **D)
{
    const plan *pl = &ws->pl;
    size_t es = locus_dtype_size(pl->itype), need = 0;
    for (int a = 0; a < 3; a++) {
        if (pl->box[a] <= 1)
            continue;
        size_t inner = 1;
        for (int b = a + 1; b < 3; b++)
            inner *= pl->shape[b];
        size_t s = vhgw_scratch(pl->shape[a], inner, pl->box[a]);
        if (s > need)
            need = s;
    }
    if (buffer_reserve(&ws->dmax, &ws->dmax_cap, size_mul(pl->npix, es)) ||
        buffer_reserve(&ws->line, &ws->line_cap, size_mul(need, es)))
        return LOCUS_E_NOMEM;
    const void *src = I;
    for (int a = 0; a < 3; a++) {
        int k = pl->box[a];
        if (k <= 1)
            continue;
        size_t outer = 1, inner = 1, n = pl->shape[a];
        for (int b = 0; b < a; b++)
            outer *= pl->shape[b];
        for (int b = a + 1; b < 3; b++)
            inner *= pl->shape[b];
        size_t half = vhgw_scratch(n, inner, k) / 2;
        /* src may be dmax itself: vHGW reads src only while filling g
         * and h, before writing out, per outer block. */
        if (pl->itype == LOCUS_U8) {
            uint8_t *g = ws->line, *h = g + half;
            if (inner == 1)
                vhgw_lines_u8(src, ws->dmax, outer, n, k, g, h);
            else
                vhgw_rows_u8(src, ws->dmax, outer, n, inner, k, g, h);
        } else {
            uint16_t *g = ws->line, *h = g + half;
            if (inner == 1)
                vhgw_lines_u16(src, ws->dmax, outer, n, k, g, h);
            else
                vhgw_rows_u16(src, ws->dmax, outer, n, inner, k, g, h);
        }
        src = ws->dmax;
    }
    *D = src;
    return LOCUS_OK;
}

#define DEFINE_CANDIDATES(name, T)                                                                 \
    static int name(locus_workspace *ws, const T *I, const T *D, T above)                          \
    {                                                                                              \
        const plan *pl = &ws->pl;                                                                  \
        size_t ny = pl->shape[1], nx = pl->shape[2], count = 0;                                    \
        const int *m = pl->margin;                                                                 \
        for (size_t z = (size_t)m[0]; z + (size_t)m[0] < pl->shape[0]; z++)                        \
            for (size_t y = (size_t)m[1]; y + (size_t)m[1] < ny; y++) {                            \
                size_t row = (z * ny + y) * nx;                                                    \
                for (size_t x = (size_t)m[2]; x + (size_t)m[2] < nx; x++) {                        \
                    T v = I[row + x];                                                              \
                    if (v <= above || v != D[row + x])                                             \
                        continue;                                                                  \
                    if (count == ws->cand_cap / sizeof *ws->cand &&                                \
                        buffer_grow((void **)&ws->cand, &ws->cand_cap,                             \
                                    size_mul(count + 1024, sizeof *ws->cand)))                     \
                        return LOCUS_E_NOMEM;                                                      \
                    ws->cand[count++] = row + x;                                                   \
                }                                                                                  \
            }                                                                                      \
        ws->ncand = count;                                                                         \
        return LOCUS_OK;                                                                           \
    }

DEFINE_CANDIDATES(candidates_u8, uint8_t)
DEFINE_CANDIDATES(candidates_u16, uint16_t)

int maxima_find(locus_workspace *ws, const void *I, int *blank)
{
    const plan *pl = &ws->pl;
    size_t nbins = pl->itype == LOCUS_U8 ? 256 : 65536, nonzero;
    if (buffer_reserve((void **)&ws->hist, &ws->hist_cap, nbins * sizeof *ws->hist))
        return LOCUS_E_NOMEM;
    memset(ws->hist, 0, nbins * sizeof *ws->hist);
    if (pl->itype == LOCUS_U8)
        for (size_t i = 0; i < pl->npix; i++)
            ws->hist[((const uint8_t *)I)[i]]++;
    else
        for (size_t i = 0; i < pl->npix; i++)
            ws->hist[((const uint16_t *)I)[i]]++;
    double t = maxima_percentile(ws->hist, nbins, pl->params.percentile, &nonzero);
    ws->ncand = 0;
    *blank = nonzero == 0;
    if (*blank)
        return LOCUS_OK;
    const void *D;
    int rc = maxima_box_max(ws, I, &D);
    if (rc)
        return rc;
    /* For integer v and t >= 0: v > t exactly when v > floor(t). */
    double above = floor(t);
    if (pl->itype == LOCUS_U8)
        return candidates_u8(ws, I, D, (uint8_t)(above > 255 ? 255 : above));
    return candidates_u16(ws, I, D, (uint16_t)(above > 65535 ? 65535 : above));
}
