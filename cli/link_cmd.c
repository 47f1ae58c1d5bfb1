/*
 * `locus link`: join the features of a CSV table into trajectories, as
 * trackpy's link does (docs/LINKING.md), and write the table back with a
 * `particle` column.
 */
#include "commands.h"
#include "link_table.h"
#include "options.h"
#include "progress.h"

#include "link/linker.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "locus link"
#define MAX_GUESS_ROWS 100000

static const char link_help[] =
    "usage: locus link FEATURES.csv [options] [-o TRACKS.csv]\n"
    "\n"
    "Link features into trajectories, with the same result as trackpy's\n"
    "link(f, search_range, ...): the same partition of rows into trajectories.\n"
    "The output is every input row, every column as it was written, sorted by\n"
    "frame (input order within a frame), plus a `particle` column (an existing\n"
    "`particle` column is overwritten in place). Trajectory IDs are canonical:\n"
    "numbered 0, 1, 2, ... by their first row in that order.\n"
    "\n"
    "linking (trackpy's names and defaults):\n"
    "      --search-range R     the largest step, in pixels (required); one value,\n"
    "                           or one per position column: 1.5,6,6\n"
    "      --memory M           frames a feature may vanish and still be linked\n"
    "                           (default 0; counts frame numbers, empty ones too)\n"
    "      --adaptive-stop S    shrink oversize subnets' range, down to S\n"
    "      --adaptive-step F    the factor of each shrink, 0 < F < 1 (default 0.95)\n"
    "      --link-strategy S    auto (= hybrid, the default), hybrid, numba,\n"
    "                           recursive, nonrecursive or drop\n"
    "      --oversize solve|raise  a subnet larger than trackpy's solver takes:\n"
    "                           solve it exactly (default; counted on stderr) or\n"
    "                           fail as trackpy does (SubnetOversizeException, exit 2)\n"
    "      --min-length N       keep only trajectories of at least N rows\n"
    "                           (trackpy's filter_stubs; IDs are kept)\n"
    "\n"
    "prediction (trackpy.predict, linked as pred.link_df: frames without rows\n"
    "are skipped and memory counts the frames present):\n"
    "      --predict KIND       drift (DriftPredict), nearest\n"
    "                           (NearestVelocityPredict) or channel (ChannelPredict)\n"
    "      --predict-span N     frames the velocities are measured over (default 1)\n"
    "      --predict-guess L    the initial guess, rows separated by ';', values by ',':\n"
    "                             drift:   one row of velocities, per position column\n"
    "                             nearest: rows of positions then velocities\n"
    "                                      (y,x,vy,vx;... in 2-D)\n"
    "                             channel: rows of (coordinate across, velocity)\n"
    "      --predict-guess-file F  the same rows from a file, one per line, values\n"
    "                           separated by commas or blanks; a first line that is\n"
    "                           not numbers (a header) is skipped\n"
    "      --channel-bin-size B    width of the bins across the flow (required)\n"
    "      --channel-flow-axis A   the position column along the flow (default x)\n"
    "      --channel-min-samples N velocities a bin needs to count (default 20)\n"
    "\n"
    "input and output:\n"
    "      --pos-columns LIST   the position columns (default z,y,x when the\n"
    "                           table has z, else y,x; any 1 to 3 columns)\n"
    "      --t-column NAME      the frame column (default frame); numbers are\n"
    "                           truncated toward zero (2.7 -> 2)\n"
    "  -o, --output FILE        write the table to FILE (default: standard output);\n"
    "                           nothing is written when linking fails\n"
    "      --progress           show progress on stderr (default: when it is a terminal)\n"
    "      --quiet              no progress, no summary\n"
    "  -h, --help               this help\n"
    "\n"
    "exit status: 0 success, 1 internal error, 2 bad usage, a bad table\n"
    "(FILE:LINE: reason) or an oversize subnet with --oversize raise.\n";

enum {
    OPT_RANGE = 256,
    OPT_MEMORY,
    OPT_ASTOP,
    OPT_ASTEP,
    OPT_STRATEGY,
    OPT_OVERSIZE,
    OPT_MINLEN,
    OPT_PREDICT,
    OPT_SPAN,
    OPT_GUESS,
    OPT_GUESS_FILE,
    OPT_BIN,
    OPT_FLOW,
    OPT_MINSAMP,
    OPT_POS,
    OPT_TCOL,
    OPT_PROGRESS,
    OPT_QUIET,
};

static const struct option long_options[] = {
    {"search-range", required_argument, NULL, OPT_RANGE},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"adaptive-stop", required_argument, NULL, OPT_ASTOP},
    {"adaptive-step", required_argument, NULL, OPT_ASTEP},
    {"link-strategy", required_argument, NULL, OPT_STRATEGY},
    {"oversize", required_argument, NULL, OPT_OVERSIZE},
    {"min-length", required_argument, NULL, OPT_MINLEN},
    {"predict", required_argument, NULL, OPT_PREDICT},
    {"predict-span", required_argument, NULL, OPT_SPAN},
    {"predict-guess", required_argument, NULL, OPT_GUESS},
    {"predict-guess-file", required_argument, NULL, OPT_GUESS_FILE},
    {"channel-bin-size", required_argument, NULL, OPT_BIN},
    {"channel-flow-axis", required_argument, NULL, OPT_FLOW},
    {"channel-min-samples", required_argument, NULL, OPT_MINSAMP},
    {"pos-columns", required_argument, NULL, OPT_POS},
    {"t-column", required_argument, NULL, OPT_TCOL},
    {"output", required_argument, NULL, 'o'},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *input, *output;
    locus_link_params p;
    char pos_buf[256];
    const char *pos[3];
    int npos; /* 0: the default columns */
    const char *t_column, *flow_axis;
    const char *guess_text, *guess_file;
    double *guess; /* rows of guess_width values */
    size_t guess_rows;
    int guess_width;
    long min_length;
    int progress, quiet;
} link_options;

static int usage_error(const char *option, const char *fmt, const char *arg)
{
    fprintf(stderr, PROG ": %s: ", option);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* "z,y,x": one to three column names. */
static int parse_pos_columns(const char *arg, link_options *o)
{
    if (strlen(arg) >= sizeof o->pos_buf)
        return usage_error("--pos-columns", "'%.40s...' is too long", arg);
    strcpy(o->pos_buf, arg);
    o->npos = 0;
    for (char *p = o->pos_buf;;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        if (!*p || o->npos == 3)
            return usage_error("--pos-columns", "'%s' is not a list of 1 to 3 column names", arg);
        o->pos[o->npos++] = p;
        if (!c)
            break;
        p = c + 1;
    }
    return -1;
}

static int parse_range(const char *arg, link_options *o)
{
    locus_axes *r = &o->p.search_range;
    if (parse_axes(arg, r))
        return usage_error("--search-range", "'%s' is not a number or a list like 1.5,6,6", arg);
    for (int a = 0; a < r->count; a++)
        if (!(r->v[a] > 0))
            return usage_error("--search-range", "'%s': the range must be positive", arg);
    return -1;
}

static int parse_predict(const char *arg, link_options *o)
{
    static const char *const names[] = {"drift", "nearest", "channel"};
    for (int k = 0; k < 3; k++)
        if (!strcmp(arg, names[k])) {
            o->p.predict.kind = (locus_predict_kind)(LOCUS_PREDICT_DRIFT + k);
            return -1;
        }
    return usage_error("--predict", "'%s' is not drift, nearest or channel", arg);
}

static int parse_link_one(int c, const char *arg, link_options *o)
{
    locus_link_params *p = &o->p;
    long l;
    switch (c) {
    case OPT_RANGE:
        return parse_range(arg, o);
    case OPT_MEMORY:
        if (parse_long(arg, 0, 1000000000000L, &l))
            return usage_error("--memory", "'%s' is not a whole number >= 0", arg);
        p->memory = l;
        return -1;
    case OPT_ASTOP:
        if (parse_double(arg, &p->adaptive_stop) || !(p->adaptive_stop > 0))
            return usage_error("--adaptive-stop", "'%s' is not a positive number", arg);
        return -1;
    case OPT_ASTEP:
        if (parse_double(arg, &p->adaptive_step) || !(p->adaptive_step > 0) ||
            !(p->adaptive_step < 1))
            return usage_error("--adaptive-step", "'%s' is not a number between 0 and 1", arg);
        return -1;
    case OPT_STRATEGY:
        if (locus_link_strategy_parse(arg, &p->strategy))
            return usage_error("--link-strategy",
                               "unknown linking strategy '%s' (auto, hybrid, numba, recursive, "
                               "nonrecursive, drop)",
                               arg);
        return -1;
    case OPT_OVERSIZE:
        if (strcmp(arg, "solve") && strcmp(arg, "raise"))
            return usage_error("--oversize", "'%s' is not solve or raise", arg);
        p->oversize = !strcmp(arg, "raise") ? LOCUS_OVERSIZE_RAISE : LOCUS_OVERSIZE_SOLVE;
        return -1;
    case OPT_MINLEN:
        if (parse_long(arg, 0, 1000000000000L, &o->min_length))
            return usage_error("--min-length", "'%s' is not a whole number >= 0", arg);
        return -1;
    default:
        return -2;
    }
}

static int parse_predict_one(int c, const char *arg, link_options *o)
{
    locus_predict_params *q = &o->p.predict;
    long l;
    switch (c) {
    case OPT_PREDICT:
        return parse_predict(arg, o);
    case OPT_SPAN:
        if (parse_long(arg, 1, 1000000, &l))
            return usage_error("--predict-span", "'%s' is not a whole number >= 1", arg);
        q->span = (int)l;
        return -1;
    case OPT_GUESS:
        o->guess_text = arg;
        return -1;
    case OPT_GUESS_FILE:
        o->guess_file = arg;
        return -1;
    case OPT_BIN:
        if (parse_double(arg, &q->bin_size) || !(q->bin_size > 0))
            return usage_error("--channel-bin-size", "'%s' is not a positive number", arg);
        return -1;
    case OPT_FLOW:
        o->flow_axis = arg;
        return -1;
    case OPT_MINSAMP:
        if (parse_long(arg, 0, 1000000000L, &q->minsamples))
            return usage_error("--channel-min-samples", "'%s' is not a whole number >= 0", arg);
        return -1;
    default:
        return -2;
    }
}

static int parse_one(int c, const char *arg, link_options *o)
{
    int rc = parse_link_one(c, arg, o);
    if (rc == -2)
        rc = parse_predict_one(c, arg, o);
    if (rc != -2)
        return rc;
    switch (c) {
    case OPT_POS:
        return parse_pos_columns(arg, o);
    case OPT_TCOL:
        o->t_column = arg;
        return -1;
    case 'o':
        o->output = arg;
        return -1;
    case OPT_PROGRESS:
        o->progress = 1;
        return -1;
    case OPT_QUIET:
        o->quiet = 1;
        o->progress = 0;
        return -1;
    default:
        return EXIT_USAGE;
    }
}

/* Options that depend on each other, before the table is read. */
static int check_options(link_options *o)
{
    locus_predict_params *q = &o->p.predict;
    if (o->p.search_range.count == 0)
        return usage_error("--search-range", "%s", "required (the largest step, in pixels)");
    if (q->kind == LOCUS_PREDICT_NONE &&
        (o->guess_text || o->guess_file || q->span != 1 || o->flow_axis || q->bin_size))
        return usage_error("--predict", "%s",
                           "required by the --predict-* and --channel-* options");
    if (o->guess_text && o->guess_file)
        return usage_error("--predict-guess", "%s", "give it or --predict-guess-file, not both");
    if (q->kind == LOCUS_PREDICT_CHANNEL && !(q->bin_size > 0))
        return usage_error("--channel-bin-size", "%s", "required with --predict channel");
    if (q->kind != LOCUS_PREDICT_CHANNEL && (o->flow_axis || q->bin_size))
        return usage_error("--channel-bin-size", "%s", "only with --predict channel");
    return -1;
}

static int parse_args(int argc, char **argv, link_options *o)
{
    locus_link_params_init(&o->p);
    o->t_column = "frame";
    o->progress = -1;
    opterr = 0;
    optind = 1;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
        if (c == 'h') {
            fputs(link_help, stdout);
            return EXIT_OK;
        }
        if (c == ':') {
            fprintf(stderr, PROG ": %s: needs a value\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
        if (c == '?') {
            fprintf(stderr, PROG ": %s: unknown option (try locus link --help)\n",
                    optopt ? (char[]){'-', (char)optopt, '\0'} : argv[optind - 1]);
            return EXIT_USAGE;
        }
        if ((rc = parse_one(c, optarg, o)) >= 0)
            return rc;
    }
    if (argc - optind != 1) {
        fprintf(stderr, PROG ": give one FEATURES.csv (try locus link --help)\n");
        return EXIT_USAGE;
    }
    o->input = argv[optind];
    return check_options(o);
}

/* ------------------------------------------------------------------ */
/* Initial guesses                                                     */
/* ------------------------------------------------------------------ */

/* One row of numbers separated by commas or blanks; its count, or -1. */
static int parse_numbers(const char *b, const char *e, double *v, int max)
{
    int n = 0;
    while (b < e) {
        while (b < e && (*b == ' ' || *b == '\t' || *b == ',' || *b == '\r'))
            b++;
        if (b == e)
            break;
        const char *s = b;
        while (b < e && *b != ' ' && *b != '\t' && *b != ',' && *b != '\r')
            b++;
        char tok[64];
        if (n == max || (size_t)(b - s) >= sizeof tok)
            return -1;
        memcpy(tok, s, (size_t)(b - s));
        tok[b - s] = '\0';
        if (parse_double(tok, &v[n++]))
            return -1;
    }
    return n;
}

/* Rows of width numbers, separated by sep ('\n' or ';'). */
static int parse_guess_rows(link_options *o, const char *text, char sep, int skip_header,
                            const char *what)
{
    size_t cap = 16;
    o->guess = malloc(cap * (size_t)o->guess_width * sizeof *o->guess);
    if (!o->guess)
        return EXIT_FAILURE_;
    size_t line = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, sep);
        if (!e)
            e = p + strlen(p);
        line++;
        double v[8];
        int n = parse_numbers(p, e, v, 8);
        int blank = n == 0;
        if (n < 0 && skip_header && line == 1)
            blank = 1; /* a header line */
        else if (!blank && n != o->guess_width) {
            fprintf(stderr, PROG ": %s: row %zu: needs %d numbers (%s)\n", what, line,
                    o->guess_width,
                    o->p.predict.kind == LOCUS_PREDICT_NEAREST
                        ? "positions then velocities, in --pos-columns order"
                    : o->p.predict.kind == LOCUS_PREDICT_CHANNEL
                        ? "coordinate across the flow, velocity"
                        : "one velocity per position column");
            return EXIT_USAGE;
        }
        if (!blank) {
            if (o->guess_rows == cap) {
                if (cap >= MAX_GUESS_ROWS)
                    return usage_error(what, "%s", "too many rows");
                cap *= 2;
                double *g = realloc(o->guess, cap * (size_t)o->guess_width * sizeof *g);
                if (!g)
                    return EXIT_FAILURE_;
                o->guess = g;
            }
            memcpy(o->guess + o->guess_rows++ * (size_t)o->guess_width, v,
                   (size_t)o->guess_width * sizeof *v);
        }
        p = *e ? e + 1 : e;
    }
    if (o->guess_rows == 0)
        return usage_error(what, "%s", "no values");
    return -1;
}

static int read_guess_file(link_options *o)
{
    FILE *f = fopen(o->guess_file, "rb");
    if (!f) {
        fprintf(stderr, PROG ": --predict-guess-file: %s: cannot read: %s\n", o->guess_file,
                strerror(errno));
        return EXIT_USAGE;
    }
    char *text = malloc(1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    int big = text && n == (1 << 20) - 1 && fgetc(f) != EOF;
    fclose(f);
    if (!text)
        return EXIT_FAILURE_;
    text[n] = '\0';
    int rc = big ? usage_error("--predict-guess-file", "%s: larger than 1 MB", o->guess_file)
                 : parse_guess_rows(o, text, '\n', 1, "--predict-guess-file");
    free(text);
    return rc;
}

/* The guess, now that the number of axes is known. */
static int load_guess(link_options *o, int ndim)
{
    locus_predict_params *q = &o->p.predict;
    if (!o->guess_text && !o->guess_file)
        return -1;
    o->guess_width = q->kind == LOCUS_PREDICT_NEAREST   ? 2 * ndim
                     : q->kind == LOCUS_PREDICT_CHANNEL ? 2
                                                        : ndim;
    int rc = o->guess_file ? read_guess_file(o)
                           : parse_guess_rows(o, o->guess_text, ';', 0, "--predict-guess");
    if (rc >= 0)
        return rc;
    if (q->kind == LOCUS_PREDICT_DRIFT) {
        if (o->guess_rows != 1)
            return usage_error("--predict-guess", "%s", "drift takes one row of velocities");
        memcpy(q->guess, o->guess, (size_t)ndim * sizeof *q->guess);
        q->has_guess = 1;
    } else if (q->kind == LOCUS_PREDICT_NEAREST) {
        /* split the rows into positions and velocities */
        double *pv = malloc(o->guess_rows * (size_t)o->guess_width * sizeof *pv);
        if (!pv)
            return EXIT_FAILURE_;
        size_t nd = (size_t)ndim, n = o->guess_rows;
        for (size_t k = 0; k < n; k++) {
            memcpy(pv + k * nd, o->guess + k * 2 * nd, nd * sizeof *pv);
            memcpy(pv + (n + k) * nd, o->guess + k * 2 * nd + nd, nd * sizeof *pv);
        }
        free(o->guess);
        o->guess = pv;
        q->guess_positions = pv;
        q->guess_velocities = pv + n * nd;
        q->nguess = n;
    } else {
        q->profile = o->guess;
        q->nprofile = o->guess_rows;
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
/* ------------------------------------------------------------------ */

/* The parameters that depend on the table's position columns. */
static int finish_params(link_options *o, const link_table *t)
{
    locus_link_params *p = &o->p;
    p->ndim = t->ndim;
    locus_axes *r = &p->search_range;
    int equal = 1;
    for (int a = 1; a < r->count; a++)
        equal &= r->v[a] == r->v[0];
    if (equal)
        r->count = 1; /* all equal: isotropic, whatever the count (as trackpy) */
    if (r->count != 1 && r->count != t->ndim) {
        fprintf(stderr, PROG ": --search-range: %d values for %d position columns\n", r->count,
                t->ndim);
        return EXIT_USAGE;
    }
    if (p->predict.kind == LOCUS_PREDICT_CHANNEL) {
        if (t->ndim != 2) {
            fprintf(stderr, PROG ": --predict: channel needs 2 position columns, not %d\n",
                    t->ndim);
            return EXIT_USAGE;
        }
        const char *flow = o->flow_axis ? o->flow_axis : "x";
        const char *const *names = o->npos ? o->pos : (const char *const[]){"y", "x"};
        p->predict.flow_axis = -2;
        for (int a = 0; a < 2; a++)
            if (!strcmp(names[a], flow))
                p->predict.flow_axis = a;
        if (p->predict.flow_axis < 0)
            return usage_error("--channel-flow-axis", "'%s' is not one of the position columns",
                               flow);
    }
    return load_guess(o, t->ndim);
}

/* What a run has made. */
typedef struct {
    size_t *order;  /* rows sorted by frame, stably */
    int64_t *ids;   /* per row */
    double *buf;    /* one frame's positions */
    int64_t *idbuf; /* one frame's IDs */
    size_t *length; /* rows per trajectory (--min-length) */
    locus_link_stats stats;
    size_t frames;
} link_run;

static void run_free(link_run *r)
{
    free(r->order);
    free(r->ids);
    free(r->buf);
    free(r->idbuf);
    free(r->length);
}

/* A library failure as the command line reports it; the exit status. */
static int report(const locus_error *err)
{
    fprintf(stderr, PROG ": %s\n", err->message);
    return err->status == LOCUS_E_NOMEM || err->status == LOCUS_E_SYSTEM ? EXIT_FAILURE_
                                                                         : EXIT_USAGE;
}

/* Push the table frame by frame (sorted rows), IDs back to their rows. */
static int push_frames(locus_linker *lk, const link_table *t, link_run *r, progress_meter *m,
                       locus_error *err)
{
    size_t nd = (size_t)t->ndim, n = t->nrows, nframes = 0;
    for (size_t a = 0; a < n; nframes++)
        for (int64_t f = t->frame[r->order[a]]; a < n && t->frame[r->order[a]] == f;)
            a++;
    for (size_t a = 0, done = 0; a < n; done++) {
        size_t b = a;
        int64_t f = t->frame[r->order[a]];
        for (; b < n && t->frame[r->order[b]] == f; b++)
            for (size_t q = 0; q < nd; q++)
                r->buf[(b - a) * nd + q] = t->pos[r->order[b] * nd + q];
        int rc = locus_linker_push(lk, f, r->buf, b - a, r->idbuf, err);
        if (rc)
            return rc;
        for (size_t k = a; k < b; k++)
            r->ids[r->order[k]] = r->idbuf[k - a];
        a = b;
        progress_update(m, done + 1, nframes);
    }
    r->frames = nframes;
    return 0;
}

static int link_rows(link_options *o, const link_table *t, link_run *r, progress_meter *m)
{
    locus_error err = {0};
    size_t n = t->nrows;
    r->order = malloc((n ? n : 1) * sizeof *r->order);
    r->ids = malloc((n ? n : 1) * sizeof *r->ids);
    r->buf = malloc((n ? n : 1) * (size_t)t->ndim * sizeof *r->buf);
    r->idbuf = malloc((n ? n : 1) * sizeof *r->idbuf);
    if (!r->order || !r->ids || !r->buf || !r->idbuf) {
        fprintf(stderr, PROG ": out of memory\n");
        return EXIT_FAILURE_;
    }
    locus_link_order(t->frame, n, r->order);
    locus_linker *lk;
    int rc = locus_linker_create(&lk, &o->p, &err);
    if (rc == 0)
        rc = push_frames(lk, t, r, m, &err);
    if (rc == 0)
        locus_linker_stats(lk, NULL, &r->stats);
    locus_linker_free(lk);
    progress_clear(m);
    if (rc)
        return report(&err);
    return -1;
}

/* Rows per trajectory, for --min-length. */
static int count_lengths(link_run *r, size_t n)
{
    size_t ntraj = (size_t)r->stats.trajectories;
    r->length = calloc(ntraj ? ntraj : 1, sizeof *r->length);
    if (!r->length)
        return -1;
    for (size_t i = 0; i < n; i++)
        r->length[r->ids[i]]++;
    return 0;
}

/* Write the table to path (NULL: standard output); on failure remove the
 * file, so that no partial table is left as if complete. */
static int write_output(const char *path, const link_table *t, const link_run *r, size_t min_len)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, PROG ": %s: cannot write: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    int rc = link_table_write(t, r->order, r->ids, r->length, min_len, f);
    int e = errno;
    if (path ? fclose(f) != 0 : fflush(f) != 0) {
        rc = rc ? rc : LOCUS_E_IO;
        e = errno;
    }
    if (rc) {
        if (rc == LOCUS_E_NOMEM)
            fprintf(stderr, PROG ": out of memory\n");
        else
            fprintf(stderr, PROG ": %s: write failed: %s\n", path ? path : "standard output",
                    strerror(e));
        if (path)
            unlink(path);
        return rc == LOCUS_E_NOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
    }
    return EXIT_OK;
}

static void print_summary(const link_options *o, const link_run *r, size_t rows, double secs)
{
    const locus_link_stats *s = &r->stats;
    if (s->oversize)
        fprintf(stderr,
                PROG ": %llu subnet%s larger than trackpy's limit %s solved exactly (largest: "
                     "%llu sources); trackpy would fail (--oversize raise does)\n",
                (unsigned long long)s->oversize, s->oversize == 1 ? "" : "s",
                s->oversize == 1 ? "was" : "were", (unsigned long long)s->largest_oversize);
    if (o->quiet)
        return;
    fprintf(stderr, PROG ": %zu frames, %zu features, %llu trajectories, %.2f s, %.0f features/s\n",
            r->frames, rows, (unsigned long long)s->trajectories, secs,
            secs > 0 ? (double)rows / secs : 0.0);
}

static int run(link_options *o)
{
    double t0 = progress_now();
    link_table t;
    locus_error err = {0};
    if (link_table_read(&t, o->input, o->npos ? o->pos : NULL, o->npos, o->t_column, &err))
        return report(&err);
    link_run r = {0};
    int rc = finish_params(o, &t);
    int show = o->progress < 0 ? isatty(STDERR_FILENO) : o->progress;
    progress_meter *m = rc < 0 && show && !o->quiet ? progress_create(PROG) : NULL;
    if (rc < 0)
        rc = link_rows(o, &t, &r, m);
    progress_free(m);
    if (rc < 0 && o->min_length > 0 && count_lengths(&r, t.nrows)) {
        fprintf(stderr, PROG ": out of memory\n");
        rc = EXIT_FAILURE_;
    }
    if (rc < 0)
        rc = write_output(o->output && strcmp(o->output, "-") ? o->output : NULL, &t, &r,
                          (size_t)o->min_length);
    if (rc == EXIT_OK)
        print_summary(o, &r, t.nrows, progress_now() - t0);
    run_free(&r);
    link_table_free(&t);
    return rc;
}

int cmd_link(int argc, char **argv)
{
    link_options o;
    memset(&o, 0, sizeof o);
    int rc = parse_args(argc, argv, &o);
    if (rc < 0)
        rc = run(&o);
    free(o.guess);
    return rc;
}
