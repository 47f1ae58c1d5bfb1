/*
 * `locus diag`: read a feature table, compute the histograms of the
 * diagnostic sheet, print them (--print) and draw the sheet as PNG or SVG.
 */
#include "commands.h"
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROG "locus diag"

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
    locus_diag_opts diag; /* bins, minmass */
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
            o->diag.bins = (int)l;
        break;
    default: /* OPT_MINMASS */
        rc = cli_real(prog, "--minmass", arg, 0, &o->diag.minmass);
    }
    return rc;
}

static int parse_args(int argc, char **argv, diag_options *o)
{
    memset(o, 0, sizeof *o);
    locus_diag_opts_init(&o->diag);
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

/* Read the table; draw the sheet (--output) and print its numbers (--print). */
static int run(const diag_options *o, locus_error *err)
{
    static const char *const want[] = {"x",      "y",      "mass",   "frame",   "size",
                                       "size_z", "size_y", "size_x", "particle"};
    locus_table *t = locus_table_create();
    locus_buffer out = {0};
    locus_diag_opts d = o->diag;
    d.table = o->csv;
    int rc = t ? locus_table_read_csv(t, o->csv, want, 9, err)
               : cli_error(err, LOCUS_E_NOMEM, "out of memory");
    if (rc == LOCUS_OK && o->output) {
        rc = locus_diag(t, &d, o->svg ? LOCUS_DIAG_SVG : LOCUS_DIAG_PNG, &out, err);
        if (rc == LOCUS_OK)
            rc = locus_buffer_write_file(&out, o->output, err);
    }
    if (rc == LOCUS_OK && o->print) {
        rc = locus_diag(t, &d, LOCUS_DIAG_TEXT, &out, err);
        if (rc == LOCUS_OK &&
            (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0))
            rc = cli_error(err, LOCUS_E_IO, "standard output: write failed");
    }
    locus_buffer_free(&out);
    locus_table_free(t);
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
