/*
 * `locus annotate`: one frame with a ring around each of its features --
 * the picture trackpy users judge `diameter` and `minmass` by
 * (tp.annotate).
 */
#include "annotate_frame.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "locus annotate"

static const char annotate_help[] =
    "usage: locus annotate FRAME FEATURES.csv -o OUT.png [options]\n"
    "\n"
    "Draw one frame with a ring around each of its features, as trackpy's\n"
    "annotate does, to check by eye what `locus locate` found.\n"
    "\n"
    "FRAME is any input `locus locate` reads (an image file, a quoted pattern or\n"
    "a directory); FEATURES.csv is a table from `locus locate` or trackpy (columns\n"
    "x, y, and z for volumes; frame and size are used when present). The output\n"
    "is an RGB PNG of the frame's size: the frame in grey, scaled so that its\n"
    "0.1th percentile is black and its 99.9th white (--minmax: its minimum and\n"
    "maximum), with 1-pixel anti-aliased rings.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   the PNG to write (required)\n"
    "      --frame N       draw frame N: the rows of FEATURES.csv whose frame is N\n"
    "                      (all rows if it has no frame column), on image N of\n"
    "                      FRAME when it holds several frames (default 0)\n"
    "      --page P        take the image from frame P of FRAME instead\n"
    "      --channel N     colour channel, as for locate\n"
    "      --invert        show the frame inverted (as locate --invert sees it)\n"
    "      --volume        each multi-page TIFF is one 3-D image; draw one slice\n"
    "      --z Z           the slice to draw (default the middle one); a feature's\n"
    "                      ring is the cross-section of its ellipsoid with the slice\n"
    "      --radius R      rings of radius R pixels\n"
    "      --diameter D    rings of diameter D (or one per axis: 5,9,9)\n"
    "                      default: each feature's ring has radius 2.5 x its size\n"
    "                      (size_z, size_y, size_x per axis): about 3.5 s for a\n"
    "                      Gaussian spot of standard deviation s, just outside it\n"
    "      --color C       red (default), green, blue, yellow, cyan, magenta,\n"
    "                      white, or #RRGGBB\n"
    "      --minmax        scale the grey levels from the frame's min to its max\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 success, 1 internal error, 2 bad usage or unreadable input.\n";

enum {
    OPT_FRAME = 256,
    OPT_PAGE,
    OPT_CHANNEL,
    OPT_INVERT,
    OPT_VOLUME,
    OPT_Z,
    OPT_RADIUS,
    OPT_DIAMETER,
    OPT_COLOR,
    OPT_MINMAX,
};

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"frame", required_argument, NULL, OPT_FRAME},
    {"page", required_argument, NULL, OPT_PAGE},
    {"channel", required_argument, NULL, OPT_CHANNEL},
    {"invert", no_argument, NULL, OPT_INVERT},
    {"volume", no_argument, NULL, OPT_VOLUME},
    {"z", required_argument, NULL, OPT_Z},
    {"radius", required_argument, NULL, OPT_RADIUS},
    {"diameter", required_argument, NULL, OPT_DIAMETER},
    {"color", required_argument, NULL, OPT_COLOR},
    {"minmax", no_argument, NULL, OPT_MINMAX},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *input, *csv, *output;
    long frame;
    long page; /* -1: follow --frame */
    long z;    /* -1: the middle slice */
    locus_source_opts source;
    annotate_style style;
} annotate_options;

static int usage_error(const char *option, const char *fmt, const char *arg)
{
    fprintf(stderr, PROG ": %s: ", option);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* --frame, --page, --z: a whole number >= 0. */
static int whole_number(const char *option, const char *arg, long *out)
{
    return parse_long(arg, 0, 1000000000L, out)
               ? usage_error(option, "'%s' is not a whole number >= 0", arg)
               : -1;
}

static int parse_number_option(int c, const char *arg, annotate_options *o)
{
    long l;
    double d;
    switch (c) {
    case OPT_FRAME:
        return whole_number("--frame", arg, &o->frame);
    case OPT_PAGE:
        return whole_number("--page", arg, &o->page);
    case OPT_Z:
        return whole_number("--z", arg, &o->z);
    case OPT_CHANNEL:
        if (parse_long(arg, 0, 255, &l))
            return usage_error("--channel", "'%s' is not a channel number (0, 1, 2, ...)", arg);
        o->source.channel = (int)l;
        return -1;
    case OPT_RADIUS:
        if (parse_double(arg, &d) || !(d > 0 && d <= 100000))
            return usage_error("--radius", "'%s' is not a number of pixels above 0", arg);
        o->style.radius = d;
        return -1;
    default: /* OPT_DIAMETER */
        if (parse_axes(arg, &o->style.diameter))
            return usage_error("--diameter", "'%s' is not a number or a list like 5,9,9", arg);
        for (int i = 0; i < o->style.diameter.count; i++)
            if (!(o->style.diameter.v[i] > 0 && o->style.diameter.v[i] <= 200000))
                return usage_error("--diameter", "'%s': diameters must be above 0", arg);
        return -1;
    }
}

static int parse_one(int c, const char *arg, annotate_options *o)
{
    switch (c) {
    case 'o':
        o->output = arg;
        return -1;
    case OPT_INVERT:
        o->style.invert = 1;
        return -1;
    case OPT_VOLUME:
        o->source.volume = 1;
        return -1;
    case OPT_MINMAX:
        o->style.minmax = 1;
        return -1;
    case OPT_COLOR:
        return annotate_parse_color(arg, &o->style.color)
                   ? usage_error("--color", "'%s' is not a colour name or #RRGGBB", arg)
                   : -1;
    default:
        return parse_number_option(c, arg, o);
    }
}

static int getopt_failure(int c, char **argv)
{
    if (c == ':')
        fprintf(stderr, PROG ": %s: needs a value\n", argv[optind - 1]);
    else if (optopt)
        fprintf(stderr, PROG ": -%c: unknown option (try locus annotate --help)\n", optopt);
    else
        fprintf(stderr, PROG ": %s: unknown option (try locus annotate --help)\n",
                argv[optind - 1]);
    return EXIT_USAGE;
}

/* -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, annotate_options *o)
{
    memset(o, 0, sizeof *o);
    o->page = o->z = -1;
    o->source.channel = -1;
    annotate_style_init(&o->style);
    opterr = 0;
    optind = 1;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
        if (c == 'h') {
            fputs(annotate_help, stdout);
            return EXIT_OK;
        }
        if (c == '?' || c == ':')
            return getopt_failure(c, argv);
        if ((rc = parse_one(c, optarg, o)) >= 0)
            return rc;
    }
    if (argc - optind != 2) {
        fprintf(stderr, PROG ": give FRAME and FEATURES.csv (try locus annotate --help)\n");
        return EXIT_USAGE;
    }
    if (!o->output) {
        fprintf(stderr, PROG ": --output: required (the PNG to write)\n");
        return EXIT_USAGE;
    }
    if (o->z >= 0 && !o->source.volume) {
        fprintf(stderr, PROG ": --z: only with --volume\n");
        return EXIT_USAGE;
    }
    o->input = argv[optind];
    o->csv = argv[optind + 1];
    return -1;
}

static int exit_status(int rc)
{
    return rc == LOCUS_E_NOMEM || rc == LOCUS_E_SYSTEM ? EXIT_FAILURE_ : EXIT_USAGE;
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
        return locus_error_set(err, LOCUS_E_PARAM, "%s: no frame %ld: it has %zu (use --page)",
                               o->input, want, have);
    *index = (size_t)want;
    return LOCUS_OK;
}

static int pick_slice(const annotate_options *o, const locus_image *img, size_t *z,
                      locus_error *err)
{
    *z = 0;
    if (img->ndim != 3)
        return LOCUS_OK;
    *z = o->z >= 0 ? (size_t)o->z : img->shape[0] / 2;
    if (*z >= img->shape[0])
        return locus_error_set(err, LOCUS_E_PARAM, "--z: no slice %zu: the volume has %zu", *z,
                               img->shape[0]);
    return LOCUS_OK;
}

/* Read the image and the table, draw, write. */
static int annotate(const annotate_options *o, locus_reader *rd, features_table *t, size_t *drawn,
                    locus_error *err)
{
    static const char *const want[] = {"x",    "y",      "z",      "frame",
                                       "size", "size_x", "size_y", "size_z"};
    const char *input = o->input;
    locus_source *src = NULL;
    size_t index = 0, z = 0;
    locus_image img = {0};
    int rc = locus_source_open(&src, &input, 1, &o->source, err);
    if (rc == LOCUS_OK)
        rc = locus_source_check(src, err);
    if (rc == LOCUS_OK)
        rc = pick_image(o, src, &index, err);
    if (rc == LOCUS_OK)
        rc = locus_source_read(src, index, rd, &img, err);
    if (rc == LOCUS_OK)
        rc = pick_slice(o, &img, &z, err);
    if (rc == LOCUS_OK)
        rc = locus_features_csv_read(o->csv, want, 8, t, err);
    if (rc == LOCUS_OK)
        rc = annotate_write(o->output, &img, z, t, (double)o->frame, &o->style, o->csv, drawn, err);
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
    features_table t = {0};
    locus_error err = {0};
    size_t drawn = 0;
    rc = rd ? annotate(&o, rd, &t, &drawn, &err)
            : locus_error_set(&err, LOCUS_E_NOMEM, "out of memory");
    if (rc == LOCUS_OK && drawn == 0)
        fprintf(stderr, PROG ": note: no feature of frame %ld to draw in %s\n", o.frame, o.csv);
    locus_features_table_free(&t);
    locus_reader_free(rd);
    if (rc == LOCUS_OK)
        return EXIT_OK;
    report_error(PROG, &err);
    return exit_status(rc);
}
