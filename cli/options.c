/* The command line, one way for every command: see options.h. */
#include "options.h"

#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Options from sections                                               */
/* ------------------------------------------------------------------ */

/* One option, whichever section it comes from. */
typedef struct {
    char name[64];     /* long name */
    char letter;       /* short, or 0 */
    const char *value; /* NULL: a switch */
    const char *help;
    int id;            /* own options */
    const char *param; /* library parameters: the name, else NULL */
    int group;
    size_t target;
    const char *setting; /* for a switch of the library: "1" or "0" */
} entry;

/* "noise_size" → "noise-size". */
static void dashed(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (; name[k] && k + 1 < n; k++)
        out[k] = name[k] == '_' ? '-' : name[k];
    out[k] = '\0';
}

static int wanted(const cli_section *s, const char *name)
{
    if (!s->only)
        return 1;
    for (const char *const *p = s->only; *p; p++)
        if (!strcmp(*p, name))
            return 1;
    return 0;
}

/* The group's parameter as an option: a switch on by default is --no-NAME. */
static void entry_of_param(entry *e, const cli_section *s, const locus_param_info *info)
{
    char d[48];
    memset(e, 0, sizeof *e);
    dashed(info->name, d, sizeof d);
    int flag = info->type == LOCUS_PARAM_FLAG;
    snprintf(e->name, sizeof e->name, "%s%s", flag && info->flag_default ? "no-" : "", d);
    e->value = flag ? NULL : info->value;
    e->help = info->help;
    e->param = info->name;
    e->group = s->group;
    e->target = s->target;
    e->setting = flag ? (info->flag_default ? "0" : "1") : NULL;
}

/* Every option of the command, in help order. *n is set; NULL when out of memory. */
static entry *entries_of(const cli_command *cmd, int *n)
{
    int cap = 8;
    for (int i = 0; i < cmd->nsections; i++)
        cap += cmd->sections[i].count + 32;
    entry *v = calloc((size_t)cap, sizeof *v);
    if (!v)
        return NULL;
    *n = 0;
    for (int i = 0; i < cmd->nsections; i++) {
        const cli_section *s = &cmd->sections[i];
        for (int k = 0; s->group && k < 32 && *n < cap; k++) {
            const locus_param_info *info = locus_param_at(s->group, k);
            if (!info)
                break;
            if (!wanted(s, info->name))
                continue;
            entry_of_param(&v[*n], s, info);
            if (k == 0)
                v[*n].letter = s->letter_of_first;
            ++*n;
        }
        for (int k = 0; k < s->count && *n < cap; k++, ++*n) {
            const cli_option *o = &s->options[k];
            snprintf(v[*n].name, sizeof v[*n].name, "%s", o->name);
            v[*n].letter = o->letter;
            v[*n].value = o->value;
            v[*n].help = o->help;
            v[*n].id = o->id;
        }
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* Help                                                                */
/* ------------------------------------------------------------------ */

/* Help text in the right-hand column, wrapped at HELP_WIDTH (a "\n" in
 * the text is a space like any other). */
enum { HELP_INDENT = 26, HELP_WIDTH = 79 };

static void print_wrapped(const char *text)
{
    int col = HELP_INDENT;
    while (*text) {
        size_t word = strcspn(text, " \n");
        if (col > HELP_INDENT && col + 1 + (int)word > HELP_WIDTH) {
            printf("\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        } else if (col > HELP_INDENT) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)word, text);
        col += (int)word;
        text += word;
        if (*text)
            text++;
    }
    putchar('\n');
}

static void print_entry(const entry *e)
{
    char left[96];
    int n = snprintf(left, sizeof left, "  %c%c%s--%s%s%s", e->letter ? '-' : ' ',
                     e->letter ? e->letter : ' ', e->letter ? ", " : "  ", e->name,
                     e->value ? " " : "", e->value ? e->value : "");
    printf("%-*s", HELP_INDENT, left);
    if (n >= HELP_INDENT)
        printf("\n%*s", HELP_INDENT, "");
    if (e->param && e->setting && !strcmp(e->setting, "0")) {
        /* --no-NAME: the parameter's help says what is switched off */
        char text[300];
        snprintf(text, sizeof text, "do not %s (on by default)", e->help);
        print_wrapped(text);
        return;
    }
    print_wrapped(e->help);
}

static void print_help(const cli_command *cmd, const entry *v, int n)
{
    printf("usage: %s %s\n\n%s", cmd->prog, cmd->synopsis, cmd->about);
    int k = 0;
    for (int i = 0; i < cmd->nsections; i++) {
        const cli_section *s = &cmd->sections[i];
        int in_section = s->count;
        if (s->group)
            for (int j = 0; locus_param_at(s->group, j); j++)
                in_section += wanted(s, locus_param_at(s->group, j)->name);
        if (s->title && i > 0 && cmd->sections[i - 1].title == s->title) {
            /* a section continued: no new heading */
        } else if (s->title) {
            printf("\n%s:\n", s->title);
        }
        for (int j = 0; j < in_section && k < n; j++)
            print_entry(&v[k++]);
    }
    printf("  -h, --help              this help\n");
    if (cmd->footer)
        printf("\n%s", cmd->footer);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    char buf[2][64];
    int next;
} spelling;

/* A library parameter as the command line spells it. */
static const char *spell(const char *param, void *user)
{
    spelling *sp = user;
    char *out = sp->buf[sp->next++ & 1];
    for (int g = LOCUS_PARAMS_LOCATE; g <= LOCUS_PARAMS_LINK; g++)
        for (int i = 0; locus_param_at(g, i); i++) {
            const locus_param_info *info = locus_param_at(g, i);
            if (strcmp(info->name, param))
                continue;
            if (info->type == LOCUS_PARAM_FLAG && info->flag_default)
                return param; /* only --no-NAME exists: name the setting itself */
            break;
        }
    /* every other parameter the library names is an option of the same name */
    char d[48];
    dashed(param, d, sizeof d);
    snprintf(out, sizeof sp->buf[0], "--%s", d);
    return out;
}

/*
 * The command line's sentence: "PROG: [PATH: ]--OPTION: reason", the
 * parameters named as options. (The library's own sentence puts the
 * parameter's name before the reason without a colon.)
 */
void cli_report(const char *prog, const locus_error *err)
{
    spelling sp = {{"", ""}, 0};
    char line[LOCUS_ERROR_MAX + LOCUS_ERROR_PATH_MAX];
    if (!err->param[0]) {
        fprintf(stderr, "%s: %s\n", prog, locus_error_describe(err, spell, &sp, line, sizeof line));
        return;
    }
    /* the option goes between the place (if any) and the reason */
    locus_error reason = *err;
    reason.param[0] = reason.path[0] = '\0';
    reason.line = 0;
    locus_error_describe(&reason, spell, &sp, line, sizeof line);
    const char *option = spell(err->param, &sp);
    if (err->path[0] && err->line > 0)
        fprintf(stderr, "%s: %s:%lld: %s: %s\n", prog, err->path, err->line, option, line);
    else if (err->path[0])
        fprintf(stderr, "%s: %s: %s: %s\n", prog, err->path, option, line);
    else
        fprintf(stderr, "%s: %s: %s\n", prog, option, line);
}

int cli_exit_status(int status)
{
    switch (status) {
    case LOCUS_OK:
        return EXIT_OK;
    case LOCUS_E_NOMEM:
    case LOCUS_E_SYSTEM:
        return EXIT_FAILURE_; /* not the input's fault */
    default:
        return EXIT_USAGE;
    }
}

int cli_error(locus_error *err, int status, const char *fmt, ...)
{
    if (!err)
        return status;
    memset(err, 0, sizeof *err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    locus_error_describe(err, NULL, NULL, err->message, sizeof err->message);
    return status;
}

int cli_usage_error(const char *prog, const char *opt, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: %s: ", prog, opt);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

int cli_whole(const char *prog, const char *opt, const char *arg, long min, long max, long *out)
{
    char *end;
    errno = 0;
    /* strtol would skip leading blanks: " 3" is not what was meant */
    long v = arg[0] == ' ' || arg[0] == '\t' ? 0 : strtol(arg, &end, 10);
    if (arg[0] == ' ' || arg[0] == '\t' || end == arg || *end || errno == ERANGE || v < min ||
        v > max) {
        fprintf(stderr, "%s: %s: '%s' is not a whole number from %ld to %ld\n", prog, opt, arg, min,
                max);
        return EXIT_USAGE;
    }
    *out = v;
    return -1;
}

int cli_real(const char *prog, const char *opt, const char *arg, int allow_inf, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || isnan(v) || (isinf(v) && !allow_inf) ||
        (errno == ERANGE && fabs(v) < 1)) {
        fprintf(stderr, "%s: %s: '%s' is not a number%s\n", prog, opt, arg,
                allow_inf ? " (or inf)" : "");
        return EXIT_USAGE;
    }
    *out = v;
    return -1;
}

/* getopt_long's '?': an unknown option, or a value given to a switch
 * (--invert=True), which getopt reports with the switch's own code. */
static int unknown_option(const cli_command *cmd, const entry *v, int n, char **argv)
{
    const char *arg = argv[optind - 1];
    if (optopt >= 256 && optopt - 256 < n) {
        const char *name = v[optopt - 256].name;
        fprintf(stderr, "%s: --%s: takes no value (it is a switch: write --%s alone)\n", cmd->prog,
                name, name);
    } else if (optopt > 0 && optopt < 256) {
        fprintf(stderr, "%s: -%c: unknown option (try %s --help)\n", cmd->prog, optopt, cmd->prog);
    } else {
        fprintf(stderr, "%s: %.*s: unknown option (try %s --help)\n", cmd->prog,
                (int)strcspn(arg, "="), arg, cmd->prog);
    }
    return EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static int apply(const cli_command *cmd, const entry *e, const char *arg, void *options)
{
    if (!e->param)
        return cmd->handle(options, e->id, arg, cmd->prog);
    locus_error err;
    void *target = (char *)options + e->target;
    if (locus_param_set_text(e->group, target, e->param, e->setting ? e->setting : arg, &err)) {
        cli_report(cmd->prog, &err);
        return EXIT_USAGE;
    }
    return -1;
}

/* getopt_long's tables from the entries. */
static int getopt_tables(const entry *v, int n, struct option **longs, char *shorts, size_t cap)
{
    *longs = calloc((size_t)n + 2, sizeof **longs);
    if (!*longs)
        return -1;
    size_t k = 0;
    shorts[k++] = ':'; /* report a missing value as ':' */
    for (int i = 0; i < n; i++) {
        (*longs)[i] =
            (struct option){v[i].name, v[i].value ? required_argument : no_argument, NULL, 256 + i};
        if (v[i].letter && k + 3 < cap) {
            shorts[k++] = v[i].letter;
            if (v[i].value)
                shorts[k++] = ':';
        }
    }
    (*longs)[n] = (struct option){"help", no_argument, NULL, 'h'};
    shorts[k++] = 'h';
    shorts[k] = '\0';
    return 0;
}

static int letter_entry(const entry *v, int n, int c)
{
    for (int i = 0; i < n; i++)
        if (v[i].letter == c)
            return i;
    return -1;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, void *options, int *first)
{
    int n = 0, rc = -1, c;
    entry *v = entries_of(cmd, &n);
    struct option *longs = NULL;
    char shorts[64];
    if (!v || getopt_tables(v, n, &longs, shorts, sizeof shorts)) {
        free(v);
        fprintf(stderr, "%s: out of memory\n", cmd->prog);
        return EXIT_FAILURE_;
    }
    opterr = 0;
    optind = 1;
    while (rc < 0 && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        int i = c >= 256 ? c - 256 : letter_entry(v, n, c);
        if (c == 'h') {
            print_help(cmd, v, n);
            rc = EXIT_OK;
        } else if (c == '?') {
            rc = unknown_option(cmd, v, n, argv);
        } else if (c == ':') {
            rc = cli_usage_error(cmd->prog, argv[optind - 1], "needs a value");
        } else if (i >= 0) {
            rc = apply(cmd, &v[i], optarg, options);
        }
    }
    *first = optind;
    free(longs);
    free(v);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Frame lists                                                         */
/* ------------------------------------------------------------------ */

static int parse_index(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < 0 || v > 1000000000L)
        return -1;
    *out = v;
    return 0;
}

/* One item of a frame list: "7" or "20-30". */
static int frame_range(const char *tok, long *a, long *b)
{
    char buf[64];
    const char *dash = strchr(tok, '-');
    if (!dash)
        return parse_index(tok, a) ? -1 : (*b = *a, 0);
    if ((size_t)(dash - tok) >= sizeof buf)
        return -1;
    memcpy(buf, tok, (size_t)(dash - tok));
    buf[dash - tok] = '\0';
    if (parse_index(buf, a) || parse_index(dash + 1, b) || *b < *a)
        return -1;
    return 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int parse_frame_list(const char *s, size_t **list, size_t *n)
{
    size_t len = strlen(s), count = 0;
    /* every comma must separate two items: no "", ",5", "5," or "5,,6" */
    if (len == 0 || s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,"))
        return -1;
    char *copy = strdup(s);
    size_t *out = malloc(FRAME_LIST_MAX * sizeof *out);
    int rc = copy && out ? 0 : -2;
    char *save = NULL;
    for (char *tok = rc ? NULL : strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        long a, b;
        if (frame_range(tok, &a, &b) || (size_t)(b - a) >= FRAME_LIST_MAX - count) {
            rc = -1;
            break;
        }
        while (a <= b)
            out[count++] = (size_t)a++;
    }
    free(copy);
    if (rc) {
        free(out);
        return rc;
    }
    qsort(out, count, sizeof *out, cmp_size);
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        if (k == 0 || out[i] != out[k - 1])
            out[k++] = out[i];
    *list = out;
    *n = k;
    return 0;
}

/* ------------------------------------------------------------------ */
/* `locate`                                                            */
/* ------------------------------------------------------------------ */

static const char locate_about[] =
    "Find features (trackpy's locate) in every frame of the inputs and write\n"
    "one CSV table: the columns of trackpy's result, then `frame`.\n"
    "\n"
    "INPUT is an image or video file, a quoted glob pattern (\"frames/*.png\")\n"
    "or a directory (its .png .tif .tiff .jpg .jpeg .avi .mp4 .mov .mkv files,\n"
    "sorted by name). Frames are numbered from 0 in input order; a multi-page\n"
    "TIFF gives one frame per page (an ImageJ or OME stack: one per time\n"
    "point), a video one per decoded frame.\n"
    "Per-axis options take one value, or one per axis in z,y,x order.\n";

static const char locate_footer[] =
    "exit status: 0 success (also with zero features), 1 internal error,\n"
    "2 bad usage or unreadable input, 3 done but frames were skipped (--skip-bad),\n"
    "130/143 stopped by SIGINT/SIGTERM (the output holds every whole frame done).\n";

enum {
    OPT_OUTPUT = 1,
    OPT_ANNOTATE,
    OPT_ANNOTATE_FRAMES,
    OPT_JOBS,
    OPT_SKIP_BAD,
    OPT_CHECKPOINT,
    OPT_CHUNK,
    OPT_PROGRESS,
    OPT_QUIET,
};

static const cli_option locate_io[] = {
    {"output", 'o', "FILE", "write the CSV to FILE (default: standard output)", OPT_OUTPUT},
    {"annotate", 0, "DIR",
     "also draw frames with a ring around each feature, as\nDIR/frame_0000.png, ... (as `locus "
     "annotate` does)",
     OPT_ANNOTATE},
    {"annotate-frames", 0, "L", "the frames to draw, e.g. 0,10,20-30 (default 0)",
     OPT_ANNOTATE_FRAMES},
};

static const cli_option locate_running[] = {
    {"jobs", 'j', "N", "worker threads (default: one per core; 1 = serial)", OPT_JOBS},
    {"skip-bad", 0, NULL, "skip unreadable frames, list them at the end, exit 3", OPT_SKIP_BAD},
    {"checkpoint", 0, "DIR",
     "make each finished chunk durable in DIR; rerunning the\nsame command after a crash skips "
     "the finished chunks",
     OPT_CHECKPOINT},
    {"chunk", 0, "N", "frames per chunk (default 16)", OPT_CHUNK},
    {"progress", 0, NULL, "show progress on stderr (default: when it is a terminal)", OPT_PROGRESS},
    {"quiet", 0, NULL, "no progress, no summary", OPT_QUIET},
};

static const cli_section locate_sections[] = {
    {"feature options (trackpy's names and defaults)", NULL, 0, LOCUS_PARAMS_LOCATE,
     offsetof(locate_options, params), NULL, 'd'},
    {"input and output", NULL, 0, LOCUS_PARAMS_SOURCE, offsetof(locate_options, source), NULL, 0},
    {"input and output", locate_io, sizeof locate_io / sizeof *locate_io, 0, 0, NULL, 0},
    {"running", locate_running, sizeof locate_running / sizeof *locate_running, 0, 0, NULL, 0},
};

static int locate_option(void *options, int id, const char *arg, const char *prog)
{
    locate_options *o = options;
    long l;
    int rc = -1;
    switch (id) {
    case OPT_OUTPUT:
        o->output = arg;
        break;
    case OPT_ANNOTATE:
        o->annotate_dir = arg;
        break;
    case OPT_ANNOTATE_FRAMES: {
        size_t *list, n;
        int r = parse_frame_list(arg, &list, &n);
        if (r == -2) {
            fprintf(stderr, "%s: out of memory\n", prog);
            return EXIT_FAILURE_;
        }
        if (r)
            return cli_usage_error(prog, "--annotate-frames",
                                   "'%s' is not a list of frames like 0,10,20-30", arg);
        free(list);
        o->annotate_frames = arg;
        break;
    }
    case OPT_JOBS:
        if ((rc = cli_whole(prog, "--jobs", arg, 1, 4096, &l)) < 0)
            o->threads = (int)l;
        break;
    case OPT_SKIP_BAD:
        o->skip_bad = 1;
        break;
    case OPT_CHECKPOINT:
        o->checkpoint = arg;
        break;
    case OPT_CHUNK:
        if ((rc = cli_whole(prog, "--chunk", arg, 1, 1000000L, &l)) < 0)
            o->chunk = (size_t)l;
        break;
    case OPT_PROGRESS:
        o->progress = 1;
        break;
    case OPT_QUIET:
        o->quiet = 1;
        o->progress = 0;
        break;
    }
    return rc;
}

/* What locate's options need together, and the inputs. */
static int check_locate(const char *prog, locate_options *o, int argc, char **argv, int first)
{
    if (o->annotate_frames && !o->annotate_dir)
        return cli_usage_error(prog, "--annotate-frames", "needs --annotate DIR");
    if (o->params.diameter.count == 0)
        return cli_usage_error(prog, "--diameter",
                               "required (the feature diameter in pixels, odd)");
    if (first >= argc) {
        fprintf(stderr, "%s: no INPUT given (image files, patterns or directories)\n", prog);
        return EXIT_USAGE;
    }
    o->inputs = argv + first;
    o->ninputs = argc - first;
    return -1;
}

int locate_options_parse(const char *prog, int argc, char **argv, locate_options *o)
{
    memset(o, 0, sizeof *o);
    locus_params_init(&o->params);
    locus_source_opts_init(&o->source);
    o->progress = -1;
    o->chunk = DEFAULT_CHUNK;
    const cli_command cmd = {prog,
                             "-d DIAMETER [options] INPUT...",
                             locate_about,
                             locate_footer,
                             locate_sections,
                             sizeof locate_sections / sizeof *locate_sections,
                             locate_option};
    int first, rc = cli_parse(&cmd, argc, argv, o, &first);
    return rc >= 0 ? rc : check_locate(prog, o, argc, argv, first);
}

/* ------------------------------------------------------------------ */
/* Linking options                                                     */
/* ------------------------------------------------------------------ */

enum { OPT_GUESS = LINK_OPTION_FIRST, OPT_GUESS_FILE, OPT_FLOW_AXIS };

static const cli_option predict_own[] = {
    {"predict-guess", 0, "L",
     "the predictor's initial guess, rows separated by ';', values by ',': drift: one row of "
     "velocities by position column; nearest: rows of positions then velocities (y,x,vy,vx;... "
     "in 2-D); channel: rows of (coordinate across, velocity)",
     OPT_GUESS},
    {"predict-guess-file", 0, "F",
     "the same rows from a file, one per line, values separated by commas or blanks; a first "
     "line that is not numbers (a header) is skipped",
     OPT_GUESS_FILE},
    {"channel-flow-axis", 0, "A",
     "channel predictor: the position column along the flow (default x)", OPT_FLOW_AXIS},
};

static const char *const linking_params[] = {
    "search_range", "memory", "adaptive_stop", "adaptive_step", "link_strategy", "oversize", NULL};
static const char *const predicting_params[] = {"predict", "predict_span", "channel_bin_size",
                                                "channel_min_samples", NULL};

void link_sections(cli_section *out, size_t base)
{
    static const char linking[] = "linking (trackpy's names and defaults)";
    static const char predicting[] = "prediction (trackpy.predict)";
    size_t params = base + offsetof(link_setup, params);
    out[0] = (cli_section){linking, NULL, 0, LOCUS_PARAMS_LINK, params, linking_params, 0};
    out[1] = (cli_section){predicting, NULL, 0, LOCUS_PARAMS_LINK, params, predicting_params, 0};
    out[2] = (cli_section){
        predicting, predict_own, sizeof predict_own / sizeof *predict_own, 0, 0, NULL, 0};
}

int link_option(link_setup *l, int id, const char *arg, const char *prog)
{
    (void)prog;
    switch (id) {
    case OPT_GUESS:
        l->guess = arg;
        break;
    case OPT_GUESS_FILE:
        l->guess_file = arg;
        break;
    default: /* OPT_FLOW_AXIS */
        l->flow_axis = arg;
    }
    return -1;
}

void link_setup_init(link_setup *l)
{
    memset(l, 0, sizeof *l);
    locus_link_params_init(&l->params);
}

int link_setup_check(const char *prog, const link_setup *l)
{
    const locus_predict_params *q = &l->params.predict;
    if (l->params.search_range.count == 0)
        return cli_usage_error(prog, "--search-range", "required (the largest step, in pixels)");
    if (q->kind == LOCUS_PREDICT_NONE &&
        (l->guess || l->guess_file || q->span != 1 || l->flow_axis || q->bin_size))
        return cli_usage_error(prog, "--predict",
                               "required by the --predict-* and --channel-* options");
    if (l->guess && l->guess_file)
        return cli_usage_error(prog, "--predict-guess",
                               "give it or --predict-guess-file, not both");
    if (q->kind != LOCUS_PREDICT_CHANNEL && (l->flow_axis || q->bin_size))
        return cli_usage_error(prog, "--channel-bin-size", "only with --predict channel");
    return -1;
}

/* ------------------------------------------------------------------ */
/* `track`                                                             */
/* ------------------------------------------------------------------ */

static const char track_about[] =
    "Locate features in every frame (as `locus locate`) and link them into\n"
    "trajectories (as `locus link`) in one run: frames are located on every\n"
    "core and linked as they are written, in frame order. The table is the\n"
    "one `locus locate` then `locus link` would give, byte for byte: locate's\n"
    "columns, `frame`, then `particle`. Memory stays flat with the movie's\n"
    "length; --checkpoint resumes it as it does locate.\n";

static int track_option(void *options, int id, const char *arg, const char *prog)
{
    track_options *o = options;
    if (id >= LINK_OPTION_FIRST)
        return link_option(&o->link, id, arg, prog);
    return locate_option(&o->locate, id, arg, prog);
}

int track_options_parse(const char *prog, int argc, char **argv, track_options *o)
{
    memset(o, 0, sizeof *o);
    locus_params_init(&o->locate.params);
    locus_source_opts_init(&o->locate.source);
    o->locate.progress = -1;
    o->locate.chunk = DEFAULT_CHUNK;
    link_setup_init(&o->link);
    enum { NLOCATE = sizeof locate_sections / sizeof *locate_sections };
    cli_section sections[NLOCATE + LINK_SECTIONS];
    memcpy(sections, locate_sections, sizeof locate_sections);
    link_sections(sections + NLOCATE, offsetof(track_options, link));
    const cli_command cmd = {prog,        "-d DIAMETER --search-range R [options] INPUT...",
                             track_about, locate_footer,
                             sections,    NLOCATE + LINK_SECTIONS,
                             track_option};
    int first, rc = cli_parse(&cmd, argc, argv, o, &first);
    if (rc >= 0)
        return rc;
    if ((rc = check_locate(prog, &o->locate, argc, argv, first)) >= 0)
        return rc;
    return link_setup_check(prog, &o->link);
}
