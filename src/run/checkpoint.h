/*
 * Checkpoints: a directory holding each finished chunk of a run, so that
 * a run killed at any moment can be rerun and skip what was done.
 *
 *   DIR/manifest      what the run is: inputs (with sizes and mtimes),
 *                     parameters, chunk size. A rerun whose manifest
 *                     differs is refused, never mixed in.
 *   DIR/chunk-N.csv   one finished chunk: a header line, the skipped
 *                     frames, then its CSV rows exactly as in the output.
 *
 * Every file is written to a temporary name, fsync'd, renamed into place
 * and the directory fsync'd: after a crash a chunk file is either whole
 * or absent.
 */
#ifndef LOCUS_CHECKPOINT_H
#define LOCUS_CHECKPOINT_H

#include "locus.h"

/* What one chunk of frames produced. */
typedef struct {
    size_t index;                   /* chunk number */
    size_t frames, features, blank; /* frames located (skipped ones aside) */
    size_t skipped;                 /* frames skipped (--skip-bad) */
    locus_buffer rows;              /* CSV rows, frame order */
    locus_buffer skips;             /* one "skipped frame N: message" line per skip */
} chunk_result;

void locus_chunk_result_clear(chunk_result *r); /* empty it, keeping its buffers */
void locus_chunk_result_free(chunk_result *r);

typedef struct checkpoint checkpoint;

/*
 * Open (creating) DIR for a run described by `manifest` (text). A fresh
 * directory gets the manifest; one with a manifest must hold this very
 * one, else LOCUS_E_PARAM with the first line that differs.
 */
int locus_checkpoint_open(checkpoint **out, const char *dir, const char *manifest, size_t nchunks,
                          locus_error *err);
void locus_checkpoint_close(checkpoint *c);

/* Whether chunk i is in the directory (whole: its header checks out). */
int locus_checkpoint_has(const checkpoint *c, size_t i);
size_t locus_checkpoint_count(const checkpoint *c);
/* Read chunk i back into r. */
int locus_checkpoint_load(const checkpoint *c, size_t i, chunk_result *r, locus_error *err);
/* Make chunk r->index durable. */
int locus_checkpoint_save(checkpoint *c, const chunk_result *r, locus_error *err);

/*
 * The manifest of a run: the parameters, the chunk size and every input
 * file with its size and modification time, one fact per line.
 */
int locus_checkpoint_manifest(const locus_params *p, const locus_source_opts *opts,
                              const locus_source *src, size_t chunk, locus_buffer *out,
                              locus_error *err);

#endif
