/*
 * `locus diag`: read a feature table, compute the histograms of the
 * diagnostic sheet, print them (--print) and draw the sheet as PNG or SVG.
 */
#include "commands.h"
#include "diag.h"
#include "options.h"
#include "render/svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROG "locus diag"
#define DEFAULT_BINS 20
/* Frames between the first and the last: bounds the per-frame table. */
#define MAX_FRAME_SPAN 10000000L
/* Dots in an SVG scatter; beyond, a regular subsample keeps files small. */
#define SVG_MAX_POINTS 20000

static const char diag_about[] =
    "Draw the pictures that tell whether `locus locate` parameters suit the\n"
    "images, from its CSV table (or trackpy's), on one sheet of four panels:\n"
    "  (a) the histogram of mass: pick --minmass in the valley between the\n"
    "      noise peak at small mass and the particles;\n"
    "  (b) mass against size (the size column; for a table with size_y and\n"
    "      size_x (and size_z), their mean);\n"
    "  (c) histograms of the fractional parts of x and y (trackpy's subpx_bias):\n"
    "      flat when the diameter is right, peaked at 0 and 1 (positions pulled to\n"
    "      whole pixels) when it is too small;\n"
    "  (d) the number of features in each frame.\n"
    "The table needs columns x, y and mass; size and frame are used when\n"
    "present. Empty fields (NaN) and infinities are left out of the histograms.\n"
    "\n"
    "Histograms have the bins numpy.histogram makes: equal bins from the least\n"
    "to the greatest value (for the fractional parts, from 0 to 1; all-equal\n"
    "values get lo - 0.5 to hi + 0.5): edge i is i * ((hi - lo) / bins) + lo,\n"
    "the last edge hi, and a value v falls in bin i when edge i <= v < edge\n"
    "i+1, the last bin also taking v = hi.\n"
    "\n";

static const char diag_footer[] =
    "exit status: 0 success, 1 internal error, 2 bad usage or a bad table\n"
    "(with one line: FILE:LINE: reason).\n";

enum { OPT_OUTPUT = 1, OPT_PRINT, OPT_BINS, OPT_MINMASS };

static const cli_option diag_own[] = {
    {"output", 'o', "FILE", "the sheet: a .png (1200 x 900 pixels) or .svg file", OPT_OUTPUT},
    {"print", 0, NULL,
     "print the histograms on standard output: for each, a\nline `NAME bins=B counted=C`, then "
     "one line per bin,\n`LOW HIGH COUNT`; then `features_per_frame frames=F`\nand one line per "
     "frame, `FRAME COUNT`",
     OPT_PRINT},
    {"bins", 0, "N", "bins of the mass and sub-pixel histograms (default 20)", OPT_BINS},
    {"minmass", 0, "M",
     "try a minmass: marked on panels (a) and (b); panels (c)\nand (d) (and their --print "
     "counts) count only features\nwith mass > M, those `locate --minmass M` would keep",
     OPT_MINMASS},
};

static const cli_section diag_sections[] = {
    {"options", diag_own, sizeof diag_own / sizeof *diag_own, 0, 0, NULL, 0},
};

typedef struct {
    const char *csv, *output;
    int svg; /* the output is SVG */
    int print;
    int bins;
    double minmass; /* NaN: not given */
} diag_options;

static int diag_option(void *options, int id, const char *arg, const char *prog)
{
    diag_options *o = options;
    long l;
    int rc = -1;
    switch (id) {
    case OPT_OUTPUT: {
        const char *dot = strrchr(arg, '.');
        if (!dot || (strcasecmp(dot, ".png") && strcasecmp(dot, ".svg")))
            return cli_usage_error(prog, "--output",
                                   "'%s': give a file name ending in .png or .svg", arg);
        o->output = arg;
        o->svg = !strcasecmp(dot, ".svg");
        break;
    }
    case OPT_PRINT:
        o->print = 1;
        break;
    case OPT_BINS:
        if ((rc = cli_whole(prog, "--bins", arg, 1, 1000, &l)) < 0)
            o->bins = (int)l;
        break;
    default: /* OPT_MINMASS */
        rc = cli_real(prog, "--minmass", arg, 0, &o->minmass);
    }
    return rc;
}

static int parse_args(int argc, char **argv, diag_options *o)
{
    memset(o, 0, sizeof *o);
    o->bins = DEFAULT_BINS;
    o->minmass = NAN;
    const cli_command cmd = {
        PROG,          "FEATURES.csv -o SHEET.png|SHEET.svg [options]", diag_about, diag_footer,
        diag_sections, sizeof diag_sections / sizeof *diag_sections,    diag_option};
    int first, rc = cli_parse(&cmd, argc, argv, o, &first);
    if (rc >= 0)
        return rc;
    if (argc - first != 1) {
        fprintf(stderr, PROG ": give one FEATURES.csv (try locus diag --help)\n");
        return EXIT_USAGE;
    }
    if (!o->output && !o->print)
        return cli_usage_error(PROG, "--output", "required (a .png or .svg file), unless --print");
    o->csv = argv[first];
    return -1;
}

/* ------------------------------------------------------------------ */
/* The numbers                                                         */
/* ------------------------------------------------------------------ */

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

static int compute(const features_table *t, const diag_options *o, diag_data *d, locus_error *err)
{
    static const char *const required[] = {"x", "y", "mass"};
    memset(d, 0, sizeof *d);
    d->name = o->csv;
    d->n = t->nrows;
    d->minmass = o->minmass;
    d->mass = locus_features_column(t, "mass");
    int rc = locus_features_require(t, o->csv, required, 3, err);
    if (rc == LOCUS_OK)
        rc = per_frame(t, o->csv, d, err);
    if (rc != LOCUS_OK)
        return rc;
    double lo, hi;
    data_range(d->mass, t->nrows, &lo, &hi);
    if (hist_alloc(&d->mass_hist, o->bins) || subpixel(t, d, o->bins) || sizes(t, d))
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
    free(d->size);
    free(d->per_frame);
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* A number as the CSV writer writes it (the fewest digits that read back
 * as the same double), with NaN and infinities spelled out. */
static void print_number(FILE *out, double v)
{
    char buf[32];
    if (!isfinite(v)) {
        fputs(isnan(v) ? "nan" : v > 0 ? "inf" : "-inf", out);
        return;
    }
    locus_format_double(buf, v);
    fputs(buf, out);
}

static void print_hist(FILE *out, const char *name, const diag_hist *h)
{
    fprintf(out, "%s bins=%d counted=%zu\n", name, h->bins, h->counted);
    for (int i = 0; i < h->bins; i++) {
        print_number(out, h->edges[i]);
        fputc(' ', out);
        print_number(out, h->edges[i + 1]);
        fprintf(out, " %zu\n", h->counts[i]);
    }
}

static void print_data(FILE *out, const diag_data *d)
{
    print_hist(out, "mass_histogram", &d->mass_hist);
    print_hist(out, "subpixel_x", &d->sub_x);
    print_hist(out, "subpixel_y", &d->sub_y);
    fprintf(out, "features_per_frame frames=%zu\n", d->nframes);
    for (size_t f = 0; f < d->nframes; f++)
        fprintf(out, "%ld %zu\n", d->first_frame + (long)f, d->per_frame[f]);
}

static int write_sheet(const diag_options *o, const diag_data *d, locus_error *err)
{
    if (o->svg) {
        svg_doc doc;
        locus_svg_begin(&doc, DIAG_WIDTH, DIAG_HEIGHT);
        plot_surface s = locus_svg_surface(&doc);
        diag_draw(&s, d, SVG_MAX_POINTS);
        return locus_svg_save(&doc, o->output, err);
    }
    draw_canvas cv;
    int rc = locus_draw_canvas_init(&cv, DIAG_WIDTH, DIAG_HEIGHT, (draw_rgb){255, 255, 255}, err);
    if (rc != LOCUS_OK)
        return rc;
    plot_surface s = locus_plot_raster(&cv);
    diag_draw(&s, d, d->n);
    rc = locus_draw_save_png(&cv, o->output, err);
    locus_draw_canvas_free(&cv);
    return rc;
}

static int run(const diag_options *o, locus_error *err)
{
    static const char *const want[] = {"x",    "y",      "mass",   "frame",
                                       "size", "size_z", "size_y", "size_x"};
    features_table t;
    diag_data d = {0};
    int rc = locus_features_csv_read(o->csv, want, 8, &t, err);
    if (rc != LOCUS_OK)
        return rc;
    rc = compute(&t, o, &d, err);
    if (rc == LOCUS_OK && o->output)
        rc = write_sheet(o, &d, err);
    if (rc == LOCUS_OK && o->print) {
        print_data(stdout, &d);
        if (fflush(stdout) != 0)
            rc = locus_error_set(err, LOCUS_E_IO, "standard output: write failed");
    }
    diag_free(&d);
    locus_features_table_free(&t);
    return rc;
}

int cmd_diag(int argc, char **argv)
{
    diag_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    locus_error err = {0};
    rc = run(&o, &err);
    if (rc == LOCUS_OK)
        return EXIT_OK;
    cli_report(PROG, &err);
    return cli_exit_status(rc);
}
