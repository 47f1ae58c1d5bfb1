/*
 * The layout of the `locus diag` sheet: a header and four panels in a
 * 2 x 2 grid, drawn through a plot_surface so that PNG and SVG agree.
 */
#include "render/diag.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const draw_rgb blue = {31, 119, 180};
static const draw_rgb orange = {255, 127, 14};
static const draw_rgb red = {214, 39, 40};
static const draw_rgb grey = {110, 110, 110};
static const draw_rgb ink = {30, 30, 30};

#define HEADER 84       /* pixels above the panels */
#define PANEL_W 600     /* each panel's box */
#define PANEL_H 408     /* (DIAG_HEIGHT - HEADER) / 2 */
#define MARGIN_LEFT 124 /* room for tick labels and the axis label */
#define MARGIN_RIGHT 28
#define MARGIN_TOP 52    /* the panel title */
#define MARGIN_BOTTOM 78 /* tick labels and the axis label */

/* The data area of panel (col, row). */
static plot_axes panel(int col, int row)
{
    plot_axes a = {0};
    double x = col * PANEL_W, y = HEADER + row * PANEL_H;
    a.left = x + MARGIN_LEFT;
    a.right = x + PANEL_W - MARGIN_RIGHT;
    a.top = y + MARGIN_TOP;
    a.bottom = y + PANEL_H - MARGIN_BOTTOM;
    return a;
}

static size_t max_count(const size_t *c, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m = c[i] > m ? c[i] : m;
    return m;
}

/* Raise the top of the y range so that `rows` legend rows (locus_plot_legend)
 * sit above every data point; at least 10% headroom. */
static void legend_room(plot_axes *a, int rows)
{
    double px = 12 + rows * (locus_plot_text_height(PLOT_SCALE) + 12) + 8;
    double f = fmax(px / (a->bottom - a->top), 0.1 / 1.1);
    a->yhi = a->ylo + (a->yhi - a->ylo) / (1 - f);
}

/* A count axis from 0 to top, with room for a legend. */
static void count_range(plot_axes *a, double top, int legend_rows)
{
    a->ylo = 0;
    a->yhi = top > 0 ? top : 1;
    a->yinteger = 1;
    legend_room(a, legend_rows);
}

/* Centred text in the data area, for a panel with nothing to show. */
static void no_data(const plot_surface *s, const plot_axes *a, const char *why)
{
    s->text(s->ctx, round((a->left + a->right) / 2), round((a->top + a->bottom) / 2 - 7), why, 2,
            PLOT_CENTER, 0, grey);
}

static size_t kept_count(const diag_data *d)
{
    size_t kept = 0;
    for (size_t i = 0; i < d->n; i++)
        kept += d->mass[i] > d->minmass;
    return kept;
}

static void minmass_line(const plot_surface *s, const plot_axes *a, const diag_data *d)
{
    char label[64];
    if (isnan(d->minmass))
        return;
    locus_plot_vline(s, a, d->minmass, red);
    snprintf(label, sizeof label, "minmass %g: %zu kept", d->minmass, kept_count(d));
    locus_plot_legend(s, a, 0, label, red, PLOT_DASHED);
}

/* Panels (c) and (d) count the features a --minmass cut keeps: say so. */
static void cut_note(const plot_surface *s, const plot_axes *a, const diag_data *d, int row)
{
    char label[64];
    if (isnan(d->minmass))
        return;
    snprintf(label, sizeof label, "mass > %g only", d->minmass);
    locus_plot_legend(s, a, row, label, red, PLOT_NO_LINE);
}

static void mass_panel(const plot_surface *s, const diag_data *d)
{
    plot_axes a = panel(0, 0);
    const diag_hist *h = &d->mass_hist;
    a.xlo = h->edges[0];
    a.xhi = h->edges[h->bins];
    count_range(&a, (double)max_count(h->counts, (size_t)h->bins), !isnan(d->minmass));
    locus_plot_grid(s, &a);
    locus_plot_bars(s, &a, h->edges, h->counts, h->bins, blue);
    if (!h->counted)
        no_data(s, &a, "no features");
    minmass_line(s, &a, d);
    locus_plot_axes_draw(s, &a, "(a) Mass histogram", "mass (integrated brightness)", "features");
}

/* Data range with a margin, so that no dot sits on the frame. */
static void padded(const double *v, size_t n, double *lo, double *hi)
{
    if (!locus_plot_finite_range(v, n, lo, hi))
        *lo = 0, *hi = 1;
    double pad = *hi > *lo ? (*hi - *lo) * 0.05 : fmax(fabs(*lo) * 0.1, 0.5);
    *lo -= pad, *hi += pad;
}

static void scatter_panel(const plot_surface *s, const diag_data *d, size_t max_points)
{
    plot_axes a = panel(1, 0);
    char title[80] = "(b) Mass vs size";
    const char *ylabel = d->size ? d->size_label : "size";
    if (d->size) { /* else empty ranges: no ticks on a panel with no data */
        padded(d->mass, d->n, &a.xlo, &a.xhi);
        padded(d->size, d->n, &a.ylo, &a.yhi);
    }
    if (!isnan(d->minmass) && d->size)
        legend_room(&a, 1);
    locus_plot_grid(s, &a);
    size_t stride = max_points && d->n > max_points ? (d->n + max_points - 1) / max_points : 1;
    if (stride > 1)
        snprintf(title, sizeof title, "(b) Mass vs size (1 in %zu shown)", stride);
    /* translucent dots: dense clouds darken, lone outliers stay visible */
    for (size_t i = 0; d->size && i < d->n; i += stride)
        if (isfinite(d->mass[i]) && isfinite(d->size[i]))
            s->dot(s->ctx, locus_plot_x(&a, d->mass[i]), locus_plot_y(&a, d->size[i]), 1.6, blue,
                   0.45);
    if (!d->size)
        no_data(s, &a, "no size column");
    else if (!d->n)
        no_data(s, &a, "no features");
    minmass_line(s, &a, d);
    locus_plot_axes_draw(s, &a, title, "mass", ylabel);
}

static void subpixel_panel(const plot_surface *s, const diag_data *d)
{
    plot_axes a = panel(0, 1);
    const diag_hist *hx = &d->sub_x, *hy = &d->sub_y;
    double flat = (double)hx->counted / hx->bins;
    size_t top = max_count(hx->counts, (size_t)hx->bins);
    size_t topy = max_count(hy->counts, (size_t)hy->bins);
    a.xlo = 0;
    a.xhi = 1;
    count_range(&a, fmax((double)(top > topy ? top : topy), flat), isnan(d->minmass) ? 3 : 4);
    locus_plot_grid(s, &a);
    locus_plot_hline(s, &a, flat, grey);
    locus_plot_steps(s, &a, hx->edges, hx->counts, hx->bins, 2, blue);
    locus_plot_steps(s, &a, hy->edges, hy->counts, hy->bins, 2, orange);
    locus_plot_legend(s, &a, 0, "x", blue, PLOT_SOLID);
    locus_plot_legend(s, &a, 1, "y", orange, PLOT_SOLID);
    locus_plot_legend(s, &a, 2, "flat", grey, PLOT_DASHED);
    cut_note(s, &a, d, 3);
    locus_plot_axes_draw(s, &a, "(c) Sub-pixel bias: flat is good", "fractional part of position",
                         "features");
}

static void frames_panel(const plot_surface *s, const diag_data *d)
{
    plot_axes a = panel(1, 1);
    double first = (double)d->first_frame, last = first + (double)d->nframes - 1;
    double pad = d->nframes > 1 ? (last - first) * 0.03 : 1;
    a.xinteger = 1;
    if (d->nframes) { /* else empty ranges: no ticks */
        a.xlo = first - pad;
        a.xhi = last + pad;
        count_range(&a, (double)max_count(d->per_frame, d->nframes), !isnan(d->minmass));
    }
    locus_plot_grid(s, &a);
    for (size_t f = 0; f + 1 < d->nframes; f++) {
        double x = first + (double)f;
        s->line(s->ctx, locus_plot_x(&a, x), locus_plot_y(&a, (double)d->per_frame[f]),
                locus_plot_x(&a, x + 1), locus_plot_y(&a, (double)d->per_frame[f + 1]), 2, blue, 0);
    }
    /* dots show the frames when there are few enough to tell apart */
    for (size_t f = 0; d->nframes <= 100 && f < d->nframes; f++)
        s->dot(s->ctx, locus_plot_x(&a, first + (double)f),
               locus_plot_y(&a, (double)d->per_frame[f]), 2.5, blue, 1);
    if (!d->nframes)
        no_data(s, &a, "no features");
    cut_note(s, &a, d, 0);
    locus_plot_axes_draw(s, &a, "(d) Features per frame",
                         d->has_frame ? "frame" : "frame (no column)", "features");
}

/* The file name, shortened from the left to fit. */
static void header(const plot_surface *s, const diag_data *d)
{
    char title[160], line[160];
    size_t len = strlen(d->name), keep = 70;
    snprintf(title, sizeof title, "locus diag: %s%s", len > keep ? "..." : "",
             len > keep ? d->name + len - keep : d->name);
    int k = snprintf(line, sizeof line, "%zu feature%s in %zu frame%s", d->n, d->n == 1 ? "" : "s",
                     d->nframes, d->nframes == 1 ? "" : "s");
    if (!isnan(d->minmass))
        snprintf(line + k, sizeof line - (size_t)k, "; %zu with mass > %g", kept_count(d),
                 d->minmass);
    s->text(s->ctx, 24, 16, title, 3, PLOT_LEFT, 1, ink);
    s->text(s->ctx, 24, 52, line, 2, PLOT_LEFT, 0, grey);
}

/* (e) How long the trajectories are (linked tables only). */
static void tracks_panel(const plot_surface *s, const diag_data *d)
{
    plot_axes a = panel(2, 0);
    const diag_hist *h = &d->track_hist;
    a.xlo = h->edges[0];
    a.xhi = h->edges[h->bins];
    count_range(&a, (double)max_count(h->counts, (size_t)h->bins), 0);
    locus_plot_grid(s, &a);
    locus_plot_bars(s, &a, h->edges, h->counts, h->bins, blue);
    if (!h->counted)
        no_data(s, &a, "no trajectories");
    char title[80];
    snprintf(title, sizeof title, "(e) Trajectory lengths (%zu trajectories)", d->ntracks);
    locus_plot_axes_draw(s, &a, title, "rows per trajectory", "trajectories");
}

double locus_diag_width(const diag_data *d)
{
    return d->has_tracks ? DIAG_WIDTH + PANEL_W : DIAG_WIDTH;
}

void locus_diag_draw(const plot_surface *s, const diag_data *d, size_t max_points)
{
    header(s, d);
    mass_panel(s, d);
    scatter_panel(s, d, max_points);
    subpixel_panel(s, d);
    frames_panel(s, d);
    if (d->has_tracks)
        tracks_panel(s, d);
}
