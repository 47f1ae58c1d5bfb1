/*
 * `locus annotate`: one frame with a ring around each of its features --
 * the picture trackpy users judge `diameter` and `minmass` by
 * (tp.annotate).
 */
#include "annotate_frame.h"
#include "commands.h"
#include "options.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "locus annotate"

static const char annotate_about[] =
    "Draw one frame with a ring around each of its features, as trackpy's\n"
    "annotate does, to check by eye what `locus locate` found.\n"
    "\n"
    "FRAME is any input `locus locate` reads (an image file, a quoted pattern or\n"
    "a directory); FEATURES.csv is a table from `locus locate` or trackpy (columns\n"
    "x, y, and z for volumes; frame and size are used when present). The output\n"
    "is an RGB PNG of the frame's size: the frame in grey, scaled so that its\n"
    "0.1th percentile is black and its 99.9th white (--minmax: its minimum and\n"
    "maximum), with 1-pixel anti-aliased rings. When the table holds several\n"
    "frames and FRAME is one image, --frame must say which frame it is.\n";

static const char annotate_footer[] =
    "exit status: 0 success, 1 internal error, 2 bad usage or unreadable input.\n";

enum {
    OPT_OUTPUT = 1,
    OPT_FRAME,
    OPT_PAGE,
    OPT_INVERT,
    OPT_Z,
    OPT_RADIUS,
    OPT_DIAMETER,
    OPT_COLOR,
    OPT_MINMAX,
    OPT_NO_PATHS,
};

static const cli_option annotate_own[] = {
    {"output", 'o', "FILE", "the PNG to write (required)", OPT_OUTPUT},
    {"frame", 0, "N",
     "draw frame N: the rows of FEATURES.csv whose frame is N\n(all rows if it has no frame "
     "column), on image N of\nFRAME when it holds several frames (default 0)",
     OPT_FRAME},
    {"page", 0, "P", "take the image from frame P of FRAME instead", OPT_PAGE},
    {"invert", 0, NULL, "show the frame inverted (as locate --invert sees it)", OPT_INVERT},
    {"z", 0, "Z",
     "with --volume, the slice to draw (default the middle one);\na feature's ring is the "
     "cross-section of its ellipsoid with the slice",
     OPT_Z},
    {"radius", 0, "R", "rings of radius R pixels", OPT_RADIUS},
    {"diameter", 0, "D",
     "rings of diameter D (or one per axis: 5,9,9)\ndefault: each feature's ring has radius 2.5 "
     "x its size\n(size_z, size_y, size_x per axis): about 3.5 s for a\nGaussian spot of "
     "standard deviation s, just outside it",
     OPT_DIAMETER},
    {"color", 0, "C", "red (default), green, blue, yellow, cyan, magenta,\nwhite, or #RRGGBB",
     OPT_COLOR},
    {"minmax", 0, NULL, "scale the grey levels from the frame's min to its max", OPT_MINMAX},
    {"no-paths", 0, NULL,
     "a linked table (a particle column, from locus link or\ntrack) draws each trajectory's "
     "path up to the frame\nshown, one colour per particle; this leaves them out",
     OPT_NO_PATHS},
};

typedef struct {
    const char *input, *csv, *output;
    long frame;
    int frame_given; /* --frame was on the command line */
    long page;       /* -1: follow --frame */
    locus_source_opts source;
    locus_annotate_opts style; /* z: -1, the middle slice */
} annotate_options;

static const cli_section annotate_sections[] = {
    {"options", annotate_own, sizeof annotate_own / sizeof *annotate_own, 0, 0, NULL, 0},
    {"options", NULL, 0, LOCUS_PARAMS_SOURCE, offsetof(annotate_options, source), NULL, 0},
};

/* A list of per-axis ring diameters, each above 0. */
static int parse_diameters(const char *prog, const char *arg, locus_axes *out)
{
    char buf[128], *save = NULL;
    int n = 0;
    if (strlen(arg) >= sizeof buf || strstr(arg, ",,") || arg[0] == ',' ||
        arg[strlen(arg) - 1] == ',')
        return cli_usage_error(prog, "--diameter", "'%s' is not a number or a list like 5,9,9",
                               arg);
    strcpy(buf, arg);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == 3 || cli_real(prog, "--diameter", tok, 0, &out->v[n]) >= 0)
            return EXIT_USAGE;
        if (!(out->v[n] > 0 && out->v[n] <= 200000))
            return cli_usage_error(prog, "--diameter", "'%s': diameters must be above 0", arg);
        n++;
    }
    out->count = n;
    return n ? -1 : cli_usage_error(prog, "--diameter", "'%s' is not a number", arg);
}

static int annotate_option(void *options, int id, const char *arg, const char *prog)
{
    annotate_options *o = options;
    switch (id) {
    case OPT_OUTPUT:
        o->output = arg;
        return -1;
    case OPT_FRAME:
        o->frame_given = 1;
        return cli_whole(prog, "--frame", arg, 0, 1000000000L, &o->frame);
    case OPT_PAGE:
        return cli_whole(prog, "--page", arg, 0, 1000000000L, &o->page);
    case OPT_Z:
        return cli_whole(prog, "--z", arg, 0, 1000000000L, &o->style.z);
    case OPT_INVERT:
        o->style.invert = 1;
        return -1;
    case OPT_MINMAX:
        o->style.minmax = 1;
        return -1;
    case OPT_NO_PATHS:
        o->style.trajectories = 0;
        return -1;
    case OPT_RADIUS: {
        int rc = cli_real(prog, "--radius", arg, 0, &o->style.radius);
        if (rc < 0 && !(o->style.radius > 0 && o->style.radius <= 100000))
            return cli_usage_error(prog, "--radius", "'%s' is not a number of pixels above 0", arg);
        return rc;
    }
    case OPT_DIAMETER:
        return parse_diameters(prog, arg, &o->style.diameter);
    default: /* OPT_COLOR */
        return locus_color_parse(arg, o->style.color)
                   ? cli_usage_error(prog, "--color", "'%s' is not a colour name or #RRGGBB", arg)
                   : -1;
    }
}

/* -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, annotate_options *o)
{
    memset(o, 0, sizeof *o);
    o->page = -1;
    locus_source_opts_init(&o->source);
    locus_annotate_opts_init(&o->style);
    const cli_command cmd = {PROG,
                             "FRAME FEATURES.csv -o OUT.png [options]",
                             annotate_about,
                             annotate_footer,
                             annotate_sections,
                             sizeof annotate_sections / sizeof *annotate_sections,
                             annotate_option};
    int first, rc = cli_parse(&cmd, argc, argv, o, &first);
    if (rc >= 0)
        return rc;
    if (argc - first != 2) {
        fprintf(stderr, PROG ": give FRAME and FEATURES.csv (try locus annotate --help)\n");
        return EXIT_USAGE;
    }
    if (!o->output)
        return cli_usage_error(PROG, "--output", "required (the PNG to write)");
    if (o->style.z >= 0 && !o->source.volume)
        return cli_usage_error(PROG, "--z", "only with --volume");
    o->input = argv[first];
    o->csv = argv[first + 1];
    return -1;
}

/* Which of the source's frames to draw: --page, else --frame, except
 * that a single-frame input is always its one frame (a frame_0005.png
 * with the rows of frame 5). */
static int pick_image(const annotate_options *o, const locus_source *src, size_t *index,
                      locus_error *err)
{
    size_t have = locus_source_frames(src);
    long want = o->page >= 0 ? o->page : have == 1 ? 0 : o->frame;
    if ((size_t)want >= have)
        return cli_error(err, LOCUS_E_PARAM, "%s: no frame %ld: it has %zu (use --page)", o->input,
                         want, have);
    *index = (size_t)want;
    return LOCUS_OK;
}

/*
 * A table of several frames drawn on a single image: which frame the
 * image is cannot be guessed (a frame_0005.png is frame 5 of its movie,
 * not frame 0 of the table), so it must be given.
 */
static int check_frame_given(const annotate_options *o, const locus_source *src,
                             const locus_table *t, locus_error *err)
{
    int c = locus_table_find(t, "frame");
    if (o->frame_given || o->page >= 0 || c < 0 || locus_source_frames(src) != 1)
        return LOCUS_OK;
    const double *fr = locus_table_column(t, c);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < locus_table_rows(t); i++)
        if (isfinite(fr[i]))
            lo = fr[i] < lo ? fr[i] : lo, hi = fr[i] > hi ? fr[i] : hi;
    if (!(hi > lo))
        return LOCUS_OK;
    return cli_error(err, LOCUS_E_PARAM,
                     "%s holds frames %g to %g and %s is one image: give --frame N, the "
                     "frame it is",
                     o->csv, lo, hi, o->input);
}

/* Read the image and the table, draw, write. */
static int annotate(const annotate_options *o, locus_reader *rd, locus_table *t, size_t *drawn,
                    locus_error *err)
{
    static const char *const want[] = {"x",      "y",      "z",      "frame",   "size",
                                       "size_x", "size_y", "size_z", "particle"};
    const char *input = o->input;
    locus_source *src = NULL;
    size_t index = 0;
    locus_image img = {0};
    locus_picture pic = {0};
    locus_annotate_opts style = o->style;
    style.frame = (double)o->frame;
    style.table = o->csv;
    int rc = locus_source_open(&src, &input, 1, &o->source, err);
    if (rc == LOCUS_OK)
        rc = locus_source_check(src, err);
    if (rc == LOCUS_OK)
        rc = pick_image(o, src, &index, err);
    if (rc == LOCUS_OK)
        rc = locus_source_read(src, index, rd, &img, err);
    if (rc == LOCUS_OK)
        rc = locus_table_read_csv(t, o->csv, want, 9, err);
    if (rc == LOCUS_OK)
        rc = check_frame_given(o, src, t, err);
    if (rc == LOCUS_OK)
        rc = locus_annotate(&img, t, &style, &pic, drawn, err);
    if (rc == LOCUS_OK)
        rc = locus_picture_write_png(&pic, o->output, err);
    locus_picture_free(&pic);
    locus_source_free(src);
    return rc;
}

int cmd_annotate(int argc, char **argv)
{
    annotate_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    locus_reader *rd = locus_reader_create();
    locus_table *t = locus_table_create();
    locus_error err = {0};
    size_t drawn = 0;
    rc = rd && t ? annotate(&o, rd, t, &drawn, &err)
                 : cli_error(&err, LOCUS_E_NOMEM, "out of memory");
    if (rc == LOCUS_OK && drawn == 0)
        fprintf(stderr, PROG ": note: no feature of frame %ld to draw in %s\n", o.frame, o.csv);
    locus_table_free(t);
    locus_reader_free(rd);
    if (rc == LOCUS_OK)
        return EXIT_OK;
    cli_report(PROG, &err);
    return cli_exit_status(rc);
}
