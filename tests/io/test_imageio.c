/*
 * The image file layer: every layout locus reads, written here (with
 * locus's own writers and with libpng/libtiff directly) into a temporary
 * directory and read back exactly; frame counting and order for files,
 * directories, patterns, multi-page TIFF and volumes; every error path;
 * and the shared real data.
 */
#include "check.h"
#include "io/imageio.h"

#include <png.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char tmpdir[256];

/* A path in the temporary directory (from a ring of buffers). */
static const char *tpath(const char *name)
{
    static char ring[64][512];
    static int next;
    char *p = ring[next++ % 64];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* n random samples of type t (full range for integers, fractions for floats). */
static void *random_samples(locus_dtype t, size_t n)
{
    void *p = malloc(n * locus_dtype_size(t) + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rng();
        switch (t) {
        case LOCUS_U8:
            ((uint8_t *)p)[i] = (uint8_t)r;
            break;
        case LOCUS_U16:
            ((uint16_t *)p)[i] = (uint16_t)r;
            break;
        case LOCUS_F32:
            ((float *)p)[i] = (float)(int32_t)r / 1024.0f;
            break;
        case LOCUS_F64:
            ((double *)p)[i] = (double)(int64_t)r / 3.0;
            break;
        case LOCUS_BOOL:
            ((uint8_t *)p)[i] = (uint8_t)(r & 1);
            break;
        default: /* the other integer types: random bits */
            memcpy((char *)p + i * locus_dtype_size(t), &r, locus_dtype_size(t));
            break;
        }
    }
    return p;
}

/* Sample c of every spp-sample pixel. */
static void *channel_of(const void *inter, size_t npx, int spp, int c, size_t size)
{
    unsigned char *out = malloc(npx * size + 1);
    for (size_t i = 0; i < npx; i++)
        memcpy(out + i * size, (const unsigned char *)inter + ((size_t)spp * i + (size_t)c) * size,
               size);
    return out;
}

static locus_image make_image(const void *data, locus_dtype t, int ndim, size_t d0, size_t d1,
                              size_t d2)
{
    locus_image img = {.data = data, .dtype = t, .ndim = ndim};
    size_t s[3] = {d0, d1, d2};
    for (int i = 0; i < ndim; i++)
        img.shape[i] = s[i];
    locus_image_set_contiguous(&img);
    return img;
}

/* The image is contiguous, of this type and shape, and holds want. */
static int same_image(const locus_image *img, const void *want, locus_dtype t, int ndim, size_t d0,
                      size_t d1, size_t d2)
{
    locus_image ref = make_image(want, t, ndim, d0, d1, d2);
    if (img->dtype != t || img->ndim != ndim)
        return 0;
    size_t n = locus_dtype_size(t);
    for (int i = 0; i < ndim; i++) {
        if (img->shape[i] != ref.shape[i] || img->strides[i] != ref.strides[i])
            return 0;
        n *= ref.shape[i];
    }
    return memcmp(img->data, want, n) == 0;
}

/* Open a source of one input and read frame `frame`. */
static int read_frame(const char *path, int channel, int volume, size_t frame, locus_reader *rd,
                      locus_image *img, locus_error *err)
{
    locus_source_opts o = {.channel = channel, .volume = volume};
    locus_source *src = NULL;
    const char *in[1] = {path};
    int st = locus_source_open(&src, in, 1, &o, err);
    if (!st)
        st = locus_source_read(src, frame, rd, img, err);
    locus_source_free(src);
    return st;
}

static int one_line(const char *m)
{
    size_t n = strlen(m);
    return n > 0 && !strchr(m, '\n') && !strchr(m, '\r') && m[n - 1] != '.';
}

/* A failure: its status, a one-line message starting with "PATH: ", and a key phrase. */
static void expect_error(int st, const locus_error *e, int want, const char *path,
                         const char *needle, const char *what)
{
    CHECK(st == want && e->status == want, "%s: status %d (want %d)", what, st, want);
    size_t n = strlen(path);
    CHECK(strncmp(e->message, path, n) == 0 && e->message[n] == ':' && e->message[n + 1] == ' ',
          "%s: message names the file: \"%s\"", what, e->message);
    CHECK(one_line(e->message), "%s: message is one line", what);
    if (needle)
        CHECK(strstr(e->message, needle) != NULL, "%s: message says \"%s\"", what, needle);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (n)
        fwrite(data, 1, n, f);
    fclose(f);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(*n + 1);
    *n = fread(p, 1, *n, f);
    fclose(f);
    return p;
}

static int little_endian(void)
{
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

/* ------------------------------------------------------------------ */
/* Writing test files with libpng and libtiff directly                 */
/* ------------------------------------------------------------------ */

/*
 * rows packed; 16-bit samples in host order; palette gets a 4-entry PLTE;
 * filters: a PNG_FILTER_* set, or 0 for libpng's choice.
 */
static void write_png_filtered(const char *path, uint32_t w, uint32_t h, int depth, int ctype,
                               int interlace, int filters, const void *data)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        abort();
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (filters)
        png_set_filter(png, 0, filters);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
        png_set_PLTE(png, info, pal, 4);
    }
    png_write_info(png, info);
    if (depth == 16 && little_endian())
        png_set_swap(png);
    int passes = png_set_interlace_handling(png);
    size_t rowbytes = png_get_rowbytes(png, info);
    for (int p = 0; p < passes; p++)
        for (uint32_t y = 0; y < h; y++)
            png_write_row(png, (png_const_bytep)data + y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static void write_png_raw(const char *path, uint32_t w, uint32_t h, int depth, int ctype,
                          int interlace, const void *data)
{
    write_png_filtered(path, w, h, depth, ctype, interlace, 0, data);
}

typedef struct {
    uint32_t w, h, tile, rps;
    uint16_t spp, bps, fmt, photo, planar, comp, predictor;
    int extra; /* ExtraSamples value for the last sample, or -1 */
    const char *mode;
} tspec;

static tspec tspec_grey(uint32_t w, uint32_t h, uint16_t bps, uint16_t fmt)
{
    tspec s = {.w = w,
               .h = h,
               .rps = 7,
               .spp = 1,
               .bps = bps,
               .fmt = fmt,
               .photo = PHOTOMETRIC_MINISBLACK,
               .planar = PLANARCONFIG_CONTIG,
               .comp = COMPRESSION_NONE,
               .extra = -1,
               .mode = "w"};
    return s;
}

static void set_tiff_tags(TIFF *tif, const tspec *s)
{
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, s->w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, s->h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, s->bps);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, s->spp);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, s->fmt);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, s->photo);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, s->planar);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, s->comp);
    if (s->predictor)
        TIFFSetField(tif, TIFFTAG_PREDICTOR, s->predictor);
    if (s->extra >= 0) {
        uint16_t v = (uint16_t)s->extra;
        TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &v);
    }
    if (s->photo == PHOTOMETRIC_PALETTE) {
        static uint16_t map[3][256];
        TIFFSetField(tif, TIFFTAG_COLORMAP, map[0], map[1], map[2]);
    }
    if (s->tile) {
        TIFFSetField(tif, TIFFTAG_TILEWIDTH, s->tile);
        TIFFSetField(tif, TIFFTAG_TILELENGTH, s->tile);
    } else {
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, s->rps);
    }
}

/* Sample `sample` (or all, when -1) of rows y.. of an interleaved image. */
static void gather(unsigned char *dst, const unsigned char *src, const tspec *s, uint32_t x,
                   uint32_t y, uint32_t cols, int sample)
{
    size_t size = s->bps / 8, px = (size_t)s->spp * size;
    const unsigned char *row = src + ((size_t)y * s->w + x) * px;
    if (sample < 0) {
        memcpy(dst, row, cols * px);
        return;
    }
    for (uint32_t i = 0; i < cols; i++)
        memcpy(dst + i * size, row + i * px + (size_t)sample * size, size);
}

static void write_tiff_page(TIFF *tif, const tspec *s, const unsigned char *data)
{
    set_tiff_tags(tif, s);
    int separate = s->planar == PLANARCONFIG_SEPARATE;
    int planes = separate ? s->spp : 1;
    size_t size = s->bps / 8;
    unsigned char *buf = calloc(1, (size_t)s->w * s->h * s->spp * 8 + 64);
    if (!s->tile) {
        size_t rowbytes = ((size_t)s->w * s->spp * s->bps + 7) / 8;
        for (int p = 0; p < planes; p++)
            for (uint32_t y = 0; y < s->h; y++) {
                if (s->bps < 8)
                    memcpy(buf, data + y * rowbytes, rowbytes);
                else
                    gather(buf, data, s, 0, y, s->w, separate ? p : -1);
                TIFFWriteScanline(tif, buf, y, (uint16_t)p);
            }
    } else {
        size_t tpx = separate ? size : size * s->spp;
        for (int p = 0; p < planes; p++)
            for (uint32_t y = 0; y < s->h; y += s->tile)
                for (uint32_t x = 0; x < s->w; x += s->tile) {
                    memset(buf, 0, (size_t)s->tile * s->tile * tpx);
                    uint32_t cols = s->w - x < s->tile ? s->w - x : s->tile;
                    for (uint32_t r = 0; r < s->tile && y + r < s->h; r++)
                        gather(buf + (size_t)r * s->tile * tpx, data, s, x, y + r, cols,
                               separate ? p : -1);
                    TIFFWriteTile(tif, buf, x, y, 0, (uint16_t)p);
                }
    }
    TIFFWriteDirectory(tif);
    free(buf);
}

static void write_tiff_raw(const char *path, const tspec *s, int npages,
                           const unsigned char *const *pages)
{
    TIFF *tif = TIFFOpen(path, s->mode);
    for (int i = 0; i < npages; i++)
        write_tiff_page(tif, s, pages[i]);
    TIFFClose(tif);
}

/* A classic little-endian TIFF with its directory first and strips after
 * (as libtiff would not write it), so that cutting the file cuts strips. */
static size_t craft_tiff(const char *path, uint32_t w, uint32_t h, uint16_t bps, uint16_t fmt,
                         uint32_t rps, size_t cut)
{
    uint32_t nstrips = h ? (h + rps - 1) / rps : 1;
    size_t stripbytes = (size_t)w * rps * bps / 8;
    size_t arrays = 126 + 8, data = arrays + (nstrips > 1 ? 8 * (size_t)nstrips : 0);
    size_t total = data + (size_t)w * h * bps / 8;
    size_t end = cut && cut < total ? cut : total; /* only what is written is made */
    unsigned char *b = calloc(1, (end > data ? end : data) + 16);
    unsigned char *p = b;
#define PUT16(v) (p[0] = (unsigned char)(v), p[1] = (unsigned char)((v) >> 8), p += 2)
#define PUT32(v) (PUT16((v)&0xffff), PUT16((uint32_t)(v) >> 16))
#define ENTRY(tag, type, count, value) (PUT16(tag), PUT16(type), PUT32(count), PUT32(value))
    PUT16('I' | 'I' << 8);
    PUT16(42);
    PUT32(8);
    PUT16(10);
    ENTRY(256, 4, 1, w);
    ENTRY(257, 4, 1, h);
    ENTRY(258, 3, 1, bps);
    ENTRY(259, 3, 1, 1);
    ENTRY(262, 3, 1, 1);
    ENTRY(273, 4, nstrips, nstrips > 1 ? arrays : data);
    ENTRY(277, 3, 1, 1);
    ENTRY(278, 4, 1, rps);
    ENTRY(279, 4, nstrips, nstrips > 1 ? arrays + 4 * nstrips : stripbytes);
    ENTRY(339, 3, 1, fmt);
    PUT32(0);
    p = b + arrays;
    for (uint32_t s = 0; nstrips > 1 && s < nstrips; s++)
        PUT32(data + s * stripbytes);
    for (uint32_t s = 0; nstrips > 1 && s < nstrips; s++)
        PUT32(stripbytes);
    for (size_t i = data; i < end; i++)
        b[i] = (unsigned char)(i * 7);
    write_bytes(path, b, end);
    free(b);
    return data;
#undef ENTRY
#undef PUT32
#undef PUT16
}

/* The PNG CRC, to craft headers. */
static uint32_t crc_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A PNG signature and IHDR only (with a valid CRC). */
static void craft_png_header(const char *path, uint32_t w, uint32_t h, int depth, int ctype)
{
    unsigned char b[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                           0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    put_be32(b + 16, w);
    put_be32(b + 20, h);
    b[24] = (unsigned char)depth;
    b[25] = (unsigned char)ctype;
    put_be32(b + 29, crc_of(b + 12, 17));
    write_bytes(path, b, sizeof b);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_dtypes(void)
{
    CHECK(!strcmp(locus_dtype_name(LOCUS_U8), "uint8") &&
              !strcmp(locus_dtype_name(LOCUS_U16), "uint16") &&
              !strcmp(locus_dtype_name(LOCUS_F32), "float32") &&
              !strcmp(locus_dtype_name(LOCUS_F64), "float64") && !locus_dtype_name(0),
          "dtype names");
    CHECK(locus_dtype_size(LOCUS_U8) == 1 && locus_dtype_size(LOCUS_U16) == 2 &&
              locus_dtype_size(LOCUS_F32) == 4 && locus_dtype_size(LOCUS_F64) == 8 &&
              locus_dtype_size((locus_dtype)10) == 0,
          "dtype sizes");
    CHECK(!strcmp(locus_dtype_name(LOCUS_I8), "int8") &&
              !strcmp(locus_dtype_name(LOCUS_I16), "int16") &&
              !strcmp(locus_dtype_name(LOCUS_I32), "int32") &&
              !strcmp(locus_dtype_name(LOCUS_U32), "uint32") &&
              !strcmp(locus_dtype_name(LOCUS_BOOL), "bool") && locus_dtype_size(LOCUS_I8) == 1 &&
              locus_dtype_size(LOCUS_I16) == 2 && locus_dtype_size(LOCUS_I32) == 4 &&
              locus_dtype_size(LOCUS_U32) == 4 && locus_dtype_size(LOCUS_BOOL) == 1,
          "the integer and bool dtypes' names and sizes (NumPy's)");
    locus_image img = make_image(NULL, LOCUS_F32, 3, 4, 5, 6);
    CHECK(img.strides[0] == 120 && img.strides[1] == 24 && img.strides[2] == 4,
          "contiguous strides of a 4x5x6 float32 image");
}

static void test_png_writer(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    const locus_dtype types[2] = {LOCUS_U8, LOCUS_U16};
    for (int i = 0; i < 2; i++) {
        size_t h = 37, w = 53, size = locus_dtype_size(types[i]);
        void *pix = random_samples(types[i], h * w);
        locus_image in = make_image(pix, types[i], 2, h, w, 0);
        const char *path = tpath(i ? "w16.png" : "w8.png");
        int st = locus_pngio_write(path, &in, &err);
        CHECK(st == 0, "locus_pngio_write %s: %s", locus_dtype_name(types[i]),
              st ? err.message : "");
        st = read_frame(path, -1, 0, 0, rd, &img, &err);
        CHECK(st == 0 && same_image(&img, pix, types[i], 2, h, w, 0), "PNG %s round trip is exact",
              locus_dtype_name(types[i]));
        /* every other column, bottom row first: strided and negative */
        locus_image view = in;
        view.shape[1] = w / 2;
        view.strides[1] = (ptrdiff_t)(2 * size);
        view.data = (const unsigned char *)pix + (h - 1) * w * size;
        view.strides[0] = -(ptrdiff_t)(w * size);
        unsigned char *want = malloc(h * (w / 2) * size);
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w / 2; x++)
                memcpy(want + (y * (w / 2) + x) * size,
                       (unsigned char *)pix + ((h - 1 - y) * w + 2 * x) * size, size);
        st = locus_pngio_write(path, &view, &err);
        st = st ? st : read_frame(path, -1, 0, 0, rd, &img, &err);
        CHECK(st == 0 && same_image(&img, want, types[i], 2, h, w / 2, 0),
              "PNG %s from a strided, flipped view", locus_dtype_name(types[i]));
        free(want);
        free(pix);
    }
    locus_image bad = make_image("", LOCUS_F32, 2, 1, 1, 0);
    int st = locus_pngio_write(tpath("f.png"), &bad, &err);
    expect_error(st, &err, LOCUS_E_PARAM, tpath("f.png"), NULL, "locus_pngio_write float32");
    locus_image tiny = make_image("", LOCUS_U8, 2, 1, 1, 0);
    st = locus_pngio_write("/nonexistent-dir/x.png", &tiny, &err);
    expect_error(st, &err, LOCUS_E_IO, "/nonexistent-dir/x.png", "cannot create",
                 "locus_pngio_write to a missing directory");
    locus_reader_free(rd);
}

static void test_png_rgb(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    size_t h = 21, w = 34;
    uint8_t *rgb = random_samples(LOCUS_U8, h * w * 3);
    const char *path = tpath("rgb.png");
    CHECK(locus_pngio_write_rgb8(path, rgb, h, w, &err) == 0, "locus_pngio_write_rgb8");
    for (int c = 0; c < 3; c++) {
        void *want = channel_of(rgb, h * w, 3, c, 1);
        int st = read_frame(path, c, 0, 0, rd, &img, &err);
        CHECK(st == 0 && same_image(&img, want, LOCUS_U8, 2, h, w, 0), "RGB PNG channel %d", c);
        free(want);
    }
    int st = read_frame(path, -1, 0, 0, rd, &img, &err);
    expect_error(st, &err, LOCUS_E_CHANNEL, path,
                 "colour image (RGB, 3 channels); choose one with channel (0 = red, 1 = "
                 "green, 2 = blue)",
                 "RGB PNG without a channel");
    st = read_frame(path, 3, 0, 0, rd, &img, &err);
    expect_error(st, &err, LOCUS_E_CHANNEL, path, "no channel 3: the image has 3 channels (0 to 2)",
                 "RGB PNG channel 3");
    free(rgb);
    locus_reader_free(rd);
}

/* Every PNG colour type and depth locus reads, plain and interlaced, and
 * (for the fast path's own unfiltering) every filter type. */
static void test_png_layouts(void)
{
    static const struct {
        int ctype, spp;
        const char *name;
    } kinds[] = {{PNG_COLOR_TYPE_GRAY, 1, "grey"},
                 {PNG_COLOR_TYPE_GRAY_ALPHA, 2, "grey+alpha"},
                 {PNG_COLOR_TYPE_RGB, 3, "RGB"},
                 {PNG_COLOR_TYPE_RGBA, 4, "RGBA"}};
    static const int filters[6] = {
        0, PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG, PNG_FILTER_PAETH};
    static const char *const filter_names[6] = {"", " None", " Sub", " Up", " Average", " Paeth"};
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    for (int k = 0; k < 4; k++)
        for (int depth = 8; depth <= 16; depth += 8)
            for (int inter = 0; inter < 2; inter++)
                for (int f = 0; f < 6; f++) {
                    locus_dtype t = depth == 8 ? LOCUS_U8 : LOCUS_U16;
                    uint32_t w = 29 + (uint32_t)k, h = 19;
                    int spp = kinds[k].spp;
                    void *data = random_samples(t, (size_t)w * h * (size_t)spp);
                    if (f == 5) /* smooth data, where Paeth picks all three neighbours */
                        for (size_t i = 0; i < (size_t)w * h * (size_t)spp; i++)
                            if (t == LOCUS_U8)
                                ((uint8_t *)data)[i] = (uint8_t)(i / 7 % 13 + (i % 5) * 20);
                    char name[64];
                    snprintf(name, sizeof name, "lay_%d_%d_%d_%d.png", k, depth, inter, f);
                    const char *path = tpath(name);
                    write_png_filtered(path, w, h, depth, kinds[k].ctype, inter, filters[f], data);
                    for (int c = spp > 2 ? 0 : -1; c < spp; c++) {
                        void *want =
                            channel_of(data, (size_t)w * h, spp, c < 0 ? 0 : c, (size_t)depth / 8);
                        unsigned long fast = rd->probe.png_fast;
                        int st = read_frame(path, c, 0, 0, rd, &img, &err);
                        CHECK(st == 0 && same_image(&img, want, t, 2, h, w, 0),
                              "%s %d-bit%s%s PNG, channel %d%s", kinds[k].name, depth,
                              inter ? " interlaced" : "", filter_names[f], c,
                              st ? err.message : "");
                        CHECK(rd->probe.png_fast == fast + !inter, "decoded by the %s path",
                              inter ? "libpng" : "fast");
                        free(want);
                    }
                    free(data);
                }
    locus_reader_free(rd);
}

/* The fast path's wavefronts at their edges: widths around the 8-value
 * transposes and heights around the 16-row wavefronts, every filter. */
static void test_png_wave_edges(void)
{
    static const uint32_t widths[] = {1, 2, 7, 8, 9, 16, 17, 41};
    static const uint32_t heights[] = {1, 15, 16, 17, 33};
    static const int filters[4] = {PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG, PNG_FILTER_PAETH};
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    size_t bad = 0, cases = 0, fast = rd->probe.png_fast;
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++)
        for (size_t hi = 0; hi < sizeof heights / sizeof *heights; hi++)
            for (int depth = 8; depth <= 16; depth += 8)
                for (int f = 0; f < 4; f++) {
                    uint32_t w = widths[wi], h = heights[hi];
                    int rgba = (int)((wi + hi + (size_t)f) % 2), spp = rgba ? 4 : 1;
                    locus_dtype t = depth == 8 ? LOCUS_U8 : LOCUS_U16;
                    void *data = random_samples(t, (size_t)w * h * (size_t)spp);
                    char name[64];
                    snprintf(name, sizeof name, "wave_%u_%u_%d_%d.png", w, h, depth, f);
                    const char *path = tpath(name);
                    write_png_filtered(path, w, h, depth,
                                       rgba ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_GRAY, 0,
                                       filters[f], data);
                    int c = rgba ? (int)(wi % 4) : -1;
                    void *want =
                        channel_of(data, (size_t)w * h, spp, c < 0 ? 0 : c, (size_t)depth / 8);
                    int st = read_frame(path, c, 0, 0, rd, &img, &err);
                    bad += !(st == 0 && same_image(&img, want, t, 2, h, w, 0));
                    cases++;
                    free(want);
                    free(data);
                }
    CHECK(bad == 0 && rd->probe.png_fast == fast + cases,
          "%zu PNGs at the wavefronts' edges decode exactly by the fast path (%zu wrong)", cases,
          bad);
    locus_reader_free(rd);
}

/* Insert a chunk after IHDR (byte 33), with a right or wrong CRC. */
static unsigned char *with_chunk(const unsigned char *png, size_t n, const char *type,
                                 const char *data, int good_crc, size_t *out_n)
{
    size_t len = strlen(data);
    unsigned char *b = malloc(n + 12 + len);
    memcpy(b, png, 33);
    put_be32(b + 33, (uint32_t)len);
    memcpy(b + 37, type, 4);
    memcpy(b + 41, data, len);
    put_be32(b + 41 + len, crc_of(b + 37, 4 + len) ^ (good_crc ? 0 : 1));
    memcpy(b + 45 + len, png + 33, n - 33);
    *out_n = n + 12 + len;
    return b;
}

/* Unusual but valid (or tolerated) chunk layouts read as libpng reads them. */
static void test_png_chunks(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    size_t h = 40, w = 50, n, m;
    uint8_t *pix = random_samples(LOCUS_U8, h * w);
    locus_image in = make_image(pix, LOCUS_U8, 2, h, w, 0);
    locus_pngio_write(tpath("chunks.png"), &in, &err);
    unsigned char *png = slurp(tpath("chunks.png"), &n);
    unsigned char *b = with_chunk(png, n, "tEXt", "Comment", 0, &m);
    write_bytes(tpath("badtext.png"), b, m);
    free(b);
    int st = read_frame(tpath("badtext.png"), -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, pix, LOCUS_U8, 2, h, w, 0),
          "an ancillary chunk with a bad CRC is ignored: %s", st ? err.message : "");
    b = with_chunk(png, n, "PLTE", "abcdef", 1, &m);
    write_bytes(tpath("plte.png"), b, m);
    free(b);
    st = read_frame(tpath("plte.png"), -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, pix, LOCUS_U8, 2, h, w, 0),
          "a palette in a greyscale PNG is ignored, as libpng ignores it");
    b = with_chunk(png, n, "ABCD", "xyz", 1, &m);
    write_bytes(tpath("crit.png"), b, m);
    free(b);
    st = read_frame(tpath("crit.png"), -1, 0, 0, rd, &img, &err);
    expect_error(st, &err, LOCUS_E_FORMAT, tpath("crit.png"), "ABCD", "an unknown critical chunk");
    /* trailing bytes after IEND, and a file cut inside IEND: the pixels are all there */
    unsigned char *longer = malloc(n + 10);
    memcpy(longer, png, n);
    memset(longer + n, 'x', 10);
    write_bytes(tpath("trail.png"), longer, n + 10);
    st = read_frame(tpath("trail.png"), -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, pix, LOCUS_U8, 2, h, w, 0), "bytes after IEND are ignored");
    write_bytes(tpath("noiend.png"), png, n - 6);
    st = read_frame(tpath("noiend.png"), -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, pix, LOCUS_U8, 2, h, w, 0),
          "a file cut inside IEND still has all its pixels");
    free(longer);
    free(png);
    free(pix);
    locus_reader_free(rd);
}

static void test_tiff_writer(void)
{
    static const int comps[4] = {TIFFIO_NONE, TIFFIO_LZW, TIFFIO_DEFLATE, TIFFIO_PACKBITS};
    static const char *const comp_names[4] = {"none", "LZW", "Deflate", "PackBits"};
    static const locus_dtype types[8] = {LOCUS_U8, LOCUS_U16, LOCUS_F32, LOCUS_F64,
                                         LOCUS_I8, LOCUS_I16, LOCUS_I32, LOCUS_U32};
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    for (int c = 0; c < 4; c++)
        for (int t = 0; t < 8; t++)
            for (int layout = 0; layout < 3; layout++) {
                tiffio_options o;
                locus_tiffio_options_init(&o);
                o.compression = comps[c];
                o.tile = layout == 1 ? 16 : 0;
                o.rows_per_strip = layout == 2 ? 5 : 0;
                o.big_endian = layout == 2;
                /* libtiff 4.5 mis-writes the float predictor in the other byte order */
                int fp = types[t] == LOCUS_F32 || types[t] == LOCUS_F64;
                if ((c == 1 || c == 2) && layout > 0 && !(fp && o.big_endian))
                    o.predictor = fp ? 3 : 2;
                size_t z = 3, h = 37, w = 41, n = z * h * w;
                void *pix = random_samples(types[t], n);
                locus_image in = make_image(pix, types[t], 3, z, h, w);
                const char *path = tpath("wt.tif");
                tiffio_writer *tw = NULL;
                int st = locus_tiffio_writer_open_opts(&tw, path, &o, &err);
                st = st ? st : locus_tiffio_writer_add(tw, &in, &err);
                int st2 = locus_tiffio_writer_close(tw, &err);
                CHECK(st == 0 && st2 == 0, "write %s %s layout %d: %s", comp_names[c],
                      locus_dtype_name(types[t]), layout, err.message);
                int ok = 1;
                for (size_t k = 0; k < z && ok; k++) {
                    st = read_frame(path, -1, 0, k, rd, &img, &err);
                    ok = st == 0 &&
                         same_image(&img, (char *)pix + k * h * w * locus_dtype_size(types[t]),
                                    types[t], 2, h, w, 0);
                }
                CHECK(ok, "TIFF %s %s %s%s%s: 3 pages read back exactly", comp_names[c],
                      locus_dtype_name(types[t]), o.tile ? "tiled" : "striped",
                      o.big_endian ? " big-endian" : "", o.predictor ? " predictor" : "");
                st = read_frame(path, -1, 1, 0, rd, &img, &err);
                CHECK(st == 0 && same_image(&img, pix, types[t], 3, z, h, w),
                      "the same file as a volume");
                free(pix);
            }
    tiffio_options bad;
    locus_tiffio_options_init(&bad);
    bad.predictor = 3;
    bad.big_endian = 1;
    tiffio_writer *tw = NULL;
    int st = locus_tiffio_writer_open_opts(&tw, tpath("bad.tif"), &bad, &err);
    if (little_endian())
        expect_error(st, &err, LOCUS_E_PARAM, tpath("bad.tif"), "floating-point predictor",
                     "float predictor in big-endian order is refused (libtiff 4.5 bug)");
    locus_tiffio_writer_close(tw, NULL);
    bad.predictor = 0;
    bad.tile = 20;
    st = locus_tiffio_writer_open_opts(&tw, tpath("bad.tif"), &bad, &err);
    expect_error(st, &err, LOCUS_E_PARAM, tpath("bad.tif"), NULL, "tiles of 20 are refused");
    CHECK(tw == NULL, "no writer after a refusal");
    locus_reader_free(rd);
}

static void test_tiff_bigtiff(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    size_t z = 6, h = 64, w = 64;
    uint16_t *pix = random_samples(LOCUS_U16, z * h * w);
    const char *path = tpath("big.tif");
    tiffio_options o;
    locus_tiffio_options_init(&o);
    o.classic_limit = 30000; /* about three pages */
    o.compression = TIFFIO_LZW;
    tiffio_writer *tw = NULL;
    int st = locus_tiffio_writer_open_opts(&tw, path, &o, &err);
    for (size_t k = 0; !st && k < z; k++) {
        locus_image page = make_image(pix + k * h * w, LOCUS_U16, 2, h, w, 0);
        st = locus_tiffio_writer_add(tw, &page, &err);
    }
    int big = locus_tiffio_writer_is_bigtiff(tw);
    st = st ? st : locus_tiffio_writer_close(tw, &err);
    CHECK(st == 0 && big, "the writer switches to BigTIFF past its size limit: %s",
          st ? err.message : "");
    size_t n;
    unsigned char *bytes = slurp(path, &n);
    CHECK(n > 8 && bytes[2] == 43, "the file is BigTIFF");
    free(bytes);
    st = read_frame(path, -1, 1, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, pix, LOCUS_U16, 3, z, h, w),
          "all pages, written before and after the switch, read back");
    o.classic_limit = 0;
    o.bigtiff = 1;
    o.big_endian = 1;
    o.compression = TIFFIO_NONE;
    st = locus_tiffio_writer_open_opts(&tw, path, &o, &err);
    locus_image vol = make_image(pix, LOCUS_U16, 3, z, h, w);
    st = st ? st : locus_tiffio_writer_add(tw, &vol, &err);
    st = st ? st : locus_tiffio_writer_close(tw, &err);
    st = st ? st : read_frame(path, -1, 1, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, pix, LOCUS_U16, 3, z, h, w), "big-endian BigTIFF volume");
    free(pix);
    locus_reader_free(rd);
}

/* Multi-sample TIFF layouts, written with libtiff directly. */
static void test_tiff_layouts(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    static const struct {
        uint16_t spp, photo, planar, comp;
        int extra, tile, needs_channel;
        const char *mode, *name;
    } cases[] = {
        {3, PHOTOMETRIC_RGB, PLANARCONFIG_CONTIG, COMPRESSION_NONE, -1, 0, 1, "w", "RGB strips"},
        {4, PHOTOMETRIC_RGB, PLANARCONFIG_SEPARATE, COMPRESSION_LZW, EXTRASAMPLE_UNASSALPHA, 0, 1,
         "w", "RGBA separate planes LZW"},
        {3, PHOTOMETRIC_RGB, PLANARCONFIG_SEPARATE, COMPRESSION_ADOBE_DEFLATE, -1, 16, 1, "wb",
         "RGB tiled separate Deflate big-endian"},
        {4, PHOTOMETRIC_RGB, PLANARCONFIG_CONTIG, COMPRESSION_PACKBITS, EXTRASAMPLE_ASSOCALPHA, 32,
         1, "w8", "RGBA tiled PackBits BigTIFF"},
        {2, PHOTOMETRIC_MINISBLACK, PLANARCONFIG_CONTIG, COMPRESSION_DEFLATE,
         EXTRASAMPLE_UNASSALPHA, 0, 0, "w", "grey+alpha old-style Deflate"},
        {2, PHOTOMETRIC_MINISBLACK, PLANARCONFIG_SEPARATE, COMPRESSION_NONE, EXTRASAMPLE_ASSOCALPHA,
         16, 0, "wb", "grey+alpha tiled separate"},
        {2, PHOTOMETRIC_MINISBLACK, PLANARCONFIG_CONTIG, COMPRESSION_NONE, EXTRASAMPLE_UNSPECIFIED,
         0, 2, "w", "2-channel grey, unspecified extra"},
    };
    static const uint16_t depths[2] = {8, 16};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int d = 0; d < 2; d++) {
            tspec s = tspec_grey(45, 33, depths[d], SAMPLEFORMAT_UINT);
            s.spp = cases[i].spp;
            s.photo = cases[i].photo;
            s.planar = cases[i].planar;
            s.comp = cases[i].comp;
            s.extra = cases[i].extra;
            s.tile = (uint32_t)cases[i].tile;
            s.mode = cases[i].mode;
            locus_dtype t = d ? LOCUS_U16 : LOCUS_U8;
            size_t npx = (size_t)s.w * s.h;
            unsigned char *data = random_samples(t, npx * s.spp);
            const char *path = tpath("layout.tif");
            write_tiff_raw(path, &s, 1, (const unsigned char *const *)&data);
            for (int c = 0; c < s.spp; c++) {
                void *want = channel_of(data, npx, s.spp, c, locus_dtype_size(t));
                int st = read_frame(path, c, 0, 0, rd, &img, &err);
                CHECK(st == 0 && same_image(&img, want, t, 2, s.h, s.w, 0),
                      "%s %d-bit: channel %d %s", cases[i].name, depths[d], c,
                      st ? err.message : "");
                free(want);
            }
            int st = read_frame(path, -1, 0, 0, rd, &img, &err);
            if (cases[i].needs_channel) {
                expect_error(st, &err, LOCUS_E_CHANNEL, path,
                             cases[i].needs_channel == 1 ? "colour image (RGB" : "2-channel image",
                             cases[i].name);
            } else {
                void *want = channel_of(data, npx, s.spp, 0, locus_dtype_size(t));
                CHECK(st == 0 && same_image(&img, want, t, 2, s.h, s.w, 0),
                      "%s: no channel given reads the grey samples", cases[i].name);
                free(want);
            }
            free(data);
        }
    locus_reader_free(rd);
}

/* Several files and pages become frames in input order. */
static void test_frames(void)
{
    locus_error err;
    locus_image img;
    locus_reader *rd = locus_reader_create();
    /* frame k's first pixel is k + 1 */
    uint8_t px[8][12 * 10];
    for (int k = 0; k < 8; k++) {
        for (int i = 0; i < 120; i++)
            px[k][i] = (uint8_t)(k + 1 + i);
    }
    locus_image one = make_image(px[0], LOCUS_U8, 2, 10, 12, 0);
    locus_pngio_write(tpath("fa.png"), &one, &err);
    tiffio_writer *tw;
    locus_tiffio_writer_open(&tw, tpath("fb.tif"), &err);
    locus_image three = make_image(px[1], LOCUS_U8, 3, 3, 10, 12);
    locus_tiffio_writer_add(tw, &three, &err);
    locus_tiffio_writer_close(tw, &err);
    one.data = px[4];
    locus_pngio_write(tpath("fc.png"), &one, &err);
    const char *in[3] = {tpath("fa.png"), tpath("fb.tif"), tpath("fc.png")};
    locus_source *src;
    int st = locus_source_open(&src, in, 3, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 5 && locus_source_files(src) == 3 &&
              locus_source_ndim(src) == 2,
          "a PNG, a 3-page TIFF and a PNG are 5 frames in 3 files");
    CHECK(locus_source_check(src, &err) == 0, "no problems found while opening");
    int ok = 1;
    static const int file_of_frame[5] = {0, 1, 1, 1, 2};
    for (size_t f = 0; f < 5; f++) {
        ok &= locus_source_read(src, f, rd, &img, &err) == 0 &&
              same_image(&img, px[f], LOCUS_U8, 2, 10, 12, 0);
        ok &= !strcmp(locus_source_path(src, f), in[file_of_frame[f]]);
    }
    CHECK(ok, "every frame's pixels and path, in order");
    CHECK(locus_source_path(src, 5) == NULL, "no path past the last frame");
    st = locus_source_read(src, 5, rd, &img, &err);
    CHECK(st == LOCUS_E_PARAM, "reading past the last frame: %s", err.message);
    /* backwards, then again: the reader's buffer stays where it is */
    const void *buf = NULL;
    ok = 1;
    for (int f = 4; f >= 0; f--) {
        ok &= locus_source_read(src, (size_t)f, rd, &img, &err) == 0 &&
              same_image(&img, px[f], LOCUS_U8, 2, 10, 12, 0);
        if (f == 4)
            buf = img.data;
        ok &= img.data == buf;
    }
    CHECK(ok, "frames in reverse order, decoded into one reused buffer");
    locus_frames fr = locus_source_frames_of(src);
    void *scratch = NULL;
    st = fr.get(fr.user, 2, &scratch, &img, &err);
    CHECK(fr.nframes == 5 && st == 0 && scratch && same_image(&img, px[2], LOCUS_U8, 2, 10, 12, 0),
          "locus_source_frames_of: get keeps a reader in scratch");
    fr.release(fr.user, scratch);
    char label[600], want[600];
    fr.name(fr.user, 3, label, sizeof label);
    snprintf(want, sizeof want, "%s: page 2", in[1]);
    CHECK(!strcmp(label, want), "frame 3 is named \"%s\"", label);
    fr.name(fr.user, 4, label, sizeof label);
    CHECK(!strcmp(label, in[2]), "frame 4 is named by its file");
    locus_source_free(src);

    locus_source_opts vo = {.channel = -1, .volume = 1};
    const char *vin[1] = {tpath("fb.tif")};
    st = locus_source_open(&src, vin, 1, &vo, &err);
    CHECK(st == 0 && locus_source_frames(src) == 1 && locus_source_ndim(src) == 3,
          "volume mode: a 3-page TIFF is one 3-D frame");
    st = st ? st : locus_source_read(src, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, px[1], LOCUS_U8, 3, 3, 10, 12), "the volume's voxels");
    locus_source_free(src);
    locus_reader_free(rd);
}

static void test_directories_and_patterns(void)
{
    locus_error err;
    locus_image img;
    locus_reader *rd = locus_reader_create();
    mkdir(tpath("d"), 0755);
    mkdir(tpath("d/x.png"), 0755); /* a directory with an image's name: left out */
    const char *names[] = {"d/b.tiff", "d/a.png", "d/C.TIF", "d/e.PNG", "d/.hidden.png"};
    uint8_t px[5][4 * 4];
    for (int k = 0; k < 5; k++) {
        memset(px[k], k + 1, sizeof px[k]);
        locus_image one = make_image(px[k], LOCUS_U8, 2, 4, 4, 0);
        tiffio_writer *tw;
        if (strstr(names[k], ".png") || strstr(names[k], ".PNG")) {
            locus_pngio_write(tpath(names[k]), &one, &err);
        } else {
            locus_tiffio_writer_open(&tw, tpath(names[k]), &err);
            locus_tiffio_writer_add(tw, &one, &err);
            locus_tiffio_writer_close(tw, &err);
        }
    }
    write_bytes(tpath("d/notes.txt"), "hello", 5);
    const char *in[1] = {tpath("d")};
    locus_source *src;
    int st = locus_source_open(&src, in, 1, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 4, "a directory's 4 image files: %s",
          st ? err.message : "");
    static const int order[4] = {2, 1, 0, 3}; /* C.TIF a.png b.tiff e.PNG */
    int ok = st == 0;
    for (size_t f = 0; ok && f < 4; f++)
        ok = locus_source_read(src, f, rd, &img, &err) == 0 &&
             ((const uint8_t *)img.data)[0] == order[f] + 1 &&
             !strcmp(locus_source_path(src, f), tpath(names[order[f]]));
    CHECK(ok, "directory files sorted by name (strcmp), any case of extension");
    locus_source_free(src);

    /* a pattern: sorted by strcmp, directories among the matches expanded */
    for (int k = 0; k < 3; k++) {
        static const char *const g[3] = {"g_2.png", "g_10.png", "g_1.png"};
        locus_image one = make_image(px[k], LOCUS_U8, 2, 4, 4, 0);
        locus_pngio_write(tpath(g[k]), &one, &err);
    }
    const char *pin[2] = {tpath("g_*.png"), tpath("[d]")};
    st = locus_source_open(&src, pin, 2, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 7, "a pattern and a pattern matching a directory");
    ok = st == 0 && !strcmp(locus_source_path(src, 0), tpath("g_1.png")) &&
         !strcmp(locus_source_path(src, 1), tpath("g_10.png")) &&
         !strcmp(locus_source_path(src, 2), tpath("g_2.png")) &&
         !strcmp(locus_source_path(src, 3), tpath("d/C.TIF"));
    CHECK(ok, "pattern matches in strcmp order, then the directory's files");
    locus_source_free(src);

    const char *nomatch[1] = {tpath("nothing*.png")};
    st = locus_source_open(&src, nomatch, 1, NULL, &err);
    char want[600];
    snprintf(want, sizeof want, "'%s': no such file, and no file matches it as a pattern",
             nomatch[0]);
    CHECK(st == LOCUS_E_IO && !src && !strcmp(err.message, want), "a pattern matching nothing: %s",
          err.message);
    mkdir(tpath("empty"), 0755);
    write_bytes(tpath("empty/readme.txt"), "x", 1);
    const char *empty[2] = {tpath("fa.png"), tpath("empty")};
    st = locus_source_open(&src, empty, 2, NULL, &err);
    expect_error(st, &err, LOCUS_E_IO, tpath("empty"),
                 "no .png/.tif/.tiff/.jpg/.jpeg files in directory", "a directory without images");
    CHECK(!src, "no source when opening fails");
    st = locus_source_open(&src, NULL, 0, NULL, &err);
    CHECK(st == LOCUS_E_PARAM, "no inputs: %s", err.message);
    locus_source_opts bad = {.channel = -2};
    st = locus_source_open(&src, in, 1, &bad, &err);
    CHECK(st == LOCUS_E_PARAM, "channel -2: %s", err.message);
    locus_reader_free(rd);
}

enum { AT_READ, AT_OPEN };

/*
 * Open one input: the source opens, and its last frame fails like this,
 * found either when the source opens (locus_source_check reports it) or
 * only when the frame is decoded.
 */
static void expect_bad(int when, const char *path, int channel, int volume, int want,
                       const char *needle, const char *what)
{
    locus_source_opts o = {.channel = channel, .volume = volume};
    locus_source *src = NULL;
    locus_error err;
    locus_image img;
    const char *in[1] = {path};
    int st = locus_source_open(&src, in, 1, &o, &err);
    CHECK(st == 0, "%s: the source opens: %s", what, st ? err.message : "");
    if (st)
        return;
    locus_reader *rd = locus_reader_create();
    char label[256];
    st = locus_source_check(src, &err);
    snprintf(label, sizeof label, "%s (check)", what);
    if (when == AT_OPEN)
        expect_error(st, &err, want, path, needle, label);
    else
        CHECK(st == 0, "%s: not found while opening", what);
    st = locus_source_read(src, locus_source_frames(src) - 1, rd, &img, &err);
    snprintf(label, sizeof label, "%s (read)", what);
    expect_error(st, &err, want, path, needle, label);
    locus_reader_free(rd);
    locus_source_free(src);
}

static void test_png_errors(void)
{
    expect_bad(AT_OPEN, tpath("missing.png"), -1, 0, LOCUS_E_IO, "No such file or directory",
               "missing file");
    write_bytes(tpath("empty.png"), "", 0);
    expect_bad(AT_OPEN, tpath("empty.png"), -1, 0, LOCUS_E_IO, "file is empty", "empty file");
    write_bytes(tpath("text.png"), "just some text, not an image\n", 29);
    expect_bad(AT_OPEN, tpath("text.png"), -1, 0, LOCUS_E_FORMAT, "not a PNG, TIFF or JPEG image",
               "a text file");
    expect_bad(AT_OPEN, "/dev/null", -1, 0, LOCUS_E_IO, "not a regular file", "/dev/null");

    locus_error err;
    uint16_t *pix = random_samples(LOCUS_U16, 120 * 90);
    locus_image img = make_image(pix, LOCUS_U16, 2, 90, 120, 0);
    locus_pngio_write(tpath("good.png"), &img, &err);
    free(pix);
    size_t n;
    unsigned char *bytes = slurp(tpath("good.png"), &n);
    const size_t cuts[] = {5, 20, 40, 60, n / 4, n / 2, n - 30};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        char name[64], what[64];
        snprintf(name, sizeof name, "cut%zu.png", cuts[i]);
        snprintf(what, sizeof what, "PNG cut at byte %zu of %zu", cuts[i], n);
        write_bytes(tpath(name), bytes, cuts[i]);
        expect_bad(cuts[i] < 33 ? AT_OPEN : AT_READ, tpath(name), -1, 0, LOCUS_E_FORMAT,
                   "truncated PNG", what);
    }
    unsigned char *flip = malloc(n);
    memcpy(flip, bytes, n);
    flip[n / 2] ^= 0x10;
    write_bytes(tpath("flip.png"), flip, n);
    expect_bad(AT_READ, tpath("flip.png"), -1, 0, LOCUS_E_FORMAT, "corrupt PNG (CRC error in IDAT)",
               "a flipped bit in the image data");
    memcpy(flip, bytes, n);
    flip[18] ^= 0x01;
    write_bytes(tpath("flip_ihdr.png"), flip, n);
    expect_bad(AT_OPEN, tpath("flip_ihdr.png"), -1, 0, LOCUS_E_FORMAT,
               "corrupt PNG (CRC error in IHDR)", "a flipped bit in the header");
    free(flip);
    free(bytes);

    uint8_t idx[8 * 8];
    for (int i = 0; i < 64; i++)
        idx[i] = (uint8_t)(i % 4);
    write_png_raw(tpath("palette.png"), 8, 8, 8, PNG_COLOR_TYPE_PALETTE, 0, idx);
    expect_bad(AT_OPEN, tpath("palette.png"), -1, 0, LOCUS_E_CHANNEL,
               "colour image (RGB, 3 channels); choose one", "palette PNG without a channel");
    expect_bad(AT_READ, tpath("palette.png"), 3, 0, LOCUS_E_CHANNEL,
               "channel 3 out of range (the image has 3 channels: a palette without "
               "transparency is RGB)",
               "palette PNG without tRNS, channel 3");
    craft_png_header(tpath("zero.png"), 0, 10, 8, 0);
    expect_bad(AT_OPEN, tpath("zero.png"), -1, 0, LOCUS_E_FORMAT, "0 x 10", "a 0-wide PNG");
    craft_png_header(tpath("huge.png"), 70000, 70000, 8, 0);
    expect_bad(AT_OPEN, tpath("huge.png"), -1, 0, LOCUS_E_SHAPE, "too large",
               "a 70000 x 70000 PNG");
    craft_png_header(tpath("big.png"), 30000, 30000, 16, 0);
    expect_bad(AT_OPEN, tpath("big.png"), -1, 0, LOCUS_E_FORMAT,
               "truncated PNG (33 bytes cannot hold a 30000 x 30000 image)",
               "a 30000 x 30000 PNG header alone");
    expect_bad(AT_OPEN, tpath("good.png"), 2, 0, LOCUS_E_CHANNEL,
               "no channel 2: the image has 1 channel (0 to 0)", "grey PNG channel 2");
    expect_bad(AT_OPEN, tpath("good.png"), -1, 1, LOCUS_E_SHAPE,
               "volume needs a multi-page TIFF; this is a PNG", "PNG in volume mode");
    uint8_t rgba[4 * 4 * 4] = {0};
    write_png_raw(tpath("rgba.png"), 4, 4, 8, PNG_COLOR_TYPE_RGBA, 0, rgba);
    expect_bad(AT_OPEN, tpath("rgba.png"), -1, 0, LOCUS_E_CHANNEL,
               "colour image (RGBA, 4 channels); choose one with channel (0 = red, 1 = "
               "green, 2 = blue, 3 = alpha)",
               "RGBA PNG without a channel");
}

static void test_tiff_errors(void)
{
    /* strips of 4 rows of 32 bytes: strip 2 holds bytes data+256 .. data+384 */
    size_t data = craft_tiff(tpath("ok.tif"), 32, 16, 8, SAMPLEFORMAT_UINT, 4, 0);
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    int st = read_frame(tpath("ok.tif"), -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && img.shape[0] == 16 && img.shape[1] == 32 &&
              ((const uint8_t *)img.data)[5] == (uint8_t)((data + 5) * 7),
          "a hand-made TIFF reads: %s", st ? err.message : "");
    craft_tiff(tpath("cut.tif"), 32, 16, 8, SAMPLEFORMAT_UINT, 4, data + 2 * 128 + 50);
    expect_bad(AT_READ, tpath("cut.tif"), -1, 0, LOCUS_E_FORMAT,
               "truncated TIFF (strip 2 ends early)", "TIFF cut inside strip 2");
    craft_tiff(tpath("cut2.tif"), 32, 16, 8, SAMPLEFORMAT_UINT, 4, data + 2 * 128);
    expect_bad(AT_READ, tpath("cut2.tif"), -1, 0, LOCUS_E_FORMAT,
               "truncated TIFF (strip 2 is past the end of the file)", "TIFF cut before strip 2");
    craft_tiff(tpath("cut3.tif"), 32, 16, 8, SAMPLEFORMAT_UINT, 4, 60);
    expect_bad(AT_OPEN, tpath("cut3.tif"), -1, 0, LOCUS_E_FORMAT, "TIFF",
               "TIFF cut in its directory");
    write_bytes(tpath("cut4.tif"), "II*\0", 4);
    expect_bad(AT_OPEN, tpath("cut4.tif"), -1, 0, LOCUS_E_FORMAT, "truncated TIFF",
               "TIFF of 4 bytes");
    /* signed 8/16/32-bit and unsigned 32-bit samples read as int8, int16,
     * int32, uint32: byte i of the strip data is i * 7 */
    static const struct {
        int bits, format;
        locus_dtype want;
    } ints[4] = {{8, SAMPLEFORMAT_INT, LOCUS_I8},
                 {16, SAMPLEFORMAT_INT, LOCUS_I16},
                 {32, SAMPLEFORMAT_INT, LOCUS_I32},
                 {32, SAMPLEFORMAT_UINT, LOCUS_U32}};
    for (int k = 0; k < 4; k++) {
        size_t at = craft_tiff(tpath("int.tif"), 8, 8, ints[k].bits, ints[k].format, 8, 0);
        st = read_frame(tpath("int.tif"), -1, 0, 0, rd, &img, &err);
        size_t size = (size_t)ints[k].bits / 8;
        unsigned char want[4] = {0};
        for (size_t b = 0; b < size; b++)
            want[b] = (unsigned char)((at + 3 * size + b) * 7);
        CHECK(st == 0 && img.dtype == ints[k].want &&
                  !memcmp((const char *)img.data + 3 * size, want, size),
              "a %d-bit %s TIFF reads as %s: %s", ints[k].bits,
              ints[k].format == SAMPLEFORMAT_INT ? "signed" : "unsigned",
              locus_dtype_name(ints[k].want), st ? err.message : "");
    }
    craft_tiff(tpath("s64.tif"), 8, 8, 64, SAMPLEFORMAT_INT, 8, 0);
    expect_bad(AT_OPEN, tpath("s64.tif"), -1, 0, LOCUS_E_UNSUPPORTED,
               "64-bit signed integer samples are not supported (8-, 16- and 32-bit integers, "
               "signed or not, and 32- and 64-bit floats are)",
               "int64 TIFF");
    craft_tiff(tpath("c32.tif"), 8, 8, 32, SAMPLEFORMAT_COMPLEXINT, 8, 0);
    expect_bad(AT_OPEN, tpath("c32.tif"), -1, 0, LOCUS_E_UNSUPPORTED,
               "32-bit complex integer samples are not supported", "complex TIFF");
    craft_tiff(tpath("u12.tif"), 8, 8, 12, SAMPLEFORMAT_UINT, 8, 0);
    expect_bad(AT_OPEN, tpath("u12.tif"), -1, 0, LOCUS_E_UNSUPPORTED, "12-bit", "12-bit TIFF");
    craft_tiff(tpath("w0.tif"), 0, 8, 8, SAMPLEFORMAT_UINT, 8, 0);
    locus_source *src;
    const char *in0[1] = {tpath("w0.tif")};
    st = locus_source_open(&src, in0, 1, NULL, &err);
    if (!st) {
        st = locus_source_read(src, 0, rd, &img, &err);
        locus_source_free(src);
    }
    CHECK(st == LOCUS_E_FORMAT || st == LOCUS_E_SHAPE, "a 0-wide TIFF fails: %s", err.message);
    expect_error(st, &err, st, tpath("w0.tif"), NULL, "a 0-wide TIFF");
    craft_tiff(tpath("huge.tif"), 100000, 100000, 8, SAMPLEFORMAT_UINT, 100000, 200);
    expect_bad(AT_OPEN, tpath("huge.tif"), -1, 0, LOCUS_E_SHAPE, "too large", "a 100000^2 TIFF");
    craft_tiff(tpath("big.tif"), 40000, 40000, 8, SAMPLEFORMAT_UINT, 40000, 200);
    expect_bad(AT_READ, tpath("big.tif"), -1, 0, LOCUS_E_FORMAT,
               "truncated TIFF (200 bytes cannot hold a 40000 x 40000 page)",
               "a 40000 x 40000 TIFF directory alone");

    tspec s = tspec_grey(16, 8, 1, SAMPLEFORMAT_UINT);
    unsigned char bits[16 * 8] = {0x5a};
    const unsigned char *pages[1] = {bits};
    write_tiff_raw(tpath("bits1.tif"), &s, 1, pages);
    expect_bad(AT_OPEN, tpath("bits1.tif"), -1, 0, LOCUS_E_UNSUPPORTED, "1-bit", "1-bit TIFF");
    s = tspec_grey(16, 8, 8, SAMPLEFORMAT_UINT);
    s.photo = PHOTOMETRIC_PALETTE;
    write_tiff_raw(tpath("pal.tif"), &s, 1, pages);
    expect_bad(AT_OPEN, tpath("pal.tif"), -1, 0, LOCUS_E_UNSUPPORTED, "palette", "palette TIFF");
    s = tspec_grey(16, 8, 8, SAMPLEFORMAT_UINT);
    s.spp = 3;
    s.photo = PHOTOMETRIC_RGB;
    unsigned char rgb[16 * 8 * 3] = {1};
    pages[0] = rgb;
    write_tiff_raw(tpath("rgb.tif"), &s, 1, pages);
    expect_bad(AT_OPEN, tpath("rgb.tif"), -1, 0, LOCUS_E_CHANNEL, "colour image (RGB, 3 channels)",
               "RGB TIFF without a channel");
    expect_bad(AT_OPEN, tpath("rgb.tif"), 5, 0, LOCUS_E_CHANNEL,
               "no channel 5: the image has 3 channels (0 to 2)", "RGB TIFF channel 5");

    /* JPEG: greyscale decodes (lossily, as written); YCbCr colour is refused */
    if (TIFFIsCODECConfigured(COMPRESSION_JPEG)) {
        s = tspec_grey(32, 16, 8, SAMPLEFORMAT_UINT);
        s.comp = COMPRESSION_JPEG;
        s.rps = 16;
        unsigned char grey[32 * 16];
        memset(grey, 90, sizeof grey);
        pages[0] = grey;
        write_tiff_raw(tpath("jpeg.tif"), &s, 1, pages);
        st = read_frame(tpath("jpeg.tif"), -1, 0, 0, rd, &img, &err);
        CHECK(st == 0 && img.shape[0] == 16 && img.shape[1] == 32 &&
                  abs(((const uint8_t *)img.data)[40] - 90) <= 2,
              "greyscale JPEG-in-TIFF decodes: %s", st ? err.message : "");
        TIFF *tif = TIFFOpen(tpath("ycbcr.tif"), "w");
        s.spp = 3;
        s.photo = PHOTOMETRIC_YCBCR;
        set_tiff_tags(tif, &s);
        TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        unsigned char line[32 * 3] = {0};
        for (uint32_t y = 0; y < 16; y++)
            TIFFWriteScanline(tif, line, y, 0);
        TIFFClose(tif);
        expect_bad(AT_OPEN, tpath("ycbcr.tif"), 0, 0, LOCUS_E_UNSUPPORTED, "YCbCr",
                   "JPEG-compressed YCbCr TIFF");
    }

    /* a volume whose pages disagree */
    tiffio_writer *tw;
    uint8_t a[20 * 16] = {0};
    locus_tiffio_writer_open(&tw, tpath("mixed.tif"), &err);
    locus_image p0 = make_image(a, LOCUS_U8, 2, 16, 16, 0),
                p1 = make_image(a, LOCUS_U8, 2, 20, 16, 0);
    locus_tiffio_writer_add(tw, &p0, &err);
    locus_tiffio_writer_add(tw, &p0, &err);
    locus_tiffio_writer_add(tw, &p1, &err);
    locus_tiffio_writer_close(tw, &err);
    expect_bad(AT_OPEN, tpath("mixed.tif"), -1, 1, LOCUS_E_SHAPE,
               "page 2 is 16 x 20 uint8, page 0 is 16 x 16 uint8 (width x height)",
               "volume with pages of two sizes");
    locus_image q0 = make_image(a, LOCUS_U16, 2, 8, 8, 0), q1 = make_image(a, LOCUS_U8, 2, 8, 8, 0);
    locus_tiffio_writer_open(&tw, tpath("mixed2.tif"), &err);
    locus_tiffio_writer_add(tw, &q0, &err);
    locus_tiffio_writer_add(tw, &q1, &err);
    locus_tiffio_writer_close(tw, &err);
    expect_bad(AT_OPEN, tpath("mixed2.tif"), -1, 1, LOCUS_E_SHAPE, "page 1",
               "volume with pages of two sample formats");
    const char *in[1] = {tpath("mixed.tif")};
    st = locus_source_open(&src, in, 1, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 3 && locus_source_check(src, &err) == 0,
          "the same file outside volume mode: 3 frames");
    locus_source_free(src);
    locus_reader_free(rd);
}

/* A multi-page TIFF cut short keeps its whole pages, plus one failing frame. */
static void test_tiff_cut_pages(void)
{
    locus_error err;
    locus_image img;
    size_t z = 3, h = 30, w = 40;
    uint8_t *pix = random_samples(LOCUS_U8, z * h * w);
    tiffio_writer *tw;
    locus_tiffio_writer_open(&tw, tpath("pages.tif"), &err);
    locus_image vol = make_image(pix, LOCUS_U8, 3, z, h, w);
    locus_tiffio_writer_add(tw, &vol, &err);
    locus_tiffio_writer_close(tw, &err);
    size_t n;
    unsigned char *bytes = slurp(tpath("pages.tif"), &n);
    write_bytes(tpath("pages_cut.tif"), bytes, n - 100); /* into the last directory */
    free(bytes);
    locus_source *src;
    const char *in[1] = {tpath("pages_cut.tif")};
    int st = locus_source_open(&src, in, 1, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 3, "2 whole pages and 1 bad frame: %zu frames",
          st ? 0 : locus_source_frames(src));
    if (st)
        return;
    locus_reader *rd = locus_reader_create();
    int ok = 1;
    for (size_t k = 0; k < 2; k++)
        ok &= locus_source_read(src, k, rd, &img, &err) == 0 &&
              same_image(&img, pix + k * h * w, LOCUS_U8, 2, h, w, 0);
    CHECK(ok, "the whole pages read");
    st = locus_source_read(src, 2, rd, &img, &err);
    expect_error(st, &err, LOCUS_E_FORMAT, tpath("pages_cut.tif"),
                 "page 2: corrupt or truncated TIFF", "the cut page");
    st = locus_source_check(src, &err);
    CHECK(st == LOCUS_E_FORMAT, "locus_source_check reports it: %s", err.message);
    locus_source_free(src);
    st = read_frame(tpath("pages_cut.tif"), -1, 1, 0, rd, &img, &err);
    expect_error(st, &err, LOCUS_E_FORMAT, tpath("pages_cut.tif"), "corrupt or truncated TIFF",
                 "the cut file as a volume");
    locus_reader_free(rd);
    free(pix);
}

/* Files in several states, in one source: good frames stay good. */
static void test_mixed_source(void)
{
    locus_error err;
    const char *in[4] = {tpath("good.png"), tpath("missing.png"), tpath("palette.png"),
                         tpath("empty.png")};
    locus_source *src;
    int st = locus_source_open(&src, in, 4, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 4, "bad files do not stop a source");
    if (st)
        return;
    st = locus_source_check(src, &err);
    expect_error(st, &err, LOCUS_E_IO, tpath("missing.png"), NULL,
                 "locus_source_check: the first problem");
    locus_reader *rd = locus_reader_create();
    locus_image img;
    CHECK(locus_source_read(src, 0, rd, &img, &err) == 0, "the good frame reads");
    CHECK(locus_source_read(src, 2, rd, &img, &err) == LOCUS_E_CHANNEL,
          "palette frame without a channel fails");
    CHECK(locus_source_read(src, 3, rd, &img, &err) == LOCUS_E_IO, "empty frame fails");
    locus_reader_free(rd);
    locus_source_free(src);
}

/* Distinct readers on one source from several threads. */
typedef struct {
    const locus_source *src;
    const void *const *want;
    size_t nframes;
    int ok;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    j->ok = 1;
    for (int round = 0; round < 20; round++)
        for (size_t f = 0; f < j->nframes; f++) {
            size_t k = (f * 7 + (size_t)round) % j->nframes;
            j->ok &= locus_source_read(j->src, k, rd, &img, &err) == 0 &&
                     same_image(&img, j->want[k], LOCUS_U16, 2, 50, 60, 0);
        }
    locus_reader_free(rd);
    return NULL;
}

static void test_threads(void)
{
    locus_error err;
    enum { NF = 8 };
    uint16_t *pix = random_samples(LOCUS_U16, (size_t)NF * 50 * 60);
    tiffio_options o;
    locus_tiffio_options_init(&o);
    o.compression = TIFFIO_LZW;
    tiffio_writer *tw;
    locus_tiffio_writer_open_opts(&tw, tpath("thr.tif"), &o, &err);
    locus_image vol = make_image(pix, LOCUS_U16, 3, 5, 50, 60);
    locus_tiffio_writer_add(tw, &vol, &err);
    locus_tiffio_writer_close(tw, &err);
    for (int k = 5; k < NF; k++) {
        char name[32];
        snprintf(name, sizeof name, "thr%d.png", k);
        locus_image one = make_image(pix + (size_t)k * 3000, LOCUS_U16, 2, 50, 60, 0);
        locus_pngio_write(tpath(name), &one, &err);
    }
    const char *in[2] = {tpath("thr.tif"), tpath("thr*.png")};
    locus_source *src;
    int st = locus_source_open(&src, in, 2, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == NF, "a source of %d frames for threads", NF);
    const void *want[NF];
    for (int k = 0; k < NF; k++)
        want[k] = pix + (size_t)k * 3000;
    thread_job jobs[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (thread_job){src, want, NF, 0};
        pthread_create(&th[t], NULL, thread_main, &jobs[t]);
    }
    int ok = 1;
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        ok &= jobs[t].ok;
    }
    CHECK(ok, "4 threads, each with its own reader, read every frame correctly");
    locus_source_free(src);
    free(pix);
}

/* The data shared with the rest of the project. */
static void test_shared_data(void)
{
    const char *root = getenv("LOCUS_SHARED") ? getenv("LOCUS_SHARED") : "../shared";
    char path[512];
    snprintf(path, sizeof path, "%s/data/bulk_water/bulk_water_000.png", root);
    /* tests/run.sh refuses to start without ../shared, so a missing file
     * here is a broken checkout, not a reason to skip. */
    if (access(path, R_OK) != 0) {
        CHECK(0, "%s is readable (set LOCUS_SHARED)", path);
        return;
    }
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    int st = read_frame(path, 0, 0, 0, rd, &img, &err);
    CHECK(st == 0 && img.dtype == LOCUS_U8 && img.shape[0] == 424 && img.shape[1] == 640,
          "bulk_water_000.png channel 0: 424 x 640 uint8 %s", st ? err.message : "");
    locus_reader *slow = locus_reader_create();
    slow->probe.png_no_fast = 1;
    int ok = 1;
    for (int c = 0; c < 4; c++) {
        locus_image fast;
        ok &= read_frame(path, c, 0, 0, rd, &fast, &err) == 0 &&
              read_frame(path, c, 0, 0, slow, &img, &err) == 0 &&
              same_image(&fast, img.data, LOCUS_U8, 2, 424, 640, 0);
    }
    CHECK(ok && rd->probe.png_fast > 0,
          "bulk_water_000.png: the fast path and libpng agree, channels 0-3");
    locus_reader_free(slow);
    st = read_frame(path, -1, 0, 0, rd, &img, &err);
    expect_error(st, &err, LOCUS_E_CHANNEL, path, "RGBA, 4 channels", "bulk_water without channel");

    snprintf(path, sizeof path, "%s/data/synthetic/spots16.tif", root);
    locus_source *src;
    const char *in[1] = {path};
    st = locus_source_open(&src, in, 1, NULL, &err);
    CHECK(st == 0 && locus_source_frames(src) == 10, "spots16.tif: 10 frames");
    ok = st == 0;
    for (size_t f = 0; ok && f < 10; f++)
        ok = locus_source_read(src, f, rd, &img, &err) == 0 && img.dtype == LOCUS_U16 &&
             img.ndim == 2 && img.shape[0] == 384 && img.shape[1] == 512;
    CHECK(ok, "spots16.tif: every page 384 x 512 uint16");
    locus_source_free(src);

    snprintf(path, sizeof path, "%s/data/synthetic/spotsf32_000.tif", root);
    st = read_frame(path, -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && img.dtype == LOCUS_F32 && img.shape[0] == 384 && img.shape[1] == 512,
          "spotsf32_000.tif: 384 x 512 float32");

    snprintf(path, sizeof path, "%s/data/synthetic/vol_000.tif", root);
    st = read_frame(path, -1, 1, 0, rd, &img, &err);
    CHECK(st == 0 && img.ndim == 3 && img.shape[0] == 24 && img.shape[1] == 96 &&
              img.shape[2] == 96 && img.dtype == LOCUS_U8,
          "vol_000.tif as a volume: 24 x 96 x 96 uint8");

    snprintf(path, sizeof path, "%s/data/edge/gray16.png", root);
    st = read_frame(path, -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && img.dtype == LOCUS_U16 && img.shape[0] == 120 && img.shape[1] == 160,
          "gray16.png: 120 x 160 uint16");
    size_t bytes = 120 * 160 * 2;
    void *png16 = malloc(bytes);
    memcpy(png16, img.data, bytes);
    snprintf(path, sizeof path, "%s/data/edge/gray16.tif", root);
    st = read_frame(path, -1, 0, 0, rd, &img, &err);
    CHECK(st == 0 && same_image(&img, png16, LOCUS_U16, 2, 120, 160, 0),
          "gray16.tif holds the same pixels as gray16.png");
    free(png16);
    locus_reader_free(rd);
}

/* ------------------------------------------------------------------ */
/* Inputs found by fuzzing (fuzz/README.md)                            */
/* ------------------------------------------------------------------ */

/*
 * An 11 x 9 uint8 Adobe-deflate TIFF whose one strip inflates to 261
 * bytes, not 99 (fuzz/fuzz_tiff.c). libtiff (with libdeflate) accepts
 * the overlong strip but leaves its last 17 bytes unwritten, so they
 * were whatever the reader's buffer held: the same page decoded
 * differently by two readers.
 */
static const unsigned char fuzz_tiff_overlong[274] = {
    0x49, 0x49, 0x2a, 0x00, 0x76, 0x00, 0x00, 0x00, 0x78, 0x9c, 0xe3, 0x11, 0x95, 0x91, 0x97, 0x55,
    0x36, 0xb7, 0xb1, 0x76, 0xf7, 0xe6, 0xe4, 0x93, 0x91, 0xd1, 0xd4, 0x37, 0x77, 0x74, 0xf4, 0x0c,
    0xe3, 0x91, 0x50, 0x51, 0x36, 0x32, 0x71, 0x74, 0x71, 0xf5, 0x0c, 0x11, 0x90, 0x52, 0x50, 0x5b,
    0xb5, 0x7f, 0xc7, 0xe1, 0xcb, 0x31, 0x49, 0x52, 0xf2, 0x06, 0x16, 0x5b, 0x77, 0x9e, 0x38, 0x71,
    0x3d, 0x29, 0x49, 0x46, 0x47, 0xdf, 0x64, 0xcb, 0xfe, 0xe3, 0xa7, 0xee, 0xa4, 0x64, 0xa9, 0xeb,
    0x98, 0xdb, 0x1f, 0x38, 0x77, 0xee, 0xf2, 0xdd, 0x8c, 0x34, 0x55, 0x0b, 0x6b, 0x9b, 0xc3, 0x43,
    0x01, 0x3c, 0x7c, 0x9c, 0x95, 0xaf, 0x6f, 0xe1, 0xec, 0x1d, 0x18, 0x14, 0x96, 0x90, 0x92, 0x5b,
    0x0d, 0x00, 0xe3, 0xe4, 0x24, 0x9b, 0x0c, 0x00, 0x00, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x0b, 0x00, 0x00, 0x00, 0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
    0x02, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x01, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x11, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
    0x15, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x16, 0x01, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x17, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x6e, 0x00, 0x00, 0x00, 0x1c, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x31, 0x01, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x53, 0x01, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6c, 0x6f, 0x63, 0x75,
    0x73, 0x00,
};

/*
 * A 16 x 11024 uint8 JPEG TIFF whose one strip holds a 16 x 16 JPEG
 * (fuzz/fuzz_source.c): libtiff's JPEG codec decodes the 256 pixels and
 * reports the strip complete, leaving the other 176128 bytes unwritten.
 */
static const unsigned char fuzz_tiff_short_jpeg[537] = {
    0x49, 0x49, 0x2a, 0x00, 0x62, 0x00, 0x00, 0x00, 0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00,
    0x10, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f,
    0x00, 0xe6, 0x7e, 0x1d, 0x78, 0x2e, 0xcf, 0xc4, 0x06, 0xec, 0xde, 0x49, 0x70, 0x9e, 0x47, 0x97,
    0xb7, 0xca, 0x65, 0x1d, 0x77, 0x75, 0xc8, 0x3e, 0x95, 0xb4, 0xba, 0x3a, 0x59, 0xea, 0xb7, 0x56,
    0xb1, 0xee, 0x29, 0x0c, 0xcf, 0x1a, 0x96, 0xe4, 0x95, 0x52, 0x40, 0xce, 0x2b, 0x13, 0x49, 0xd3,
    0xc8, 0xdb, 0x84, 0xc7, 0x3c, 0x71, 0x5d, 0xce, 0x95, 0x60, 0x3e, 0x5c, 0x8e, 0xc0, 0xe0, 0xd7,
    0xff, 0xd9, 0x0c, 0x00, 0x00, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x2b, 0x00, 0x00, 0x02, 0x01, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x07, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x11, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x15, 0x01, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x16, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x10, 0xfb, 0xff, 0xff, 0x16, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x5a, 0x00, 0x00, 0x00,
    0x1c, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x53, 0x01, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x5b, 0x01, 0x07, 0x00, 0x21, 0x01, 0x00, 0x00,
    0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x08,
    0x06, 0x06, 0x07, 0x06, 0x05, 0x08, 0x07, 0x07, 0x07, 0x09, 0x09, 0x08, 0x0a, 0x0c, 0x14, 0x0d,
    0x0c, 0x0b, 0x0b, 0x0c, 0x19, 0x12, 0x13, 0x0f, 0x14, 0x1d, 0x1a, 0x1f, 0x1e, 0x1d, 0x1a, 0x1c,
    0x1c, 0x20, 0x24, 0x2e, 0x27, 0x20, 0x22, 0x2c, 0x23, 0x1c, 0x1c, 0x28, 0x37, 0x29, 0x2c, 0x30,
    0x31, 0x34, 0x34, 0x34, 0x1f, 0x27, 0x39, 0x3d, 0x30, 0x32, 0x3c, 0x2e, 0x33, 0x34, 0x32, 0xff,
    0xc4, 0x00, 0x1f, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0xff, 0xc4, 0x00, 0xb5, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04,
    0x04, 0x00, 0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41,
    0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1,
    0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19,
    0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
    0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
    0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84,
    0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2,
    0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9,
    0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
    0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3,
    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff, 0xd9,
};

/*
 * A 4000 x 4000 deflate TIFF whose one strip is 12 bytes: the reader
 * zeroes a strip before a codec decodes it (above), and refuses a deflate
 * strip that cannot inflate to its size before zeroing (16 MB here,
 * gigabytes for a larger page) or decoding it.
 */
static const unsigned char fuzz_tiff_short_deflate[134] = {
    0x49, 0x49, 0x2a, 0x00, 0x14, 0x00, 0x00, 0x00, 0x78, 0x9c, 0x63, 0x60, 0xa0, 0x3d, 0x00,
    0x00, 0x00, 0x64, 0x00, 0x01, 0x09, 0x00, 0x00, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
    0xa0, 0x0f, 0x00, 0x00, 0x01, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0x0f, 0x00,
    0x00, 0x02, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x01,
    0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x11, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x15, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x16, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0x0f, 0x00, 0x00, 0x17, 0x01,
    0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/*
 * Deflate streams that libdeflate decodes but zlib, and so libpng,
 * rejects; the PNG fast path accepted them (fuzz/fuzz_png.c,
 * fuzz/fuzz_inflate.c). Each is a grey 8-bit PNG, CRCs and Adler-32
 * right: only the deflate data is invalid.
 */
static const unsigned char fuzz_png_fixed286[68] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
    0x00, 0xff, 0x05, 0x94, 0xa8, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x70, 0x1c, 0x03, 0x00, 0x67, 0xf9, 0x41, 0xc4, 0x75, 0x84, 0xb2, 0x7e,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const unsigned char fuzz_png_dist30[113] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x64, 0xcb, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0xb5,
    0xee, 0xe0, 0x87, 0x00, 0x00, 0x00, 0x38, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0xec, 0xfd,
    0xdb, 0x92, 0x24, 0x49, 0x92, 0x2c, 0xcb, 0xd2, 0xaf, 0xf1, 0xff, 0xff, 0x14, 0xff, 0x08,
    0xe2, 0x8f, 0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0xf0,
    0x01, 0x00, 0x00, 0x64, 0xcc, 0x00, 0x01, 0x70, 0xb4, 0xea, 0x6b, 0x00, 0x00, 0x00, 0x00,
    0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const unsigned char fuzz_png_hdist32[87] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a,
    0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x1e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0xed, 0xff,
    0xdb, 0x92, 0x24, 0x49, 0x92, 0x2c, 0xcb, 0xd2, 0xaf, 0xf1, 0xff, 0xff, 0x14, 0xe3, 0x8f,
    0xe8, 0xfd, 0x7e, 0xbf, 0xdf, 0xb5, 0x1d, 0x00, 0x43, 0x00, 0x42, 0x64, 0x69, 0x8b, 0xe6,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const unsigned char fuzz_png_dist_bit1[82] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
    0x00, 0xdc, 0x57, 0x50, 0x11, 0x00, 0x00, 0x00, 0x19, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0xed, 0xe0, 0xdb, 0x92, 0x24, 0x49, 0x92, 0x2c, 0xcb, 0xd2, 0xaf, 0xf1, 0xff,
    0xff, 0x14, 0xe3, 0x8f, 0x60, 0xf3, 0x02, 0x8f, 0x01, 0x05, 0x4a, 0xbd, 0x3a, 0xbb,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const unsigned char fuzz_png_window[73] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x79,
    0x91, 0xe6, 0x06, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x08, 0x1d, 0x63, 0x70,
    0x1c, 0x05, 0x0c, 0xa3, 0x61, 0xe0, 0x08, 0x00, 0x9d, 0xeb, 0x83, 0x87, 0x4e, 0x0b, 0x83,
    0xec, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

/* Write bytes and read frame 0 with a reader whose buffers start filled with `fill`. */
static int read_filled(const char *path, const void *bytes, size_t n, unsigned char fill,
                       int no_fast, locus_reader *rd, locus_image *img, locus_error *err)
{
    write_bytes(path, bytes, n);
    rd->probe.png_no_fast = no_fast;
    locus_mem_reserve(&rd->pixels, &rd->pixels_cap, 1 << 16);
    locus_mem_reserve(&rd->scratch, &rd->scratch_cap, 1 << 16);
    memset(rd->pixels, fill, rd->pixels_cap);
    memset(rd->scratch, fill, rd->scratch_cap);
    return read_frame(path, -1, 0, 0, rd, img, err);
}

static void test_fuzz_regressions(void)
{
    locus_reader *a = locus_reader_create(), *b = locus_reader_create();
    locus_image ia, ib;
    locus_error err;
    const char *path = tpath("fuzz_overlong.tif");
    int sa =
        read_filled(path, fuzz_tiff_overlong, sizeof fuzz_tiff_overlong, 0x00, 0, a, &ia, &err);
    int sb = read_filled(tpath("fuzz_overlong2.tif"), fuzz_tiff_overlong, sizeof fuzz_tiff_overlong,
                         0xff, 0, b, &ib, &err);
    CHECK(sa == 0 && sb == 0 && ia.dtype == LOCUS_U8 && ia.shape[0] == 9 && ia.shape[1] == 11,
          "an overlong deflate strip decodes (as libtiff allows)");
    if (sa == 0 && sb == 0) {
        CHECK(memcmp(ia.data, ib.data, 99) == 0,
              "an overlong deflate strip decodes the same whatever the reader held before");
        const unsigned char *px = ib.data;
        int zero = 1;
        for (int i = 82; i < 99; i++)
            zero &= px[i] == 0;
        CHECK(zero, "the bytes libtiff leaves unwritten are 0");
    }
    if (TIFFIsCODECConfigured(COMPRESSION_JPEG)) {
        sa = read_filled(tpath("fuzz_short_jpeg.tif"), fuzz_tiff_short_jpeg,
                         sizeof fuzz_tiff_short_jpeg, 0x00, 0, a, &ia, &err);
        sb = read_filled(tpath("fuzz_short_jpeg2.tif"), fuzz_tiff_short_jpeg,
                         sizeof fuzz_tiff_short_jpeg, 0xff, 0, b, &ib, &err);
        CHECK(sa == 0 && sb == 0 && ia.shape[0] == 11024 && ia.shape[1] == 16,
              "a JPEG strip shorter than its rows decodes (as libtiff allows)");
        if (sa == 0 && sb == 0) {
            CHECK(memcmp(ia.data, ib.data, 16 * 11024) == 0,
                  "a short JPEG strip decodes the same whatever the reader held before");
            const unsigned char *px = ib.data;
            size_t nonzero = 0;
            for (size_t i = 256; i < 16 * 11024; i++)
                nonzero += px[i] != 0;
            CHECK(nonzero == 0, "the rows the JPEG does not cover are 0");
        }
    }
    path = tpath("fuzz_short_deflate.tif");
    write_bytes(path, fuzz_tiff_short_deflate, sizeof fuzz_tiff_short_deflate);
    sa = read_frame(path, -1, 0, 0, a, &ia, &err);
    expect_error(sa, &err, LOCUS_E_FORMAT, path, "strip 0: 12 bytes cannot inflate to 16000000",
                 "a deflate strip far too short for its rows");

    static const struct {
        const unsigned char *bytes;
        size_t n;
        const char *reason, *what;
    } png[] = {
        {fuzz_png_fixed286, sizeof fuzz_png_fixed286, "IDAT: invalid literal/length code",
         "fixed-code length symbol 286"},
        {fuzz_png_dist30, sizeof fuzz_png_dist30, "IDAT: invalid distance code",
         "fixed-code distance symbol 30"},
        {fuzz_png_hdist32, sizeof fuzz_png_hdist32, "IDAT: too many length or distance symbols",
         "32 distance codes in a dynamic block"},
        {fuzz_png_dist_bit1, sizeof fuzz_png_dist_bit1, "IDAT: invalid distance code",
         "the unused codeword of a one-symbol distance code"},
        {fuzz_png_window, sizeof fuzz_png_window, "IDAT: invalid distance too far back",
         "a distance beyond the 256-byte window the zlib header declares"},
    };
    /* Deflate data zlib refuses but libdeflate decodes, with every CRC
     * and the Adler-32 right: libpng alone refuses the file; the fast
     * path decodes it (the difference src/io/png_read.c documents), and
     * the pixels it gives pass the Adler-32 of the data as written. */
    for (size_t i = 0; i < sizeof png / sizeof *png; i++) {
        char name[64], what[160];
        snprintf(name, sizeof name, "fuzz_deflate_%zu.png", i);
        int st = read_filled(tpath(name), png[i].bytes, png[i].n, 0, 1, a, &ia, &err);
        snprintf(what, sizeof what, "PNG with %s (libpng alone)", png[i].what);
        expect_error(st, &err, LOCUS_E_FORMAT, tpath(name), png[i].reason, what);
        unsigned long fast = a->probe.png_fast;
        st = read_filled(tpath(name), png[i].bytes, png[i].n, 0, 0, a, &ia, &err);
        CHECK(st == LOCUS_OK && a->probe.png_fast == fast + 1,
              "PNG with %s: the fast path decodes it (status %d)", png[i].what, st);
    }
    locus_reader_free(a);
    locus_reader_free(b);
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
    TIFFSetWarningHandler(NULL); /* for the files written here with libtiff directly */
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/locus_imageio_XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_dtypes();
    test_png_writer();
    test_png_rgb();
    test_png_layouts();
    test_png_wave_edges();
    test_png_chunks();
    test_tiff_writer();
    test_tiff_bigtiff();
    test_tiff_layouts();
    test_frames();
    test_directories_and_patterns();
    test_png_errors();
    test_tiff_errors();
    test_tiff_cut_pages();
    test_mixed_source();
    test_threads();
    test_shared_data();
    test_fuzz_regressions();
    remove_tree(tmpdir);
    return check_done();
}
