/*
 * Checkpoint directories, the durable half of the output module
 * (run/output.c is their only user):
 *
 *   DIR/manifest         what the run is (locus_run_manifest), ending in
 *                        an "end" line so that a damaged one shows
 *   DIR/chunk-NNNNNN.csv one finished chunk: a header line with its
 *                        counts and length, its skip lines, its rows
 *
 * Every file is written to a temporary name, fsync'd, renamed into place
 * and the directory fsync'd: after a crash a file is whole or absent.
 * So a chunk file that is not whole, or a manifest without its last
 * line, is damage (or another program's doing), never a crash: it is
 * refused, not repaired.
 */
#ifndef LOCUS_RUN_CHECKPOINT_H
#define LOCUS_RUN_CHECKPOINT_H

#include "run/output.h"

typedef struct locus_checkpoint locus_checkpoint;

/*
 * Open (creating) DIR for a run described by `manifest`, a run of
 * nchunks chunks. A directory without a manifest and without chunk files
 * is fresh and gets the manifest. Anything else must be this very run,
 * whole: another run's manifest, a manifest that cannot be read or is
 * damaged, chunk files without a manifest, a damaged chunk file — each
 * is refused (LOCUS_E_PARAM or LOCUS_E_IO) with the directory and the
 * reason, and nothing in the directory is changed.
 */
int locus_checkpoint_open(locus_checkpoint **out, const char *dir, const char *manifest,
                          size_t nchunks, locus_error *err);
void locus_checkpoint_close(locus_checkpoint *c);

/* Whether chunk i is in the directory. */
int locus_checkpoint_has(const locus_checkpoint *c, size_t i);
/* Read chunk i back into r. */
int locus_checkpoint_load(const locus_checkpoint *c, size_t i, locus_chunk *r, locus_error *err);
/* Make chunk r->index durable. */
int locus_checkpoint_save(locus_checkpoint *c, const locus_chunk *r, locus_error *err);

#endif
