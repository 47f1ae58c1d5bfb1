/*
 * locus_diag: the numbers behind the diagnostic sheet (histograms as
 * numpy.histogram makes them, features per frame) and the sheet itself,
 * as PNG, SVG or text. The layout is diag_sheet.c's.
 */
#include "render/diag.h"

#include "common/table.h"
#include "io/imageio.h"
#include "render/svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BINS 20
/* Frames between the first and the last: bounds the per-frame table. */
#define MAX_FRAME_SPAN 10000000L
/* Dots in an SVG scatter; beyond, a regular subsample keeps files small. */
#define SVG_MAX_POINTS 20000

void locus_diag_opts_init(locus_diag_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bins = DEFAULT_BINS;
    o->minmass = NAN;
}

static int hist_alloc(diag_hist *h, int bins)
{
    h->bins = bins;
    h->edges = malloc(((size_t)bins + 1) * sizeof *h->edges);
    h->counts = malloc((size_t)bins * sizeof *h->counts);
    return h->edges && h->counts ? 0 : -1;
}

static void hist_free(diag_hist *h)
{
    free(h->edges);
    free(h->counts);
}

/* numpy.histogram's default range: the finite min..max, widened to
 * lo - 0.5 .. hi + 0.5 when equal, 0..1 when there is no value. */
static void data_range(const double *v, size_t n, double *lo, double *hi)
{
    if (!locus_plot_finite_range(v, n, lo, hi))
        *lo = 0, *hi = 1;
    else if (*lo == *hi)
        *lo -= 0.5, *hi += 0.5;
}

/* Whether row i passes the --minmass cut (locate keeps mass > minmass). */
static int kept(const diag_data *d, size_t i)
{
    return isnan(d->minmass) || d->mass[i] > d->minmass;
}

/* The fractional parts of x and y, histogrammed on [0, 1]. */
static int subpixel(const features_table *t, diag_data *d, int bins)
{
    double *frac = malloc(size_mul(t->nrows ? t->nrows : 1, sizeof *frac));
    if (!frac || hist_alloc(&d->sub_x, bins) || hist_alloc(&d->sub_y, bins)) {
        free(frac);
        return -1;
    }
    const char *axis[2] = {"x", "y"};
    diag_hist *h[2] = {&d->sub_x, &d->sub_y};
    for (int a = 0; a < 2; a++) {
        const double *v = locus_features_column(t, axis[a]);
        for (size_t i = 0; i < t->nrows; i++)
            frac[i] = kept(d, i) ? v[i] - floor(v[i]) : NAN;
        h[a]->counted = locus_plot_histogram(frac, t->nrows, 0, 1, bins, h[a]->edges, h[a]->counts);
    }
    free(frac);
    return 0;
}

/* size, or the mean of the per-axis sizes present. */
static int sizes(const features_table *t, diag_data *d)
{
    static const char *const axes[] = {"size_z", "size_y", "size_x"};
    static const char *const labels[] = {"size", "mean of size_y, size_x",
                                         "mean of size_z, size_y, size_x"};
    const double *col[3], *iso = locus_features_column(t, "size");
    int k = 0;
    for (int a = 0; a < 3; a++)
        if ((col[k] = locus_features_column(t, axes[a])))
            k++;
    if (!iso && k < 2)
        return 0; /* panel (b) says there is no size */
    if (!(d->size = malloc(size_mul(t->nrows ? t->nrows : 1, sizeof *d->size))))
        return -1;
    for (size_t i = 0; i < t->nrows; i++) {
        double sum = 0;
        for (int a = 0; a < k && !iso; a++)
            sum += col[a][i];
        d->size[i] = iso ? iso[i] : sum / k;
    }
    d->size_label = labels[iso ? 0 : k - 1];
    return 0;
}

/* The first and last frame, checking every frame is a whole number. */
static int frame_span(const features_table *t, const char *path, const double *f, double *lo,
                      double *hi, locus_error *err)
{
    for (size_t i = 0; i < t->nrows; i++) {
        if (!(f[i] == floor(f[i]) && fabs(f[i]) <= 1e15))
            return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: frame '%g' is not a whole number",
                                   path, t->line[i], f[i]);
        if (i == 0 || f[i] < *lo)
            *lo = f[i];
        if (i == 0 || f[i] > *hi)
            *hi = f[i];
    }
    if (t->nrows && *hi - *lo >= MAX_FRAME_SPAN)
        return locus_error_set(err, LOCUS_E_FORMAT, "%s: frames %.0f to %.0f: more than %ld frames",
                               path, *lo, *hi, MAX_FRAME_SPAN);
    return LOCUS_OK;
}

static int per_frame(const features_table *t, const char *path, diag_data *d, locus_error *err)
{
    const double *f = locus_features_column(t, "frame");
    double lo = 0, hi = 0;
    d->has_frame = f != NULL;
    if (f && frame_span(t, path, f, &lo, &hi, err))
        return err->status;
    d->first_frame = (long)lo;
    d->nframes = t->nrows ? (size_t)(hi - lo) + 1 : 0;
    if (!(d->per_frame = calloc(d->nframes ? d->nframes : 1, sizeof *d->per_frame)))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < t->nrows; i++)
        if (kept(d, i))
            d->per_frame[f ? (size_t)(f[i] - lo) : 0]++;
    return LOCUS_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rows per trajectory, histogrammed: the particle column, sorted, counted
 * in runs (rows without a particle are left out). */
static int track_lengths(const features_table *t, diag_data *d, int bins)
{
    const double *p = locus_features_column(t, "particle");
    d->has_tracks = p != NULL;
    if (!p)
        return 0;
    size_t cap = t->nrows ? t->nrows : 1; /* calloc checks cap * 8 for overflow */
    double *v = calloc(cap, sizeof *v);
    double *len = calloc(cap, sizeof *len);
    int bad = !v || !len || hist_alloc(&d->track_hist, bins);
    size_t n = 0;
    for (size_t i = 0; !bad && i < t->nrows; i++)
        if (isfinite(p[i]))
            v[n++] = p[i];
    if (!bad)
        qsort(v, n, sizeof *v, cmp_double);
    for (size_t i = 0; !bad && i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        len[d->ntracks++] = (double)(j - i);
        i = j;
    }
    if (!bad) {
        double lo, hi;
        data_range(len, d->ntracks, &lo, &hi);
        d->track_hist.counted = locus_plot_histogram(len, d->ntracks, lo, hi, bins,
                                                     d->track_hist.edges, d->track_hist.counts);
    }
    free(v);
    free(len);
    return bad ? -1 : 0;
}

static int compute(const features_table *t, const locus_diag_opts *o, const char *name,
                   diag_data *d, locus_error *err)
{
    static const char *const required[] = {"x", "y", "mass"};
    memset(d, 0, sizeof *d);
    d->name = name;
    d->n = t->nrows;
    d->minmass = o->minmass;
    d->mass = locus_features_column(t, "mass");
    int rc = locus_features_require(t, name, required, 3, err);
    if (rc == LOCUS_OK)
        rc = per_frame(t, name, d, err);
    if (rc != LOCUS_OK)
        return rc;
    double lo, hi;
    data_range(d->mass, t->nrows, &lo, &hi);
    if (hist_alloc(&d->mass_hist, o->bins) || subpixel(t, d, o->bins) || sizes(t, d) ||
        track_lengths(t, d, o->bins))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    d->mass_hist.counted = locus_plot_histogram(d->mass, t->nrows, lo, hi, o->bins,
                                                d->mass_hist.edges, d->mass_hist.counts);
    return LOCUS_OK;
}

static void diag_free(diag_data *d)
{
    hist_free(&d->mass_hist);
    hist_free(&d->sub_x);
    hist_free(&d->sub_y);
    hist_free(&d->track_hist);
    free(d->size);
    free(d->per_frame);
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* Text into a buffer; a failure to grow it is remembered in *bad. */
static void put(locus_buffer *b, int *bad, const char *fmt, ...) LOCUS_PRINTF(3, 4);
static void put(locus_buffer *b, int *bad, const char *fmt, ...)
{
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    *bad |= n < 0 || locus_buffer_append(b, line, (size_t)n) != LOCUS_OK;
}

/* A number as the CSV writer writes it (the fewest digits that read back
 * as the same double), with NaN and infinities spelled out. */
static const char *number(double v, char buf[32])
{
    if (!isfinite(v))
        return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
    locus_format_double(buf, v);
    return buf;
}

static void print_hist(locus_buffer *b, int *bad, const char *name, const diag_hist *h)
{
    char lo[32], hi[32];
    put(b, bad, "%s bins=%d counted=%zu\n", name, h->bins, h->counted);
    for (int i = 0; i < h->bins; i++)
        put(b, bad, "%s %s %zu\n", number(h->edges[i], lo), number(h->edges[i + 1], hi),
            h->counts[i]);
}

static int print_data(locus_buffer *b, const diag_data *d, locus_error *err)
{
    int bad = 0;
    print_hist(b, &bad, "mass_histogram", &d->mass_hist);
    print_hist(b, &bad, "subpixel_x", &d->sub_x);
    print_hist(b, &bad, "subpixel_y", &d->sub_y);
    put(b, &bad, "features_per_frame frames=%zu\n", d->nframes);
    for (size_t f = 0; f < d->nframes; f++)
        put(b, &bad, "%ld %zu\n", d->first_frame + (long)f, d->per_frame[f]);
    if (d->has_tracks)
        print_hist(b, &bad, "trajectory_lengths", &d->track_hist);
    return bad ? locus_error_set(err, LOCUS_E_NOMEM, "out of memory") : LOCUS_OK;
}

static int sheet(const diag_data *d, int svg, locus_buffer *out, locus_error *err)
{
    if (svg) {
        svg_doc doc;
        locus_svg_begin(&doc, locus_diag_width(d), DIAG_HEIGHT);
        plot_surface s = locus_svg_surface(&doc);
        locus_diag_draw(&s, d, SVG_MAX_POINTS);
        int rc = locus_svg_finish(&doc, err);
        if (rc == LOCUS_OK) {
            locus_buffer_free(out);
            *out = doc.out; /* the document's bytes become the caller's */
        }
        return rc;
    }
    draw_canvas cv;
    int rc = locus_draw_canvas_init(&cv, (size_t)locus_diag_width(d), DIAG_HEIGHT,
                                    (draw_rgb){255, 255, 255}, err);
    if (rc != LOCUS_OK)
        return rc;
    plot_surface s = locus_plot_raster(&cv);
    locus_diag_draw(&s, d, d->n);
    rc = locus_pngio_encode_rgb8(out, cv.px, cv.height, cv.width, err);
    locus_draw_canvas_free(&cv);
    return rc;
}

int locus_diag(const locus_table *features, const locus_diag_opts *opts, int format,
               locus_buffer *out, locus_error *err)
{
    locus_diag_opts defaults;
    if (!opts) {
        locus_diag_opts_init(&defaults);
        opts = &defaults;
    }
    if (!features || !out)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_diag: missing argument");
    if (format != LOCUS_DIAG_PNG && format != LOCUS_DIAG_SVG && format != LOCUS_DIAG_TEXT)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_diag: format %d is not PNG, SVG or text",
                               format);
    if (opts->bins < 1 || opts->bins > 1000)
        return locus_error_param(err, "bins", NULL,
                                 "must be a whole number from 1 to 1000 (got %d)", opts->bins);
    features_table t;
    locus_features_of_table(&t, features);
    diag_data d = {0};
    out->len = 0;
    int rc = compute(&t, opts, opts->table ? opts->table : "features", &d, err);
    if (rc == LOCUS_OK)
        rc = format == LOCUS_DIAG_TEXT ? print_data(out, &d, err)
                                       : sheet(&d, format == LOCUS_DIAG_SVG, out, err);
    diag_free(&d);
    return rc;
}
