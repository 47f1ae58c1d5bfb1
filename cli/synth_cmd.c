/* `locus synth`: write a synthetic movie and its ground truth. */
#include "commands.h"
#include "io/imageio.h"
#include "locus.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define PROG "locus synth"

static const char synth_help[] =
    "usage: locus synth OUTDIR [options]\n"
    "\n"
    "Write a synthetic movie of Gaussian spots with known positions, for\n"
    "testing and benchmarking `locus locate`. OUTDIR is created if missing.\n"
    "It receives frame_000.png, frame_001.png, ... (or frame_000.tif, ...,\n"
    "or one multi-page movie.tif with --stack) and truth.csv, the true\n"
    "positions: frame,y,x,amplitude (3-D: frame,z,y,x,amplitude), one row per\n"
    "particle per frame, with (0, 0) the centre of the first pixel.\n"
    "\n"
    "The model: spots are Gaussians of standard deviation SIGMA integrated over\n"
    "each pixel, with peak amplitudes uniform in [A/2, A] (their continuous\n"
    "peak; truth.csv gives each in counts); the background rises linearly by\n"
    "30% from the first corner (level B) to the opposite one. Levels, in\n"
    "counts: B = 30, A = 180 at 8 bits; B = 2000, A = 12000 at 16 bits.\n"
    "Each pixel is g * Poisson(m / g) + Normal(0, r^2) for its expected value\n"
    "m, clipped to the integer range and rounded. The signal-to-noise ratio\n"
    "SNR = A / s, where s = sqrt(g B + r^2) is the noise (standard deviation)\n"
    "of a pixel at the base background level B; shot noise makes 3/4 of s^2\n"
    "and read noise 1/4 (g = 0.75 s^2 / B, r = s / 2). A spot of amplitude\n"
    "a has a peak-to-noise ratio a / s, between SNR/2 and SNR.\n"
    "Particles start at least ceil(3 SIGMA) + 2 pixels from every edge and at\n"
    "least the minimum separation apart, then take independent Gaussian steps\n"
    "between frames (reflected at that margin; they may come closer).\n"
    "The same options and seed give the same pixels and truth on every machine.\n"
    "\n"
    "options:\n"
    "      --frames N          number of frames (default 10)\n"
    "      --shape HxW         frame shape, e.g. 384x512 (the default); DxHxW,\n"
    "                          e.g. 24x96x96, makes 3-D frames (needs tiff)\n"
    "      --particles N       particles per frame (default 200)\n"
    "      --sigma S           spot standard deviation in pixels (default 1.5)\n"
    "      --snr R             signal-to-noise ratio as above (default 20;\n"
    "                          inf: no noise)\n"
    "      --bit-depth 8|16    pixel type uint8 or uint16 (default 8)\n"
    "      --format png|tiff   image files (default png; 3-D needs tiff)\n"
    "      --stack             tiff only: every frame a page of one movie.tif\n"
    "      --min-separation D  least distance between centres in the first frame\n"
    "                          (default 4 SIGMA + 2)\n"
    "      --step S            random-walk step between frames, standard\n"
    "                          deviation in pixels per axis (default 0.5)\n"
    "      --seed N            random seed, 0 to 2^64-1 (default 1)\n"
    "      --quiet             print nothing on success\n"
    "  -h, --help              this help\n"
    "\n"
    "exit status: 0 success, 1 internal error, 2 bad usage or a file that\n"
    "cannot be written.\n";

enum {
    OPT_FRAMES = 256,
    OPT_SHAPE,
    OPT_PARTICLES,
    OPT_SIGMA,
    OPT_SNR,
    OPT_BIT_DEPTH,
    OPT_FORMAT,
    OPT_STACK,
    OPT_MIN_SEP,
    OPT_STEP,
    OPT_SEED,
    OPT_QUIET,
};

static const struct option long_options[] = {
    {"frames", required_argument, NULL, OPT_FRAMES},
    {"shape", required_argument, NULL, OPT_SHAPE},
    {"particles", required_argument, NULL, OPT_PARTICLES},
    {"sigma", required_argument, NULL, OPT_SIGMA},
    {"snr", required_argument, NULL, OPT_SNR},
    {"bit-depth", required_argument, NULL, OPT_BIT_DEPTH},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"stack", no_argument, NULL, OPT_STACK},
    {"min-separation", required_argument, NULL, OPT_MIN_SEP},
    {"step", required_argument, NULL, OPT_STEP},
    {"seed", required_argument, NULL, OPT_SEED},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct {
    locus_synth_params p;
    int tiff;  /* --format tiff */
    int stack; /* --stack */
    int quiet;
    const char *outdir;
} synth_options;

static const char *option_name(int c)
{
    for (const struct option *o = long_options; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

static int usage_error(const char *option, const char *fmt, const char *value)
{
    fprintf(stderr, PROG ": %s: ", option);
    fprintf(stderr, fmt, value);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* A whole-string unsigned decimal integer in [min, max]. */
static int parse_unsigned(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* A whole-string number; infinity only when allow_inf. */
static int parse_number(const char *s, int allow_inf, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || isnan(v) || (isinf(v) && !allow_inf) ||
        (errno == ERANGE && !isinf(v) && v != 0))
        return -1;
    if (errno == ERANGE && !isinf(v)) /* underflow: a tiny number */
        return -1;
    *out = v;
    return 0;
}

/* "384x512" or "24x96x96": 2 or 3 sizes between 8 and 65536. */
static int parse_shape(const char *s, locus_synth_params *p)
{
    char buf[128];
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len + 1);
    int n = 0;
    size_t dims[3];
    char *part = buf;
    for (;;) {
        char *x = strchr(part, 'x');
        if (x)
            *x = '\0';
        uint64_t v;
        if (n == 3 || parse_unsigned(part, 8, 65536, &v))
            return -1;
        dims[n++] = (size_t)v;
        if (!x)
            break;
        part = x + 1;
    }
    if (n < 2)
        return -1;
    p->ndim = n;
    p->shape[2] = 0;
    for (int a = 0; a < n; a++)
        p->shape[a] = dims[a];
    return 0;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, synth_options *o)
{
    memset(o, 0, sizeof *o);
    locus_synth_params_init(&o->p);
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        char opt[64];
        snprintf(opt, sizeof opt, "--%s", option_name(c));
        uint64_t u;
        double d;
        switch (c) {
        case 'h':
            fputs(synth_help, stdout);
            return EXIT_OK;
        case '?':
            if (optopt)
                fprintf(stderr, PROG ": -%c: unknown option (try locus synth --help)\n", optopt);
            else
                fprintf(stderr, PROG ": %s: unknown option (try locus synth --help)\n",
                        argv[optind - 1]);
            return EXIT_USAGE;
        case ':':
            fprintf(stderr, PROG ": %s: needs a value\n", argv[optind - 1]);
            return EXIT_USAGE;
        case OPT_FRAMES:
            if (parse_unsigned(optarg, 1, 100000000, &u))
                return usage_error(opt, "'%s' is not a whole number from 1 to 100000000", optarg);
            o->p.frames = (size_t)u;
            break;
        case OPT_SHAPE:
            if (parse_shape(optarg, &o->p))
                return usage_error(opt,
                                   "'%s' is not HxW or DxHxW with sizes from 8 to 65536 "
                                   "(e.g. 384x512, 24x96x96)",
                                   optarg);
            break;
        case OPT_PARTICLES:
            if (parse_unsigned(optarg, 0, 100000000, &u))
                return usage_error(opt, "'%s' is not a whole number from 0 to 100000000", optarg);
            o->p.particles = (size_t)u;
            break;
        case OPT_SIGMA:
            if (parse_number(optarg, 0, &d) || !(d > 0))
                return usage_error(opt, "'%s' is not a positive number", optarg);
            o->p.sigma = d;
            break;
        case OPT_SNR:
            if (parse_number(optarg, 1, &d) || !(d > 0))
                return usage_error(opt, "'%s' is not a positive number (or inf)", optarg);
            o->p.snr = d;
            break;
        case OPT_BIT_DEPTH:
            if (strcmp(optarg, "8") && strcmp(optarg, "16"))
                return usage_error(opt, "'%s' is not 8 or 16", optarg);
            o->p.bit_depth = atoi(optarg);
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "png"))
                o->tiff = 0;
            else if (!strcmp(optarg, "tiff") || !strcmp(optarg, "tif"))
                o->tiff = 1;
            else
                return usage_error(opt, "'%s' is not png or tiff", optarg);
            break;
        case OPT_STACK:
            o->stack = 1;
            break;
        case OPT_MIN_SEP:
            if (parse_number(optarg, 0, &d) || !(d >= 0))
                return usage_error(opt, "'%s' is not a number >= 0", optarg);
            o->p.min_separation = d;
            break;
        case OPT_STEP:
            if (parse_number(optarg, 0, &d) || !(d >= 0))
                return usage_error(opt, "'%s' is not a number >= 0", optarg);
            o->p.step = d;
            break;
        case OPT_SEED:
            if (parse_unsigned(optarg, 0, UINT64_MAX, &u))
                return usage_error(opt, "'%s' is not a whole number from 0 to 2^64-1", optarg);
            o->p.seed = u;
            break;
        case OPT_QUIET:
            o->quiet = 1;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, PROG ": OUTDIR: missing output directory (try locus synth --help)\n");
        return EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(stderr, PROG ": %s: unexpected argument (only one OUTDIR)\n", argv[optind + 1]);
        return EXIT_USAGE;
    }
    o->outdir = argv[optind];
    if (!*o->outdir) {
        fprintf(stderr, PROG ": OUTDIR: empty output directory name\n");
        return EXIT_USAGE;
    }
    if (o->p.ndim == 3 && !o->tiff) {
        fprintf(stderr, PROG ": --format: 3-D frames need --format tiff\n");
        return EXIT_USAGE;
    }
    if (o->stack && !o->tiff) {
        fprintf(stderr, PROG ": --stack: needs --format tiff\n");
        return EXIT_USAGE;
    }
    if (o->stack && o->p.ndim == 3) {
        fprintf(stderr, PROG ": --stack: only for 2-D frames (3-D frames are one TIFF each)\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* mkdir -p: create path and its missing parents. 0, or -1 with errno set. */
static int make_dirs(const char *path)
{
    size_t len = strlen(path);
    char *buf = malloc(len + 1);
    if (!buf)
        return -1;
    memcpy(buf, path, len + 1);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    for (char *q = buf + 1;; q++) {
        if (*q == '/' || *q == '\0') {
            char saved = *q;
            *q = '\0';
            if (mkdir(buf, 0777) != 0) {
                int e = errno;
                struct stat st;
                if (e != EEXIST || stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
                    free(buf);
                    errno = e == EEXIST ? ENOTDIR : e;
                    return -1;
                }
            }
            *q = saved;
            if (!saved)
                break;
        }
    }
    free(buf);
    return 0;
}

/* OUTDIR/name, or NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s) {
        size_t dl = strlen(dir);
        snprintf(s, n, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
    }
    return s;
}

static int digits(size_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* "frame_007.png": the frame number zero-padded to width digits. */
static void frame_name(char *buf, size_t cap, size_t frame, int width, const char *ext)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%zu", frame);
    size_t len = 0;
    len += (size_t)snprintf(buf, cap, "frame_");
    for (int i = n; i < width && len + 1 < cap; i++)
        buf[len++] = '0';
    snprintf(buf + len, cap - len, "%s.%s", num, ext);
}

/* The exit status for a library error, after reporting it. */
static int fail(const locus_error *err)
{
    const char *msg = err->message;
    if (!strncmp(msg, "synth: ", 7))
        msg += 7;
    /* the one parameter error the options cannot rule out names --particles */
    fprintf(stderr, PROG ": %s%s\n", strncmp(msg, "cannot place", 12) ? "" : "--particles: ", msg);
    return err->status == LOCUS_E_NOMEM || err->status == LOCUS_E_SYSTEM ? EXIT_FAILURE_
                                                                         : EXIT_USAGE;
}

static int write_frames(const synth_options *o, locus_synth *s, FILE *csv, const char *csv_path,
                        char *first, char *last, size_t namecap)
{
    const locus_synth_params *p = &o->p;
    int width = digits(p->frames - 1) < 3 ? 3 : digits(p->frames - 1);
    const char *ext = o->tiff ? "tif" : "png";
    int nd = p->ndim, rc = EXIT_OK;
    locus_error err;
    tiffio_writer *stack = NULL;
    char *stack_path = NULL;
    char name[64];

    if (o->stack) {
        if (!(stack_path = join(o->outdir, "movie.tif"))) {
            fprintf(stderr, PROG ": out of memory\n");
            return EXIT_FAILURE_;
        }
        if (locus_tiffio_writer_open(&stack, stack_path, &err)) {
            rc = fail(&err);
            free(stack_path);
            return rc;
        }
        snprintf(first, namecap, "%s", stack_path);
        snprintf(last, namecap, "%s", stack_path);
    }
    for (size_t f = 0; f < p->frames; f++) {
        locus_image img;
        const double *truth;
        size_t nt;
        if (locus_synth_next(s, &img, &truth, &nt, &err)) {
            rc = fail(&err);
            break;
        }
        if (stack) {
            if (locus_tiffio_writer_add(stack, &img, &err)) {
                rc = fail(&err);
                break;
            }
        } else {
            frame_name(name, sizeof name, f, width, ext);
            char *path = join(o->outdir, name);
            if (!path) {
                fprintf(stderr, PROG ": out of memory\n");
                rc = EXIT_FAILURE_;
                break;
            }
            int st;
            if (o->tiff) {
                tiffio_writer *w = NULL;
                st = locus_tiffio_writer_open(&w, path, &err);
                if (!st) {
                    st = locus_tiffio_writer_add(w, &img, &err);
                    locus_error err2;
                    int st2 = locus_tiffio_writer_close(w, st ? &err2 : &err);
                    if (!st)
                        st = st2;
                }
            } else {
                st = locus_pngio_write(path, &img, &err);
            }
            if (f == 0)
                snprintf(first, namecap, "%s", path);
            snprintf(last, namecap, "%s", name);
            free(path);
            if (st) {
                rc = fail(&err);
                break;
            }
        }
        for (size_t i = 0; i < nt; i++) {
            const double *t = truth + i * (size_t)(nd + 1);
            fprintf(csv, "%zu", f);
            for (int a = 0; a <= nd; a++)
                fprintf(csv, ",%.17g", t[a]);
            fputc('\n', csv);
        }
        if (ferror(csv)) {
            fprintf(stderr, PROG ": %s: cannot write: %s\n", csv_path, strerror(errno));
            rc = EXIT_USAGE;
            break;
        }
    }
    if (stack) {
        locus_error err2;
        int st = locus_tiffio_writer_close(stack, rc ? &err2 : &err);
        if (st && !rc)
            rc = fail(&err);
    }
    free(stack_path);
    return rc;
}

int cmd_synth(int argc, char **argv)
{
    synth_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;

    locus_error err;
    locus_synth *s = NULL;
    if (locus_synth_create(&s, &o.p, &err))
        return fail(&err);
    if (make_dirs(o.outdir) != 0) {
        fprintf(stderr, PROG ": %s: cannot create directory: %s\n", o.outdir, strerror(errno));
        locus_synth_free(s);
        return EXIT_USAGE;
    }
    char *csv_path = join(o.outdir, "truth.csv");
    FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
    if (!csv) {
        if (csv_path)
            fprintf(stderr, PROG ": %s: cannot create: %s\n", csv_path, strerror(errno));
        else
            fprintf(stderr, PROG ": out of memory\n");
        free(csv_path);
        locus_synth_free(s);
        return csv_path ? EXIT_USAGE : EXIT_FAILURE_;
    }
    fputs(o.p.ndim == 3 ? "frame,z,y,x,amplitude\n" : "frame,y,x,amplitude\n", csv);

    size_t namecap = strlen(o.outdir) + 64;
    char *first = malloc(namecap), *last = malloc(namecap);
    if (!first || !last) {
        fprintf(stderr, PROG ": out of memory\n");
        rc = EXIT_FAILURE_;
    } else {
        first[0] = last[0] = '\0';
        rc = write_frames(&o, s, csv, csv_path, first, last, namecap);
    }
    if (fclose(csv) != 0 && rc == EXIT_OK) {
        fprintf(stderr, PROG ": %s: cannot write: %s\n", csv_path, strerror(errno));
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK && !o.quiet) {
        char shape[80];
        if (o.p.ndim == 3)
            snprintf(shape, sizeof shape, "%zux%zux%zu", o.p.shape[0], o.p.shape[1], o.p.shape[2]);
        else
            snprintf(shape, sizeof shape, "%zux%zu", o.p.shape[0], o.p.shape[1]);
        printf("wrote %zu frame%s of %s uint%d (%zu particles) to %s%s%s, truth to %s\n",
               o.p.frames, o.p.frames == 1 ? "" : "s", shape, o.p.bit_depth, o.p.particles, first,
               o.stack || o.p.frames == 1 ? "" : " .. ", o.stack || o.p.frames == 1 ? "" : last,
               csv_path);
    }
    free(first);
    free(last);
    free(csv_path);
    locus_synth_free(s);
    return rc;
}
