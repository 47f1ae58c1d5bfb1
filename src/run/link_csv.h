/*
 * `locus link`'s job: a features CSV in, the same rows sorted by frame
 * with a `particle` column out (every input column carried through as it
 * was written). The table is read whole (rows are sorted by frame first,
 * as trackpy does), linked frame by frame, and written only when linking
 * succeeded, so a failed link leaves no table that looks complete.
 */
#ifndef LOCUS_RUN_LINK_CSV_H
#define LOCUS_RUN_LINK_CSV_H

#include "common/internal.h"

typedef struct {
    const char *input;              /* the features CSV */
    const char *output;             /* NULL or "-": standard output */
    const char *const *pos_columns; /* npos names; NULL: z,y,x when there is z, else y,x */
    int npos;
    const char *t_column;  /* the frame column; NULL: "frame" */
    const char *flow_axis; /* the channel predictor's column along the flow; NULL: "x" */
    /* The predictor's initial guess, as rows of numbers: text with rows
     * separated by ';' and values by ',' (guess), or a file with a row
     * per line (guess_file; a first line that is not numbers is skipped).
     * drift: one row of velocities; nearest: positions then velocities;
     * channel: (coordinate across the flow, velocity). */
    const char *guess;
    const char *guess_file;
    long min_length; /* keep only trajectories of at least this many rows */
    /* Optional: frames linked so far, of total. */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
} locus_link_csv_opts;

typedef struct {
    size_t rows, frames;
    locus_link_stats stats;
} locus_link_csv_result;

/*
 * Fit p to a table of ndim position columns named pos_names (NULL: the
 * default y,x): an all-equal search range becomes one value, the channel
 * predictor's flow axis is found among the names, the initial guess (text
 * or file, as in locus_link_csv_opts) is read into *storage (to free);
 * then p is checked. */
int locus_link_fit(locus_link_params *p, int ndim, const char *const *pos_names,
                   const char *flow_axis, const char *guess, const char *guess_file,
                   double **storage, locus_error *err);

/*
 * Link o->input into o->output with p (its ndim and flow axis come from
 * the table's columns). Errors: "FILE:LINE: reason" for the table, the
 * parameter for a value that does not fit the table, LOCUS_E_OVERSIZE
 * with trackpy's message under LOCUS_OVERSIZE_RAISE.
 */
int locus_link_csv(const locus_link_csv_opts *o, const locus_link_params *p,
                   locus_link_csv_result *result, locus_error *err);

#endif
