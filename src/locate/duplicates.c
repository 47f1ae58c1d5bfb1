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

/* Which of features i < j to drop: the smaller mass; on equal mass the
 * smaller sum of scaled coordinates; on a full tie, the earlier one. */
static size_t loser(const feature *f, const double *P, int first, size_t i, size_t j)
{
    if (f[i].mass != f[j].mass)
        return f[i].mass > f[j].mass ? j : i;
    double si = 0, sj = 0;
    for (int a = first; a < 3; a++) {
        si += P[3 * i + a];
        sj += P[3 * j + a];
    }
    return si > sj ? j : i;
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

/* Compare feature i with the later features of one cell. */
static void judge_cell(const feature *f, const double *P, int first, size_t i,
                       const size_t *members, size_t count, unsigned char *drop)
{
    for (size_t m = 0; m < count; m++) {
        size_t j = members[m];
        if (j <= i)
            continue;
        double dd = 0;
        for (int a = first; a < 3; a++) {
            double d = P[3 * j + a] - P[3 * i + a];
            dd += d * d;
        }
        if (dd <= close_enough)
            drop[loser(f, P, first, i, j)] = 1;
    }
}

static void judge_all(const grid *g, const feature *f, const double *P, size_t n,
                      const size_t *start, const size_t *members, unsigned char *drop)
{
    for (size_t i = 0; i < n; i++) {
        size_t c[3];
        for (int a = 0; a < 3; a++)
            c[a] = a >= g->first ? cell_coord(g, P[3 * i + a], a) : 0;
        for (size_t z = c[0] ? c[0] - 1 : 0; z <= c[0] + 1 && z < g->cells[0]; z++)
            for (size_t y = c[1] ? c[1] - 1 : 0; y <= c[1] + 1 && y < g->cells[1]; y++)
                for (size_t x = c[2] ? c[2] - 1 : 0; x <= c[2] + 1 && x < g->cells[2]; x++) {
                    size_t cell = (z * g->cells[1] + y) * g->cells[2] + x;
                    judge_cell(f, P, g->first, i, members + start[cell],
                               start[cell + 1] - start[cell], drop);
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
    /* scratch: scaled positions (3n doubles); order: cell starts then members */
    if (locus_mem_reserve((void **)&ws->drop, &ws->drop_cap, n) ||
        locus_mem_reserve((void **)&ws->scratch, &ws->scratch_cap,
                          size_mul(3 * n, sizeof(double))) ||
        locus_mem_reserve((void **)&ws->order, &ws->order_cap,
                          size_mul(g.ncells + 1 + 2 * n, sizeof(size_t))))
        return LOCUS_E_NOMEM;
    double *P = ws->scratch;
    size_t *start = ws->order, *members = start + g.ncells + 1, *cell = members + n;
    memset(start, 0, (g.ncells + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++) {
        for (int a = 0; a < 3; a++)
            P[3 * i + a] = ws->feat[i].pos[a] / pl->separation[a];
        cell[i] = cell_of(&g, P + 3 * i);
        start[cell[i] + 1]++;
        ws->drop[i] = 0;
    }
    for (size_t c = 0; c < g.ncells; c++)
        start[c + 1] += start[c];
    /* fill each cell in index order, then shift the starts back */
    for (size_t i = 0; i < n; i++)
        members[start[cell[i]]++] = i;
    for (size_t c = g.ncells; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;
    judge_all(&g, ws->feat, P, n, start, members, ws->drop);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!ws->drop[i])
            ws->feat[kept++] = ws->feat[i];
    ws->nfeat = kept;
    return LOCUS_OK;
}
