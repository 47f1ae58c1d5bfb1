/*
 * docs/ALGORITHM.md §5 for the working images maxima.c does not take: I stored
 * as uint32 (int32 and uint32 images), or a signed raw image used as I
 * when the band pass is off (int8, int16, int32, with negative values).
 * The same rules as maxima.c, in plain loops over int64 copies of the
 * values: a histogram of 2^32 bins is out of the question, and these
 * types are rare enough that simple code beats fast code here.
 *
 * The percentile is NumPy's (method 'linear') on the non-zero values in
 * their own type, including one quirk: NumPy's _lerp takes the
 * difference of the two values in that type, so for signed values more
 * than maxval apart it wraps around (np.percentile of int8 [-100, 100]
 * is 128.0). trackpy inherits that; so do we.
 */
#include "locate/plan.h"

#include <math.h>
#include <string.h>

/* The value of I[i] as int64. */
static int64_t value_at(const void *I, locus_dtype t, size_t i)
{
    switch (t) {
    case LOCUS_U8:
        return ((const uint8_t *)I)[i];
    case LOCUS_U16:
        return ((const uint16_t *)I)[i];
    case LOCUS_U32:
        return ((const uint32_t *)I)[i];
    case LOCUS_I8:
        return ((const int8_t *)I)[i];
    case LOCUS_I16:
        return ((const int16_t *)I)[i];
    default:
        return ((const int32_t *)I)[i];
    }
}

/* b - a computed in type t (NumPy's subtract of two values of that type). */
static double difference_in(locus_dtype t, int64_t b, int64_t a)
{
    uint64_t d = (uint64_t)b - (uint64_t)a;
    switch (t) {
    case LOCUS_I8:
        return (double)(int8_t)(uint8_t)d;
    case LOCUS_I16:
        return (double)(int16_t)(uint16_t)d;
    case LOCUS_I32:
        return (double)(int32_t)(uint32_t)d;
    case LOCUS_U8:
        return (double)(uint8_t)d;
    case LOCUS_U16:
        return (double)(uint16_t)d;
    default:
        return (double)(uint32_t)d;
    }
}

static void swap64(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

static int64_t median3(int64_t a, int64_t b, int64_t c)
{
    if (a > b)
        swap64(&a, &b);
    if (b > c)
        b = c;
    return a > b ? a : b;
}

/* Put the rank-k value of v[0..n) at v[k], none larger before it and
 * none smaller after it (Hoare's quickselect). */
static void select_rank(int64_t *v, ptrdiff_t n, ptrdiff_t k)
{
    ptrdiff_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t pivot = median3(v[lo], v[lo + (hi - lo) / 2], v[hi]);
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j)
                swap64(&v[i++], &v[j--]);
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* The percentile of the n values in v (reordered), as np.percentile. */
static double percentile_of(int64_t *v, size_t n, double percentile, locus_dtype t)
{
    double virt = (double)(n - 1) * (percentile / 100), below = floor(virt);
    size_t lo, hi;
    if (virt >= (double)(n - 1)) {
        lo = hi = n - 1;
    } else {
        lo = (size_t)below;
        hi = lo + 1;
    }
    select_rank(v, (ptrdiff_t)n, (ptrdiff_t)lo);
    int64_t a = v[lo], b = a;
    if (hi != lo) {
        /* rank lo + 1 is the smallest value above position lo */
        b = v[hi];
        for (size_t i = hi + 1; i < n; i++)
            b = v[i] < b ? v[i] : b;
    }
    double g = virt - below, diff = difference_in(t, b, a);
    return g >= 0.5 ? (double)b - diff * (1 - g) : (double)a + diff * g;
}

/* D = box maximum of W along padded axis `axis`, outside counting as 0. */
static void box_pass(const plan *pl, const int64_t *src, int64_t *dst, int axis)
{
    int k = pl->box[axis];
    int lo = k % 2 ? (k - 1) / 2 : k / 2 - 1, hi = k - 1 - lo;
    size_t outer = 1, inner = 1, n = pl->shape[axis];
    for (int b = 0; b < axis; b++)
        outer *= pl->shape[b];
    for (int b = axis + 1; b < 3; b++)
        inner *= pl->shape[b];
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < n; i++)
            for (size_t x = 0; x < inner; x++) {
                ptrdiff_t first = (ptrdiff_t)i - lo, last = (ptrdiff_t)i + hi;
                int64_t m = first < 0 || last >= (ptrdiff_t)n ? 0 : INT64_MIN;
                first = first < 0 ? 0 : first;
                last = last >= (ptrdiff_t)n ? (ptrdiff_t)n - 1 : last;
                for (ptrdiff_t j = first; j <= last; j++) {
                    int64_t v = src[(o * n + (size_t)j) * inner + x];
                    m = v > m ? v : m;
                }
                dst[(o * n + i) * inner + x] = m;
            }
}

/*
 * I as int64 in *W, its percentile threshold in *t and its box maximum
 * in *D (§5 up to the comparison); *blank when I has no non-zero pixel
 * (then *W, *D are not set).
 */
static int wide_box_max(locus_workspace *ws, const void *I, const int64_t **W_out,
                        const int64_t **D_out, double *t, int *blank)
{
    const plan *pl = &ws->pl;
    size_t npix = pl->npix, bytes = size_mul(npix, sizeof(int64_t)), nonzero = 0;
    if (locus_mem_reserve(&ws->dmax, &ws->dmax_cap, bytes) ||
        locus_mem_reserve(&ws->dmax2, &ws->dmax2_cap, bytes) ||
        locus_mem_reserve((void **)&ws->scratch, &ws->scratch_cap, bytes))
        return LOCUS_E_NOMEM;
    int64_t *W = ws->dmax2, *D = ws->dmax, *nz = (int64_t *)(void *)ws->scratch;
    for (size_t i = 0; i < npix; i++) {
        W[i] = value_at(I, pl->itype, i);
        if (W[i] != 0)
            nz[nonzero++] = W[i];
    }
    *blank = nonzero == 0;
    if (*blank)
        return LOCUS_OK;
    *t = percentile_of(nz, nonzero, pl->params.percentile, pl->itype);
    /* separable box maximum, ping-pong between D and the scratch */
    const int64_t *src = W;
    int64_t *bufs[2] = {D, nz}, *out = NULL;
    int flip = 0;
    for (int a = 0; a < 3; a++) {
        if (pl->box[a] <= 1)
            continue;
        out = bufs[flip];
        box_pass(pl, src, out, a);
        src = out;
        flip ^= 1;
    }
    *W_out = W;
    *D_out = src;
    return LOCUS_OK;
}

/* Whether I has a local maximum anywhere, margins included (the
 * "all local maxima were in the margins" question of locate.c). */
int locus_maxima_any_wide(locus_workspace *ws, const void *I, int *any)
{
    const int64_t *W, *D;
    double t = 0;
    int blank, rc = wide_box_max(ws, I, &W, &D, &t, &blank);
    *any = 0;
    if (rc || blank)
        return rc;
    for (size_t i = 0; i < ws->pl.npix && !*any; i++)
        *any = W[i] == D[i] && (double)W[i] > t;
    return LOCUS_OK;
}

int locus_maxima_find_wide(locus_workspace *ws, const void *I, int *blank)
{
    const plan *pl = &ws->pl;
    const int64_t *W, *src;
    double t = 0;
    ws->ncand = 0;
    int rc = wide_box_max(ws, I, &W, &src, &t, blank);
    if (rc || *blank)
        return rc;
    const int *m = pl->margin;
    size_t ny = pl->shape[1], nx = pl->shape[2], count = 0;
    for (size_t z = (size_t)m[0]; z + (size_t)m[0] < pl->shape[0]; z++)
        for (size_t y = (size_t)m[1]; y + (size_t)m[1] < ny; y++)
            for (size_t x = (size_t)m[2]; x + (size_t)m[2] < nx; x++) {
                size_t i = (z * ny + y) * nx + x;
                if (!(W[i] == src[i] && (double)W[i] > t))
                    continue;
                if (count == ws->cand_cap / sizeof *ws->cand &&
                    locus_mem_grow((void **)&ws->cand, &ws->cand_cap,
                                   size_mul(count + 1024, sizeof *ws->cand)))
                    return LOCUS_E_NOMEM;
                ws->cand[count++] = i;
            }
    ws->ncand = count;
    return LOCUS_OK;
}
