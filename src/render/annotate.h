/*
 * Annotated frames: a frame scaled to 8-bit grey, with a ring drawn
 * around each feature (what trackpy's `annotate` shows). Internal; used
 * by `locus annotate` and `locus locate --annotate`.
 */
#ifndef LOCUS_ANNOTATE_H
#define LOCUS_ANNOTATE_H

#include "render/draw.h"

/* A ring to draw: centre (x, y), semi-axes rx, ry, in pixels. */
typedef struct {
    double x, y, rx, ry;
} annotate_mark;

/*
 * The grey levels that become black and white: the 0.1th and 99.9th
 * percentiles of the pixels (sorted values at indices floor((n-1)/1000)
 * and n-1 - floor((n-1)/1000); for images under 1001 pixels the minimum
 * and maximum), or with minmax the minimum and maximum.
 */
int locus_annotate_range(const locus_image *img, int minmax, double *lo, double *hi,
                         locus_error *err);

/*
 * A canvas of the 2-D image's size with every pixel grey (R = G = B):
 * floor((v - lo) * 255 / (hi - lo) + 0.5) clipped to 0..255, for the
 * range above (black when hi <= lo); invert: 255 minus that.
 */
int locus_annotate_grey(const locus_image *img, int invert, int minmax, draw_canvas *out,
                        locus_error *err);

/* Draw a ring `width` pixels wide around each mark. */
void locus_annotate_draw(draw_canvas *c, const annotate_mark *marks, size_t n, draw_rgb col,
                         double width);

#endif
