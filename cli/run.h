/*
 * What `locus locate`, `locus track` and `locus-mpi` share around a run:
 * opening the inputs, the tracker and the output (with its checkpoint),
 * signals, and the report at the end (summary, skipped frames, exit
 * status).
 */
#ifndef LOCUS_CLI_RUN_H
#define LOCUS_CLI_RUN_H

#include "options.h"
#include "run/run.h"

#include <stdio.h>

/* Open and check the inputs; -1 on success, else the exit status (the
 * error is printed). */
int run_open_source(const char *prog, const locate_options *o, locus_source **src);

/* Open the output and the checkpoint for this run (the header is the
 * locate columns then `frame`), written in chunks of `chunk` frames (the
 * checkpoint's and MPI's unit; 1 writes every frame as it comes). With a
 * tracker (locus track) every row gets its `particle`. -1 on success,
 * else the exit status (the error is printed). */
int run_open_output(const char *prog, const locate_options *o, const locus_source *src,
                    size_t chunk, locus_tracker *tracker, locus_output **out);

/* The tracker of `locus track` and `locus-mpi track` for this source
 * (positions are locate's first columns), for output chunks of `chunk`
 * frames. -1 on success, else the exit status (the error is printed). */
int run_open_tracker(const char *prog, const track_options *o, const locus_source *src,
                     size_t chunk, locus_tracker **t);

/* What linking adds to locate's summary (oversize subnets, and the
 * number of trajectories unless --quiet). */
void run_link_summary(const char *prog, const track_options *o, const locus_tracker *t);

/* `locus locate` (tracker NULL) or `locus track`: the whole run on this
 * machine's threads; returns the exit status. */
int locate_run(const char *prog, const locate_options *o, locus_source *src,
               locus_tracker *tracker);

/* SIGINT/SIGTERM set a flag the batch polls between frames. */
void run_install_signals(void);
volatile const int *run_stop_flag(void);

/* Set err to "out of memory" (or another errno's message); returns its status. */
int error_from_errno(locus_error *err, int errnum, const char *what);

/* Close the output (ok when rc is LOCUS_OK), report how the run ended
 * and free the output; returns the exit status. */
int run_finish(const char *prog, const locate_options *o, locus_output *out, int rc,
               const locus_error *err, double seconds);

#endif
