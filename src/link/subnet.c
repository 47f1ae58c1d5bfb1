/*
 * Subnets (docs/LINKING.md §4): the connected components of the graph of
 * candidate pairs, over some sources (all of a frame's, or those of one
 * subnet after adaptive pruning, §7). A union-find over the sources and
 * the destinations they list; each source's list is cut to its first
 * len[i] entries, the candidates in force.
 */
#include "link/link.h"

#include <stdlib.h>
#include <string.h>

void locus_link_split_free(locus_link_split *s)
{
    free(s->dmark);
    free(s->dlist);
    free(s->parent);
    free(s->comp);
    free(s->count);
    memset(s, 0, sizeof *s);
}

/* Room for a frame of ndst destinations; dmark starts all -1. */
int locus_link_split_reserve(locus_link_split *s, size_t ndst)
{
    if (ndst <= s->cap_dst)
        return 0;
    size_t n = ndst + ndst / 2;
    int *dm = realloc(s->dmark, size_mul(n, sizeof *dm));
    if (!dm)
        return LOCUS_E_NOMEM;
    s->dmark = dm;
    uint32_t *dl = realloc(s->dlist, size_mul(n, sizeof *dl));
    if (!dl)
        return LOCUS_E_NOMEM;
    s->dlist = dl;
    for (size_t j = s->cap_dst; j < n; j++)
        s->dmark[j] = -1;
    s->cap_dst = n;
    return 0;
}

static int reserve_nodes(locus_link_split *s, size_t nodes)
{
    if (nodes <= s->cap_nodes)
        return 0;
    size_t n = nodes + nodes / 2;
    int *p = realloc(s->parent, size_mul(n, sizeof *p));
    if (p)
        s->parent = p;
    int *c = p ? realloc(s->comp, size_mul(n, sizeof *c)) : NULL;
    if (c)
        s->comp = c;
    int *k = c ? realloc(s->count, size_mul(n + 1, sizeof *k)) : NULL;
    if (k)
        s->count = k;
    if (!k)
        return LOCUS_E_NOMEM;
    s->cap_nodes = n;
    return 0;
}

static int find(int *parent, int x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* Number the destinations of the sources locally (after the n sources). */
static size_t mark_destinations(locus_link_split *s, const locus_link_cands *c, const uint32_t *len,
                                const uint32_t *src, size_t n)
{
    size_t nd = 0;
    for (size_t k = 0; k < n; k++) {
        size_t e0 = c->start[src[k]];
        for (size_t e = e0; e < e0 + len[src[k]]; e++) {
            uint32_t j = c->dst[e];
            if (s->dmark[j] < 0) {
                s->dmark[j] = (int)(n + nd);
                s->dlist[nd++] = j;
            }
        }
    }
    return nd;
}

static void unite(locus_link_split *s, const locus_link_cands *c, const uint32_t *len,
                  const uint32_t *src, size_t n, size_t nodes)
{
    for (size_t x = 0; x < nodes; x++)
        s->parent[x] = (int)x;
    for (size_t k = 0; k < n; k++) {
        size_t e0 = c->start[src[k]];
        for (size_t e = e0; e < e0 + len[src[k]]; e++) {
            int a = find(s->parent, (int)k), b = find(s->parent, s->dmark[c->dst[e]]);
            if (a != b)
                s->parent[a > b ? a : b] = a > b ? b : a; /* the smaller index is the root */
        }
    }
}

int locus_link_split_run(locus_link_split *s, const locus_link_cands *c, const uint32_t *len,
                         uint32_t *src, size_t n, size_t *off, size_t *ndst, size_t *ncomp)
{
    if (reserve_nodes(s, n + 1))
        return LOCUS_E_NOMEM;
    size_t nd = mark_destinations(s, c, len, src, n);
    if (reserve_nodes(s, n + nd + 1))
        return LOCUS_E_NOMEM;
    unite(s, c, len, src, n, n + nd);
    for (size_t k = 0; k < nd; k++)
        s->dmark[s->dlist[k]] = -1;
    /* roots are sources (the smallest index of each component); number the
     * components in order of their first source */
    size_t nc = 0;
    for (size_t k = 0; k < n; k++) {
        int r = find(s->parent, (int)k);
        s->comp[k] = (size_t)r == k ? (int)nc++ : s->comp[r];
    }
    for (size_t q = 0; q < nc; q++)
        ndst[q] = 0;
    for (size_t x = n; x < n + nd; x++)
        ndst[s->comp[find(s->parent, (int)x)]]++;
    memset(s->count, 0, (nc + 1) * sizeof *s->count);
    for (size_t k = 0; k < n; k++)
        s->count[s->comp[k] + 1]++;
    for (size_t q = 0; q < nc; q++)
        s->count[q + 1] += s->count[q];
    for (size_t q = 0; q <= nc; q++)
        off[q] = (size_t)s->count[q];
    /* place the sources (parent is free now: reuse it for the order) */
    int *order = s->parent;
    for (size_t k = 0; k < n; k++)
        order[s->count[s->comp[k]]++] = (int)src[k];
    for (size_t k = 0; k < n; k++)
        src[k] = (uint32_t)order[k];
    *ncomp = nc;
    return 0;
}
