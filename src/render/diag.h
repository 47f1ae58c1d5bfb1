/*
 * `locus diag`: the numbers behind the diagnostic sheet (diag_cmd.c) and
 * the sheet itself (diag_sheet.c): four panels that show whether the
 * location parameters suit the images -- the mass histogram, mass
 * against size, the sub-pixel histograms of x and y (trackpy's
 * subpx_bias: flat when the diameter is large enough) and the number of
 * features per frame.
 */
#ifndef LOCUS_RENDER_DIAG_H
#define LOCUS_RENDER_DIAG_H

#include "io/csv_read.h"
#include "render/plot.h"

#include <stdio.h>

#define DIAG_WIDTH 1200 /* four panels; with trajectories, a third column of panels */
#define DIAG_HEIGHT 900

/* One equal-width histogram: bins + 1 edges and bins counts. */
typedef struct {
    int bins;
    double *edges;
    size_t *counts;
    size_t counted; /* values in range (finite ones) */
} diag_hist;

typedef struct {
    const char *name; /* the CSV, as given */
    size_t n;         /* rows */
    const double *mass;
    double *size;           /* per row: size, or the mean of the size_* columns; NULL: none */
    const char *size_label; /* which */
    diag_hist mass_hist, sub_x, sub_y;
    long first_frame;  /* frames first .. first + nframes - 1 */
    size_t nframes;    /* 0 when there are no rows */
    size_t *per_frame; /* features in each */
    int has_frame;     /* the table had a frame column */
    double minmass;    /* NaN: not given; else sub_x, sub_y and per_frame
                          count only features with mass > minmass */
    int has_tracks;    /* the table has a particle column: panel (e) */
    size_t ntracks;
    diag_hist track_hist; /* rows per trajectory */
} diag_data;

/* The sheet's width for d: wider when it has trajectories. */
double locus_diag_width(const diag_data *d);

/* Draw the sheet on a DIAG_WIDTH x DIAG_HEIGHT surface; at most
 * max_points dots in the scatter panel (a regular subsample beyond). */
void locus_diag_draw(const plot_surface *s, const diag_data *d, size_t max_points);

#endif
