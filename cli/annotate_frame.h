/*
 * The `locate --annotate DIR` hook: frames drawn with their features as
 * the run delivers their tables, as `locus annotate` draws them.
 */
#ifndef LOCUS_CLI_ANNOTATE_FRAME_H
#define LOCUS_CLI_ANNOTATE_FRAME_H

#include "locus.h"
#include "options.h"

typedef struct {
    const char *dir;
    size_t *frames; /* sorted, unique */
    size_t nframes;
    const locus_source *src;
    locus_reader *rd;
    locus_annotate_opts style;
} annotate_hook;

/* Set up from o (a no-op without --annotate): parse the frame list, check
 * the frames exist, create the directory. */
int annotate_hook_open(annotate_hook *h, const locate_options *o, const locus_source *src,
                       locus_error *err);
/* Called with every located frame in order: draw it if it was asked for. */
int annotate_hook_frame(annotate_hook *h, size_t frame, const locus_table *t, locus_error *err);
void annotate_hook_close(annotate_hook *h);

#endif
