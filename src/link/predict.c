/*
 * trackpy's predictors (docs/LINKING.md §13): velocities learnt from the
 * linked frames move every source before the candidate search. All three
 * share one velocity estimate: the last span + 1 observed frames (the
 * first one stored twice), and for each particle present in both the
 * newest and the oldest, v = (p_newest - p_oldest) / dt.
 */
#include "link/link.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One observed frame: its rows' trajectory IDs and measured positions. */
typedef struct {
    int64_t t;
    size_t n;
    int64_t *ids;
    double *pos;
} observed;

struct locus_predictor {
    locus_predict_kind kind;
    int ndim, span, flow;
    double bin_size;
    long minsamples;
    observed *ring; /* oldest first, at most span + 1 */
    size_t nobs;
    int guess_pending; /* the initial guess serves the first prediction */
    /* the model in force */
    double drift[3];
    double *fpos, *fvel; /* nearest: the velocity field, nf points */
    size_t nf, cap_f;
    double *centre, *value; /* channel: the profile, sorted by centre */
    size_t nbins, cap_b;
    /* scratch: the velocities of one observation */
    double *cpos, *cvel;
    size_t nc, cap_c;
    int64_t *hash_id;
    size_t *hash_at, hash_cap;
};

static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap)
        return 0;
    size_t want = n < 64 ? 64 : n + n / 2;
    void *q = realloc(*p, size_mul(want, sz));
    if (!q)
        return LOCUS_E_NOMEM;
    *p = q;
    *cap = want;
    return 0;
}

static int set_field(locus_predictor *pr, const double *pos, const double *vel, size_t n)
{
    size_t c1 = pr->cap_f, c2 = pr->cap_f, m = size_mul(n, (size_t)pr->ndim);
    if (grow((void **)&pr->fpos, &c1, m, sizeof(double)) ||
        grow((void **)&pr->fvel, &c2, m, sizeof(double)))
        return LOCUS_E_NOMEM;
    pr->cap_f = c1 < c2 ? c1 : c2;
    memcpy(pr->fpos, pos, m * sizeof(double));
    memcpy(pr->fvel, vel, m * sizeof(double));
    pr->nf = n;
    return 0;
}

static int cmp_double_idx(const void *a, const void *b)
{
    const double *x = a, *y = b; /* (key, index) pairs */
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The initial profile guess, sorted by centre (stably). */
static int set_profile_guess(locus_predictor *pr, const double *prof, size_t n)
{
    size_t c1 = pr->cap_b, c2 = pr->cap_b;
    double *pairs = malloc(size_mul(n ? n : 1, 2 * sizeof *pairs));
    if (!pairs || grow((void **)&pr->centre, &c1, n, sizeof(double)) ||
        grow((void **)&pr->value, &c2, n, sizeof(double))) {
        free(pairs);
        return LOCUS_E_NOMEM;
    }
    pr->cap_b = c1 < c2 ? c1 : c2;
    for (size_t k = 0; k < n; k++) {
        pairs[2 * k] = prof[2 * k];
        pairs[2 * k + 1] = (double)k;
    }
    qsort(pairs, n, 2 * sizeof *pairs, cmp_double_idx);
    for (size_t k = 0; k < n; k++) {
        size_t from = (size_t)pairs[2 * k + 1];
        pr->centre[k] = prof[2 * from];
        pr->value[k] = prof[2 * from + 1];
    }
    pr->nbins = n;
    free(pairs);
    return 0;
}

int locus_predictor_create(locus_predictor **out, const locus_predict_params *p, int ndim,
                           locus_error *err)
{
    locus_predictor *pr = calloc(1, sizeof *pr);
    if (pr)
        pr->ring = calloc((size_t)p->span + 1, sizeof *pr->ring);
    if (!pr || !pr->ring) {
        free(pr);
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }
    pr->kind = p->kind;
    pr->ndim = ndim;
    pr->span = p->span;
    pr->flow = p->flow_axis < 0 ? ndim - 1 : p->flow_axis;
    pr->bin_size = p->bin_size;
    pr->minsamples = p->minsamples;
    int rc = 0;
    if (p->kind == LOCUS_PREDICT_DRIFT && p->has_guess) {
        memcpy(pr->drift, p->guess, sizeof pr->drift);
        pr->guess_pending = 1;
    } else if (p->kind == LOCUS_PREDICT_NEAREST && p->nguess) {
        rc = set_field(pr, p->guess_positions, p->guess_velocities, p->nguess);
        pr->guess_pending = 1;
    } else if (p->kind == LOCUS_PREDICT_CHANNEL && p->nprofile) {
        rc = set_profile_guess(pr, p->profile, p->nprofile);
        pr->guess_pending = 1;
    }
    if (rc) {
        locus_predictor_free(pr);
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }
    *out = pr;
    return 0;
}

static void observed_free(observed *o)
{
    free(o->ids);
    free(o->pos);
    memset(o, 0, sizeof *o);
}

void locus_predictor_free(locus_predictor *pr)
{
    if (!pr)
        return;
    for (size_t k = 0; k < pr->nobs; k++)
        observed_free(&pr->ring[k]);
    free(pr->ring);
    free(pr->fpos);
    free(pr->fvel);
    free(pr->centre);
    free(pr->value);
    free(pr->cpos);
    free(pr->cvel);
    free(pr->hash_id);
    free(pr->hash_at);
    free(pr);
}

/* ------------------------------------------------------------------ */
/* Observing                                                           */
/* ------------------------------------------------------------------ */

static int store_frame(locus_predictor *pr, int64_t t, const double *pos, const int64_t *ids,
                       size_t n)
{
    if (pr->nobs == (size_t)pr->span + 1) {
        /* keep the last span + 1: the oldest goes */
        observed_free(&pr->ring[0]);
        memmove(pr->ring, pr->ring + 1, (size_t)pr->span * sizeof *pr->ring);
        pr->nobs--;
    }
    observed *o = &pr->ring[pr->nobs];
    if (n > ((size_t)1 << 40))
        return LOCUS_E_NOMEM;
    size_t m = n * (size_t)pr->ndim;
    o->ids = malloc((n ? n : 1) * sizeof *o->ids);
    o->pos = malloc((m ? m : 1) * sizeof *o->pos);
    if (!o->ids || !o->pos) {
        observed_free(o);
        return LOCUS_E_NOMEM;
    }
    memcpy(o->ids, ids, n * sizeof *ids);
    memcpy(o->pos, pos, m * sizeof *pos);
    o->t = t;
    o->n = n;
    pr->nobs++;
    return 0;
}

static size_t hash_slot(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (cap - 1);
}

/* Index the oldest frame's IDs. */
static int hash_build(locus_predictor *pr, const observed *o)
{
    size_t cap = 16;
    while (cap < 2 * o->n)
        cap *= 2;
    if (cap > pr->hash_cap) {
        int64_t *a = realloc(pr->hash_id, cap * sizeof *a);
        if (a)
            pr->hash_id = a;
        size_t *b = a ? realloc(pr->hash_at, cap * sizeof *b) : NULL;
        if (b)
            pr->hash_at = b;
        if (!b)
            return LOCUS_E_NOMEM;
        pr->hash_cap = cap;
    }
    cap = pr->hash_cap;
    for (size_t k = 0; k < cap; k++)
        pr->hash_at[k] = SIZE_MAX;
    for (size_t i = 0; i < o->n; i++) {
        size_t s = hash_slot(o->ids[i], cap);
        while (pr->hash_at[s] != SIZE_MAX)
            s = (s + 1) & (cap - 1);
        pr->hash_id[s] = o->ids[i];
        pr->hash_at[s] = i;
    }
    return 0;
}

static size_t hash_find(const locus_predictor *pr, int64_t id)
{
    size_t cap = pr->hash_cap, s = hash_slot(id, cap);
    while (pr->hash_at[s] != SIZE_MAX) {
        if (pr->hash_id[s] == id)
            return pr->hash_at[s];
        s = (s + 1) & (cap - 1);
    }
    return SIZE_MAX;
}

/* Velocities of the particles in both the newest and the oldest frame,
 * attached to their newest positions, in the newest frame's row order. */
static int common_velocities(locus_predictor *pr, double dt)
{
    const observed *old = &pr->ring[0], *new = &pr->ring[pr->nobs - 1];
    size_t nd = (size_t)pr->ndim, c1 = pr->cap_c, c2 = pr->cap_c;
    if (hash_build(pr, old) ||
        grow((void **)&pr->cpos, &c1, size_mul(new->n, nd), sizeof(double)) ||
        grow((void **)&pr->cvel, &c2, size_mul(new->n, nd), sizeof(double)))
        return LOCUS_E_NOMEM;
    pr->cap_c = c1 < c2 ? c1 : c2;
    pr->nc = 0;
    for (size_t i = 0; i < new->n; i++) {
        size_t k = hash_find(pr, new->ids[i]);
        if (k == SIZE_MAX)
            continue;
        for (size_t a = 0; a < nd; a++) {
            double pn = new->pos[i * nd + a];
            pr->cpos[pr->nc * nd + a] = pn;
            pr->cvel[pr->nc * nd + a] = (pn - old->pos[k * nd + a]) / dt;
        }
        pr->nc++;
    }
    return 0;
}

/* DriftPredict: the mean velocity per axis; NaN without any (§13). */
static void learn_drift(locus_predictor *pr)
{
    size_t nd = (size_t)pr->ndim;
    for (size_t a = 0; a < nd; a++) {
        double s = 0;
        for (size_t i = 0; i < pr->nc; i++)
            s += pr->cvel[i * nd + a];
        pr->drift[a] = pr->nc ? s / (double)pr->nc : NAN;
    }
}

/* NumPy's pairwise summation (what a 1-D mean sums with). */
static double pairwise_sum(const double *v, size_t n)
{
    if (n < 8) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += v[i];
        return s;
    }
    if (n <= 128) {
        double r[8];
        for (int k = 0; k < 8; k++)
            r[k] = v[k];
        size_t i;
        for (i = 8; i < n - n % 8; i += 8)
            for (int k = 0; k < 8; k++)
                r[k] += v[i + (size_t)k];
        double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            s += v[i];
        return s;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(v, n2) + pairwise_sum(v + n2, n - n2);
}

/* numpy.mod for doubles: the remainder with the sign of the divisor. */
static double floored_mod(double a, double b)
{
    double m = fmod(a, b);
    if (m != 0) {
        if ((b < 0) != (m < 0))
            m += b;
    } else {
        m = copysign(0.0, b);
    }
    return m;
}

/* ChannelPredict: mean flow velocity per bin across the flow (§13). */
static int learn_channel(locus_predictor *pr)
{
    size_t nd = (size_t)pr->ndim, n = pr->nc;
    int across = 1 - pr->flow;
    double *pairs = malloc(size_mul(n ? n : 1, 2 * sizeof *pairs));
    double *vals = malloc(size_mul(n ? n : 1, sizeof *vals));
    size_t c1 = pr->cap_b, c2 = pr->cap_b;
    if (!pairs || !vals || grow((void **)&pr->centre, &c1, n, sizeof(double)) ||
        grow((void **)&pr->value, &c2, n, sizeof(double))) {
        free(pairs);
        free(vals);
        return LOCUS_E_NOMEM;
    }
    pr->cap_b = c1 < c2 ? c1 : c2;
    for (size_t i = 0; i < n; i++) {
        double s = pr->cpos[i * nd + (size_t)across];
        pairs[2 * i] = s - floored_mod(s, pr->bin_size) + pr->bin_size / 2.0;
        pairs[2 * i + 1] = (double)i;
    }
    qsort(pairs, n, 2 * sizeof *pairs, cmp_double_idx); /* by bin, then row */
    pr->nbins = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && pairs[2 * b] == pairs[2 * a]) {
            vals[b - a] = pr->cvel[(size_t)pairs[2 * b + 1] * nd + (size_t)pr->flow];
            b++;
        }
        if ((long)(b - a) >= pr->minsamples) {
            pr->centre[pr->nbins] = pairs[2 * a];
            pr->value[pr->nbins++] = pairwise_sum(vals, b - a) / (double)(b - a);
        }
        a = b;
    }
    free(pairs);
    free(vals);
    return 0;
}

int locus_predictor_observe(locus_predictor *pr, int64_t t, const double *pos, const int64_t *ids,
                            size_t n)
{
    int first = pr->nobs == 0;
    if (store_frame(pr, t, pos, ids, n) || (first && store_frame(pr, t, pos, ids, n)))
        return LOCUS_E_NOMEM;
    double dt = first ? 1.0 : (double)(pr->ring[pr->nobs - 1].t - pr->ring[0].t);
    if (common_velocities(pr, dt))
        return LOCUS_E_NOMEM;
    if (pr->guess_pending) {
        pr->guess_pending = 0; /* the guess, set at creation, serves this once */
        return 0;
    }
    switch (pr->kind) {
    case LOCUS_PREDICT_DRIFT:
        learn_drift(pr);
        return 0;
    case LOCUS_PREDICT_NEAREST:
        return set_field(pr, pr->cpos, pr->cvel, pr->nc);
    case LOCUS_PREDICT_CHANNEL:
        return learn_channel(pr);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ */
/* Predicting                                                          */
/* ------------------------------------------------------------------ */

/* The field point nearest to p (Euclidean; the first of equals). */
static size_t nearest_point(const locus_predictor *pr, const double *p)
{
    size_t nd = (size_t)pr->ndim, best = 0;
    double bd = INFINITY;
    for (size_t k = 0; k < pr->nf; k++) {
        double d2 = 0;
        for (size_t a = 0; a < nd; a++) {
            double diff = pr->fpos[k * nd + a] - p[a];
            d2 += diff * diff;
        }
        if (d2 < bd) {
            bd = d2;
            best = k;
        }
    }
    return best;
}

/* The profile value for s: the bin whose centre is nearest (halfway: the
 * lower), the outermost beyond the ends. */
static double profile_at(const locus_predictor *pr, double s)
{
    size_t lo = 0, hi = pr->nbins - 1; /* count the midpoints below s */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double bound = (pr->centre[mid + 1] + pr->centre[mid]) / 2.0;
        if (bound < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return pr->value[lo];
}

int locus_predictor_predict(locus_predictor *pr, int64_t t, const double *pos, const int64_t *frame,
                            size_t n, double *out)
{
    size_t nd = (size_t)pr->ndim;
    for (size_t i = 0; i < n; i++) {
        const double *p = pos + i * nd;
        double *o = out + i * nd, dt = (double)(t - frame[i]), v[3] = {0, 0, 0};
        if (pr->kind == LOCUS_PREDICT_DRIFT) {
            memcpy(v, pr->drift, sizeof v);
        } else if (pr->kind == LOCUS_PREDICT_NEAREST && pr->nf) {
            memcpy(v, pr->fvel + nearest_point(pr, p) * nd, nd * sizeof *v);
        } else if (pr->kind == LOCUS_PREDICT_CHANNEL && pr->nbins) {
            v[pr->flow] = profile_at(pr, p[1 - pr->flow]);
        }
        for (size_t a = 0; a < nd; a++)
            o[a] = p[a] + v[a] * dt;
    }
    return 0;
}
