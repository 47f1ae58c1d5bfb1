/*
 * Plots for `locus diag`: axes with ticks and labels, histograms, scatter
 * and line series, drawn through a plot_surface so that one layout gives
 * both a PNG (a draw_canvas) and an SVG (svg.h) with the same geometry.
 * Internal.
 *
 * Coordinates are canvas pixels as in draw.h (pixel centres at whole
 * numbers). Text is the bitmap font of font.h at an integer scale; the
 * SVG uses a monospace font of the same advance and cap height.
 */
#ifndef LOCUS_PLOT_H
#define LOCUS_PLOT_H

#include "render/draw.h"

#include <stddef.h>

/* How a string sits at (x, y): y is the top of the text box, except for
 * PLOT_UP (turned to read upward, left edge at x, centred on y). */
typedef enum { PLOT_LEFT, PLOT_CENTER, PLOT_RIGHT, PLOT_UP } plot_anchor;

/* What a backend draws. Every call may be made with any coordinates. */
typedef struct {
    void *ctx;
    /* fill the pixels with centres in [x0, x1) x [y0, y1) */
    void (*rect)(void *ctx, double x0, double y0, double x1, double y1, draw_rgb fill);
    /* a segment; dashed: 6 on, 4 off */
    void (*line)(void *ctx, double x0, double y0, double x1, double y1, double width, draw_rgb col,
                 int dashed);
    void (*dot)(void *ctx, double x, double y, double r, draw_rgb col, double alpha);
    void (*text)(void *ctx, double x, double y, const char *s, int scale, plot_anchor anchor,
                 int bold, draw_rgb col);
} plot_surface;

/* A surface drawing on a canvas. */
plot_surface locus_plot_raster(draw_canvas *c);

/* Pixel size of text at a scale (width along the reading direction). */
double locus_plot_text_width(const char *s, int scale);
double locus_plot_text_height(int scale);

/* ------------------------------------------------------------------ */
/* Axes                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    double left, top, right, bottom; /* the data area, pixels */
    double xlo, xhi, ylo, yhi;       /* the data range it shows */
    int xinteger, yinteger;          /* ticks only at whole numbers */
} plot_axes;

double locus_plot_x(const plot_axes *a, double v);
double locus_plot_y(const plot_axes *a, double v);

/*
 * Ticks at "nice" numbers (1, 2 or 5 times a power of ten; whole numbers
 * only if `integer`) in [lo, hi], as many as fit: labels at this text
 * scale must not crowd each other on an axis `length_px` long
 * (horizontal: label widths; vertical: label heights). Writes up to
 * PLOT_MAX_TICKS ticks and their spacing; returns the count (0 for an
 * empty range).
 */
#define PLOT_MAX_TICKS 32
int locus_plot_ticks(double lo, double hi, int integer, double length_px, int scale, int horizontal,
                     double *ticks, double *step);

/* A tick label: as many decimals as the step needs; 1.5e6 style when
 * large. */
void locus_plot_tick_label(double v, double step, char *buf, size_t n);

/* The text scale of tick labels, axis labels, titles and legends. */
#define PLOT_SCALE 2

/* Light lines at the ticks, to draw before the data. An axis with an
 * empty range (lo == hi) has no ticks. */
void locus_plot_grid(const plot_surface *s, const plot_axes *a);

/* Frame, ticks, tick labels, axis labels and a title above: after the
 * data, so that nothing covers them. */
void locus_plot_axes_draw(const plot_surface *s, const plot_axes *a, const char *title,
                          const char *xlabel, const char *ylabel);

/* ------------------------------------------------------------------ */
/* Series                                                              */
/* ------------------------------------------------------------------ */

/*
 * Equal-width bins from lo to hi, as numpy.histogram makes them:
 * edges[i] = i * ((hi - lo) / bins) + lo, edges[bins] = hi; a value v
 * counts in bin i when edges[i] <= v < edges[i+1], the last bin also
 * taking v == hi.
 * Values that are not finite or outside [lo, hi] are not counted;
 * returns the number counted.
 */
size_t locus_plot_histogram(const double *v, size_t n, double lo, double hi, int bins,
                            double *edges, size_t *counts);

/* The finite minimum and maximum of v; 0 when there is none. */
int locus_plot_finite_range(const double *v, size_t n, double *lo, double *hi);

/* Bars of a histogram, and the same as an outline (to overlay several). */
void locus_plot_bars(const plot_surface *s, const plot_axes *a, const double *edges,
                     const size_t *counts, int bins, draw_rgb col);
void locus_plot_steps(const plot_surface *s, const plot_axes *a, const double *edges,
                      const size_t *counts, int bins, double width, draw_rgb col);

/* A polyline through (x[i], y[i]), skipping non-finite points. */
void locus_plot_polyline(const plot_surface *s, const plot_axes *a, const double *x,
                         const double *y, size_t n, double width, draw_rgb col);

/* A horizontal or vertical dashed reference line across the data area. */
void locus_plot_hline(const plot_surface *s, const plot_axes *a, double y, draw_rgb col);
void locus_plot_vline(const plot_surface *s, const plot_axes *a, double x, draw_rgb col);

/* A legend entry at row k of the top-right: a label after a short line
 * sample (PLOT_SOLID, PLOT_DASHED) or none (PLOT_NO_LINE: a note). */
enum { PLOT_NO_LINE, PLOT_SOLID, PLOT_DASHED };
void locus_plot_legend(const plot_surface *s, const plot_axes *a, int k, const char *label,
                       draw_rgb col, int line);

#endif
