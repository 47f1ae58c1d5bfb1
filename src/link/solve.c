/*
 * Solving a frame's subnets (docs/LINKING.md §4–§7, §9): split the
 * candidate graph into components, link trivial ones directly, apply
 * trackpy's size rule of the link strategy, shrink oversize subnets with
 * adaptive search, and solve the rest exactly.
 */
#include "link/linker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Why trackpy's solver refuses a non-trivial subnet (§5). */
typedef enum { FITS = 0, TOO_MANY_SOURCES, TOO_MANY_CANDIDATES } oversize_kind;

/* Hybrid hands these to its pure-Python solver, which has no candidate limit. */
static int is_small(size_t S, size_t D)
{
    return D == 1 || S == 1 || (D <= 3 && S <= 3);
}

static oversize_kind oversize(const locus_linker *lk, size_t S, size_t D, size_t c)
{
    if (S > lk->max_size)
        return TOO_MANY_SOURCES;
    int numba_rule = lk->p.strategy == LOCUS_LINK_NUMBA ||
                     (lk->p.strategy == LOCUS_LINK_HYBRID && !is_small(S, D));
    if (numba_rule && c > LINK_NUMBA_MAX_CANDS)
        return TOO_MANY_CANDIDATES;
    return FITS;
}

/* trackpy's SubnetOversizeException, with the frame and the subnet's size. */
static int oversize_error(const locus_linker *lk, int64_t frame, oversize_kind why, size_t S,
                          size_t D, size_t c, double r, locus_error *err)
{
    char msg[200];
    int numba = lk->p.strategy == LOCUS_LINK_NUMBA ||
                (lk->p.strategy == LOCUS_LINK_HYBRID && !is_small(S, D));
    if (why == TOO_MANY_CANDIDATES)
        snprintf(msg, sizeof msg,
                 "search_range (aka maxdisp) too large for reasonable performance on these "
                 "data (particle has %zu forward candidates)",
                 c + 1);
    else if (numba)
        snprintf(msg, sizeof msg,
                 "search_range (aka maxdisp) too large for reasonable performance on these "
                 "data (sub net contains %zu points)",
                 S);
    else
        snprintf(msg, sizeof msg, "Subnetwork contains %zu points", S);
    char tail[96] = "";
    if (lk->adaptive)
        snprintf(tail, sizeof tail, "; adaptive search stopped at range %g", r);
    return locus_error_set(
        err, LOCUS_E_OVERSIZE,
        "frame %lld: SubnetOversizeException: %s (a subnet of %zu sources and %zu "
        "destinations%s)",
        (long long)frame, msg, S, D, tail);
}

static int push_item(locus_linker *lk, const uint32_t *src, size_t n, double r)
{
    if (grow((void **)&lk->items, &lk->cap_items, lk->nitems + 1, sizeof *lk->items))
        return LOCUS_E_NOMEM;
    memcpy(lk->stack + lk->nstack, src, n * sizeof *src);
    lk->items[lk->nitems++] = (link_item){.off = lk->nstack, .n = n, .r = r};
    lk->nstack += n;
    return 0;
}

/* Build the assignment problem of one subnet (§12) and solve it. */
static int assign_subnet(locus_linker *lk, const uint32_t *src, size_t S, double r)
{
    const locus_link_cands *c = &lk->cands;
    size_t edges = 0;
    for (size_t k = 0; k < S; k++)
        edges += lk->len[src[k]];
    size_t cr = lk->cap_rows, cr2 = cr, cr3 = cr, ce = lk->cap_edges, ce2 = ce;
    if (grow((void **)&lk->a_start, &cr, S + 1, sizeof *lk->a_start) ||
        grow((void **)&lk->a_lost, &cr2, S, sizeof *lk->a_lost) ||
        grow((void **)&lk->a_out, &cr3, S, sizeof *lk->a_out) ||
        grow((void **)&lk->a_col, &ce, edges, sizeof *lk->a_col) ||
        grow((void **)&lk->a_cost, &ce2, edges, sizeof *lk->a_cost))
        return LOCUS_E_NOMEM;
    lk->cap_rows = cr2 < cr3 ? cr2 : cr3;
    lk->cap_edges = ce < ce2 ? ce : ce2;
    size_t e = 0, nd = 0;
    for (size_t k = 0; k < S; k++) {
        lk->a_start[k] = e;
        lk->a_lost[k] = r * r; /* being lost costs r² */
        size_t e0 = c->start[src[k]];
        for (size_t q = e0; q < e0 + lk->len[src[k]]; q++) {
            uint32_t j = c->dst[q];
            if (lk->dloc[j] < 0) {
                lk->dloc[j] = (int)nd;
                lk->dlist[nd++] = j;
            }
            lk->a_col[e] = lk->dloc[j];
            lk->a_cost[e++] = c->d[q] * c->d[q]; /* (sqrt d²)², as trackpy */
        }
    }
    lk->a_start[S] = e;
    int rc = locus_assign_solve(&lk->asg, (int)S, (int)nd, lk->a_start, lk->a_col, lk->a_cost,
                                lk->a_lost, lk->a_out);
    for (size_t k = 0; rc == 0 && k < S; k++)
        if (lk->a_out[k] >= 0) {
            uint32_t j = lk->dlist[lk->a_out[k]];
            lk->src_link[src[k]] = (int)j;
            lk->dst_src[j] = (int)src[k];
        }
    for (size_t q = 0; q < nd; q++)
        lk->dloc[lk->dlist[q]] = -1;
    return rc;
}

/* A non-trivial subnet within the rules: solved, or dropped (§9). */
static int solve_subnet(locus_linker *lk, const uint32_t *src, size_t S, double r)
{
    lk->last.subnets++;
    if (S > lk->last.largest_subnet)
        lk->last.largest_subnet = S;
    if (lk->p.strategy == LOCUS_LINK_DROP)
        return 0; /* every source lost, every destination a new trajectory */
    return assign_subnet(lk, src, S, r);
}

/* §7: keep only the candidates with d <= r' (each list is sorted by d). */
static void prune(locus_linker *lk, const uint32_t *src, size_t S, double r2)
{
    const locus_link_cands *c = &lk->cands;
    for (size_t k = 0; k < S; k++) {
        size_t e0 = c->start[src[k]];
        uint32_t n = lk->len[src[k]];
        while (n > 0 && !(c->d[e0 + n - 1] <= r2))
            n--;
        lk->len[src[k]] = n;
    }
}

/* One component of a split at range r. */
static int handle_component(locus_linker *lk, int64_t frame, const uint32_t *src, size_t S,
                            size_t D, double r, locus_error *err)
{
    if (D == 0)
        return 0; /* sources left without candidates: unlinked */
    if (S == 1 && D == 1) {
        /* trivial: always linked, never oversize */
        uint32_t j = lk->cands.dst[lk->cands.start[src[0]]];
        lk->src_link[src[0]] = (int)j;
        lk->dst_src[j] = (int)src[0];
        return 0;
    }
    size_t c = 0;
    for (size_t k = 0; k < S; k++)
        if (lk->len[src[k]] > c)
            c = lk->len[src[k]];
    oversize_kind why = oversize(lk, S, D, c);
    if (why == FITS)
        return solve_subnet(lk, src, S, r);
    if (lk->adaptive && r > lk->stop) {
        double r2 = r * lk->p.adaptive_step; /* repeated multiplication */
        lk->last.adaptive_shrinks++;
        prune(lk, src, S, r2);
        return push_item(lk, src, S, r2) ? locus_error_set(err, LOCUS_E_NOMEM, "out of memory") : 0;
    }
    if (lk->p.oversize == LOCUS_OVERSIZE_RAISE)
        return oversize_error(lk, frame, why, S, D, c, r, err);
    lk->last.oversize++;
    if (S > lk->last.largest_oversize)
        lk->last.largest_oversize = S;
    return solve_subnet(lk, src, S, r);
}

/* Split one worklist item into components and handle each. */
static int run_item(locus_linker *lk, int64_t frame, locus_error *err)
{
    link_item it = lk->items[--lk->nitems];
    memcpy(lk->cur, lk->stack + it.off, it.n * sizeof *lk->cur);
    lk->nstack = it.off; /* the item was on top: its storage is free again */
    size_t ncomp;
    if (locus_link_split_run(&lk->split, &lk->cands, lk->len, lk->cur, it.n, lk->off, lk->ndst,
                             &ncomp))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    for (size_t k = 0; k < ncomp; k++) {
        int rc = handle_component(lk, frame, lk->cur + lk->off[k], lk->off[k + 1] - lk->off[k],
                                  lk->ndst[k], it.r, err);
        if (rc)
            return rc;
    }
    return 0;
}

int locus_link_solve_frame(locus_linker *lk, int64_t frame, locus_error *err)
{
    const locus_link_cands *c = &lk->cands;
    size_t ns = c->nsrc, n = 0;
    for (size_t j = 0; j < c->ndst; j++)
        lk->dloc[j] = -1;
    lk->nstack = lk->nitems = 0;
    /* the frame's sources with candidates, at the full range; a source
     * with one candidate that no other source lists is a trivial subnet,
     * linked at once (most are, and the split need not see them) */
    for (size_t i = 0; i < ns; i++) {
        lk->len[i] = (uint32_t)(c->start[i + 1] - c->start[i]);
        uint32_t j = lk->len[i] == 1 ? c->dst[c->start[i]] : 0;
        if (lk->len[i] == 1 && c->ndst_src[j] == 1) {
            lk->src_link[i] = (int)j;
            lk->dst_src[j] = (int)i;
        } else if (lk->len[i]) {
            lk->cur[n++] = (uint32_t)i;
        }
    }
    if (push_item(lk, lk->cur, n, lk->R))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    while (lk->nitems) {
        int rc = run_item(lk, frame, err);
        if (rc)
            return rc;
    }
    return 0;
}
