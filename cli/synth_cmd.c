/* `locus synth`: write a synthetic movie and its ground truth. */
#include "commands.h"
#include "options.h"
#include "locus.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define PROG "locus synth"

static const char synth_about[] =
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
    "\n";

static const char synth_footer[] =
    "exit status: 0 success, 1 internal error, 2 bad usage or a file that\n"
    "cannot be written.\n";

enum {
    OPT_FRAMES = 1,
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

static const cli_option synth_own[] = {
    {"frames", 0, "N", "number of frames (default 10)", OPT_FRAMES},
    {"shape", 0, "HxW",
     "frame shape, e.g. 384x512 (the default); DxHxW,\ne.g. 24x96x96, makes 3-D frames (needs "
     "tiff)",
     OPT_SHAPE},
    {"particles", 0, "N", "particles per frame (default 200)", OPT_PARTICLES},
    {"sigma", 0, "S", "spot standard deviation in pixels (default 1.5)", OPT_SIGMA},
    {"snr", 0, "R", "signal-to-noise ratio as above (default 20;\ninf: no noise)", OPT_SNR},
    {"bit-depth", 0, "8|16", "pixel type uint8 or uint16 (default 8)", OPT_BIT_DEPTH},
    {"format", 0, "png|tiff", "image files (default png; 3-D needs tiff)", OPT_FORMAT},
    {"stack", 0, NULL, "tiff only: every frame a page of one movie.tif", OPT_STACK},
    {"min-separation", 0, "D",
     "least distance between centres in the first frame\n(default 4 SIGMA + 2)", OPT_MIN_SEP},
    {"step", 0, "S",
     "random-walk step between frames, standard\ndeviation in pixels per axis (default 0.5)",
     OPT_STEP},
    {"seed", 0, "N", "random seed, 0 to 2^64-1 (default 1)", OPT_SEED},
    {"quiet", 0, NULL, "print nothing on success", OPT_QUIET},
};

static const cli_section synth_sections[] = {
    {"options", synth_own, sizeof synth_own / sizeof *synth_own, 0, 0, NULL, 0},
};

typedef struct {
    locus_synth_params p;
    int tiff;  /* --format tiff */
    int stack; /* --stack */
    int quiet;
    const char *outdir;
} synth_options;

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

/* A number for --sigma (above 0), --snr (above 0, or inf), --min-separation
 * and --step (at least 0). */
static int positive(const char *prog, const char *opt, const char *arg, int allow_inf,
                    int allow_zero, double *out)
{
    int rc = cli_real(prog, opt, arg, allow_inf, out);
    if (rc < 0 && !(allow_zero ? *out >= 0 : *out > 0))
        return cli_usage_error(prog, opt, "'%s' is not a %s number", arg,
                               allow_zero ? "non-negative" : "positive");
    return rc;
}

static int synth_option(void *options, int id, const char *arg, const char *prog)
{
    synth_options *o = options;
    long l;
    int rc = -1;
    switch (id) {
    case OPT_FRAMES:
        if ((rc = cli_whole(prog, "--frames", arg, 1, 100000000L, &l)) < 0)
            o->p.frames = (size_t)l;
        return rc;
    case OPT_SHAPE:
        return parse_shape(arg, &o->p) ? cli_usage_error(prog, "--shape",
                                                         "'%s' is not HxW or DxHxW with sizes "
                                                         "from 8 to 65536 (e.g. 384x512, 24x96x96)",
                                                         arg)
                                       : -1;
    case OPT_PARTICLES:
        if ((rc = cli_whole(prog, "--particles", arg, 0, 100000000L, &l)) < 0)
            o->p.particles = (size_t)l;
        return rc;
    case OPT_SIGMA:
        return positive(prog, "--sigma", arg, 0, 0, &o->p.sigma);
    case OPT_SNR:
        return positive(prog, "--snr", arg, 1, 0, &o->p.snr);
    case OPT_BIT_DEPTH:
        if (strcmp(arg, "8") && strcmp(arg, "16"))
            return cli_usage_error(prog, "--bit-depth", "'%s' is not 8 or 16", arg);
        o->p.bit_depth = atoi(arg);
        return -1;
    case OPT_FORMAT:
        if (strcmp(arg, "png") && strcmp(arg, "tiff") && strcmp(arg, "tif"))
            return cli_usage_error(prog, "--format", "'%s' is not png or tiff", arg);
        o->tiff = strcmp(arg, "png") != 0;
        return -1;
    case OPT_STACK:
        o->stack = 1;
        return -1;
    case OPT_MIN_SEP:
        return positive(prog, "--min-separation", arg, 0, 1, &o->p.min_separation);
    case OPT_STEP:
        return positive(prog, "--step", arg, 0, 1, &o->p.step);
    case OPT_SEED: {
        uint64_t u;
        if (parse_unsigned(arg, 0, UINT64_MAX, &u))
            return cli_usage_error(prog, "--seed", "'%s' is not a whole number from 0 to 2^64-1",
                                   arg);
        o->p.seed = u;
        return -1;
    }
    default: /* OPT_QUIET */
        o->quiet = 1;
        return -1;
    }
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, synth_options *o)
{
    memset(o, 0, sizeof *o);
    locus_synth_params_init(&o->p);
    const cli_command cmd = {PROG,           "OUTDIR [options]",
                             synth_about,    synth_footer,
                             synth_sections, sizeof synth_sections / sizeof *synth_sections,
                             synth_option};
    int first, rc = cli_parse(&cmd, argc, argv, o, &first);
    if (rc >= 0)
        return rc;
    if (first >= argc)
        return cli_usage_error(PROG, "OUTDIR", "missing output directory (try locus synth --help)");
    if (argc - first > 1)
        return cli_usage_error(PROG, argv[first + 1], "unexpected argument (only one OUTDIR)");
    o->outdir = argv[first];
    if (!*o->outdir)
        return cli_usage_error(PROG, "OUTDIR", "empty output directory name");
    if (o->p.ndim == 3 && !o->tiff)
        return cli_usage_error(PROG, "--format", "3-D frames need --format tiff");
    if (o->stack && !o->tiff)
        return cli_usage_error(PROG, "--stack", "needs --format tiff");
    if (o->stack && o->p.ndim == 3)
        return cli_usage_error(PROG, "--stack",
                               "only for 2-D frames (3-D frames are one TIFF each)");
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
    cli_report(PROG, err);
    return cli_exit_status(err->status);
}

static int write_frames(const synth_options *o, locus_synth *s, FILE *csv, const char *csv_path,
                        char *first, char *last, size_t namecap)
{
    const locus_synth_params *p = &o->p;
    int width = digits(p->frames - 1) < 3 ? 3 : digits(p->frames - 1);
    const char *ext = o->tiff ? "tif" : "png";
    int nd = p->ndim, rc = EXIT_OK;
    locus_error err;
    locus_tiff_writer *stack = NULL;
    char *stack_path = NULL;
    char name[64];

    if (o->stack) {
        if (!(stack_path = join(o->outdir, "movie.tif"))) {
            fprintf(stderr, PROG ": out of memory\n");
            return EXIT_FAILURE_;
        }
        if (locus_tiff_writer_open(&stack, stack_path, &err)) {
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
            if (locus_tiff_writer_add(stack, &img, &err)) {
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
                locus_tiff_writer *w = NULL;
                st = locus_tiff_writer_open(&w, path, &err);
                if (!st) {
                    st = locus_tiff_writer_add(w, &img, &err);
                    locus_error err2;
                    int st2 = locus_tiff_writer_close(w, st ? &err2 : &err);
                    if (!st)
                        st = st2;
                }
            } else {
                st = locus_image_write_png(path, &img, &err);
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
        int st = locus_tiff_writer_close(stack, rc ? &err2 : &err);
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
