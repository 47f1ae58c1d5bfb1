/*
 * LOCATE.md §7: of two features closer than the separation (in
 * separation-scaled coordinates), the weaker goes. All pairs are judged
 * on the full set at once, so a feature dropped in one pair still removes
 * its weaker partners.
 *
 * Pairs are found by sweep and prune along the last axis: sort by the
 * scaled x, then compare each feature only with those within one unit
 * of it in x. With features at least a separation apart, that is a
 * handful of comparisons each instead of all n².
 */
#include "plan.h"

#include <stdlib.h>

/* (1 - 1e-7)², as trackpy writes it. */
static const double close_enough = (1 - 1e-7) * (1 - 1e-7);

typedef struct {
    double key;
    size_t index;
} sweep_entry;

static int by_key(const void *pa, const void *pb)
{
    const sweep_entry *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Position divided by the separation, per padded axis. */
static void scaled(const plan *pl, const feature *f, double p[3])
{
    for (int a = 0; a < 3; a++)
        p[a] = f->pos[a] / pl->separation[a];
}

/* Which of features i < j to drop, by mass, then the sum of scaled
 * coordinates; on a full tie, the earlier one. */
static size_t loser(const plan *pl, const feature *fi, const feature *fj, size_t i, size_t j)
{
    if (fi->mass != fj->mass)
        return fi->mass > fj->mass ? j : i;
    double pi[3], pj[3], si = 0, sj = 0;
    scaled(pl, fi, pi);
    scaled(pl, fj, pj);
    for (int a = 3 - pl->nd; a < 3; a++) {
        si += pi[a];
        sj += pj[a];
    }
    return si > sj ? j : i;
}

int duplicates_remove(locus_workspace *ws)
{
    const plan *pl = &ws->pl;
    size_t n = ws->nfeat;
    if (n < 2)
        return LOCUS_OK;
    if (buffer_reserve((void **)&ws->drop, &ws->drop_cap, n) ||
        buffer_reserve((void **)&ws->order, &ws->order_cap, size_mul(n, sizeof(sweep_entry))))
        return LOCUS_E_NOMEM;
    sweep_entry *e = (sweep_entry *)ws->order;
    for (size_t i = 0; i < n; i++) {
        double p[3];
        scaled(pl, &ws->feat[i], p);
        e[i] = (sweep_entry){p[2], i};
        ws->drop[i] = 0;
    }
    qsort(e, n, sizeof *e, by_key);
    for (size_t s = 0; s < n; s++) {
        double ps[3];
        scaled(pl, &ws->feat[e[s].index], ps);
        for (size_t t = s + 1; t < n && e[t].key - e[s].key <= 1; t++) {
            double pt[3], dd = 0;
            scaled(pl, &ws->feat[e[t].index], pt);
            for (int a = 3 - pl->nd; a < 3; a++) {
                double d = pt[a] - ps[a];
                dd += d * d;
            }
            if (!(dd <= close_enough))
                continue;
            size_t i = e[s].index < e[t].index ? e[s].index : e[t].index;
            size_t j = e[s].index ^ e[t].index ^ i;
            ws->drop[loser(pl, &ws->feat[i], &ws->feat[j], i, j)] = 1;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!ws->drop[i])
            ws->feat[kept++] = ws->feat[i];
    ws->nfeat = kept;
    return LOCUS_OK;
}
