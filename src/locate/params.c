/*
 * Parameters: trackpy's defaults, validation, and the per-axis values the
 * stages use (LOCATE.md §1).
 */
#include "locate/plan.h"

#include <math.h>
#include <string.h>

void locus_params_init(locus_params *p)
{
    memset(p, 0, sizeof *p);
    p->minmass = 0;
    p->maxsize = NAN;
    p->threshold = NAN;
    p->invert = 0;
    p->percentile = 64;
    p->topn = -1;
    p->preprocess = 1;
    p->max_iterations = 10;
    p->characterize = 1;
}

static const char *const axis_names[3][3] = {{"x", "", ""}, {"y", "x", ""}, {"z", "y", "x"}};

/* Expand a per-axis value to nd values; count 0 takes `fallback`. */
static int axes_expand(const locus_axes *a, int nd, const double *fallback, double out[3],
                       const char *name, locus_error *err)
{
    if (a->count == 0) {
        for (int i = 0; i < nd; i++)
            out[i] = fallback[i];
        return LOCUS_OK;
    }
    if (a->count == 1) {
        for (int i = 0; i < nd; i++)
            out[i] = a->v[0];
    } else if (a->count == nd) {
        for (int i = 0; i < nd; i++)
            out[i] = a->v[i];
    } else {
        return locus_error_set(err, LOCUS_E_PARAM, "%s has %d values but the image has %d axes",
                               name, a->count, nd);
    }
    for (int i = 0; i < nd; i++)
        if (!isfinite(out[i]))
            return locus_error_set(err, LOCUS_E_PARAM, "%s must be a finite number", name);
    return LOCUS_OK;
}

static int is_odd_integer(double v)
{
    return v == floor(v) && fmod(v, 2.0) != 0.0;
}

/* Largest diameter or smoothing width accepted: far beyond any real
 * particle, small enough that no index arithmetic can overflow. */
#define MAX_WIDTH 4095.0

int locus_params_resolve(const locus_params *p, int nd, resolved_params *rp, locus_error *err)
{
    double ones[3] = {1, 1, 1}, dia[3], tmp[3];
    int rc;
    memset(rp, 0, sizeof *rp);
    if (nd != 2 && nd != 3)
        return locus_error_set(err, LOCUS_E_PARAM, "images must have 2 or 3 axes, not %d", nd);
    rp->nd = nd;
    if (p->diameter.count == 0)
        return locus_error_set(err, LOCUS_E_PARAM, "diameter is required");
    if ((rc = axes_expand(&p->diameter, nd, ones, dia, "diameter", err)))
        return rc;
    for (int a = 0; a < nd; a++) {
        if (!is_odd_integer(dia[a]) || dia[a] < 3 || dia[a] > MAX_WIDTH)
            return locus_error_set(err, LOCUS_E_PARAM,
                                   dia[a] == floor(dia[a]) && dia[a] >= 3 && dia[a] <= MAX_WIDTH
                                       ? "diameter must be odd (got %g)"
                                       : "diameter must be an odd integer from 3 to 4095 (got %g)",
                                   dia[a]);
        rp->diameter[a] = (int)dia[a];
        rp->radius[a] = (int)dia[a] / 2;
    }
    rp->isotropic = 1;
    for (int a = 1; a < nd; a++)
        if (rp->radius[a] != rp->radius[0])
            rp->isotropic = 0;

    double sep_default[3];
    for (int a = 0; a < nd; a++)
        sep_default[a] = dia[a] + 1;
    if ((rc = axes_expand(&p->separation, nd, sep_default, rp->separation, "separation", err)))
        return rc;
    for (int a = 0; a < nd; a++)
        if (rp->separation[a] < 0)
            return locus_error_set(err, LOCUS_E_PARAM, "separation must not be negative (got %g)",
                                   rp->separation[a]);

    if ((rc = axes_expand(&p->noise_size, nd, ones, rp->noise_size, "noise_size", err)))
        return rc;
    for (int a = 0; a < nd; a++)
        if (rp->noise_size[a] < 0)
            return locus_error_set(err, LOCUS_E_PARAM, "noise_size must not be negative (got %g)",
                                   rp->noise_size[a]);

    if ((rc = axes_expand(&p->smoothing_size, nd, dia, tmp, "smoothing_size", err)))
        return rc;
    for (int a = 0; a < nd; a++) {
        if (!is_odd_integer(tmp[a]) || tmp[a] < 1 || tmp[a] > MAX_WIDTH)
            return locus_error_set(err, LOCUS_E_PARAM,
                                   "smoothing_size must be an odd integer from 1 to 4095 (got %g)",
                                   tmp[a]);
        rp->smoothing[a] = (int)tmp[a];
        if (!(rp->noise_size[a] < tmp[a]))
            return locus_error_set(
                err, LOCUS_E_PARAM,
                "noise_size (%g) must be smaller than smoothing_size (%g) on every "
                "axis (axis %s)",
                rp->noise_size[a], tmp[a], axis_names[nd - 1][a]);
    }
    rp->isotropic_noise = 1;
    for (int a = 1; a < nd; a++)
        if (rp->noise_size[a] != rp->noise_size[0])
            rp->isotropic_noise = 0;

    if (isnan(p->minmass) || isinf(p->minmass))
        return locus_error_set(err, LOCUS_E_PARAM, "minmass must be a finite number");
    rp->has_maxsize = !isnan(p->maxsize) && p->maxsize > 0;
    if (rp->has_maxsize && !rp->isotropic)
        return locus_error_set(err, LOCUS_E_PARAM,
                               "maxsize needs the same diameter on every axis (size has one column "
                               "per axis otherwise)");
    if (rp->has_maxsize && !p->characterize)
        return locus_error_set(err, LOCUS_E_PARAM,
                               "maxsize needs characterize (size is not measured without it)");
    if (isinf(p->threshold))
        return locus_error_set(err, LOCUS_E_PARAM, "threshold must be a finite number");
    if (!(p->percentile >= 0 && p->percentile <= 100))
        return locus_error_set(err, LOCUS_E_PARAM, "percentile must be between 0 and 100 (got %g)",
                               p->percentile);
    rp->max_iterations = p->max_iterations < 1 ? 1 : p->max_iterations;

    for (int a = 0; a < nd; a++) {
        /* Python's floor division of a float by 2. */
        double half = floor(rp->separation[a] / 2);
        int m = rp->radius[a];
        if (half - 1 > m)
            m = (int)(half - 1);
        if (rp->smoothing[a] / 2 > m)
            m = rp->smoothing[a] / 2;
        rp->margin[a] = m;
        double k = floor(2 * rp->separation[a] / sqrt((double)nd));
        if (k > 1e6)
            return locus_error_set(err, LOCUS_E_PARAM, "separation %g is too large",
                                   rp->separation[a]);
        rp->box[a] = k < 1 ? 1 : (int)k;
    }
    rp->dedupe = 1;
    for (int a = 0; a < nd; a++)
        if (!(rp->separation[a] > 0))
            rp->dedupe = 0;
    rp->aniso_size = !rp->isotropic;
    rp->aniso_ep = !rp->isotropic || !rp->isotropic_noise;
    return LOCUS_OK;
}

int locus_params_check(const locus_params *p, int ndim, locus_error *err)
{
    resolved_params rp;
    return locus_params_resolve(p, ndim, &rp, err);
}

/* Column names, LOCATE.md §10. */
int locus_params_columns(const resolved_params *rp, int characterize, const char **names)
{
    static const char *const pos[3][3] = {{"x"}, {"y", "x"}, {"z", "y", "x"}};
    static const char *const size_cols[3][3] = {
        {"size_x"}, {"size_y", "size_x"}, {"size_z", "size_y", "size_x"}};
    static const char *const ep_cols[3][3] = {{"ep_x"}, {"ep_y", "ep_x"}, {"ep_z", "ep_y", "ep_x"}};
    int nd = rp->nd, n = 0;
    for (int a = 0; a < nd; a++)
        names[n++] = pos[nd - 1][a];
    names[n++] = "mass";
    if (!characterize)
        return n;
    if (rp->aniso_size)
        for (int a = 0; a < nd; a++)
            names[n++] = size_cols[nd - 1][a];
    else
        names[n++] = "size";
    names[n++] = "ecc";
    names[n++] = "signal";
    names[n++] = "raw_mass";
    if (rp->aniso_ep)
        for (int a = 0; a < nd; a++)
            names[n++] = ep_cols[nd - 1][a];
    else
        names[n++] = "ep";
    return n;
}

int locus_columns(const locus_params *p, int ndim, const char **names)
{
    resolved_params rp;
    if (locus_params_resolve(p, ndim, &rp, NULL))
        return -1;
    return locus_params_columns(&rp, p->characterize, names);
}
