/*
 * `locus track`: locate and link in one run. A locus_tracker is the
 * output's transform (locus_output_opts.transform): it links the rows
 * of each chunk as the chunk is written and appends each row's
 * trajectory, so the table equals `locus locate` then `locus link`.
 */
#ifndef LOCUS_RUN_TRACK_H
#define LOCUS_RUN_TRACK_H

#include "run/output.h"

typedef struct locus_tracker locus_tracker;

/* A tracker for a run of nframes frames in chunks of `chunk` frames,
 * linking with p (p->ndim: the position columns locate writes first). */
int locus_tracker_create(locus_tracker **t, const locus_link_params *p, size_t chunk,
                         size_t nframes, locus_error *err);
void locus_tracker_free(locus_tracker *t);
/* The output transform: chunk c's rows with ",PARTICLE" appended. */
int locus_tracker_rows(void *tracker, const locus_chunk *c, locus_buffer *out, locus_error *err);
void locus_tracker_stats(const locus_tracker *t, locus_link_stats *total);

#endif
