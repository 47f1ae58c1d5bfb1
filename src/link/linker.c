/*
 * The streaming linker (docs/LINKING.md §2, §3, §8): one frame at a time,
 * frames in increasing order. It keeps only the open trajectory ends of
 * the memory window (the sources), so its memory does not grow with the
 * length of the movie; frame gaps are handled by arithmetic on frame
 * numbers, never by stepping through empty frames.
 */
#include "link/linker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Grow an array of n elements of size sz; 0 or LOCUS_E_NOMEM. */
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

/* The working space of §2.3: per-axis ranges rescale every coordinate. */
static void setup_space(locus_linker *lk, const locus_link_params *p)
{
    const locus_axes *r = &p->search_range;
    int iso = 1;
    for (int a = 1; a < r->count; a++)
        iso &= r->v[a] == r->v[0];
    lk->aniso = !iso;
    lk->R = iso ? r->v[0] : 1.0;
    for (int a = 0; a < lk->ndim; a++)
        lk->scale[a] = iso ? 1.0 : r->v[a];
    lk->adaptive = !isnan(p->adaptive_stop);
    lk->stop = p->adaptive_stop;
    if (lk->adaptive && lk->aniso) {
        /* §1: adaptive_stop becomes max over axes of stop / range */
        lk->stop = 0;
        for (int a = 0; a < lk->ndim; a++)
            lk->stop = fmax(lk->stop, p->adaptive_stop / r->v[a]);
    }
    lk->max_size = lk->adaptive ? LINK_MAX_SUBNET_ADAPTIVE : LINK_MAX_SUBNET;
}

int locus_linker_create(locus_linker **out, const locus_link_params *p, locus_error *err)
{
    *out = NULL;
    int rc = locus_link_params_check(p, err);
    if (rc)
        return rc;
    locus_linker *lk = calloc(1, sizeof *lk);
    if (!lk)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    lk->p = *p;
    lk->ndim = p->ndim;
    setup_space(lk, p);
    if (p->predict.kind != LOCUS_PREDICT_NONE &&
        (rc = locus_predictor_create(&lk->pred, &p->predict, p->ndim, err))) {
        free(lk);
        return rc;
    }
    *out = lk;
    return LOCUS_OK;
}

void locus_linker_free(locus_linker *lk)
{
    if (!lk)
        return;
    locus_predictor_free(lk->pred);
    locus_link_grid_free(&lk->grid);
    locus_link_cands_free(&lk->cands);
    locus_link_split_free(&lk->split);
    locus_assign_free(&lk->asg);
    free(lk->src.raw);
    free(lk->src.id);
    free(lk->src.level);
    free(lk->src.frame);
    free(lk->next.raw);
    free(lk->next.id);
    free(lk->next.level);
    free(lk->next.frame);
    free(lk->work_src);
    free(lk->work_dst);
    free(lk->len);
    free(lk->src_link);
    free(lk->dst_src);
    free(lk->stack);
    free(lk->items);
    free(lk->cur);
    free(lk->off);
    free(lk->ndst);
    free(lk->a_start);
    free(lk->a_col);
    free(lk->a_cost);
    free(lk->a_lost);
    free(lk->a_out);
    free(lk->dloc);
    free(lk->dlist);
    free(lk);
}

void locus_linker_stats(const locus_linker *lk, locus_link_stats *last, locus_link_stats *total)
{
    if (last)
        *last = lk->last;
    if (total)
        *total = lk->total;
}

/* Room for n sources in a source set. */
static int sources_reserve(source_set *s, size_t n, int ndim)
{
    size_t cap = s->cap;
    if (n <= cap)
        return 0;
    size_t c1 = cap, c2 = cap, c3 = cap, c4 = cap;
    if (grow((void **)&s->raw, &c1, size_mul(n, (size_t)ndim), sizeof *s->raw) ||
        grow((void **)&s->id, &c2, n, sizeof *s->id) ||
        grow((void **)&s->level, &c3, n, sizeof *s->level) ||
        grow((void **)&s->frame, &c4, n, sizeof *s->frame))
        return LOCUS_E_NOMEM;
    s->cap = c2 < c3 ? c2 : c3;
    return 0;
}

/* The per-frame scratch for nsrc sources and ndst destinations. */
static int frame_reserve(locus_linker *lk, size_t nsrc, size_t ndst)
{
    size_t nd = (size_t)lk->ndim, cs = lk->cap_fsrc, cs2 = cs, cs3 = cs, cs4 = cs, cs5 = cs,
           cs6 = cs, cs7 = cs;
    if (grow((void **)&lk->work_src, &cs, size_mul(nsrc, nd), sizeof(double)) ||
        grow((void **)&lk->len, &cs2, nsrc, sizeof *lk->len) ||
        grow((void **)&lk->src_link, &cs3, nsrc, sizeof *lk->src_link) ||
        grow((void **)&lk->cur, &cs4, nsrc, sizeof *lk->cur) ||
        grow((void **)&lk->off, &cs5, nsrc + 1, sizeof *lk->off) ||
        grow((void **)&lk->ndst, &cs6, nsrc + 1, sizeof *lk->ndst) ||
        grow((void **)&lk->stack, &cs7, nsrc, sizeof *lk->stack))
        return LOCUS_E_NOMEM;
    lk->cap_fsrc = cs2 < cs3 ? cs2 : cs3;
    if (lk->cap_fsrc > cs4)
        lk->cap_fsrc = cs4;
    size_t cd = lk->cap_fdst, cd2 = cd, cd3 = cd, cd4 = cd;
    if (grow((void **)&lk->work_dst, &cd, size_mul(ndst, nd), sizeof(double)) ||
        grow((void **)&lk->dst_src, &cd2, ndst, sizeof *lk->dst_src) ||
        grow((void **)&lk->dloc, &cd3, ndst, sizeof *lk->dloc) ||
        grow((void **)&lk->dlist, &cd4, ndst, sizeof *lk->dlist))
        return LOCUS_E_NOMEM;
    lk->cap_fdst = cd2 < cd3 ? cd2 : cd3;
    return locus_link_split_reserve(&lk->split, ndst);
}

/* Drop the sources whose window has passed: a source last seen at level
 * l is kept at level L while L - l <= memory + 1 (§3, §8). */
static void expire_sources(locus_linker *lk, int64_t L)
{
    source_set *s = &lk->src;
    size_t k = 0, nd = (size_t)lk->ndim;
    uint64_t window = (uint64_t)lk->p.memory + 1;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t age = (uint64_t)L - (uint64_t)s->level[i]; /* exact: L > level */
        if (age > window)
            continue;
        if (k != i) {
            for (size_t a = 0; a < nd; a++)
                s->raw[k * nd + a] = s->raw[i * nd + a];
            s->id[k] = s->id[i];
            s->level[k] = s->level[i];
            s->frame[k] = s->frame[i];
        }
        k++;
    }
    s->n = k;
}

/* Source and destination positions in the working space (§2.3, §13). */
static int working_positions(locus_linker *lk, int64_t frame, const double *pos, size_t n)
{
    size_t nd = (size_t)lk->ndim, ns = lk->src.n;
    const double *src = lk->src.raw;
    if (lk->pred) {
        if (locus_predictor_predict(lk->pred, frame, src, lk->src.frame, ns, lk->work_src))
            return LOCUS_E_NOMEM;
    } else if (ns) {
        memcpy(lk->work_src, src, ns * nd * sizeof(double));
    }
    memcpy(lk->work_dst, pos, n * nd * sizeof(double));
    if (lk->aniso) {
        /* each coordinate divided on its own, before any difference */
        for (size_t i = 0; i < ns * nd; i++)
            lk->work_src[i] /= lk->scale[i % nd];
        for (size_t i = 0; i < n * nd; i++)
            lk->work_dst[i] /= lk->scale[i % nd];
    }
    return 0;
}

/* The next trajectory ends: unlinked sources (still in memory), then
 * every row of this frame. */
static int roll_sources(locus_linker *lk, int64_t L, int64_t frame, const double *pos,
                        const int64_t *ids, size_t n)
{
    source_set *s = &lk->src, *t = &lk->next;
    size_t nd = (size_t)lk->ndim;
    if (sources_reserve(t, s->n + n, lk->ndim))
        return LOCUS_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (lk->src_link[i] >= 0)
            continue;
        for (size_t a = 0; a < nd; a++)
            t->raw[k * nd + a] = s->raw[i * nd + a];
        t->id[k] = s->id[i];
        t->level[k] = s->level[i];
        t->frame[k] = s->frame[i];
        k++;
    }
    memcpy(t->raw + k * nd, pos, n * nd * sizeof *pos);
    for (size_t j = 0; j < n; j++) {
        t->id[k + j] = ids[j];
        t->level[k + j] = L;
        t->frame[k + j] = frame;
    }
    t->n = k + n;
    source_set tmp = *s;
    *s = *t;
    *t = tmp;
    return 0;
}

static int check_frame(locus_linker *lk, int64_t frame, const double *pos, size_t n,
                       locus_error *err)
{
    if (lk->failed)
        return locus_error_set(err, LOCUS_E_PARAM,
                               "frame %lld: the linker failed on an earlier frame",
                               (long long)frame);
    if (lk->have_last && frame <= lk->last_frame)
        return locus_error_set(
            err, LOCUS_E_PARAM,
            "frame %lld: frames must come in increasing order (after frame %lld)", (long long)frame,
            (long long)lk->last_frame);
    if (n >= UINT32_MAX / 2)
        return locus_error_set(err, LOCUS_E_PARAM, "frame %lld: too many rows (%zu)",
                               (long long)frame, n);
    size_t nd = (size_t)lk->ndim;
    for (size_t i = 0; i < n * nd; i++)
        if (!isfinite(pos[i]))
            return locus_error_set(
                err, LOCUS_E_PARAM,
                "frame %lld, row %zu: position is not finite (trackpy links wrongly "
                "around NaN positions)",
                (long long)frame, i / nd);
    return LOCUS_OK;
}

/* IDs: a linked row continues its source's trajectory; any other starts
 * the next one, in row order, which makes IDs canonical (§11). */
static void assign_ids(locus_linker *lk, size_t n, int64_t *ids)
{
    for (size_t j = 0; j < n; j++) {
        int i = lk->src.n ? lk->dst_src[j] : -1;
        if (i >= 0) {
            ids[j] = lk->src.id[i];
        } else {
            ids[j] = lk->next_id++;
            lk->last.trajectories++;
        }
    }
}

static void add_stats(locus_link_stats *t, const locus_link_stats *f)
{
    t->frames += f->frames;
    t->features += f->features;
    t->subnets += f->subnets;
    t->oversize += f->oversize;
    t->adaptive_shrinks += f->adaptive_shrinks;
    t->trajectories += f->trajectories;
    if (f->largest_oversize > t->largest_oversize)
        t->largest_oversize = f->largest_oversize;
    if (f->largest_subnet > t->largest_subnet)
        t->largest_subnet = f->largest_subnet;
}

/* Link this frame's rows to the sources: candidates, subnets, solutions. */
static int link_to_sources(locus_linker *lk, int64_t frame, const double *pos, size_t n,
                           locus_error *err)
{
    size_t ns = lk->src.n;
    if (frame_reserve(lk, ns, n) || working_positions(lk, frame, pos, n))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    for (size_t j = 0; j < n; j++)
        lk->dst_src[j] = -1;
    for (size_t i = 0; i < ns; i++)
        lk->src_link[i] = -1;
    if (ns == 0)
        return LOCUS_OK;
    if (locus_link_candidates(&lk->grid, &lk->cands, lk->ndim, lk->R, lk->work_src, ns,
                              lk->work_dst, n))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    return locus_link_solve_frame(lk, frame, err);
}

int locus_linker_push(locus_linker *lk, int64_t frame, const double *pos, size_t n, int64_t *ids,
                      locus_error *err)
{
    int rc = check_frame(lk, frame, pos, n, err);
    if (rc)
        return rc;
    memset(&lk->last, 0, sizeof lk->last);
    lk->have_last = 1;
    lk->last_frame = frame;
    if (n == 0)
        return LOCUS_OK; /* no links; with a predictor, not even a level (§13) */
    /* §2.2: levels are frame numbers; with a predictor, frames present (§13) */
    int64_t L = lk->pred ? lk->levels : frame;
    lk->levels++;
    expire_sources(lk, L);
    rc = link_to_sources(lk, frame, pos, n, err);
    if (rc == LOCUS_OK) {
        assign_ids(lk, n, ids);
        if (roll_sources(lk, L, frame, pos, ids, n) ||
            (lk->pred && locus_predictor_observe(lk->pred, frame, pos, ids, n)))
            rc = locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }
    if (rc) {
        lk->failed = 1;
        return rc;
    }
    lk->last.frames = 1;
    lk->last.features = n;
    add_stats(&lk->total, &lk->last);
    return LOCUS_OK;
}
