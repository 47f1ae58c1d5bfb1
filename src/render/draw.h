/*
 * An RGB raster canvas with the few primitives plots and annotated frames
 * need: rectangles, anti-aliased lines, rings and discs, and text in the
 * built-in bitmap font (font.h); saved as PNG through libpng. Internal.
 *
 * Coordinates are in pixels with the centre of the top-left pixel at
 * (0, 0), x to the right and y down: the convention of feature positions,
 * so a feature at (x, y) is drawn where locate found it. Everything is
 * clipped to the canvas; NaN coordinates draw nothing.
 */
#ifndef LOCUS_DRAW_H
#define LOCUS_DRAW_H

#include "common/internal.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t r, g, b;
} draw_rgb;

typedef struct {
    uint8_t *px; /* height rows of width RGB triples, packed */
    size_t width, height;
} draw_canvas;

/* A width x height canvas filled with bg; 0, or LOCUS_E_NOMEM / _SHAPE. */
int locus_draw_canvas_init(draw_canvas *c, size_t width, size_t height, draw_rgb bg,
                           locus_error *err);
void locus_draw_canvas_free(draw_canvas *c);

/* Mix col into pixel (x, y) with weight alpha in [0, 1]; alpha <= 0 leaves
 * the pixel exactly as it was. */
void locus_draw_blend(draw_canvas *c, long x, long y, draw_rgb col, double alpha);

/* Fill the pixels whose centres lie in [x0, x1) x [y0, y1). */
void locus_draw_fill_rect(draw_canvas *c, double x0, double y0, double x1, double y1, draw_rgb col);

/* An anti-aliased segment `width` pixels wide (round ends). */
void locus_draw_line(draw_canvas *c, double x0, double y0, double x1, double y1, double width,
                     draw_rgb col);

/*
 * An anti-aliased outline `width` pixels wide of the ellipse centred at
 * (cx, cy) with semi-axes rx, ry (a circle when equal). No pixel farther
 * than max(rx, ry) + width / 2 + 1 from the centre changes.
 */
void locus_draw_ring(draw_canvas *c, double cx, double cy, double rx, double ry, double width,
                     draw_rgb col);

/* A filled anti-aliased disc of radius r, mixed in with opacity alpha. */
void locus_draw_disc(draw_canvas *c, double cx, double cy, double r, draw_rgb col, double alpha);

/*
 * Text in the bitmap font, each font pixel a scale x scale block, with
 * the top-left corner of the first character cell at (x, y). vertical:
 * turned a quarter left, reading upward, the cell's top-left at (x, y)
 * (the box is FONT_HEIGHT * scale wide). Characters outside printable
 * ASCII draw as '?'.
 */
void locus_draw_text(draw_canvas *c, long x, long y, const char *s, int scale, int vertical,
                     draw_rgb col);

/* Write the canvas as an 8-bit RGB PNG. */
int locus_draw_save_png(const draw_canvas *c, const char *path, locus_error *err);

#endif
