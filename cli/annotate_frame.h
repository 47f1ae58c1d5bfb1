/*
 * Annotated frames from the command line: `locus annotate`, and the
 * `--annotate DIR` hook of `locus locate`, which draws frames as the run
 * delivers their tables. Both size and place rings the same way.
 */
#ifndef LOCUS_CLI_ANNOTATE_FRAME_H
#define LOCUS_CLI_ANNOTATE_FRAME_H

#include "render/annotate.h"
#include "io/csv_read.h"
#include "options.h"

/* How rings are sized and drawn. */
typedef struct {
    draw_rgb color;      /* default red */
    int invert;          /* show the frame inverted (locate's --invert) */
    int minmax;          /* scale min..max instead of the 0.1..99.9 percentiles */
    double radius;       /* > 0: every ring this radius */
    locus_axes diameter; /* count > 0: rings of this diameter ((z,) y, x) */
    /* Without either: each feature's size (or size_z, size_y, size_x)
     * times 2.5; for a table without sizes, this diameter if set. */
    locus_axes fallback_diameter;
} annotate_style;

void annotate_style_init(annotate_style *st);

/* "red", ..., or "#RRGGBB"; 0 or -1. */
int annotate_parse_color(const char *s, draw_rgb *c);

/*
 * Draw img (2-D, or the z slice of a 3-D image) with a ring around each
 * feature of t in frame `frame` (every row when t has no frame column),
 * and write it to path as PNG. what names the table in errors. A feature
 * of a 3-D table is drawn on slice z as the cross-section of its
 * ellipsoid. *drawn receives the number of rings (may be NULL).
 */
int annotate_write(const char *path, const locus_image *img, size_t z, const features_table *t,
                   double frame, const annotate_style *st, const char *what, size_t *drawn,
                   locus_error *err);

/* The `locate --annotate DIR` hook. */
typedef struct {
    const char *dir;
    size_t *frames; /* sorted, unique */
    size_t nframes;
    const locus_source *src;
    locus_reader *rd;
    annotate_style style;
} annotate_hook;

/* Set up from o (a no-op without --annotate): parse the frame list, check
 * the frames exist, create the directory. */
int annotate_hook_open(annotate_hook *h, const locate_options *o, const locus_source *src,
                       locus_error *err);
/* Called with every located frame in order: draw it if it was asked for. */
int annotate_hook_frame(annotate_hook *h, size_t frame, const locus_table *t, locus_error *err);
void annotate_hook_close(annotate_hook *h);

#endif
