/*
 * The linker's state, shared by the driver (linker.c) and the subnet
 * solving (solve.c). Internal.
 */
#ifndef LOCUS_LINKER_H
#define LOCUS_LINKER_H

#include "link/link.h"

/* Open trajectory ends: measured position, trajectory, level, frame. */
typedef struct {
    size_t n, cap;
    double *raw; /* n rows of ndim, original coordinates */
    int64_t *id, *level, *frame;
} source_set;

/* One subnet waiting on the adaptive-search worklist (§7). */
typedef struct {
    size_t off, n; /* its sources: stack[off .. off + n) */
    double r;      /* the range in force */
} link_item;

struct locus_linker {
    locus_link_params p;
    int ndim, aniso, adaptive;
    double scale[3]; /* per-axis range (aniso), else 1 */
    double R;        /* the range in the working space */
    double stop;     /* adaptive_stop in the working space */
    size_t max_size;
    locus_predictor *pred;
    int failed, have_last;
    int64_t last_frame, levels, next_id;
    source_set src, next;
    locus_link_stats last, total;

    /* per-frame scratch */
    double *work_src, *work_dst; /* positions in the working space */
    uint32_t *len;               /* per source: candidates in force (a prefix) */
    int *src_link, *dst_src;     /* the links made: -1 for none */
    size_t cap_fsrc, cap_fdst;
    locus_link_grid grid;
    locus_link_cands cands;
    locus_link_split split;
    locus_assign_ws asg;

    /* the worklist of subnets and its storage of sources */
    uint32_t *stack, *cur;
    size_t nstack, cap_stack;
    link_item *items;
    size_t nitems, cap_items;
    size_t *off, *ndst; /* the components of one split */

    /* one subnet's assignment problem */
    size_t *a_start;
    int *a_col, *a_out, *dloc;
    uint32_t *dlist;
    double *a_cost, *a_lost;
    size_t cap_rows, cap_edges;
};

/* Solve the frame's subnets from lk->cands (solve.c). */
int locus_link_solve_frame(locus_linker *lk, int64_t frame, locus_error *err);

/* Row order of a table sorted by frame, stably; order gets n indices. */
void locus_link_order(const int64_t *frames, size_t n, size_t *order);

#endif
