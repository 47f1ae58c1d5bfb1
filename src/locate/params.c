/*
 * Parameters: trackpy's defaults, validation, and the per-axis values the
 * stages use (docs/ALGORITHM.md §1).
 */
#include "locate/plan.h"

#include "common/limits.h"
#include "common/settings.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Largest diameter or smoothing width accepted (common/limits.h). */
#define MAX_WIDTH ((double)LOCUS_LIMIT_WIDTH)

/*
 * The locate parameters, trackpy's names and defaults, each defined once
 * (see common/settings.h): the command line's options, its help and the
 * Python keywords come from here.
 */
#define AXES_FIELD(f) offsetof(locus_params, f), sizeof(locus_axes)
#define REAL_FIELD(f) offsetof(locus_params, f), sizeof(double)
#define INT_FIELD(f) offsetof(locus_params, f), sizeof(((locus_params *)0)->f)

static const setting locate_settings[] = {
    {{"diameter", LOCUS_PARAM_AXES, "D",
      "feature diameter in pixels: an odd integer, or one per axis as 5,9,9 (required)", 0},
     AXES_FIELD(diameter),
     SETTING_ODD | SETTING_INTEGER | SETTING_HAS_MIN | SETTING_HAS_MAX,
     3,
     MAX_WIDTH,
     0,
     NULL},
    {{"minmass", LOCUS_PARAM_REAL, "M", "keep features with mass above M (default 0)", 0},
     REAL_FIELD(minmass),
     0,
     0,
     0,
     0,
     NULL},
    {{"maxsize", LOCUS_PARAM_REAL, "S",
      "keep features with size below S (one diameter for every axis only)", 0},
     REAL_FIELD(maxsize),
     SETTING_HAS_MIN | SETTING_ABOVE_MIN | SETTING_UNSET_NAN,
     0,
     0,
     NAN,
     NULL},
    {{"separation", LOCUS_PARAM_AXES, "S",
      "minimum separation of features, or one per axis (default diameter + 1)", 0},
     AXES_FIELD(separation),
     SETTING_HAS_MIN,
     0,
     0,
     0,
     NULL},
    {{"noise_size", LOCUS_PARAM_AXES, "S",
      "Gaussian sigma of the noise filter, or one per axis (default 1)", 0},
     AXES_FIELD(noise_size),
     SETTING_HAS_MIN,
     0,
     0,
     0,
     NULL},
    {{"smoothing_size", LOCUS_PARAM_AXES, "W",
      "boxcar width of the background: odd, or one per axis (default diameter)", 0},
     AXES_FIELD(smoothing_size),
     SETTING_ODD | SETTING_INTEGER | SETTING_HAS_MIN | SETTING_HAS_MAX,
     1,
     MAX_WIDTH,
     0,
     NULL},
    {{"threshold", LOCUS_PARAM_REAL, "T",
      "clip the band-passed image below T (default 1; 1/255 for float images)", 0},
     REAL_FIELD(threshold),
     SETTING_UNSET_NAN,
     0,
     0,
     NAN,
     NULL},
    {{"invert", LOCUS_PARAM_FLAG, NULL, "features are dark on a light background", 0},
     INT_FIELD(invert),
     0,
     0,
     0,
     0,
     NULL},
    {{"percentile", LOCUS_PARAM_REAL, "P",
      "candidates must exceed this percentile of the image (default 64)", 0},
     REAL_FIELD(percentile),
     SETTING_HAS_MIN | SETTING_HAS_MAX,
     0,
     100,
     64,
     NULL},
    {{"topn", LOCUS_PARAM_INT, "N", "keep the N brightest features per frame (0: all)", 0},
     INT_FIELD(topn),
     SETTING_INTEGER | SETTING_HAS_MIN,
     0,
     0,
     -1,
     NULL},
    {{"preprocess", LOCUS_PARAM_FLAG, NULL, "band-pass the image before looking for features", 1},
     INT_FIELD(preprocess),
     0,
     0,
     0,
     1,
     NULL},
    {{"max_iterations", LOCUS_PARAM_INT, "N",
      "centroid refinement steps (default 10; below 1 acts as 1)", 0},
     INT_FIELD(max_iterations),
     SETTING_INTEGER,
     0,
     0,
     10,
     NULL},
    {{"characterize", LOCUS_PARAM_FLAG, NULL, "measure size, eccentricity, signal and ep", 1},
     INT_FIELD(characterize),
     0,
     0,
     0,
     1,
     NULL},
};

const setting_table locus_locate_settings = {locate_settings,
                                             sizeof locate_settings / sizeof *locate_settings};

void locus_params_init(locus_params *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < locus_locate_settings.count; i++)
        locus_setting_set(&locate_settings[i], p, NULL, 0, NULL);
}

static const char *const axis_names[3][3] = {{"x", "", ""}, {"y", "x", ""}, {"z", "y", "x"}};

/* Expand a per-axis value to nd values; count 0 takes `fallback`. The
 * values themselves were checked against the table. */
static int axes_expand(const locus_axes *a, int nd, const double *fallback, double out[3],
                       const char *name, locus_error *err)
{
    if (a->count == 0) {
        for (int i = 0; i < nd; i++)
            out[i] = fallback[i];
        return LOCUS_OK;
    }
    if (a->count != 1 && a->count != nd)
        return locus_error_param(err, name, NULL, "has %d values but the image has %d axes",
                                 a->count, nd);
    for (int i = 0; i < nd; i++)
        out[i] = a->v[a->count == 1 ? 0 : i];
    return LOCUS_OK;
}

static int all_equal(const double *v, int nd)
{
    for (int a = 1; a < nd; a++)
        if (v[a] != v[0])
            return 0;
    return 1;
}

/* What the values of the table cannot check alone: counts against the
 * image's axes, defaults that follow diameter, rules between two. */
int locus_params_resolve(const locus_params *p, int nd, resolved_params *rp, locus_error *err)
{
    double ones[3] = {1, 1, 1}, dia[3], smooth[3], sep_default[3];
    int rc;
    memset(rp, 0, sizeof *rp);
    if (nd != 2 && nd != 3)
        return locus_error_set(err, LOCUS_E_PARAM, "images must have 2 or 3 axes, not %d", nd);
    rp->nd = nd;
    if ((rc = locus_settings_check_all(&locus_locate_settings, p, err)))
        return rc;
    if (p->diameter.count == 0)
        return locus_error_param(err, "diameter", NULL, "is required");
    if ((rc = axes_expand(&p->diameter, nd, ones, dia, "diameter", err)))
        return rc;
    for (int a = 0; a < nd; a++) {
        rp->diameter[a] = (int)dia[a];
        rp->radius[a] = (int)dia[a] / 2;
        sep_default[a] = dia[a] + 1;
    }
    rp->isotropic = all_equal(dia, nd);
    if ((rc = axes_expand(&p->separation, nd, sep_default, rp->separation, "separation", err)) ||
        (rc = axes_expand(&p->noise_size, nd, ones, rp->noise_size, "noise_size", err)) ||
        (rc = axes_expand(&p->smoothing_size, nd, dia, smooth, "smoothing_size", err)))
        return rc;
    for (int a = 0; a < nd; a++) {
        rp->smoothing[a] = (int)smooth[a];
        if (!(rp->noise_size[a] < smooth[a]))
            return locus_error_param(err, "noise_size", "smoothing_size",
                                     "must be smaller than " LOCUS_ERROR_OTHER
                                     " on every axis (axis %s: %g and %g)",
                                     axis_names[nd - 1][a], rp->noise_size[a], smooth[a]);
    }
    rp->isotropic_noise = all_equal(rp->noise_size, nd);
    rp->has_maxsize = !isnan(p->maxsize);
    if (rp->has_maxsize && !rp->isotropic)
        return locus_error_param(err, "maxsize", "diameter",
                                 "needs the same " LOCUS_ERROR_OTHER
                                 " on every axis (size has one column per axis otherwise)");
    if (rp->has_maxsize && !p->characterize)
        return locus_error_param(err, "maxsize", "characterize",
                                 "needs " LOCUS_ERROR_OTHER " (size is not measured without it)");
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
            return locus_error_param(err, "separation", NULL, "is too large (%g)",
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

/* Column names, docs/ALGORITHM.md §10. */
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
