/*
 * locus_locate: the pipeline of docs/ALGORITHM.md, one stage per source file,
 * plus §8 (scale back, filter, top-n) and the output table.
 */
#include "common/numeric.h"
#include "common/limits.h"
#include "locate/plan.h"
#include "common/table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

locus_workspace *locus_workspace_create(void)
{
    return calloc(1, sizeof(locus_workspace));
}

void locus_workspace_free(locus_workspace *ws)
{
    if (!ws)
        return;
    locus_plan_clear(&ws->pl);
    locus_mem_release(&ws->raw, &ws->raw_cap);
    for (int i = 0; i < 2; i++)
        locus_mem_release(&ws->bg[i], &ws->bg_cap[i]);
    locus_mem_release((void **)&ws->lp, &ws->lp_cap);
    locus_mem_release(&ws->line, &ws->line_cap);
    locus_mem_release(&ws->dmax, &ws->dmax_cap);
    locus_mem_release(&ws->dmax2, &ws->dmax2_cap);
    locus_mem_release((void **)&ws->hist, &ws->hist_cap);
    locus_mem_release((void **)&ws->nonzero, &ws->nonzero_cap);
    locus_mem_release((void **)&ws->cand, &ws->cand_cap);
    locus_mem_release((void **)&ws->feat, &ws->feat_cap);
    locus_mem_release((void **)&ws->drop, &ws->drop_cap);
    locus_mem_release((void **)&ws->top, &ws->top_cap);
    locus_mem_release((void **)&ws->order, &ws->order_cap);
    locus_mem_release((void **)&ws->scratch, &ws->scratch_cap);
    locus_mem_release(&ws->conv, &ws->conv_cap);
    free(ws);
}

static int check_image(const locus_image *img, locus_error *err)
{
    if (!img || !img->data)
        return locus_error_set(err, LOCUS_E_PARAM, "no image data");
    if (img->ndim != 2 && img->ndim != 3)
        return locus_error_set(err, LOCUS_E_SHAPE, "images must have 2 or 3 axes, not %d",
                               img->ndim);
    if (!locus_dtype_size(img->dtype))
        return locus_error_set(err, LOCUS_E_UNSUPPORTED,
                               "unsupported pixel type (uint8, uint16, uint32, int8, int16, int32, "
                               "float32, float64 and bool are)");
    size_t n = 1;
    for (int a = 0; a < img->ndim; a++) {
        n = size_mul(n, img->shape[a]);
        if (img->shape[a] == 0)
            return locus_error_set(err, LOCUS_E_SHAPE, "image is empty (an axis has length 0)");
    }
    if (n > LOCUS_LIMIT_IMAGE_PIXELS)
        return locus_error_set(err, LOCUS_E_SHAPE,
                               "image is too large (%zu pixels; the limit is "
                               "%llu)",
                               n, (unsigned long long)LOCUS_LIMIT_IMAGE_PIXELS);
    return LOCUS_OK;
}

/* Every axis must hold at least one diameter: smaller images cannot
 * contain a feature, and are almost always a mistake (wrong file,
 * wrong axis order). */
static int check_size(const plan *pl, const locus_image *img, locus_error *err)
{
    for (int a = 0; a < img->ndim; a++)
        if (img->shape[a] < (size_t)pl->rp.diameter[a]) {
            if (img->ndim == 2)
                return locus_error_set(err, LOCUS_E_SHAPE,
                                       "image (%zux%zu pixels) is smaller than the diameter (%d)",
                                       img->shape[1], img->shape[0], pl->rp.diameter[a]);
            return locus_error_set(
                err, LOCUS_E_SHAPE,
                "volume (%zux%zux%zu pixels) is smaller than the diameter (%d) on "
                "axis %c",
                img->shape[2], img->shape[1], img->shape[0], pl->rp.diameter[a], "zyx"[a]);
        }
    return LOCUS_OK;
}

/* §7-8: leave out the duplicates (drop[i] set, when drop is given), scale
 * mass and signal back, keep mass > minmass and size < maxsize. */
static void filter_features(locus_workspace *ws, const unsigned char *drop, double scale)
{
    const plan *pl = &ws->pl;
    size_t kept = 0;
    for (size_t i = 0; i < ws->nfeat; i++) {
        const feature *f = &ws->feat[i];
        double mass = f->mass / scale;
        if ((drop && drop[i]) || !locus_passes_minmass(pl, f->mass, scale))
            continue;
        if (pl->rp.has_maxsize && !(f->size[0] < pl->params.maxsize))
            continue;
        feature *k = &ws->feat[kept++];
        if (k != f)
            *k = *f;
        k->mass = mass;
        k->signal /= scale;
    }
    ws->nfeat = kept;
}

/* §8 top-n: the topn largest masses, in ascending order of mass. Ties
 * fall as NumPy's argsort leaves them, which is what trackpy keeps.
 * topn 0 keeps them all, sorted: trackpy takes the last -0 (that is,
 * every one) of the sorted rows. */
static int keep_top(locus_workspace *ws)
{
    long topn = ws->pl.params.topn;
    size_t n = ws->nfeat;
    if (topn < 0 || n <= (size_t)topn || n == 0)
        return LOCUS_OK;
    size_t *order, keep = topn == 0 ? n : (size_t)topn;
    double *mass;
    if (locus_mem_reserve((void **)&ws->order, &ws->order_cap, size_mul(n, sizeof *order)) ||
        locus_mem_reserve((void **)&ws->scratch, &ws->scratch_cap, size_mul(n, sizeof *mass)) ||
        locus_mem_reserve((void **)&ws->top, &ws->top_cap, size_mul(keep, sizeof(feature))))
        return LOCUS_E_NOMEM;
    order = ws->order;
    mass = ws->scratch;
    for (size_t i = 0; i < n; i++)
        mass[i] = ws->feat[i].mass;
    locus_numpy_argsort(mass, order, n);
    for (size_t i = 0; i < keep; i++)
        ws->top[i] = ws->feat[order[n - keep + i]];
    memcpy(ws->feat, ws->top, keep * sizeof(feature));
    ws->nfeat = keep;
    return LOCUS_OK;
}

static int fill_table(const plan *pl, const locus_workspace *ws, locus_table *out)
{
    const char *names[LOCUS_MAX_COLUMNS];
    int characterize = pl->params.characterize, nd = pl->nd, off = 3 - nd;
    int ncols = locus_params_columns(&pl->rp, characterize, names);
    if (locus_table_reset(out, names, ncols, ws->nfeat))
        return LOCUS_E_NOMEM;
    for (size_t i = 0; i < ws->nfeat; i++) {
        const feature *f = &ws->feat[i];
        int c = 0;
        for (int a = 0; a < nd; a++)
            out->col[c++][i] = f->pos[off + a];
        out->col[c++][i] = f->mass;
        if (!characterize)
            continue;
        for (int a = 0; a < (pl->rp.aniso_size ? nd : 1); a++)
            out->col[c++][i] = f->size[a];
        out->col[c++][i] = f->ecc;
        out->col[c++][i] = f->signal;
        out->col[c++][i] = f->raw_mass;
        for (int a = 0; a < (pl->rp.aniso_ep ? nd : 1); a++)
            out->col[c++][i] = f->ep[a];
    }
    return LOCUS_OK;
}

/* §3-4: the integer working image I and its scale. */
static int working_image(locus_workspace *ws, const void *raw, const void **I, double *scale,
                         int *sampled)
{
    const plan *pl = &ws->pl;
    int rc;
    double bp_max;
    if (!pl->params.preprocess && pl->itype == pl->dtype) {
        *I = raw;
        *scale = 1;
        return LOCUS_OK;
    }
    if (locus_bandpass_f32_applies(pl)) {
        int settled;
        if ((rc = locus_preprocess_bandpass_f32(ws, raw, &bp_max)) ||
            (rc = locus_scale_to_integer_f32(ws, raw, bp_max, scale, I, &settled)) || settled) {
            *sampled = !rc;
            return rc;
        }
        /* too many pixels to settle one by one: bp in doubles after all */
    }
    if (pl->params.preprocess) {
        /* 2-D: the boxcar streams into the band pass; volumes make it whole */
        const void *bg = NULL;
        if ((pl->shape[0] > 1 && (rc = locus_preprocess_boxcar(ws, raw, &bg))) ||
            (rc = locus_preprocess_bandpass(ws, raw, bg, &bp_max)))
            return rc;
    } else {
        /* a float image without preprocessing: bp is the image itself */
        if (locus_mem_reserve((void **)&ws->lp, &ws->lp_cap, size_mul(pl->npix, sizeof(double))))
            return LOCUS_E_NOMEM;
        bp_max = -INFINITY;
        for (size_t i = 0; i < pl->npix; i++) {
            ws->lp[i] = pixel_get(raw, pl->dtype, i);
            bp_max = ws->lp[i] > bp_max ? ws->lp[i] : bp_max;
        }
    }
    return locus_scale_to_integer(ws, bp_max, scale, I);
}

/*
 * Whether I has a local maximum anywhere, margins included (§5 without
 * the margin cut). Asked only when no candidate lies inside the margins,
 * to tell "all in the margins" from "none": it recomputes the threshold
 * and the box maximum rather than keep them from the search.
 */
static int maxima_anywhere(locus_workspace *ws, const void *I, int *any)
{
    const plan *pl = &ws->pl;
    size_t nonzero, n = pl->npix;
    double t;
    *any = 0;
    if (pl->itype != LOCUS_U8 && pl->itype != LOCUS_U16)
        return locus_maxima_any_wide(ws, I, any);
    if (locus_maxima_threshold(ws, I, 0, &t, &nonzero))
        return LOCUS_E_NOMEM;
    if (nonzero == 0)
        return LOCUS_OK;
    const void *D;
    int rc = locus_maxima_box_max(ws, I, &D);
    if (rc)
        return rc;
    double above = floor(t);
    for (size_t i = 0; i < n && !*any; i++) {
        double v = pixel_get(I, pl->itype, i);
        *any = v > above && v == pixel_get(D, pl->itype, i);
    }
    return LOCUS_OK;
}

/* §6 on each band's candidates as §5 finds them. */
typedef struct {
    const void *I, *raw;
    double scale;
} refine_args;

static int refine_band(void *user, locus_workspace *ws, size_t from, size_t to)
{
    const refine_args *a = user;
    return locus_refine_range(ws, a->I, a->raw, a->scale, from, to);
}

static int run_pipeline(locus_workspace *ws, const locus_image *img, locus_table *out,
                        locus_error *err)
{
    const plan *pl = &ws->pl;
    const void *raw, *I;
    double scale;
    int rc, blank, sampled = 0;
    if ((rc = locus_preprocess_raw(ws, img, &raw, err)))
        return rc;
    if ((rc = working_image(ws, raw, &I, &scale, &sampled)))
        return rc;
    /* a band's candidates are refined while its rows of I are in L2: on
     * the 2048x2048 bench movie refinement's loads of I had waited on
     * memory (perf annotate) */
    refine_args args = {I, raw, scale};
    locus_band_sink sink = {refine_band, &args, 0};
    if (pl->itype == LOCUS_U8 || pl->itype == LOCUS_U16)
        rc = locus_maxima_find(ws, I, sampled, &blank, &sink);
    else
        rc = locus_maxima_find_wide(ws, I, &blank);
    if (rc)
        return rc;
    locus_locate_stats stats = {.blank = blank, .candidates = ws->ncand};
    if (!blank && !ws->ncand && (rc = maxima_anywhere(ws, I, &stats.maxima_in_margins)))
        return rc;
    if ((rc = locus_refine_range(ws, I, raw, scale, sink.done, ws->ncand)))
        return rc;
    ws->nfeat = ws->ncand;
    stats.refined = ws->nfeat;
    if (pl->rp.dedupe && (rc = locus_duplicates_mark(ws, scale)))
        return rc;
    filter_features(ws, pl->rp.dedupe ? ws->drop : NULL, scale);
    if ((rc = keep_top(ws)))
        return rc;
    stats.features = ws->nfeat;
    if (pl->params.characterize && ws->nfeat &&
        (rc = locus_noise_static_error(ws, I, sampled ? ws->nonzero : NULL, raw)))
        return rc;
    if ((rc = fill_table(pl, ws, out)))
        return rc;
    out->blank = blank;
    out->stats = stats;
    return LOCUS_OK;
}

/*
 * A bool image is not an integer image to trackpy (np.issubdtype(bool,
 * np.integer) is false): the threshold defaults to 1/255 and invert gives
 * 1 - v as float64. Without invert its boxcar truncates into bool, which
 * is uint8's truncation of 0/1 values, and I is uint8 as for any float
 * image; mass, raw_mass and the background are sums of the same 0/1
 * values. So a bool image is located as the uint8 image of its values
 * (any non-zero byte counting as 1), or, inverted, as the float64 image
 * 1 - v, with the threshold defaulting to 1/255 either way.
 */
static int locate_bool(locus_workspace *ws, const locus_params *p, const locus_image *img,
                       locus_table *out, locus_error *err)
{
    locus_params q = *p;
    locus_image conv = *img;
    int invert = p->invert;
    size_t n0 = img->ndim == 3 ? img->shape[0] : 1, ny = img->shape[img->ndim - 2];
    size_t nx = img->shape[img->ndim - 1], n = n0 * ny * nx;
    ptrdiff_t s0 = img->ndim == 3 ? img->strides[0] : 0, sy = img->strides[img->ndim - 2];
    ptrdiff_t sx = img->strides[img->ndim - 1];
    if (locus_mem_reserve(&ws->conv, &ws->conv_cap, size_mul(n, invert ? sizeof(double) : 1)))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory (bool image copy)");
    uint8_t *u8 = ws->conv;
    double *f64 = ws->conv;
    size_t k = 0;
    for (size_t z = 0; z < n0; z++)
        for (size_t y = 0; y < ny; y++) {
            const unsigned char *row =
                (const unsigned char *)img->data + (ptrdiff_t)z * s0 + (ptrdiff_t)y * sy;
            for (size_t x = 0; x < nx; x++, k++) {
                int v = row[(ptrdiff_t)x * sx] != 0;
                if (invert)
                    f64[k] = 1.0 - v;
                else
                    u8[k] = (uint8_t)v;
            }
        }
    conv.data = ws->conv;
    conv.dtype = invert ? LOCUS_F64 : LOCUS_U8;
    locus_image_set_contiguous(&conv);
    q.invert = 0;
    if (isnan(q.threshold))
        q.threshold = 1 / 255.;
    return locus_locate(ws, &q, &conv, out, err);
}

int locus_locate(locus_workspace *ws, const locus_params *p, const locus_image *img,
                 locus_table *out, locus_error *err)
{
    int rc;
    locus_error_clear(err);
    if (!ws || !p || !out)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_locate: NULL argument");
    if ((rc = check_image(img, err)))
        return rc;
    if (img->dtype == LOCUS_BOOL)
        return locate_bool(ws, p, img, out, err);
    if (!ws->planned || !locus_plan_matches(&ws->pl, p, img)) {
        ws->planned = 0;
        if ((rc = locus_plan_build(&ws->pl, p, img, err)))
            return rc;
        ws->planned = 1;
    }
    if ((rc = check_size(&ws->pl, img, err)))
        return rc;
    rc = run_pipeline(ws, img, out, err);
    if (rc == LOCUS_E_NOMEM && err && !err->message[0])
        locus_error_set(err, rc, "out of memory");
    return rc;
}
