/*
 * docs/ALGORITHM.md §7: of two features closer than the separation (in
 * separation-scaled coordinates), the weaker goes. All pairs are judged
 * on the full set at once, so a feature dropped in one pair still removes
 * its weaker partners.
 *
 * Pairs are found on a grid of cells at least one separation wide:
 * features are bucketed by cell (a counting sort), and each is compared
 * only with those in its own and the adjacent cells. Cells are widened
 * when features are few, so the grid never has many more cells than
 * features. Near-linear where all-pairs would be n² (a 2048² frame of
 * noise can hold 20000 candidates).
 *
 * Only the features that pass §8's mass filter are judged (and any of
 * NaN mass, which compares false with every mass). One that passes is
 * dropped only by a partner of larger mass, or of equal mass on the
 * tie-breaks; a partner that fails has mass / scale <= minmass < the
 * passing one's mass / scale, so (division by the positive scale never
 * reversing an order) a smaller mass: it never drops a passing feature.
 * The features that fail are left out by §8 whatever their pairs say.
 * So the rows are the same, from a tenth of the features on the
 * 2048x2048 bench movie (3,000 of 30,000 pass --minmass 11000).
 */
#include "locate/plan.h"

#include <math.h>
#include <string.h>

/* (1 - 1e-7)², as trackpy writes it. */
static const double close_enough = (1 - 1e-7) * (1 - 1e-7);

typedef struct {
    int nd, first;   /* real axes are first..2 */
    double width;    /* cell width in separation units (>= 1) */
    size_t cells[3]; /* cells per padded axis (1 for absent axes) */
    size_t ncells;
} grid;

/*
 * A feature as the judging needs it, stored in cell order: its scaled
 * position, its mass and its index. Judging reads only these, a cell's
 * features side by side; it used to follow each cell's member indices
 * into the position array and the feature table (a 112-byte stride), and
 * on a 2048x2048 frame of 30,000 candidates those loads missed the cache
 * (perf annotate: a fifth of the stage on the load of a partner's mass).
 */
typedef struct {
    double p[3];
    double mass;
    size_t index;
} dup_rec;

/* Which of features a, b (a->index < b->index) to drop: the smaller
 * mass; on equal mass the smaller sum of scaled coordinates; on a full
 * tie, the earlier one. */
static size_t loser(const dup_rec *a, const dup_rec *b, int first)
{
    if (a->mass != b->mass)
        return a->mass > b->mass ? b->index : a->index;
    double sa = 0, sb = 0;
    for (int ax = first; ax < 3; ax++) {
        sa += a->p[ax];
        sb += b->p[ax];
    }
    return sa > sb ? b->index : a->index;
}

static size_t cell_coord(const grid *g, double p, int a)
{
    double c = floor(p / g->width);
    if (!(c > 0))
        return 0;
    return c >= (double)g->cells[a] ? g->cells[a] - 1 : (size_t)c;
}

static size_t cell_of(const grid *g, const double *p)
{
    size_t index = 0;
    for (int a = 0; a < 3; a++)
        index = index * g->cells[a] + (a >= g->first ? cell_coord(g, p[a], a) : 0);
    return index;
}

static void grid_plan(const plan *pl, size_t n, grid *g)
{
    g->nd = pl->nd;
    g->first = 3 - pl->nd;
    double extent[3] = {0, 0, 0}, volume = 1;
    for (int a = g->first; a < 3; a++) {
        extent[a] = (double)pl->shape[a] / pl->separation[a] + 1;
        volume *= extent[a];
    }
    /* at most about 1.25 cells per feature: against two, fewer empty
     * cells visited for a few more pairs judged (the stage's perf samples
     * on a 2048x2048 frame of 32,000 candidates 553 and 586 -> 520 and
     * 527; 0.75 and 0.5 were slower) */
    g->width = 1;
    double want = 1.25 * (double)n + 16;
    if (volume > want)
        g->width = pow(volume / want, 1.0 / pl->nd);
    g->ncells = 1;
    for (int a = 0; a < 3; a++) {
        g->cells[a] = a >= g->first ? (size_t)(extent[a] / g->width) + 1 : 1;
        g->ncells *= g->cells[a];
    }
}

/* Judge one pair, whichever of the two comes first. */
static void judge_pair(const dup_rec *r, const dup_rec *q, int first, unsigned char *drop)
{
    double dd = 0;
    for (int a = first; a < 3; a++) {
        double d = q->p[a] - r->p[a];
        dd += d * d;
    }
    if (dd <= close_enough)
        drop[r->index < q->index ? loser(r, q, first) : loser(q, r, first)] = 1;
}

/*
 * Every pair of features in the same or adjacent cells, once: within a
 * cell each with the later ones, and each cell's features with those of
 * its forward neighbours (the 13 offsets after (0, 0, 0) in raster
 * order, of which 4 are inside a 2-D grid). Drops are a set, so the
 * result does not depend on the order pairs are met in. Against judging
 * every feature against all 27 cells and skipping the pairs seen from
 * the other side, the stage's perf samples (Sapphire Rapids): bulk_water
 * 874 -> 528, 2048x2048 273 -> 193.
 */
static void judge_all(const grid *g, const dup_rec *rec, const size_t *start, unsigned char *drop)
{
    /* the forward offsets that exist in this grid, and their cell steps */
    int ahead[13][3], nahead = 0;
    ptrdiff_t step[13];
    for (int o = 14; o < 27; o++) {
        int d[3] = {o / 9 - 1, o / 3 % 3 - 1, o % 3 - 1};
        if ((d[0] && g->cells[0] == 1) || (d[1] && g->cells[1] == 1))
            continue;
        memcpy(ahead[nahead], d, sizeof d);
        step[nahead++] =
            ((ptrdiff_t)d[0] * (ptrdiff_t)g->cells[1] + d[1]) * (ptrdiff_t)g->cells[2] + d[2];
    }
    for (size_t c = 0; c < g->ncells; c++) {
        if (start[c] == start[c + 1])
            continue;
        ptrdiff_t cc[3] = {(ptrdiff_t)(c / (g->cells[1] * g->cells[2])),
                           (ptrdiff_t)(c / g->cells[2] % g->cells[1]),
                           (ptrdiff_t)(c % g->cells[2])};
        for (size_t k = start[c]; k < start[c + 1]; k++)
            for (size_t m = k + 1; m < start[c + 1]; m++)
                judge_pair(&rec[k], &rec[m], g->first, drop);
        for (int h = 0; h < nahead; h++) {
            int inside = 1;
            for (int a = 0; a < 3; a++)
                inside &= cc[a] + ahead[h][a] >= 0 && cc[a] + ahead[h][a] < (ptrdiff_t)g->cells[a];
            if (!inside)
                continue;
            size_t nc = (size_t)((ptrdiff_t)c + step[h]);
            for (size_t k = start[c]; k < start[c + 1]; k++)
                for (size_t m = start[nc]; m < start[nc + 1]; m++)
                    judge_pair(&rec[k], &rec[m], g->first, drop);
        }
    }
}

/* Whether feature f is judged (see the top of this file). */
static int judged(const plan *pl, const feature *f, double scale)
{
    return locus_passes_minmass(pl, f->mass, scale) || isnan(f->mass);
}

int locus_duplicates_mark(locus_workspace *ws, double scale)
{
    const plan *pl = &ws->pl;
    size_t n = ws->nfeat, m = 0;
    if (locus_mem_reserve((void **)&ws->drop, &ws->drop_cap, n ? n : 1) ||
        locus_mem_reserve((void **)&ws->scratch, &ws->scratch_cap,
                          size_mul(2 * n + 1, sizeof(dup_rec))))
        return LOCUS_E_NOMEM;
    memset(ws->drop, 0, n);
    /* scratch: the judged features' records in index order (`seen`, read
     * off the feature table in one pass: a 2048x2048 frame's 30,000
     * features are 3.4 MB), then the same records in cell order */
    dup_rec *seen = (dup_rec *)ws->scratch;
    for (size_t i = 0; i < n; i++) {
        const feature *f = &ws->feat[i];
        if (!judged(pl, f, scale))
            continue;
        dup_rec *r = &seen[m++];
        for (int a = 0; a < 3; a++)
            r->p[a] = f->pos[a] / pl->separation[a];
        r->mass = f->mass;
        r->index = i;
    }
    if (m < 2)
        return LOCUS_OK;
    grid g;
    grid_plan(pl, m, &g);
    /* order: the cell starts, then each record's cell */
    if (locus_mem_reserve((void **)&ws->order, &ws->order_cap,
                          size_mul(g.ncells + 1 + m, sizeof(size_t))))
        return LOCUS_E_NOMEM;
    dup_rec *rec = seen + m;
    size_t *start = ws->order, *cell = start + g.ncells + 1;
    memset(start, 0, (g.ncells + 1) * sizeof *start);
    for (size_t k = 0; k < m; k++) {
        cell[k] = cell_of(&g, seen[k].p);
        start[cell[k] + 1]++;
    }
    for (size_t c = 0; c < g.ncells; c++)
        start[c + 1] += start[c];
    /* fill each cell in index order, then shift the starts back */
    for (size_t k = 0; k < m; k++)
        rec[start[cell[k]]++] = seen[k];
    for (size_t c = g.ncells; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;
    judge_all(&g, rec, start, ws->drop);
    return LOCUS_OK;
}
