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
    /* at most about two cells per feature */
    g->width = 1;
    double want = 2.0 * (double)n + 16;
    if (volume > want)
        g->width = pow(volume / want, 1.0 / pl->nd);
    g->ncells = 1;
    for (int a = 0; a < 3; a++) {
        g->cells[a] = a >= g->first ? (size_t)(extent[a] / g->width) + 1 : 1;
        g->ncells *= g->cells[a];
    }
}

/* Compare feature r with the later features (by index) of one cell. */
static void judge_cell(const dup_rec *r, const dup_rec *cell, size_t count, int first,
                       unsigned char *drop)
{
    for (size_t m = 0; m < count; m++) {
        const dup_rec *q = &cell[m];
        if (q->index <= r->index)
            continue;
        double dd = 0;
        for (int a = first; a < 3; a++) {
            double d = q->p[a] - r->p[a];
            dd += d * d;
        }
        if (dd <= close_enough)
            drop[loser(r, q, first)] = 1;
    }
}

/* Every feature against those of its own and the adjacent cells, cell
 * by cell. Each close pair is found from its earlier feature, whatever
 * order the cells are visited in, and drops are a set: the result does
 * not depend on the order. */
static void judge_all(const grid *g, const dup_rec *rec, const size_t *start, unsigned char *drop)
{
    for (size_t c = 0; c < g->ncells; c++) {
        size_t cc[3] = {c / (g->cells[1] * g->cells[2]), c / g->cells[2] % g->cells[1],
                        c % g->cells[2]};
        for (size_t k = start[c]; k < start[c + 1]; k++)
            for (size_t z = cc[0] ? cc[0] - 1 : 0; z <= cc[0] + 1 && z < g->cells[0]; z++)
                for (size_t y = cc[1] ? cc[1] - 1 : 0; y <= cc[1] + 1 && y < g->cells[1]; y++)
                    for (size_t x = cc[2] ? cc[2] - 1 : 0; x <= cc[2] + 1 && x < g->cells[2]; x++) {
                        size_t nc = (z * g->cells[1] + y) * g->cells[2] + x;
                        judge_cell(&rec[k], rec + start[nc], start[nc + 1] - start[nc], g->first,
                                   drop);
                    }
    }
}

int locus_duplicates_remove(locus_workspace *ws)
{
    const plan *pl = &ws->pl;
    size_t n = ws->nfeat;
    if (n < 2)
        return LOCUS_OK;
    grid g;
    grid_plan(pl, n, &g);
    /* scratch: the records in cell order; order: cell starts, then each
     * feature's cell */
    if (locus_mem_reserve((void **)&ws->drop, &ws->drop_cap, n) ||
        locus_mem_reserve((void **)&ws->scratch, &ws->scratch_cap, size_mul(n, sizeof(dup_rec))) ||
        locus_mem_reserve((void **)&ws->order, &ws->order_cap,
                          size_mul(g.ncells + 1 + n, sizeof(size_t))))
        return LOCUS_E_NOMEM;
    dup_rec *rec = (dup_rec *)ws->scratch;
    size_t *start = ws->order, *cell = start + g.ncells + 1;
    memset(start, 0, (g.ncells + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++) {
        double p[3];
        for (int a = 0; a < 3; a++)
            p[a] = ws->feat[i].pos[a] / pl->separation[a];
        cell[i] = cell_of(&g, p);
        start[cell[i] + 1]++;
        ws->drop[i] = 0;
    }
    for (size_t c = 0; c < g.ncells; c++)
        start[c + 1] += start[c];
    /* fill each cell in index order, then shift the starts back */
    for (size_t i = 0; i < n; i++) {
        dup_rec *r = &rec[start[cell[i]]++];
        for (int a = 0; a < 3; a++)
            r->p[a] = ws->feat[i].pos[a] / pl->separation[a];
        r->mass = ws->feat[i].mass;
        r->index = i;
    }
    for (size_t c = g.ncells; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;
    judge_all(&g, rec, start, ws->drop);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!ws->drop[i])
            ws->feat[kept++] = ws->feat[i];
    ws->nfeat = kept;
    return LOCUS_OK;
}
