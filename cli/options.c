/* Parsing the `locate` command line. */
#include "options.h"

#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char locate_help[] =
    "usage: %s locate -d DIAMETER [options] INPUT...\n"
    "\n"
    "Find features (trackpy's locate) in every frame of the inputs and write\n"
    "one CSV table: the columns of trackpy's result, then `frame`.\n"
    "\n"
    "INPUT is an image file, a quoted glob pattern (\"frames/*.png\") or a\n"
    "directory (its .png/.tif/.tiff files, sorted by name). Frames are\n"
    "numbered from 0 in input order; a multi-page TIFF gives one frame per page.\n"
    "\n"
    "feature options (trackpy's names and defaults):\n"
    "  -d, --diameter D        odd integer, or one per axis: 5,9,9 (required)\n"
    "      --minmass M         keep features with mass > M (default 0)\n"
    "      --maxsize S         keep features with size < S\n"
    "      --separation S      minimum separation (default diameter + 1)\n"
    "      --noise-size S      Gaussian sigma of the noise filter (default 1)\n"
    "      --smoothing-size W  boxcar width of the background (odd; default diameter)\n"
    "      --threshold T       clip the band-passed image below T (default 1, 1/255 for float)\n"
    "      --invert            features are dark on a light background\n"
    "      --percentile P      candidates must exceed this percentile (default 64)\n"
    "      --topn N            keep the N brightest features per frame\n"
    "      --no-preprocess     skip the band pass\n"
    "      --max-iterations N  centroid refinement steps (default 10)\n"
    "      --no-characterize   only positions and mass\n"
    "  (per-axis options take one value, or one per axis in z,y,x order)\n"
    "\n"
    "input and output:\n"
    "      --channel N         colour channel to use (0 = red, 1 = green, 2 = blue)\n"
    "      --volume            each multi-page TIFF is one 3-D image\n"
    "      --luma              a colour (YUV) video's luma plane, as stored, instead of\n"
    "                          a --channel of its RGB conversion\n"
    "  -o, --output FILE       write the CSV to FILE (default: standard output)\n"
    "      --annotate DIR      also draw frames with a ring around each feature, as\n"
    "                          DIR/frame_0000.png, ... (as `locus annotate` does)\n"
    "      --annotate-frames L the frames to draw, e.g. 0,10,20-30 (default 0)\n"
    "\n"
    "running:\n"
    "  -j, --jobs N            worker threads (default: one per core; 1 = serial)\n"
    "      --skip-bad          skip unreadable frames, list them at the end, exit 3\n"
    "      --checkpoint DIR    make each finished chunk durable in DIR; rerunning the\n"
    "                          same command after a crash skips the finished chunks\n"
    "      --chunk N           frames per chunk (default 16)\n"
    "      --progress          show progress on stderr (default: when it is a terminal)\n"
    "      --quiet             no progress, no summary\n"
    "  -h, --help              this help\n"
    "\n"
    "exit status: 0 success (also with zero features), 1 internal error,\n"
    "2 bad usage or unreadable input, 3 done but frames were skipped (--skip-bad),\n"
    "130/143 stopped by SIGINT/SIGTERM (the output holds every whole frame done).\n";

enum {
    OPT_MINMASS = 256,
    OPT_MAXSIZE,
    OPT_SEPARATION,
    OPT_NOISE,
    OPT_SMOOTHING,
    OPT_THRESHOLD,
    OPT_INVERT,
    OPT_PERCENTILE,
    OPT_TOPN,
    OPT_NO_PREPROCESS,
    OPT_MAX_ITER,
    OPT_NO_CHAR,
    OPT_CHANNEL,
    OPT_VOLUME,
    OPT_LUMA,
    OPT_SKIP_BAD,
    OPT_CHECKPOINT,
    OPT_CHUNK,
    OPT_PROGRESS,
    OPT_QUIET,
    OPT_ANNOTATE,
    OPT_ANNOTATE_FRAMES,
};

static const struct option long_options[] = {
    {"diameter", required_argument, NULL, 'd'},
    {"minmass", required_argument, NULL, OPT_MINMASS},
    {"maxsize", required_argument, NULL, OPT_MAXSIZE},
    {"separation", required_argument, NULL, OPT_SEPARATION},
    {"noise-size", required_argument, NULL, OPT_NOISE},
    {"smoothing-size", required_argument, NULL, OPT_SMOOTHING},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"invert", no_argument, NULL, OPT_INVERT},
    {"percentile", required_argument, NULL, OPT_PERCENTILE},
    {"topn", required_argument, NULL, OPT_TOPN},
    {"no-preprocess", no_argument, NULL, OPT_NO_PREPROCESS},
    {"max-iterations", required_argument, NULL, OPT_MAX_ITER},
    {"no-characterize", no_argument, NULL, OPT_NO_CHAR},
    {"channel", required_argument, NULL, OPT_CHANNEL},
    {"volume", no_argument, NULL, OPT_VOLUME},
    {"luma", no_argument, NULL, OPT_LUMA},
    {"output", required_argument, NULL, 'o'},
    {"jobs", required_argument, NULL, 'j'},
    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"chunk", required_argument, NULL, OPT_CHUNK},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"annotate", required_argument, NULL, OPT_ANNOTATE},
    {"annotate-frames", required_argument, NULL, OPT_ANNOTATE_FRAMES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < min || v > max)
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
        return parse_long(tok, 0, 1000000000L, a) ? -1 : (*b = *a, 0);
    if ((size_t)(dash - tok) >= sizeof buf)
        return -1;
    memcpy(buf, tok, (size_t)(dash - tok));
    buf[dash - tok] = '\0';
    if (parse_long(buf, 0, 1000000000L, a) || parse_long(dash + 1, 0, 1000000000L, b) || *b < *a)
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

int parse_axes(const char *s, locus_axes *out)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == 3 || parse_double(tok, &out->v[n]))
            return -1;
        n++;
    }
    /* strtok_r skips empty fields; "5,,9" or "9," must not pass as fewer values */
    int commas = 0;
    for (const char *p = s; *p; p++)
        commas += *p == ',';
    if (n == 0 || commas != n - 1)
        return -1;
    out->count = n;
    return 0;
}

static int usage_error(const char *prog, const char *option, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: %s: ", prog, option);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return EXIT_USAGE;
}

/* The option name getopt_long matched, for messages. */
static const char *option_name(int c, char *buf, size_t n)
{
    for (const struct option *o = long_options; o->name; o++)
        if (o->val == c) {
            snprintf(buf, n, "--%s", o->name);
            return buf;
        }
    snprintf(buf, n, "-%c", c);
    return buf;
}

static int parse_one(const char *prog, int c, const char *arg, locate_options *o)
{
    locus_params *p = &o->params;
    char name[40];
    const char *opt = option_name(c, name, sizeof name);
    long l;
    switch (c) {
    case 'd':
        return parse_axes(arg, &p->diameter)
                   ? usage_error(prog, opt, "'%s' is not a number or a list like 5,9,9", arg)
                   : -1;
    case OPT_SEPARATION:
        return parse_axes(arg, &p->separation)
                   ? usage_error(prog, opt, "'%s' is not a number or a list like 5,9,9", arg)
                   : -1;
    case OPT_NOISE:
        return parse_axes(arg, &p->noise_size)
                   ? usage_error(prog, opt, "'%s' is not a number or a list like 1,1.5", arg)
                   : -1;
    case OPT_SMOOTHING:
        return parse_axes(arg, &p->smoothing_size)
                   ? usage_error(prog, opt, "'%s' is not a number or a list like 5,9,9", arg)
                   : -1;
    case OPT_MINMASS:
        return parse_double(arg, &p->minmass) ? usage_error(prog, opt, "'%s' is not a number", arg)
                                              : -1;
    case OPT_MAXSIZE:
        if (parse_double(arg, &p->maxsize) || p->maxsize <= 0)
            return usage_error(prog, opt, "'%s' is not a positive number", arg);
        return -1;
    case OPT_THRESHOLD:
        return parse_double(arg, &p->threshold)
                   ? usage_error(prog, opt, "'%s' is not a number", arg)
                   : -1;
    case OPT_PERCENTILE:
        if (parse_double(arg, &p->percentile) || p->percentile < 0 || p->percentile > 100)
            return usage_error(prog, opt, "'%s' is not a number from 0 to 100", arg);
        return -1;
    case OPT_TOPN:
        if (parse_long(arg, 0, 1000000000L, &l))
            return usage_error(prog, opt, "'%s' is not a whole number >= 0", arg);
        p->topn = l;
        return -1;
    case OPT_MAX_ITER:
        if (parse_long(arg, 0, 1000000L, &l))
            return usage_error(prog, opt, "'%s' is not a whole number >= 0", arg);
        p->max_iterations = (int)l;
        return -1;
    case OPT_CHANNEL:
        if (parse_long(arg, 0, 255, &l))
            return usage_error(prog, opt, "'%s' is not a channel number (0, 1, 2, ...)", arg);
        o->source.channel = (int)l;
        return -1;
    case 'j':
        if (parse_long(arg, 1, 4096, &l))
            return usage_error(prog, opt, "'%s' is not a number of threads from 1 to 4096", arg);
        o->threads = (int)l;
        return -1;
    case 'o':
        o->output = arg;
        return -1;
    case OPT_CHECKPOINT:
        o->checkpoint = arg;
        return -1;
    case OPT_CHUNK:
        if (parse_long(arg, 1, 1000000L, &l))
            return usage_error(prog, opt, "'%s' is not a number of frames from 1 to 1000000", arg);
        o->chunk = (size_t)l;
        return -1;
    case OPT_INVERT:
        p->invert = 1;
        return -1;
    case OPT_NO_PREPROCESS:
        p->preprocess = 0;
        return -1;
    case OPT_NO_CHAR:
        p->characterize = 0;
        return -1;
    case OPT_LUMA:
        o->source.luma = 1;
        return -1;
    case OPT_VOLUME:
        o->source.volume = 1;
        return -1;
    case OPT_SKIP_BAD:
        o->skip_bad = 1;
        return -1;
    case OPT_PROGRESS:
        o->progress = 1;
        return -1;
    case OPT_QUIET:
        o->quiet = 1;
        o->progress = 0;
        return -1;
    case OPT_ANNOTATE:
        o->annotate_dir = arg;
        return -1;
    case OPT_ANNOTATE_FRAMES: {
        size_t *list, n;
        int rc = parse_frame_list(arg, &list, &n);
        if (rc == -2) {
            fprintf(stderr, "%s: out of memory\n", prog);
            return EXIT_FAILURE_;
        }
        if (rc)
            return usage_error(prog, opt, "'%s' is not a list of frames like 0,10,20-30", arg);
        free(list);
        o->annotate_frames = arg;
        return -1;
    }
    default:
        return EXIT_USAGE;
    }
}

static int check_annotate(const char *prog, const locate_options *o)
{
    if (o->annotate_frames && !o->annotate_dir) {
        fprintf(stderr, "%s: --annotate-frames: needs --annotate DIR\n", prog);
        return EXIT_USAGE;
    }
    return -1;
}

int locate_options_parse(const char *prog, int argc, char **argv, locate_options *o)
{
    memset(o, 0, sizeof *o);
    locus_params_init(&o->params);
    o->source.channel = -1;
    o->progress = -1;
    o->chunk = DEFAULT_CHUNK;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":d:o:j:h", long_options, NULL)) != -1) {
        int rc;
        if (c == 'h') {
            printf(locate_help, prog);
            return EXIT_OK;
        }
        if (c == '?') {
            if (optopt)
                fprintf(stderr, "%s: -%c: unknown option (try %s locate --help)\n", prog, optopt,
                        prog);
            else
                fprintf(stderr, "%s: %s: unknown option (try %s locate --help)\n", prog,
                        argv[optind - 1], prog);
            return EXIT_USAGE;
        }
        if (c == ':') {
            fprintf(stderr, "%s: %s: needs a value\n", prog, argv[optind - 1]);
            return EXIT_USAGE;
        }
        if ((rc = parse_one(prog, c, optarg, o)) >= 0)
            return rc;
    }
    if ((c = check_annotate(prog, o)) >= 0)
        return c;
    if (o->source.luma && o->source.channel >= 0) {
        fprintf(stderr, "%s: --luma: not with --channel (one or the other)\n", prog);
        return EXIT_USAGE;
    }
    if (o->params.diameter.count == 0) {
        fprintf(stderr, "%s: --diameter: required (the feature diameter in pixels, odd)\n", prog);
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no INPUT given (image files, patterns or directories)\n", prog);
        return EXIT_USAGE;
    }
    o->inputs = argv + optind;
    o->ninputs = argc - optind;
    return -1;
}

/* Library messages name parameters as trackpy does; the command line
 * spells them as options. */
void report_error(const char *prog, const locus_error *err)
{
    static const char *const names[][2] = {
        {"diameter", "--diameter"},
        {"minmass", "--minmass"},
        {"maxsize", "--maxsize"},
        {"separation", "--separation"},
        {"noise_size", "--noise-size"},
        {"smoothing_size", "--smoothing-size"},
        {"threshold", "--threshold"},
        {"percentile", "--percentile"},
        {"topn", "--topn"},
        {"max_iterations", "--max-iterations"},
    };
    const char *m = err->message[0] ? err->message : locus_strerror(err->status);
    char out[LOCUS_ERROR_MAX * 2];
    size_t n = 0;
    if (err->status != LOCUS_E_PARAM) {
        fprintf(stderr, "%s: %s\n", prog, m);
        return;
    }
    while (*m && n + 32 < sizeof out) {
        size_t k, len = 0;
        for (k = 0; k < sizeof names / sizeof names[0]; k++) {
            len = strlen(names[k][0]);
            int starts_word = n == 0 || !(out[n - 1] == '_' || out[n - 1] == '-' ||
                                          (out[n - 1] >= 'a' && out[n - 1] <= 'z'));
            char after = m[len];
            if (starts_word && !strncmp(m, names[k][0], len) &&
                !(after == '_' || (after >= 'a' && after <= 'z')))
                break;
        }
        if (k < sizeof names / sizeof names[0]) {
            n += (size_t)snprintf(out + n, sizeof out - n, "%s", names[k][1]);
            m += len;
        } else {
            out[n++] = *m++;
        }
    }
    out[n] = '\0';
    fprintf(stderr, "%s: %s\n", prog, out);
}
