/*
 * The output of a run, chunk by chunk in order: each chunk's rows are
 * written once every earlier chunk is; a finished chunk is first made
 * durable in the checkpoint (if any); chunks a checkpoint already holds
 * are copied from it instead of computed. `locus locate` and
 * `locus-mpi locate` both write through this, so their bytes agree.
 */
#ifndef LOCUS_OUTPUT_H
#define LOCUS_OUTPUT_H

#include "run/checkpoint.h"

#include <stdio.h>

typedef struct {
    FILE *out;
    const char *out_name;
    checkpoint *ckpt; /* or NULL */
    size_t chunk;     /* frames per chunk */
    size_t nframes, nchunks;
    size_t next;                             /* the next chunk to write */
    size_t frames, features, blank, skipped; /* totals written so far */
    size_t resumed;                          /* frames copied from the checkpoint */
    locus_buffer skips;                      /* every skipped frame, one line each */
    int write_errno;                         /* nonzero once a write failed */
    chunk_result scratch;                    /* for chunks read back */
} run_output;

void locus_run_output_init(run_output *o, FILE *out, const char *out_name, checkpoint *ckpt,
                           size_t chunk, size_t nframes);
void locus_run_output_free(run_output *o);

/* The chunk frame f belongs to, and whether f is its last frame. */
size_t locus_run_output_chunk_of(const run_output *o, size_t frame);
int locus_run_output_last_in_chunk(const run_output *o, size_t frame);

/*
 * Write chunk r (r->index == o->next). complete: the chunk is whole (it
 * is saved to the checkpoint first, and o->next advances); otherwise
 * these are the frames of a chunk cut short, written but not saved.
 */
int locus_run_output_write(run_output *o, const chunk_result *r, int complete, locus_error *err);

/* Copy the checkpointed chunks from o->next up to (not including) chunk
 * `upto`, stopping at the first one the checkpoint lacks. */
int locus_run_output_resume(run_output *o, size_t upto, locus_error *err);

#endif
