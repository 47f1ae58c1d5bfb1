/*
 * JPEG and palette / low-bit PNG pixels against PIL's, byte for byte.
 * JPEGs of every common kind (grey, 4:2:0, 4:2:2, 4:4:4, 4:4:0, 4:1:1,
 * progressive, restart markers, arithmetic coding, RGB without YCbCr,
 * odd sizes) are written here with libjpeg, PNGs with libpng; Debian's
 * /usr/bin/python3 reads each with PIL as pims does
 * (numpy.asarray(PIL.Image.open(f)); a palette image converted to RGB, or
 * RGBA when it has transparency) and writes the array beside the file;
 * every channel locus decodes must equal it. Files PIL refuses must be
 * refused too. Skipped when that Python has no PIL.
 */
#include "check.h"
#include "io/imageio.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char ring[32][512];
    static int next;
    char *p = ring[next++ % 32];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* Smooth colour gradients, some edges and noise: every kind of detail a
 * codec treats differently. */
static unsigned char *test_pixels(int w, int h, int comps)
{
    unsigned char *p = malloc((size_t)w * h * comps + 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < comps; c++) {
                int v = (x * (3 + c) * 255) / (w + 1) + (y * (5 - c) * 255) / (h + 1);
                v = (v + ((x / 5 + y / 3 + c) % 2) * 60 + (int)rnd(40)) % 256;
                p[((size_t)y * w + x) * comps + c] = (unsigned char)v;
            }
    return p;
}

/* ------------------------------------------------------------------ */
/* JPEG files                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    int w, h, comps; /* 1 grey, 3 colour, 4 CMYK */
    int hs, vs;      /* luma sampling factors (chroma 1 x 1) */
    int quality, progressive, restart_rows, arith, rgb, optimize;
} jspec;

static void write_jpeg(const char *path, const jspec *s)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    FILE *f = fopen(path, "wb");
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)s->w;
    c.image_height = (JDIMENSION)s->h;
    c.input_components = s->comps;
    c.in_color_space = s->comps == 1 ? JCS_GRAYSCALE : s->comps == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&c);
    if (s->rgb)
        jpeg_set_colorspace(&c, JCS_RGB);
    jpeg_set_quality(&c, s->quality, TRUE);
    if (s->comps == 3 && !s->rgb) {
        c.comp_info[0].h_samp_factor = s->hs;
        c.comp_info[0].v_samp_factor = s->vs;
    }
    if (s->progressive)
        jpeg_simple_progression(&c);
    c.restart_in_rows = s->restart_rows;
    c.arith_code = s->arith ? TRUE : FALSE;
    c.optimize_coding = s->optimize ? TRUE : FALSE;
    unsigned char *px = test_pixels(s->w, s->h, s->comps);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px + (size_t)c.next_scanline * s->w * s->comps;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    free(px);
}

static const jspec jpegs[] = {
    {"grey.jpg", 37, 23, 1, 1, 1, 90, 0, 0, 0, 0, 0},
    {"grey_prog.jpg", 64, 40, 1, 1, 1, 75, 1, 0, 0, 0, 0},
    {"ycc420.jpg", 64, 48, 3, 2, 2, 85, 0, 0, 0, 0, 0},
    {"ycc420_odd.jpg", 61, 45, 3, 2, 2, 85, 0, 0, 0, 0, 0},
    {"ycc422.jpg", 33, 17, 3, 2, 1, 80, 0, 0, 0, 0, 0},
    {"ycc444.jpg", 40, 30, 3, 1, 1, 95, 0, 0, 0, 0, 0},
    {"ycc440.jpg", 29, 31, 3, 1, 2, 70, 0, 0, 0, 0, 0},
    {"ycc411.jpg", 45, 20, 3, 4, 1, 70, 0, 0, 0, 0, 0},
    {"ycc420_prog.jpg", 77, 51, 3, 2, 2, 85, 1, 0, 0, 0, 0},
    {"ycc422_prog.jpg", 50, 34, 3, 2, 1, 60, 1, 0, 0, 0, 0},
    {"ycc420_restart.jpg", 70, 66, 3, 2, 2, 85, 0, 1, 0, 0, 0},
    {"grey_restart.jpg", 41, 70, 1, 1, 1, 85, 0, 2, 0, 0, 0},
    {"ycc420_arith.jpg", 48, 40, 3, 2, 2, 85, 0, 0, 1, 0, 0},
    {"ycc444_arith_prog.jpg", 33, 29, 3, 1, 1, 85, 1, 0, 1, 0, 0},
    {"ycc420_optimized.jpg", 64, 64, 3, 2, 2, 50, 0, 0, 0, 0, 1},
    {"rgb.jpg", 35, 27, 3, 1, 1, 90, 0, 0, 0, 1, 0},
    {"one.jpg", 1, 1, 3, 2, 2, 90, 0, 0, 0, 0, 0},
    {"three_by_two.jpg", 3, 2, 3, 2, 2, 90, 0, 0, 0, 0, 0},
    {"one_grey.jpg", 1, 1, 1, 1, 1, 90, 0, 0, 0, 0, 0},
    {"wide.jpg", 640, 424, 3, 2, 2, 92, 0, 0, 0, 0, 0},
    {"q100.jpg", 23, 19, 3, 2, 2, 100, 0, 0, 0, 0, 0},
};

/* ------------------------------------------------------------------ */
/* PNG files                                                           */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    int w, h, depth, ctype, interlace;
    int npal;   /* palette: PLTE entries (indices may go past them) */
    int ntrans; /* tRNS entries (palette), or 1 for a grey/RGB tRNS */
} pspec;

static void write_png(const char *path, const pspec *s)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        abort();
    png_init_io(png, f);
    png_set_check_for_invalid_index(png, 0); /* indices past PLTE on purpose */
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->ctype,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color pal[256];
    png_byte trans[256];
    for (int i = 0; i < 256; i++) {
        pal[i] = (png_color){(png_byte)rnd(256), (png_byte)rnd(256), (png_byte)rnd(256)};
        trans[i] = (png_byte)rnd(256);
    }
    if (s->ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_PLTE(png, info, pal, s->npal);
    png_color_16 tc = {.gray = 1, .red = 3, .green = 4, .blue = 5};
    if (s->ntrans)
        png_set_tRNS(png, info, trans, s->ctype == PNG_COLOR_TYPE_PALETTE ? s->ntrans : 0, &tc);
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    size_t rowbytes = png_get_rowbytes(png, info);
    unsigned char *rows = malloc(rowbytes * (size_t)s->h);
    /* indices may point past PLTE where the file allows, as some writers do */
    for (size_t i = 0; i < rowbytes * (size_t)s->h; i++)
        rows[i] = (unsigned char)rnd(256);
    if (s->ctype == PNG_COLOR_TYPE_PALETTE && s->depth == 8)
        for (size_t i = 0; i < rowbytes * (size_t)s->h; i++)
            rows[i] = (unsigned char)(rows[i] % (s->npal + 3));
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < s->h; y++)
            png_write_row(png, rows + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(rows);
}

static const pspec pngs[] = {
    {"grey1.png", 37, 11, 1, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
    {"grey2.png", 29, 13, 2, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
    {"grey4.png", 31, 9, 4, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
    {"grey1_interlaced.png", 19, 17, 1, PNG_COLOR_TYPE_GRAY, 1, 0, 0},
    {"grey4_interlaced.png", 23, 21, 4, PNG_COLOR_TYPE_GRAY, 1, 0, 0},
    {"grey2_trns.png", 16, 6, 2, PNG_COLOR_TYPE_GRAY, 0, 0, 1},
    {"grey8_trns.png", 16, 6, 8, PNG_COLOR_TYPE_GRAY, 0, 0, 1},
    {"rgb8_trns.png", 16, 6, 8, PNG_COLOR_TYPE_RGB, 0, 0, 1},
    {"pal1.png", 33, 7, 1, PNG_COLOR_TYPE_PALETTE, 0, 2, 0},
    {"pal2.png", 27, 9, 2, PNG_COLOR_TYPE_PALETTE, 0, 3, 0},
    {"pal4.png", 21, 10, 4, PNG_COLOR_TYPE_PALETTE, 0, 16, 0},
    {"pal8.png", 40, 30, 8, PNG_COLOR_TYPE_PALETTE, 0, 256, 0},
    {"pal8_short.png", 40, 30, 8, PNG_COLOR_TYPE_PALETTE, 0, 20, 0},
    {"pal8_interlaced.png", 35, 33, 8, PNG_COLOR_TYPE_PALETTE, 1, 200, 0},
    {"pal8_trns.png", 25, 15, 8, PNG_COLOR_TYPE_PALETTE, 0, 100, 100},
    {"pal8_trns_part.png", 25, 15, 8, PNG_COLOR_TYPE_PALETTE, 0, 100, 7},
    {"pal4_trns_interlaced.png", 17, 19, 4, PNG_COLOR_TYPE_PALETTE, 1, 12, 5},
    {"pal2_trns.png", 9, 5, 2, PNG_COLOR_TYPE_PALETTE, 0, 4, 2},
};

/* ------------------------------------------------------------------ */
/* PIL's view                                                          */
/* ------------------------------------------------------------------ */

static const char pil_script[] =
    "import sys\n"
    "import numpy as np\n"
    "from PIL import Image\n"
    "for path in sys.argv[1:]:\n"
    "    try:\n"
    "        im = Image.open(path)\n"
    "        if im.mode == 'P':\n"
    "            im = im.convert('RGBA' if 'transparency' in im.info else 'RGB')\n"
    "        a = np.asarray(im)\n"
    "    except Exception as e:\n"
    "        open(path + '.pil', 'wb').write(b'ERR ' + str(e).encode() + b'\\n')\n"
    "        continue\n"
    "    if a.dtype == bool:\n"
    "        a = a.astype(np.uint8)\n"
    "    if a.ndim == 2:\n"
    "        a = a[:, :, None]\n"
    "    a = np.ascontiguousarray(a)\n"
    "    with open(path + '.pil', 'wb') as f:\n"
    "        f.write(('%d %d %d %s\\n' % (a.shape + (a.dtype.str,))).encode())\n"
    "        f.write(a.tobytes())\n";

static int have_pil(void)
{
    return system("/usr/bin/python3 -c 'import numpy, PIL' >/dev/null 2>&1") == 0;
}

static int run_pil(const char *const *paths, size_t n)
{
    FILE *f = fopen(tpath("pil.py"), "w");
    fputs(pil_script, f);
    fclose(f);
    size_t len = 0, cap = 4096;
    char *cmd = malloc(cap);
    len += (size_t)snprintf(cmd, cap, "/usr/bin/python3 '%s'", tpath("pil.py"));
    for (size_t i = 0; i < n; i++) {
        if (len + strlen(paths[i]) + 8 > cap)
            cmd = realloc(cmd, cap *= 2);
        len += (size_t)snprintf(cmd + len, cap - len, " '%s'", paths[i]);
    }
    int rc = system(cmd);
    free(cmd);
    return rc;
}

typedef struct {
    int failed; /* PIL refused the file */
    char error[256];
    int h, w, c;
    unsigned char *data;
} pil_array;

static int load_pil(const char *path, pil_array *a)
{
    char name[600];
    snprintf(name, sizeof name, "%s.pil", path);
    memset(a, 0, sizeof *a);
    FILE *f = fopen(name, "rb");
    if (!f)
        return -1;
    char line[256] = "", dtype[16] = "";
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    if (!strncmp(line, "ERR ", 4)) {
        a->failed = 1;
        line[strcspn(line, "\n")] = '\0';
        snprintf(a->error, sizeof a->error, "%s", line + 4);
        fclose(f);
        return 0;
    }
    if (sscanf(line, "%d %d %d %15s", &a->h, &a->w, &a->c, dtype) != 4 || strcmp(dtype, "|u1")) {
        fclose(f);
        return -1;
    }
    size_t n = (size_t)a->h * a->w * a->c;
    a->data = malloc(n + 1);
    int ok = fread(a->data, 1, n, f) == n;
    fclose(f);
    return ok ? 0 : -1;
}

/* locus's decode of path with channel equals channel c of PIL's array. */
static int same_as_pil(const char *path, int channel, int c, const pil_array *a, locus_reader *rd,
                       char *why, size_t why_n)
{
    locus_source_opts o = {.channel = channel, .volume = 0};
    locus_source *src = NULL;
    locus_error err;
    locus_image img;
    const char *in[1] = {path};
    int st = locus_source_open(&src, in, 1, &o, &err);
    st = st ? st : locus_source_read(src, 0, rd, &img, &err);
    locus_source_free(src);
    if (st) {
        snprintf(why, why_n, "%.500s", err.message);
        return 0;
    }
    if (img.dtype != LOCUS_U8 || img.ndim != 2 || img.shape[0] != (size_t)a->h ||
        img.shape[1] != (size_t)a->w) {
        snprintf(why, why_n, "shape %zu x %zu, PIL %d x %d", img.shape[0], img.shape[1], a->h,
                 a->w);
        return 0;
    }
    const unsigned char *px = img.data;
    for (size_t i = 0; i < (size_t)a->h * a->w; i++)
        if (px[i] != a->data[i * a->c + c]) {
            snprintf(why, why_n, "pixel %zu: %u, PIL %u", i, px[i], a->data[i * a->c + c]);
            return 0;
        }
    snprintf(why, why_n, "%d x %d", a->h, a->w);
    return 1;
}

/* Every channel of a file against PIL; grey files also without one. */
static void compare_file(const char *path, locus_reader *rd)
{
    pil_array a;
    char why[600];
    if (load_pil(path, &a)) {
        CHECK(0, "%s: PIL's array was written", path);
        return;
    }
    if (a.failed) {
        CHECK(0, "%s: PIL reads it (%s)", path, a.error);
        return;
    }
    if (a.c == 1)
        CHECK(same_as_pil(path, -1, 0, &a, rd, why, sizeof why), "%s: grey equals PIL's (%s)", path,
              why);
    for (int c = 0; c < a.c; c++)
        CHECK(same_as_pil(path, c, c, &a, rd, why, sizeof why),
              "%s: channel %d of %d equals PIL's (%s)", path, c, a.c, why);
    if (a.c > 1) {
        locus_error err;
        locus_source *src = NULL;
        const char *in[1] = {path};
        locus_source_opts o = {.channel = -1, .volume = 0};
        int st = locus_source_open(&src, in, 1, &o, &err);
        CHECK(st == 0 && locus_source_check(src, &err) == LOCUS_E_CHANNEL,
              "%s: colour without a channel is refused (%s)", path, err.message);
        locus_source_free(src);
    }
    free(a.data);
}

/* A file PIL refuses, and locus too, with a one-line message naming it. */
static void both_refuse(const char *path, int channel, const char *needle, int pil_must_fail,
                        locus_reader *rd)
{
    pil_array a;
    int loaded = load_pil(path, &a) == 0;
    if (pil_must_fail)
        CHECK(loaded && a.failed, "%s: PIL refuses it too (%s)", path, loaded ? a.error : "");
    free(a.data);
    locus_source_opts o = {.channel = channel, .volume = 0};
    locus_source *src = NULL;
    locus_error err;
    locus_image img;
    const char *in[1] = {path};
    int st = locus_source_open(&src, in, 1, &o, &err);
    st = st ? st : locus_source_read(src, 0, rd, &img, &err);
    locus_source_free(src);
    size_t n = strlen(path);
    CHECK(st != 0 && !strncmp(err.message, path, n) && err.message[n] == ':' &&
              strstr(err.message, needle) && !strchr(err.message, '\n'),
          "%s: refused: \"%s\"", path, err.message);
}

static void cut_copy(const char *from, const char *to, long drop)
{
    FILE *f = fopen(from, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    f = fopen(to, "wb");
    fwrite(b, 1, got - (size_t)drop, f);
    fclose(f);
    free(b);
}

static void remove_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
}

int main(void)
{
    if (!have_pil()) {
        printf("# SKIP /usr/bin/python3 with numpy and PIL is needed (python3-pil)\n");
        return 0;
    }
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/locus_pil_XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    enum { NJ = sizeof jpegs / sizeof *jpegs, NP = sizeof pngs / sizeof *pngs };
    static char paths[NJ + NP + 8][512];
    const char *list[NJ + NP + 8];
    size_t n = 0;
    for (size_t i = 0; i < NJ; i++, n++) {
        snprintf(paths[n], sizeof paths[n], "%s", tpath(jpegs[i].name));
        write_jpeg(paths[n], &jpegs[i]);
    }
    for (size_t i = 0; i < NP; i++, n++) {
        snprintf(paths[n], sizeof paths[n], "%s", tpath(pngs[i].name));
        write_png(paths[n], &pngs[i]);
    }
    size_t good = n;
    /* files both must refuse, or read alike */
    jspec cmyk = {"cmyk.jpg", 20, 10, 4, 1, 1, 90, 0, 0, 0, 0, 0};
    snprintf(paths[n++], 512, "%s", tpath("cmyk.jpg"));
    write_jpeg(tpath("cmyk.jpg"), &cmyk);
    snprintf(paths[n++], 512, "%s", tpath("cut_half.jpg"));
    cut_copy(tpath("wide.jpg"), tpath("cut_half.jpg"), 20000);
    snprintf(paths[n++], 512, "%s", tpath("cut_prog.jpg"));
    cut_copy(tpath("ycc420_prog.jpg"), tpath("cut_prog.jpg"), 300);
    snprintf(paths[n++], 512, "%s", tpath("no_eoi.jpg"));
    cut_copy(tpath("ycc420.jpg"), tpath("no_eoi.jpg"), 2);
    for (size_t i = 0; i < n; i++)
        list[i] = paths[i];
    CHECK(run_pil(list, n) == 0, "PIL read the %zu files", n);
    locus_reader *rd = locus_reader_create();
    for (size_t i = 0; i < good; i++)
        compare_file(paths[i], rd);
    both_refuse(tpath("no_eoi.jpg"), 0, "truncated JPEG", 1, rd); /* PIL wants the EOI */
    both_refuse(tpath("cmyk.jpg"), 0, "CMYK JPEG images are not supported", 0, rd);
    both_refuse(tpath("cut_half.jpg"), 0, "truncated JPEG", 1, rd);
    both_refuse(tpath("cut_prog.jpg"), 0, "truncated JPEG", 1, rd);
    both_refuse(tpath("pal8.png"), 3, "channel 3 out of range", 0, rd);
    both_refuse(tpath("grey.jpg"), 1, "no channel 1", 0, rd);

    /* a directory picks up .jpg and .jpeg files */
    mkdir(tpath("dir"), 0755);
    write_jpeg(tpath("dir/a.jpeg"), &jpegs[0]);
    write_jpeg(tpath("dir/b.JPG"), &jpegs[1]);
    const char *in[1] = {tpath("dir")};
    locus_source *src = NULL;
    locus_error err;
    int st = locus_source_open(&src, in, 1, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 2, "a directory's .jpeg and .JPG files");
    locus_source_free(src);
    locus_reader_free(rd);
    remove_tree(tmpdir);
    return check_done();
}
