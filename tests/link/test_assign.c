/*
 * The assignment solver against brute-force enumeration: thousands of
 * random small problems (forbidden entries, equal costs, more rows than
 * columns and the reverse, single rows), and one large one against a
 * known optimum.
 */
#include "check.h"
#include "link/link.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXR 7
#define MAXC 7

typedef struct {
    int nrows, ncols;
    size_t start[MAXR + 1];
    int col[MAXR * MAXC];
    double cost[MAXR * MAXC];
    double lost[MAXR];
} problem;

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double uniform(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

/* A random problem; integer costs (many equal) when `ties`. */
static void make_problem(problem *p, int ties)
{
    p->nrows = 1 + (int)(rng() % MAXR);
    p->ncols = (int)(rng() % (MAXC + 1));
    double density = 0.2 + 0.8 * uniform();
    size_t e = 0;
    for (int i = 0; i < p->nrows; i++) {
        p->start[i] = e;
        for (int j = 0; j < p->ncols; j++) {
            if (uniform() > density)
                continue; /* forbidden */
            p->col[e] = j;
            p->cost[e++] = ties ? (double)(rng() % 4) : 30 * uniform();
        }
        p->lost[i] = ties ? (double)(rng() % 4) : 30 * uniform();
    }
    p->start[p->nrows] = e;
}

/* The least total cost, by trying every choice of every row. */
static double brute(const problem *p, int row, unsigned used)
{
    if (row >= p->nrows || row >= MAXR)
        return 0;
    double best = p->lost[row] + brute(p, row + 1, used);
    for (size_t e = p->start[row]; e < p->start[row + 1]; e++) {
        if (used & (1u << p->col[e]))
            continue;
        double c = p->cost[e] + brute(p, row + 1, used | (1u << p->col[e]));
        if (c < best)
            best = c;
    }
    return best;
}

/* The cost of the solver's answer; -1 if it is not a valid assignment. */
static double cost_of(const problem *p, const int *out)
{
    unsigned used = 0;
    double total = 0;
    for (int i = 0; i < p->nrows; i++) {
        if (out[i] < 0) {
            total += p->lost[i];
            continue;
        }
        if (out[i] >= p->ncols || (used & (1u << out[i])))
            return -1;
        used |= 1u << out[i];
        size_t e = p->start[i];
        while (e < p->start[i + 1] && p->col[e] != out[i])
            e++;
        if (e == p->start[i + 1])
            return -1; /* a forbidden entry */
        total += p->cost[e];
    }
    return total;
}

static void random_problems(locus_assign_ws *ws, int ties, int count)
{
    int bad = 0, first = -1;
    double got = 0, want = 0;
    for (int k = 0; k < count; k++) {
        problem p;
        int out[MAXR];
        make_problem(&p, ties);
        if (locus_assign_solve(ws, p.nrows, p.ncols, p.start, p.col, p.cost, p.lost, out)) {
            bad++;
            continue;
        }
        double c = cost_of(&p, out), b = brute(&p, 0, 0);
        if (c < 0 || fabs(c - b) > 1e-9 * (1 + b)) {
            if (first < 0)
                first = k, got = c, want = b;
            bad++;
        }
    }
    CHECK(bad == 0,
          "%d random %s problems: optimum equals brute force (%d wrong; first #%d: %g, want %g)",
          count, ties ? "integer-cost (ties)" : "real-cost", bad, first, got, want);
}

/* Single rows and degenerate shapes. */
static void edge_shapes(locus_assign_ws *ws)
{
    size_t start[3] = {0, 0, 0};
    int col[4], out[2];
    double cost[4], lost[2] = {4, 4};
    CHECK(locus_assign_solve(ws, 1, 0, start, col, cost, lost, out) == 0 && out[0] == -1,
          "one row, no column: lost");
    start[1] = 1;
    col[0] = 0;
    cost[0] = 5;
    locus_assign_solve(ws, 1, 1, start, col, cost, lost, out);
    CHECK(out[0] == -1, "one row: a link dearer than being lost is not taken");
    cost[0] = 3;
    locus_assign_solve(ws, 1, 1, start, col, cost, lost, out);
    CHECK(out[0] == 0, "one row: a cheaper link is taken");
    /* two rows want one column: the cheaper total wins */
    start[1] = 1, start[2] = 2;
    col[1] = 0;
    cost[0] = 1, cost[1] = 2;
    lost[0] = 10, lost[1] = 1.5;
    locus_assign_solve(ws, 2, 1, start, col, cost, lost, out);
    CHECK(out[0] == 0 && out[1] == -1, "two rows, one column: row 0 links, row 1 lost");
}

/* trackpy's own example (LINK.md §6): (0,0), (0,8) → (8,7), (8,15). */
static void trackpy_example(locus_assign_ws *ws)
{
    size_t start[3] = {0, 1, 3};
    int col[3] = {0, 0, 1};
    double cost[3] = {8 * 8 + 7 * 7, 8 * 8 + 1, 8 * 8 + 7 * 7}, out_cost;
    int out[2];
    double lost13[2] = {169, 169}, lost12[2] = {144, 144};
    locus_assign_solve(ws, 2, 2, start, col, cost, lost13, out);
    out_cost = (out[0] == 0 ? cost[0] : 169) + (out[1] == 0   ? cost[1]
                                                : out[1] == 1 ? cost[2]
                                                              : 169);
    CHECK(out[0] == 0 && out[1] == 1, "R = 13: both link (cost %g = 226)", out_cost);
    locus_assign_solve(ws, 2, 2, start, col, cost, lost12, out);
    CHECK(out[0] == -1 && out[1] == 0, "R = 12: (0,8) links to (8,7), (0,0) is lost (209)");
}

/* A large problem with a known optimum: n rows, each with its own column at
 * cost 1 and a shared decoy column at cost 0.5; lost costs 10. */
static void large_problem(locus_assign_ws *ws)
{
    enum { N = 3000 };
    size_t *start = malloc((N + 1) * sizeof *start);
    int *col = malloc(2 * N * sizeof *col), *out = malloc(N * sizeof *out);
    double *cost = malloc(2 * N * sizeof *cost), *lost = malloc(N * sizeof *lost);
    for (int i = 0; i < N; i++) {
        start[i] = 2 * (size_t)i;
        col[2 * i] = N; /* the decoy */
        cost[2 * i] = 0.5;
        col[2 * i + 1] = i;
        cost[2 * i + 1] = 1;
        lost[i] = 10;
    }
    start[N] = 2 * N;
    int rc = locus_assign_solve(ws, N, N + 1, start, col, cost, lost, out);
    double total = 0;
    int decoys = 0;
    for (int i = 0; i < N; i++) {
        decoys += out[i] == N;
        total += out[i] == N ? 0.5 : out[i] == i ? 1 : 10;
    }
    CHECK(rc == 0 && decoys == 1 && fabs(total - (N - 0.5)) < 1e-6,
          "%d rows sharing a decoy: optimum %g (want %g)", N, total, N - 0.5);
    free(start);
    free(col);
    free(out);
    free(cost);
    free(lost);
}

int main(void)
{
    locus_assign_ws ws;
    memset(&ws, 0, sizeof ws);
    random_problems(&ws, 0, 4000);
    random_problems(&ws, 1, 4000);
    edge_shapes(&ws);
    trackpy_example(&ws);
    large_problem(&ws);
    locus_assign_free(&ws);
    return check_done();
}
