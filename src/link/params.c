/* Linking parameters: trackpy's defaults and checks (docs/LINKING.md §1). */
#include "link/link.h"

#include "common/settings.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static const char *const strategy_names[LOCUS_LINK_STRATEGY_COUNT_] = {
    [LOCUS_LINK_HYBRID] = "hybrid",       [LOCUS_LINK_NUMBA] = "numba",
    [LOCUS_LINK_RECURSIVE] = "recursive", [LOCUS_LINK_NONRECURSIVE] = "nonrecursive",
    [LOCUS_LINK_DROP] = "drop",
};

int locus_link_strategy_parse(const char *name, locus_link_strategy *out)
{
    if (!name)
        return -1;
    if (!strcmp(name, "auto")) {
        *out = LOCUS_LINK_HYBRID; /* trackpy's auto, with numba installed */
        return 0;
    }
    for (int s = 0; s < LOCUS_LINK_STRATEGY_COUNT_; s++)
        if (!strcmp(name, strategy_names[s])) {
            *out = (locus_link_strategy)s;
            return 0;
        }
    return -1;
}

const char *locus_link_strategy_name(locus_link_strategy s)
{
    if ((int)s < 0 || s >= LOCUS_LINK_STRATEGY_COUNT_)
        return NULL;
    return strategy_names[s];
}

/*
 * The linking parameters, trackpy's names and defaults, each defined once
 * (see common/settings.h): the command line's options and Python's
 * keywords come from here. ndim, the flow axis and the initial guesses
 * depend on the table's columns and are set by whoever reads it.
 */
static const setting_choice strategies[] = {
    {"auto", LOCUS_LINK_HYBRID}, /* trackpy's auto, with numba installed */
    {"hybrid", LOCUS_LINK_HYBRID},       {"numba", LOCUS_LINK_NUMBA},
    {"recursive", LOCUS_LINK_RECURSIVE}, {"nonrecursive", LOCUS_LINK_NONRECURSIVE},
    {"drop", LOCUS_LINK_DROP},           {NULL, 0},
};
static const setting_choice policies[] = {
    {"solve", LOCUS_OVERSIZE_SOLVE}, {"raise", LOCUS_OVERSIZE_RAISE}, {NULL, 0}};
static const setting_choice predictors[] = {
    {"none", LOCUS_PREDICT_NONE},
    {"drift", LOCUS_PREDICT_DRIFT},
    {"nearest", LOCUS_PREDICT_NEAREST},
    {"channel", LOCUS_PREDICT_CHANNEL},
    {NULL, 0},
};

_Static_assert(sizeof(locus_link_strategy) == sizeof(int), "choices are stored as int");

#define FIELD(f) offsetof(locus_link_params, f), sizeof(((locus_link_params *)0)->f)

static const setting link_settings[] = {
    {{"search_range", LOCUS_PARAM_AXES, "R",
      "the largest step between frames, in pixels: one value, or one per position column "
      "(required)",
      0},
     FIELD(search_range),
     SETTING_HAS_MIN | SETTING_ABOVE_MIN,
     0,
     0,
     0,
     NULL},
    {{"memory", LOCUS_PARAM_INT, "M",
      "frame numbers a feature may be missing and still be linked (default 0)", 0},
     FIELD(memory),
     SETTING_INTEGER | SETTING_HAS_MIN,
     0,
     0,
     0,
     NULL},
    {{"adaptive_stop", LOCUS_PARAM_REAL, "S",
      "shrink the range of subnets too large to solve, down to S (default: no shrinking)", 0},
     FIELD(adaptive_stop),
     SETTING_HAS_MIN | SETTING_ABOVE_MIN | SETTING_UNSET_NAN,
     0,
     0,
     NAN,
     NULL},
    {{"adaptive_step", LOCUS_PARAM_REAL, "F", "the factor of each shrink (default 0.95)", 0},
     FIELD(adaptive_step),
     SETTING_HAS_MIN | SETTING_ABOVE_MIN | SETTING_HAS_MAX | SETTING_BELOW_MAX,
     0,
     1,
     0.95,
     NULL},
    {{"link_strategy", LOCUS_PARAM_CHOICE, "S",
      "auto (the default, = hybrid), hybrid, numba, recursive, nonrecursive or drop", 0},
     FIELD(strategy),
     0,
     0,
     0,
     LOCUS_LINK_HYBRID,
     strategies},
    {{"oversize", LOCUS_PARAM_CHOICE, "solve|raise",
      "a subnet larger than trackpy solves: solve it exactly (default) or fail as trackpy does "
      "(SubnetOversizeException)",
      0},
     FIELD(oversize),
     0,
     0,
     0,
     LOCUS_OVERSIZE_SOLVE,
     policies},
    {{"predict", LOCUS_PARAM_CHOICE, "KIND",
      "predict where features move: drift (DriftPredict), nearest (NearestVelocityPredict) or "
      "channel (ChannelPredict); default none",
      0},
     FIELD(predict.kind),
     0,
     0,
     0,
     LOCUS_PREDICT_NONE,
     predictors},
    {{"predict_span", LOCUS_PARAM_INT, "N",
      "frames a predictor measures velocities over (trackpy's span; default 1)", 0},
     FIELD(predict.span),
     SETTING_INTEGER | SETTING_HAS_MIN,
     1,
     0,
     1,
     NULL},
    {{"channel_bin_size", LOCUS_PARAM_REAL, "B",
      "channel predictor: width of the bins across the flow (required with it)", 0},
     FIELD(predict.bin_size),
     SETTING_HAS_MIN | SETTING_ABOVE_MIN,
     0,
     0,
     0,
     NULL},
    {{"channel_min_samples", LOCUS_PARAM_INT, "N",
      "channel predictor: velocities a bin needs to count (trackpy's minsamples; default 20)", 0},
     FIELD(predict.minsamples),
     SETTING_INTEGER | SETTING_HAS_MIN,
     0,
     0,
     20,
     NULL},
};

const setting_table locus_link_settings = {link_settings,
                                           sizeof link_settings / sizeof *link_settings};

void locus_link_params_init(locus_link_params *p)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < locus_link_settings.count; i++)
        locus_setting_set(&link_settings[i], p, NULL, 0, NULL);
    p->ndim = 2;
    p->predict.flow_axis = -1; /* the last axis (x) */
}

/* What the table cannot check alone: a predictor's arguments together,
 * and against the number of position columns. */
static int check_predict(const locus_predict_params *q, int ndim, locus_error *err)
{
    if (q->kind == LOCUS_PREDICT_NONE)
        return LOCUS_OK;
    if (q->kind == LOCUS_PREDICT_DRIFT && q->has_guess)
        for (int a = 0; a < ndim; a++)
            if (!isfinite(q->guess[a]))
                return locus_error_param(err, "initial_guess", NULL, "must be finite numbers");
    if (q->kind == LOCUS_PREDICT_NEAREST && q->nguess &&
        (!q->guess_positions || !q->guess_velocities))
        return locus_error_param(err, "initial_guess_positions", "initial_guess_vels",
                                 "needs " LOCUS_ERROR_OTHER " too (both or neither)");
    if (q->kind != LOCUS_PREDICT_CHANNEL)
        return LOCUS_OK;
    if (ndim != 2)
        return locus_error_param(err, "predict", NULL,
                                 "channel needs 2-D positions (there are %d position columns)",
                                 ndim);
    if (!(q->bin_size > 0) || !isfinite(q->bin_size))
        return locus_error_param(err, "channel_bin_size", "predict",
                                 "is required with the channel " LOCUS_ERROR_OTHER);
    if (q->flow_axis < -1 || q->flow_axis >= ndim)
        return locus_error_param(err, "flow_axis", NULL, "%d is not an axis", q->flow_axis);
    if (q->nprofile && !q->profile)
        return locus_error_param(err, "initial_profile_guess", NULL, "has no values");
    return LOCUS_OK;
}

static int check_range(const locus_link_params *p, locus_error *err)
{
    const locus_axes *r = &p->search_range;
    if (r->count == 0)
        return locus_error_param(err, "search_range", NULL, "is required");
    if (r->count != 1 && r->count != p->ndim)
        return locus_error_param(err, "search_range", NULL,
                                 "has %d values for %d position columns (give one, or one each)",
                                 r->count, p->ndim);
    return LOCUS_OK;
}

int locus_link_params_check(const locus_link_params *p, locus_error *err)
{
    if (!p)
        return locus_error_set(err, LOCUS_E_PARAM, "no parameters");
    if (p->ndim < 1 || p->ndim > 3)
        return locus_error_param(err, "pos_columns", NULL,
                                 "must name 1 to 3 position columns, not %d", p->ndim);
    int rc = locus_settings_check_all(&locus_link_settings, p, err);
    if (rc == LOCUS_OK)
        rc = check_range(p, err);
    return rc ? rc : check_predict(&p->predict, p->ndim, err);
}
