/*
 * Planning: derive kernels, the mask and per-axis constants once per
 * (parameters, shape, pixel type), as FFTW plans once per transform.
 */
#include "common/numeric.h"
#include "locate/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Equal, or both NaN ("unset"). */
static int same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

void locus_plan_clear(plan *pl)
{
    for (int a = 0; a < 3; a++)
        free(pl->gauss[a]);
    free(pl->mask);
    free(pl->rows);
    memset(pl, 0, sizeof *pl);
}

static int axes_equal(const locus_axes *a, const locus_axes *b)
{
    if (a->count != b->count)
        return 0;
    for (int i = 0; i < a->count && i < 3; i++)
        if (!same_double(a->v[i], b->v[i]))
            return 0;
    return 1;
}

/* Member by member: memcmp would also compare padding bytes. */
static int params_equal(const locus_params *a, const locus_params *b)
{
    return axes_equal(&a->diameter, &b->diameter) && axes_equal(&a->separation, &b->separation) &&
           axes_equal(&a->noise_size, &b->noise_size) &&
           axes_equal(&a->smoothing_size, &b->smoothing_size) &&
           same_double(a->minmass, b->minmass) && same_double(a->maxsize, b->maxsize) &&
           same_double(a->threshold, b->threshold) && a->invert == b->invert &&
           same_double(a->percentile, b->percentile) && a->topn == b->topn &&
           a->preprocess == b->preprocess && a->max_iterations == b->max_iterations &&
           a->characterize == b->characterize;
}

int locus_plan_matches(const plan *pl, const locus_params *p, const locus_image *img)
{
    if (pl->nd != img->ndim || pl->dtype != img->dtype)
        return 0;
    for (int a = 0; a < img->ndim; a++)
        if (pl->shape[3 - img->ndim + a] != img->shape[a])
            return 0;
    return params_equal(&pl->params, p);
}

/*
 * Gaussian taps for sigma (docs/ALGORITHM.md §3b), as trackpy's gaussian_kernel:
 * exp(x² / (-2 sigma²)) for x = -w..w, divided by their NumPy sum.
 */
static int gauss_taps(double sigma, double **taps, int *half)
{
    int w = (int)(4 * sigma + 0.5);
    double *full = malloc((size_t)(2 * w + 1) * sizeof *full);
    double *g = malloc((size_t)(w + 1) * sizeof *g);
    if (!full || !g) {
        free(full);
        free(g);
        return LOCUS_E_NOMEM;
    }
    for (int x = -w; x <= w; x++)
        full[x + w] = exp((double)(x * x) / (-2 * (sigma * sigma)));
    double sum = locus_pairwise_sum(full, (size_t)(2 * w + 1));
    for (int j = 0; j <= w; j++)
        g[j] = full[w + j] / sum;
    free(full);
    *taps = g;
    *half = w;
    return LOCUS_OK;
}

/* Offsets o with |o_a| <= r_a and Σ (o_a / r_a)² <= 1, in raster order,
 * evaluated in the same order of operations as trackpy's binary_mask. */
static int mask_build(plan *pl)
{
    const int *r = pl->radius;
    size_t box = (size_t)(2 * r[0] + 1) * (size_t)(2 * r[1] + 1) * (size_t)(2 * r[2] + 1);
    pl->mask = malloc(box * sizeof *pl->mask);
    pl->rows = malloc((size_t)(2 * r[0] + 1) * (size_t)(2 * r[1] + 1) * sizeof *pl->rows);
    if (!pl->mask || !pl->rows)
        return LOCUS_E_NOMEM;
    ptrdiff_t sy = (ptrdiff_t)pl->shape[2], sz = (ptrdiff_t)(pl->shape[1] * pl->shape[2]);
    int o[3];
    pl->nmask = pl->nrows = 0;
    for (o[0] = -r[0]; o[0] <= r[0]; o[0]++)
        for (o[1] = -r[1]; o[1] <= r[1]; o[1]++) {
            int half = -1;
            for (o[2] = -r[2]; o[2] <= r[2]; o[2]++) {
                double s = 0;
                for (int a = 0; a < 3; a++)
                    if (r[a] > 0) {
                        double q = (double)o[a] / r[a];
                        s += q * q;
                    }
                if (!(s <= 1))
                    continue;
                mask_point *m = &pl->mask[pl->nmask++];
                memcpy(m->o, o, sizeof o);
                m->delta = o[0] * sz + o[1] * sy + o[2];
                m->r2 = (int64_t)o[0] * o[0] + (int64_t)o[1] * o[1] + (int64_t)o[2] * o[2];
                double theta = atan2((double)o[1], (double)o[2]);
                m->cos2 = cos(2 * theta);
                m->sin2 = sin(2 * theta);
                if (abs(o[2]) > half)
                    half = abs(o[2]);
            }
            if (half >= 0)
                pl->rows[pl->nrows++] = (mask_row){
                    .row_delta = o[0] * sz + o[1] * sy, .dz = o[0], .dy = o[1], .half = half};
        }
    for (int a = 0; a < 3; a++) {
        int64_t s = 0;
        for (size_t i = 0; i < pl->nmask; i++)
            s += (int64_t)pl->mask[i].o[a] * pl->mask[i].o[a];
        pl->moment[a] = sqrt((double)s);
    }
    return LOCUS_OK;
}

/*
 * The type I is stored in. I is T = the raw integer type (uint8 for float
 * images), §4; after the band pass its values are 0..maxval(T), so a
 * signed T is stored in the unsigned type of its width (int8 in uint8,
 * int16 in uint16, int32 in uint32), which holds the same values. Without
 * the band pass I is the raw image itself, signs and all.
 */
static locus_dtype working_type(locus_dtype t, int preprocess)
{
    switch (t) {
    case LOCUS_U8:
    case LOCUS_U16:
    case LOCUS_U32:
        return t;
    case LOCUS_I8:
        return preprocess ? LOCUS_U8 : t;
    case LOCUS_I16:
        return preprocess ? LOCUS_U16 : t;
    case LOCUS_I32:
        return preprocess ? LOCUS_U32 : t;
    default:
        return LOCUS_U8;
    }
}

int locus_plan_build(plan *pl, const locus_params *p, const locus_image *img, locus_error *err)
{
    resolved_params rp;
    int nd = img->ndim, rc;
    locus_plan_clear(pl);
    if ((rc = locus_params_resolve(p, nd, &rp, err)))
        return rc;
    pl->params = *p;
    pl->nd = nd;
    pl->dtype = img->dtype;
    pl->rp = rp;
    int off = 3 - nd;
    for (int a = 0; a < 3; a++) {
        int real = a - off;
        int present = real >= 0;
        pl->shape[a] = present ? img->shape[real] : 1;
        pl->radius[a] = present ? rp.radius[real] : 0;
        pl->smoothing[a] = present ? rp.smoothing[real] : 1;
        pl->margin[a] = present ? rp.margin[real] : 0;
        pl->box[a] = present ? rp.box[real] : 1;
        pl->separation[a] = present ? rp.separation[real] : 1;
        pl->noise_size[a] = present ? rp.noise_size[real] : 0;
    }
    pl->npix = pl->shape[0] * pl->shape[1] * pl->shape[2];
    pl->itype = working_type(img->dtype, p->preprocess);
    if (isnan(p->threshold))
        pl->threshold = locus_dtype_is_integer(img->dtype) ? 1.0 : 1 / 255.;
    else
        pl->threshold = p->threshold;
    for (int a = 0; a < 3; a++)
        if (pl->noise_size[a] > 0 &&
            (rc = gauss_taps(pl->noise_size[a], &pl->gauss[a], &pl->gauss_w[a])))
            goto fail;
    if ((rc = mask_build(pl)))
        goto fail;
    return LOCUS_OK;
fail:
    locus_plan_clear(pl);
    return locus_error_set(err, rc, "out of memory while planning");
}
