/*
 * Linking internals (docs/LINKING.md): the candidate search, the subnet
 * split, the assignment solver and the predictors that the streaming
 * driver (linker.c) puts together. Not part of the public API.
 */
#ifndef LOCUS_LINK_H
#define LOCUS_LINK_H

#include "common/internal.h"

#include <stddef.h>
#include <stdint.h>

/* trackpy's constants (LINKING.md §3, §5). */
#define LINK_MAX_NEIGHBORS 10       /* candidates kept per destination */
#define LINK_SLACK 1e-7             /* candidate iff d² < (R + 1e-7)² */
#define LINK_MAX_SUBNET 30          /* sources per subnet, plain link */
#define LINK_MAX_SUBNET_ADAPTIVE 15 /* sources per subnet, adaptive search */
#define LINK_NUMBA_MAX_CANDS 8      /* hybrid/numba: 9 or more candidates is oversize */

/* ------------------------------------------------------------------ */
/* Candidates (grid.c)                                                 */
/* ------------------------------------------------------------------ */

/*
 * Each source's candidate destinations (LINKING.md §3) in compressed rows:
 * source i's are dst[start[i] .. start[i + 1]), sorted by increasing d,
 * equal d by destination index. d is sqrt(d²); the cost of a link is d * d.
 */
typedef struct {
    size_t nsrc, ndst;
    size_t *start; /* nsrc + 1 */
    uint32_t *dst;
    double *d;
    uint8_t *ndst_src; /* per destination: how many sources list it */
    size_t cap_src, cap_edges, cap_dst;
    /* the pairs found, in search order, before sorting by source */
    uint32_t *e_src, *e_dst;
    double *e_d2;
    size_t ne, cap_e;
} locus_link_cands;

/* The grid of cells over the sources, and its scratch. */
typedef struct {
    int ndim;
    double lo[3], side, inv; /* inv = 1 / side */
    size_t ncell[3], cells;
    uint32_t *cell_start; /* cells + 1 */
    uint32_t *item;       /* source indices, by cell */
    double *ipos;         /* their positions, by cell (ndim each) */
    uint32_t *cell_of;    /* per source: its cell, or UINT32_MAX (not finite) */
    uint32_t *dorder;     /* destinations in cell order, for locality */
    uint32_t *dcount;     /* cells + 1, for sorting the destinations */
    size_t cap_cells, cap_items, cap_dorder;
} locus_link_grid;

void locus_link_grid_free(locus_link_grid *g);
void locus_link_cands_free(locus_link_cands *c);

/*
 * The candidates of ndst destinations (finite) among nsrc sources (a
 * source with a non-finite position has none), within range R: for each
 * destination the at most 10 nearest sources with d² < (R + 1e-7)², d²
 * summed in axis order. Positions are rows of ndim doubles.
 */
int locus_link_candidates(locus_link_grid *g, locus_link_cands *c, int ndim, double R,
                          const double *src, size_t nsrc, const double *dst, size_t ndst);

/* ------------------------------------------------------------------ */
/* Assignment (assign.c)                                               */
/* ------------------------------------------------------------------ */

/* An entry of the solver's heap: a column reached at distance d. */
typedef struct {
    double d;
    int col, free;
} locus_assign_entry;

/* Scratch of the solver, reused from call to call. */
typedef struct {
    double *u, *v, *dist;
    int *row4col, *col4row, *path, *touched, *rows_seen;
    locus_assign_entry *heap;
    uint8_t *scanned;
    size_t cap_rows, cap_cols, cap_heap;
} locus_assign_ws;

void locus_assign_free(locus_assign_ws *ws);

/*
 * The minimum-cost assignment of LINKING.md §6 and §12: each of nrows
 * rows takes one of its columns (row i's are col[start[i] .. start[i+1]),
 * below ncols, at cost[k] >= 0), no column twice, or none at lost[i].
 * Columns not listed are forbidden. Solved exactly by shortest augmenting
 * paths (Jonker–Volgenant), any size. row_to_col[i] receives the column
 * or -1 (lost). Returns 0 or LOCUS_E_NOMEM.
 */
int locus_assign_solve(locus_assign_ws *ws, int nrows, int ncols, const size_t *start,
                       const int *col, const double *cost, const double *lost, int *row_to_col);

/* ------------------------------------------------------------------ */
/* Subnets (subnet.c)                                                  */
/* ------------------------------------------------------------------ */

/* Scratch for splitting sources into the components of the candidate graph. */
typedef struct {
    int *dmark;      /* per destination of the frame: local index, or -1 */
    uint32_t *dlist; /* local index → destination */
    int *parent;     /* union-find over local sources then destinations */
    int *comp;       /* per local node: component, or -1 */
    int *count;      /* per component */
    size_t cap_dst, cap_nodes;
} locus_link_split;

void locus_link_split_free(locus_link_split *s);
int locus_link_split_reserve(locus_link_split *s, size_t ndst);

/*
 * Split sources src[0..n) (with len[i] of each source's candidates in
 * force) into connected components. On return src is reordered so that
 * component k is src[off[k] .. off[k+1]), components in order of their
 * first source and sources in their given order within each; ndst[k] is
 * its number of destinations; *ncomp is the count. off must hold n + 1
 * entries and ndst n. Returns 0 or LOCUS_E_NOMEM.
 */
int locus_link_split_run(locus_link_split *s, const locus_link_cands *c, const uint32_t *len,
                         uint32_t *src, size_t n, size_t *off, size_t *ndst, size_t *ncomp);

/* ------------------------------------------------------------------ */
/* Predictors (predict.c)                                              */
/* ------------------------------------------------------------------ */

typedef struct locus_predictor locus_predictor;

int locus_predictor_create(locus_predictor **out, const locus_predict_params *p, int ndim,
                           locus_error *err);
void locus_predictor_free(locus_predictor *pr);
/* Predicted positions at frame t of n sources at pos (their frames in
 * frame[]), into out (n rows of ndim). */
int locus_predictor_predict(locus_predictor *pr, int64_t t, const double *pos, const int64_t *frame,
                            size_t n, double *out);
/* Learn from a linked frame: its n rows with their trajectory IDs. */
int locus_predictor_observe(locus_predictor *pr, int64_t t, const double *pos, const int64_t *ids,
                            size_t n);

#endif
