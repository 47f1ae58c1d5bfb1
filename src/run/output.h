/*
 * The output of a run: one CSV table written in frame order, chunk by
 * chunk, with an optional checkpoint. This module owns all of it — the
 * header, the rows of each frame, the order of chunks, the checkpoint
 * directory and resuming from it — so `locus locate`, `locus track` and
 * `locus-mpi` write the same bytes by construction.
 *
 * Frames are grouped into chunks of `chunk` frames (the unit of the
 * checkpoint and of MPI work). A finished chunk is made durable in the
 * checkpoint before its rows reach the output, so a run killed at any
 * moment can be rerun: chunks the checkpoint holds are copied from it,
 * in their place, and only the others are computed.
 *
 * The output file is opened (never truncated) when the output is opened,
 * so an unwritable path is found before any work; it is truncated and
 * written when the first rows are ready. A run that fails before that
 * leaves an existing file as it was, and removes a file it created.
 */
#ifndef LOCUS_RUN_OUTPUT_H
#define LOCUS_RUN_OUTPUT_H

#include "common/internal.h"

/* What one chunk of frames produced. */
typedef struct {
    size_t index;                   /* chunk number */
    size_t frames, features, blank; /* frames located (skipped ones aside) */
    size_t skipped;                 /* frames skipped (skip_bad) */
    locus_buffer rows;              /* CSV rows, in frame order */
    locus_buffer skips;             /* one "frame N: message" line per skipped frame */
} locus_chunk;

void locus_chunk_clear(locus_chunk *c); /* empty it, keeping its buffers */
void locus_chunk_free(locus_chunk *c);
/* Add a frame's rows (t), or a skip line (t NULL, why says why). */
int locus_chunk_add_frame(locus_chunk *c, size_t frame, const locus_table *t,
                          const locus_error *why, locus_error *err);

/*
 * Optional: what the file gets instead of a chunk's rows, made from
 * them (locus track appends each row's trajectory). Chunks go to the
 * checkpoint as they were computed, so a resumed run transforms the
 * copied chunks exactly as it transforms computed ones. Called for every
 * chunk written, in chunk order; out is overwritten.
 */
typedef int (*locus_output_transform)(void *user, const locus_chunk *c, locus_buffer *out,
                                      locus_error *err);

typedef struct {
    const char *path;       /* NULL or "-": standard output */
    const char *header;     /* the CSV header line, "\n"-terminated */
    const char *checkpoint; /* checkpoint directory, or NULL */
    const char *manifest;   /* what the run is (locus_run_manifest), with a checkpoint */
    size_t chunk;           /* frames per chunk (> 0) */
    size_t nframes;
    locus_output_transform transform; /* or NULL: the rows as they are */
    void *transform_user;
} locus_output_opts;

typedef struct {
    size_t frames, features, blank, skipped; /* written so far */
    size_t resumed;                          /* frames copied from the checkpoint */
    const char *skips; /* every skipped frame, one "frame N: message" line each */
} locus_output_stats;

typedef struct locus_output locus_output;

/*
 * Open the checkpoint (refusing one of another run, or a damaged one,
 * without changing any file in it) and the output file. Errors name the
 * file or directory and the reason.
 */
int locus_output_open(locus_output **out, const locus_output_opts *o, locus_error *err);

size_t locus_output_chunks(const locus_output *o);
/* Chunk c is in the checkpoint: it is copied, not computed. */
int locus_output_has_chunk(const locus_output *o, size_t c);
/* The frames still to compute, in order, into map (room for nframes);
 * returns their count. */
size_t locus_output_todo(const locus_output *o, size_t *map);

/*
 * One frame's result, frames in increasing order, skipping the frames of
 * checkpointed chunks (t NULL: a skipped frame, why says why). Rows go
 * out as each chunk completes, after any checkpointed chunk before it.
 */
int locus_output_frame(locus_output *o, size_t frame, const locus_table *t, const locus_error *why,
                       locus_error *err);

/*
 * A computed chunk, chunks in increasing order (checkpointed ones are
 * copied in between by themselves). complete: the whole chunk, saved to
 * the checkpoint before it is written; else the frames of a chunk cut
 * short by a failure, written only (the run then ends).
 */
int locus_output_chunk(locus_output *o, const locus_chunk *c, int complete, locus_error *err);

/*
 * The end of the run. ok: copy what the checkpoint still holds (a run
 * that needed no computing at all is thus rewritten whole from it), and
 * make sure the header is there. Not ok: the rows of a chunk cut short
 * go out (not into the checkpoint), so the output holds every whole frame
 * before the failure. Then close; LOCUS_OK, or why the output failed.
 */
int locus_output_close(locus_output *o, int ok, locus_error *err);

locus_output_stats locus_output_get_stats(const locus_output *o);
void locus_output_free(locus_output *o);

/*
 * The description of a run that a checkpoint must match: the parameters,
 * the chunk size and every input file with its size and modification
 * time, one fact per line. `extra` (may be NULL) adds lines of the
 * caller's (the link parameters of `locus track`, say).
 */
int locus_run_manifest(const locus_params *p, const locus_source_opts *opts,
                       const locus_source *src, size_t chunk, const char *extra, locus_buffer *out,
                       locus_error *err);

#endif
