/* Plots: see plot.h. */
#include "render/plot.h"

#include "render/font.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const draw_rgb ink = {30, 30, 30};
static const draw_rgb grid = {228, 228, 228};

/* ------------------------------------------------------------------ */
/* The raster backend                                                  */
/* ------------------------------------------------------------------ */

static void raster_rect(void *ctx, double x0, double y0, double x1, double y1, draw_rgb fill)
{
    locus_draw_fill_rect(ctx, x0, y0, x1, y1, fill);
}

static void raster_line(void *ctx, double x0, double y0, double x1, double y1, double width,
                        draw_rgb col, int dashed)
{
    double len = hypot(x1 - x0, y1 - y0);
    if (!dashed || !(len > 0)) {
        locus_draw_line(ctx, x0, y0, x1, y1, width, col);
        return;
    }
    double ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    for (double t = 0; t < len; t += 10) {
        double e = fmin(t + 6, len);
        locus_draw_line(ctx, x0 + ux * t, y0 + uy * t, x0 + ux * e, y0 + uy * e, width, col);
    }
}

static void raster_dot(void *ctx, double x, double y, double r, draw_rgb col, double alpha)
{
    locus_draw_disc(ctx, x, y, r, col, alpha);
}

static void raster_text(void *ctx, double x, double y, const char *s, int scale, plot_anchor anchor,
                        int bold, draw_rgb col)
{
    double w = locus_plot_text_width(s, scale);
    int vertical = anchor == PLOT_UP;
    if (anchor == PLOT_CENTER)
        x -= w / 2;
    else if (anchor == PLOT_RIGHT)
        x -= w;
    else if (vertical)
        y -= w / 2;
    long px = lround(x), py = lround(y);
    locus_draw_text(ctx, px, py, s, scale, vertical, col);
    if (bold) /* a second pass one pixel over thickens every stem */
        locus_draw_text(ctx, px + !vertical, py + vertical, s, scale, vertical, col);
}

plot_surface locus_plot_raster(draw_canvas *c)
{
    return (plot_surface){c, raster_rect, raster_line, raster_dot, raster_text};
}

double locus_plot_text_width(const char *s, int scale)
{
    return (double)locus_font_text_width(s) * scale;
}

double locus_plot_text_height(int scale)
{
    return (double)FONT_ASCENT * scale;
}

/* ------------------------------------------------------------------ */
/* Axes                                                                */
/* ------------------------------------------------------------------ */

double locus_plot_x(const plot_axes *a, double v)
{
    return a->left + (v - a->xlo) / (a->xhi - a->xlo) * (a->right - a->left);
}

double locus_plot_y(const plot_axes *a, double v)
{
    return a->bottom - (v - a->ylo) / (a->yhi - a->ylo) * (a->bottom - a->top);
}

/* 1, 2 or 5 times a power of ten, at least raw. */
static double nice_step(double raw)
{
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

/* The multiples of step in [lo, hi]; each computed as k * step so that
 * no error accumulates and zero is exactly zero. */
static int multiples(double lo, double hi, double step, double *ticks)
{
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    int n = 0;
    for (double k = k0; k <= k1 && n < PLOT_MAX_TICKS; k++)
        ticks[n++] = k * step + 0.0;
    return n;
}

/* Whether labels of these ticks fit along the axis without crowding. */
static int ticks_fit(const double *ticks, int n, double step, double range, double length_px,
                     int scale, int horizontal)
{
    if (n < 2)
        return 1;
    /* vertical: a label's height and as much again between labels */
    double gap = step / range * length_px, need = 2 * locus_plot_text_height(scale) + 12;
    if (horizontal)
        for (int i = 0; i < n; i++) {
            char buf[40];
            locus_plot_tick_label(ticks[i], step, buf, sizeof buf);
            need = fmax(need, locus_plot_text_width(buf, scale) + 18);
        }
    return gap >= need;
}

int locus_plot_ticks(double lo, double hi, int integer, double length_px, int scale, int horizontal,
                     double *ticks, double *step)
{
    if (!(hi > lo) || !isfinite(hi - lo))
        return 0;
    int n = 0;
    /* from many ticks to few: the first set whose labels fit */
    for (int target = 8; target >= 2; target--) {
        *step = nice_step((hi - lo) / target);
        if (integer && *step < 1)
            *step = 1;
        n = multiples(lo, hi, *step, ticks);
        if (ticks_fit(ticks, n, *step, hi - lo, length_px, scale, horizontal))
            break;
    }
    return n;
}

/* "1.50e+06" -> "1.5e6": drop the exponent's sign and zeros, and the
 * mantissa's trailing zeros. */
static void compact_exponent(char *buf)
{
    char *e = strchr(buf, 'e');
    if (!e)
        return;
    char exp[16];
    int x = atoi(e + 1);
    snprintf(exp, sizeof exp, "e%d", x);
    char *m = e;
    if (strchr(buf, '.')) {
        while (m[-1] == '0')
            m--;
        if (m[-1] == '.')
            m--;
    }
    memmove(m, exp, strlen(exp) + 1);
}

void locus_plot_tick_label(double v, double step, char *buf, size_t n)
{
    v += 0.0; /* no "-0" */
    if (fabs(v) >= 1e6) {
        int digits = (int)floor(log10(fabs(v))) - (int)floor(log10(step) + 1e-9);
        snprintf(buf, n, "%.*e", digits < 0 ? 0 : digits > 15 ? 15 : digits, v);
        compact_exponent(buf);
        return;
    }
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, n, "%.*f", decimals > 15 ? 15 : decimals, v);
}

static void draw_xticks(const plot_surface *s, const plot_axes *a, int scale)
{
    double ticks[PLOT_MAX_TICKS], step = 1;
    int n =
        locus_plot_ticks(a->xlo, a->xhi, a->xinteger, a->right - a->left, scale, 1, ticks, &step);
    for (int i = 0; i < n; i++) {
        double x = round(locus_plot_x(a, ticks[i]));
        char buf[40];
        locus_plot_tick_label(ticks[i], step, buf, sizeof buf);
        s->line(s->ctx, x, a->bottom, x, a->bottom + 6, 1, ink, 0);
        s->text(s->ctx, x, a->bottom + 12, buf, scale, PLOT_CENTER, 0, ink);
    }
}

/* Returns the widest label, to place the axis label clear of it. */
static double draw_yticks(const plot_surface *s, const plot_axes *a, int scale)
{
    double ticks[PLOT_MAX_TICKS], step = 1, widest = 0;
    int n =
        locus_plot_ticks(a->ylo, a->yhi, a->yinteger, a->bottom - a->top, scale, 0, ticks, &step);
    for (int i = 0; i < n; i++) {
        double y = round(locus_plot_y(a, ticks[i]));
        char buf[40];
        locus_plot_tick_label(ticks[i], step, buf, sizeof buf);
        widest = fmax(widest, locus_plot_text_width(buf, scale));
        s->line(s->ctx, a->left - 6, y, a->left, y, 1, ink, 0);
        s->text(s->ctx, a->left - 10, round(y - locus_plot_text_height(scale) / 2), buf, scale,
                PLOT_RIGHT, 0, ink);
    }
    return widest;
}

void locus_plot_grid(const plot_surface *s, const plot_axes *a)
{
    double ticks[PLOT_MAX_TICKS], step = 1;
    int n = locus_plot_ticks(a->xlo, a->xhi, a->xinteger, a->right - a->left, PLOT_SCALE, 1, ticks,
                             &step);
    for (int i = 0; i < n; i++) {
        double x = round(locus_plot_x(a, ticks[i]));
        s->line(s->ctx, x, a->top + 1, x, a->bottom - 1, 1, grid, 0);
    }
    n = locus_plot_ticks(a->ylo, a->yhi, a->yinteger, a->bottom - a->top, PLOT_SCALE, 0, ticks,
                         &step);
    for (int i = 0; i < n; i++) {
        double y = round(locus_plot_y(a, ticks[i]));
        s->line(s->ctx, a->left + 1, y, a->right - 1, y, 1, grid, 0);
    }
}

void locus_plot_axes_draw(const plot_surface *s, const plot_axes *a, const char *title,
                          const char *xlabel, const char *ylabel)
{
    const int scale = PLOT_SCALE;
    double th = locus_plot_text_height(scale);
    draw_xticks(s, a, scale);
    double widest = draw_yticks(s, a, scale);
    s->line(s->ctx, a->left, a->top, a->right, a->top, 1, ink, 0);
    s->line(s->ctx, a->left, a->bottom, a->right, a->bottom, 1, ink, 0);
    s->line(s->ctx, a->left, a->top, a->left, a->bottom, 1, ink, 0);
    s->line(s->ctx, a->right, a->top, a->right, a->bottom, 1, ink, 0);
    double cx = round((a->left + a->right) / 2), cy = round((a->top + a->bottom) / 2);
    s->text(s->ctx, cx, a->bottom + 12 + th + 14, xlabel, scale, PLOT_CENTER, 0, ink);
    s->text(s->ctx, a->left - 10 - widest - 14 - FONT_HEIGHT * scale, cy, ylabel, scale, PLOT_UP, 0,
            ink);
    s->text(s->ctx, cx, a->top - 14 - th, title, scale, PLOT_CENTER, 1, ink);
}

/* ------------------------------------------------------------------ */
/* Series                                                              */
/* ------------------------------------------------------------------ */

int locus_plot_finite_range(const double *v, size_t n, double *lo, double *hi)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        if (!any || v[i] < *lo)
            *lo = v[i];
        if (!any || v[i] > *hi)
            *hi = v[i];
        any = 1;
    }
    return any;
}

size_t locus_plot_histogram(const double *v, size_t n, double lo, double hi, int bins,
                            double *edges, size_t *counts)
{
    /* numpy.linspace's edges; the width split first in case hi - lo
     * overflows */
    double step = isfinite(hi - lo) ? (hi - lo) / bins : hi / bins - lo / bins;
    for (int i = 0; i < bins; i++) {
        edges[i] = (double)i * step + lo;
        counts[i] = 0;
    }
    edges[bins] = hi;
    size_t counted = 0;
    for (size_t k = 0; k < n; k++) {
        double x = v[k];
        if (!(x >= lo && x <= hi))
            continue; /* NaN too */
        /* a first guess from the arithmetic, then the edges decide */
        double g = (x - lo) / step;
        int i = g >= bins ? bins - 1 : g > 0 ? (int)g : 0;
        while (i > 0 && x < edges[i])
            i--;
        while (i < bins - 1 && x >= edges[i + 1])
            i++;
        counts[i]++;
        counted++;
    }
    return counted;
}

void locus_plot_bars(const plot_surface *s, const plot_axes *a, const double *edges,
                     const size_t *counts, int bins, draw_rgb col)
{
    for (int i = 0; i < bins; i++) {
        if (!counts[i])
            continue;
        double x0 = round(locus_plot_x(a, edges[i])), x1 = round(locus_plot_x(a, edges[i + 1]));
        double y = round(locus_plot_y(a, (double)counts[i]));
        /* a pixel of paper between wide bars keeps them apart */
        s->rect(s->ctx, x1 - x0 >= 4 ? x0 + 1 : x0, y, x1, a->bottom, col);
    }
}

void locus_plot_steps(const plot_surface *s, const plot_axes *a, const double *edges,
                      const size_t *counts, int bins, double width, draw_rgb col)
{
    double prev = a->bottom;
    for (int i = 0; i < bins; i++) {
        double x0 = locus_plot_x(a, edges[i]), x1 = locus_plot_x(a, edges[i + 1]);
        double y = locus_plot_y(a, (double)counts[i]);
        s->line(s->ctx, x0, prev, x0, y, width, col, 0);
        s->line(s->ctx, x0, y, x1, y, width, col, 0);
        prev = y;
    }
    double xe = locus_plot_x(a, edges[bins]);
    s->line(s->ctx, xe, prev, xe, a->bottom, width, col, 0);
}

void locus_plot_polyline(const plot_surface *s, const plot_axes *a, const double *x,
                         const double *y, size_t n, double width, draw_rgb col)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]) && isfinite(x[i + 1]) && isfinite(y[i + 1]))
            s->line(s->ctx, locus_plot_x(a, x[i]), locus_plot_y(a, y[i]), locus_plot_x(a, x[i + 1]),
                    locus_plot_y(a, y[i + 1]), width, col, 0);
}

void locus_plot_hline(const plot_surface *s, const plot_axes *a, double y, draw_rgb col)
{
    double py = round(locus_plot_y(a, y));
    if (py >= a->top && py <= a->bottom)
        s->line(s->ctx, a->left, py, a->right, py, 2, col, 1);
}

void locus_plot_vline(const plot_surface *s, const plot_axes *a, double x, draw_rgb col)
{
    double px = round(locus_plot_x(a, x));
    if (px >= a->left && px <= a->right)
        s->line(s->ctx, px, a->top, px, a->bottom, 2, col, 1);
}

void locus_plot_legend(const plot_surface *s, const plot_axes *a, int k, const char *label,
                       draw_rgb col, int line)
{
    const int scale = PLOT_SCALE;
    double th = locus_plot_text_height(scale);
    double xr = a->right - 12, y = a->top + 12 + k * (th + 12);
    double xt = xr - locus_plot_text_width(label, scale);
    s->text(s->ctx, xt, y, label, scale, PLOT_LEFT, 0, line == PLOT_NO_LINE ? col : ink);
    if (line != PLOT_NO_LINE)
        s->line(s->ctx, xt - 40, round(y + th / 2), xt - 10, round(y + th / 2), 2, col,
                line == PLOT_DASHED);
}
