/*
 * What `locus locate` and `locus-mpi locate` share around a run: opening
 * the inputs, the output and the checkpoint, signals, one frame's rows,
 * and the report at the end (summary, skipped frames, exit status).
 */
#ifndef LOCUS_CLI_RUN_H
#define LOCUS_CLI_RUN_H

#include "options.h"
#include "run/output.h"

#include <stdio.h>

/* Open and check the inputs; -1 on success, else the exit status (the
 * error is printed). */
int run_open_source(const char *prog, const locate_options *o, locus_source **src);
/* Open the output file (or standard output); -1, or the exit status. */
int run_open_output(const char *prog, const locate_options *o, FILE **out);
/* Open o->checkpoint for this run, or leave *ckpt NULL without one. */
int run_open_checkpoint(const locate_options *o, const locus_source *src, checkpoint **ckpt,
                        locus_error *err);
int run_write_header(const locus_params *p, const locus_source *src, run_output *out,
                     locus_error *err);

/* Add frame's result to chunk r: its rows, or (t == NULL) a skip line. */
int run_frame_rows(chunk_result *r, size_t frame, const locus_table *t, const locus_error *err);

/* SIGINT/SIGTERM set a flag the batch polls between frames. */
void run_install_signals(void);
volatile const int *run_stop_flag(void);

/* Set err to "out of memory" (or another errno's message); returns its status. */
int error_from_errno(locus_error *err, int errnum, const char *what);

/* Close the output and report how the run ended; returns the exit status. */
int run_finish(const char *prog, const locate_options *o, run_output *out, int rc,
               const locus_error *err, double seconds);

#endif
