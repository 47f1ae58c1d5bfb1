/* Linking parameters: trackpy's defaults and checks (docs/LINKING.md §1). */
#include "link/link.h"

#include <math.h>
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

void locus_link_params_init(locus_link_params *p)
{
    memset(p, 0, sizeof *p);
    p->ndim = 2;
    p->memory = 0;
    p->adaptive_stop = NAN;
    p->adaptive_step = 0.95;
    p->strategy = LOCUS_LINK_HYBRID;
    p->oversize = LOCUS_OVERSIZE_SOLVE;
    p->predict.kind = LOCUS_PREDICT_NONE;
    p->predict.span = 1;
    p->predict.flow_axis = -1; /* the last axis (x) */
    p->predict.minsamples = 20;
}

static int check_predict(const locus_predict_params *q, int ndim, locus_error *err)
{
    if ((int)q->kind < LOCUS_PREDICT_NONE || q->kind > LOCUS_PREDICT_CHANNEL)
        return error_set(err, LOCUS_E_PARAM, "predictor: unknown kind %d", (int)q->kind);
    if (q->kind == LOCUS_PREDICT_NONE)
        return LOCUS_OK;
    if (q->span < 1)
        return error_set(err, LOCUS_E_PARAM, "span: %d is not a whole number >= 1", q->span);
    if (q->kind == LOCUS_PREDICT_DRIFT && q->has_guess)
        for (int a = 0; a < ndim; a++)
            if (!isfinite(q->guess[a]))
                return error_set(err, LOCUS_E_PARAM, "initial_guess: not finite");
    if (q->kind == LOCUS_PREDICT_NEAREST && q->nguess &&
        (!q->guess_positions || !q->guess_velocities))
        return error_set(err, LOCUS_E_PARAM,
                         "initial_guess_positions: needs initial_guess_vels too (both or neither)");
    if (q->kind != LOCUS_PREDICT_CHANNEL)
        return LOCUS_OK;
    if (ndim != 2)
        return error_set(err, LOCUS_E_PARAM,
                         "ChannelPredict: 2-D positions only (there are %d position columns)",
                         ndim);
    if (!(q->bin_size > 0) || !isfinite(q->bin_size))
        return error_set(err, LOCUS_E_PARAM, "bin_size: must be a positive number");
    if (q->flow_axis < -1 || q->flow_axis >= ndim)
        return error_set(err, LOCUS_E_PARAM, "flow_axis: %d is not an axis", q->flow_axis);
    if (q->minsamples < 0)
        return error_set(err, LOCUS_E_PARAM, "minsamples: must be >= 0");
    if (q->nprofile && !q->profile)
        return error_set(err, LOCUS_E_PARAM, "initial_profile_guess: no values");
    return LOCUS_OK;
}

static int check_range(const locus_link_params *p, locus_error *err)
{
    const locus_axes *r = &p->search_range;
    if (r->count != 1 && r->count != p->ndim)
        return error_set(err, LOCUS_E_PARAM,
                         "search_range: give one value or one per position column (%d), not %d",
                         p->ndim, r->count);
    for (int a = 0; a < r->count; a++)
        if (!(r->v[a] > 0) || !isfinite(r->v[a]))
            return error_set(err, LOCUS_E_PARAM, "search_range: %g is not a positive number",
                             r->v[a]);
    return LOCUS_OK;
}

int locus_link_params_check(const locus_link_params *p, locus_error *err)
{
    if (!p)
        return error_set(err, LOCUS_E_PARAM, "no parameters");
    if (p->ndim < 1 || p->ndim > 3)
        return error_set(err, LOCUS_E_PARAM, "pos_columns: %d position columns (1 to 3 allowed)",
                         p->ndim);
    int rc = check_range(p, err);
    if (rc)
        return rc;
    if (p->memory < 0)
        return error_set(err, LOCUS_E_PARAM, "memory: %ld is negative", p->memory);
    if (!isnan(p->adaptive_stop) && (!(p->adaptive_stop > 0) || !isfinite(p->adaptive_stop)))
        return error_set(err, LOCUS_E_PARAM, "adaptive_stop: must be positive");
    if (!(p->adaptive_step > 0 && p->adaptive_step < 1))
        return error_set(err, LOCUS_E_PARAM, "adaptive_step: %g is not between 0 and 1",
                         p->adaptive_step);
    if ((int)p->strategy < 0 || p->strategy >= LOCUS_LINK_STRATEGY_COUNT_)
        return error_set(err, LOCUS_E_PARAM, "link_strategy: unknown strategy %d",
                         (int)p->strategy);
    if (p->oversize != LOCUS_OVERSIZE_SOLVE && p->oversize != LOCUS_OVERSIZE_RAISE)
        return error_set(err, LOCUS_E_PARAM, "oversize: unknown policy %d", (int)p->oversize);
    return check_predict(&p->predict, p->ndim, err);
}
