/*
 * The exact minimum-cost assignment of one subnet (docs/LINKING.md §6):
 * rows are sources, columns their candidate destinations plus one private
 * "lost" column per row, so a complete assignment always exists. Solved by
 * shortest augmenting paths with dual potentials (Jonker–Volgenant, as
 * SciPy's linear_sum_assignment does on the dense matrix), here on the
 * sparse graph: each row in turn is added by a Dijkstra search over
 * reduced costs, which stay non-negative thanks to the potentials. The
 * cost is polynomial in the subnet size, unlike trackpy's branch and bound.
 */
#include "link/link.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void locus_assign_free(locus_assign_ws *ws)
{
    free(ws->u);
    free(ws->v);
    free(ws->dist);
    free(ws->row4col);
    free(ws->col4row);
    free(ws->path);
    free(ws->touched);
    free(ws->rows_seen);
    free(ws->heap);
    free(ws->scanned);
    memset(ws, 0, sizeof *ws);
}

static int regrow(void **p, size_t n, size_t sz)
{
    void *q = realloc(*p, size_mul(n ? n : 1, sz));
    if (!q)
        return -1;
    *p = q;
    return 0;
}

static int reserve(locus_assign_ws *ws, size_t rows, size_t cols, size_t edges)
{
    if (rows > ws->cap_rows) {
        size_t n = rows + rows / 2;
        if (regrow((void **)&ws->u, n, sizeof *ws->u) ||
            regrow((void **)&ws->col4row, n, sizeof *ws->col4row) ||
            regrow((void **)&ws->rows_seen, n, sizeof *ws->rows_seen))
            return LOCUS_E_NOMEM;
        ws->cap_rows = n;
    }
    if (cols > ws->cap_cols) {
        size_t n = cols + cols / 2;
        if (regrow((void **)&ws->v, n, sizeof *ws->v) ||
            regrow((void **)&ws->dist, n, sizeof *ws->dist) ||
            regrow((void **)&ws->row4col, n, sizeof *ws->row4col) ||
            regrow((void **)&ws->path, n, sizeof *ws->path) ||
            regrow((void **)&ws->touched, n, sizeof *ws->touched) ||
            regrow((void **)&ws->scanned, n, sizeof *ws->scanned))
            return LOCUS_E_NOMEM;
        ws->cap_cols = n;
    }
    if (edges > ws->cap_heap) {
        size_t n = edges + edges / 2;
        if (regrow((void **)&ws->heap, n, sizeof *ws->heap))
            return LOCUS_E_NOMEM;
        ws->cap_heap = n;
    }
    return 0;
}

/*
 * A binary min-heap of (distance, column) entries. A column whose distance
 * drops is pushed again; the stale entry is skipped when it comes out.
 * Equal distances: a free column first, which ends the search sooner.
 */
typedef struct {
    locus_assign_entry *a;
    size_t n;
} col_heap;

static int heap_less(const locus_assign_entry *x, const locus_assign_entry *y)
{
    if (x->d != y->d)
        return x->d < y->d;
    return x->free > y->free;
}

static void heap_push(col_heap *h, locus_assign_entry x)
{
    size_t k = h->n++;
    while (k > 0) {
        size_t p = (k - 1) / 2;
        if (!heap_less(&x, &h->a[p]))
            break;
        h->a[k] = h->a[p];
        k = p;
    }
    h->a[k] = x;
}

static int heap_pop(col_heap *h)
{
    int top = h->a[0].col;
    locus_assign_entry last = h->a[--h->n];
    size_t k = 0;
    for (;;) {
        size_t l = 2 * k + 1;
        if (l >= h->n)
            break;
        if (l + 1 < h->n && heap_less(&h->a[l + 1], &h->a[l]))
            l++;
        if (!heap_less(&h->a[l], &last))
            break;
        h->a[k] = h->a[l];
        k = l;
    }
    if (h->n)
        h->a[k] = last;
    return top;
}

/* The solver's state for one call. */
typedef struct {
    locus_assign_ws *ws;
    int nrows, ncols;
    const size_t *start;
    const int *col;
    const double *cost, *lost;
    size_t ntouched, nseen;
    col_heap heap;
} solver;

/* Relax the edges of row i, reached at shortest distance min_val. */
static void relax_row(solver *s, int i, double min_val)
{
    locus_assign_ws *ws = s->ws;
    double ui = ws->u[i];
    size_t e0 = s->start[i], e1 = s->start[i + 1];
    for (size_t e = e0; e <= e1; e++) {
        /* the row's listed columns, then its own lost column */
        int j = e < e1 ? s->col[e] : s->ncols + i;
        double c = e < e1 ? s->cost[e] : s->lost[i];
        if (ws->scanned[j])
            continue;
        double r = min_val + c - ui - ws->v[j];
        if (r < ws->dist[j]) {
            if (ws->dist[j] == INFINITY)
                ws->touched[s->ntouched++] = j;
            ws->dist[j] = r;
            ws->path[j] = i;
            heap_push(&s->heap, (locus_assign_entry){r, j, ws->row4col[j] < 0});
        }
    }
}

/* Dijkstra from free row cur to the nearest free column; returns it. */
static int shortest_path(solver *s, int cur, double *min_val)
{
    locus_assign_ws *ws = s->ws;
    int i = cur;
    double mv = 0;
    s->heap.n = 0;
    s->ntouched = 0;
    s->nseen = 0;
    for (;;) {
        ws->rows_seen[s->nseen++] = i;
        relax_row(s, i, mv);
        int j;
        do
            j = heap_pop(&s->heap);
        while (ws->scanned[j]); /* a stale entry; the lost column keeps the heap non-empty */
        ws->scanned[j] = 1;
        mv = ws->dist[j];
        if (ws->row4col[j] < 0) {
            *min_val = mv;
            return j;
        }
        i = ws->row4col[j];
    }
}

/* Update the potentials after a search, then augment along the path. */
static void augment(solver *s, int cur, int sink, double min_val)
{
    locus_assign_ws *ws = s->ws;
    ws->u[cur] += min_val;
    for (size_t k = 1; k < s->nseen; k++) {
        int i = ws->rows_seen[k];
        ws->u[i] += min_val - ws->dist[ws->col4row[i]];
    }
    for (size_t k = 0; k < s->ntouched; k++) {
        int j = ws->touched[k];
        if (ws->scanned[j])
            ws->v[j] -= min_val - ws->dist[j];
        ws->dist[j] = INFINITY;
        ws->scanned[j] = 0;
    }
    for (int j = sink;;) {
        int i = ws->path[j];
        ws->row4col[j] = i;
        int next = ws->col4row[i];
        ws->col4row[i] = j;
        if (i == cur)
            break;
        j = next;
    }
}

int locus_assign_solve(locus_assign_ws *ws, int nrows, int ncols, const size_t *start,
                       const int *col, const double *cost, const double *lost, int *row_to_col)
{
    size_t cols = (size_t)ncols + (size_t)nrows;
    size_t edges = start[nrows] + (size_t)nrows;
    if (reserve(ws, (size_t)nrows, cols, edges + 1))
        return LOCUS_E_NOMEM;
    for (size_t j = 0; j < cols; j++) {
        ws->v[j] = 0;
        ws->dist[j] = INFINITY;
        ws->row4col[j] = -1;
        ws->scanned[j] = 0;
    }
    for (int i = 0; i < nrows; i++) {
        ws->u[i] = 0;
        ws->col4row[i] = -1;
    }
    solver s = {.ws = ws,
                .nrows = nrows,
                .ncols = ncols,
                .start = start,
                .col = col,
                .cost = cost,
                .lost = lost};
    s.heap = (col_heap){.a = ws->heap};
    for (int cur = 0; cur < nrows; cur++) {
        double min_val;
        int sink = shortest_path(&s, cur, &min_val);
        augment(&s, cur, sink, min_val);
    }
    for (int i = 0; i < nrows; i++)
        row_to_col[i] = ws->col4row[i] < ncols ? ws->col4row[i] : -1;
    return 0;
}
