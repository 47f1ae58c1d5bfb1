/*
 * The one internal header the programs include (cli/, mpi/): what a
 * program built on the library needs to run a job the way `locus
 * locate` does, which is not (yet) public API because its shape follows
 * the programs:
 *
 *   run/output.h     the run's output: header, chunks in order,
 *                    checkpoint, resume, lazily created file
 *   common/window.h  the ordered window (locus-mpi deals chunks with it)
 *   common/pool.h    the thread team (rank 0 of locus-mpi runs on two)
 *   run/link_csv.h   `locus link`'s job: a features CSV in, trajectories out
 *   run/track.h      `locus track`: links the output's chunks as they are written
 *
 * Everything else a program uses is in include/locus.h.
 */
#ifndef LOCUS_RUN_RUN_H
#define LOCUS_RUN_RUN_H

#include "common/pool.h"
#include "common/window.h"
#include "run/link_csv.h"
#include "run/output.h"
#include "run/track.h"

#endif
