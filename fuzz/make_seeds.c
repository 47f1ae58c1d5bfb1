/*
 * Seed corpus for the fuzz harnesses, written at run time (no binary
 * files in the repository):
 *
 *   make_seeds OUT DATA
 *
 * writes OUT/png/ and OUT/tiff/: small images of every layout the
 * readers handle (and some they refuse), written with locus's own
 * writers (locus_pngio_write, locus_pngio_write_rgb8, tiffio_writer with each
 * compression, predictor, tiling, byte order and BigTIFF) and with
 * libpng / libtiff directly for what those writers do not produce
 * (grey+alpha, RGB(A), 16-bit colour, interlacing, each row filter,
 * split IDATs, ancillary chunks, planar-separate and tiled colour TIFF,
 * extra samples, palette, signed and 1-bit samples, other codecs), plus
 * crops of the shared data in DATA (../shared/data) and its small files
 * as they are. Every seed is at most 64 KiB.
 */
#include "io/imageio.h"

#include <dirent.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <zlib.h>

static char out_png[512], out_tiff[512];
static int count_png, count_tiff;
static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *png_path(const char *name)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s/%s.png", out_png, name);
    count_png++;
    return p;
}

static const char *tiff_path(const char *name)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s/%s.tif", out_tiff, name);
    count_tiff++;
    return p;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "make_seeds: %s: %s\n", what, detail ? detail : "failed");
    exit(1);
}

/* Samples with some structure (a gradient and a spot) and some noise. */
static void *pattern(size_t npx, int spp, size_t size, size_t w)
{
    unsigned char *p = malloc(npx * (size_t)spp * size + 8);
    for (size_t i = 0; i < npx; i++) {
        size_t x = i % w, y = i / w;
        for (int c = 0; c < spp; c++) {
            double v = (double)(x * 7 + y * 5 + (size_t)c * 40) / 255.0;
            double dx = (double)x - 6.0, dy = (double)y - 5.0;
            if (dx * dx + dy * dy < 9.0)
                v += 0.5;
            v += (double)(rng() % 16) / 255.0;
            v -= (double)(long)v;
            unsigned char *s = p + (i * (size_t)spp + (size_t)c) * size;
            if (size == 1) {
                *s = (unsigned char)(v * 255.0);
            } else if (size == 2) {
                uint16_t u = (uint16_t)(v * 65535.0);
                memcpy(s, &u, 2);
            } else if (size == 4) {
                float f = (float)v * 1000.0f;
                memcpy(s, &f, 4);
            } else {
                double d = v * 1e6;
                memcpy(s, &d, 8);
            }
        }
    }
    return p;
}

static locus_image image(const void *data, locus_dtype t, int ndim, size_t d0, size_t d1, size_t d2)
{
    locus_image img = {.data = data, .dtype = t, .ndim = ndim};
    img.shape[0] = d0;
    img.shape[1] = d1;
    img.shape[2] = d2;
    locus_image_set_contiguous(&img);
    return img;
}

/* ------------------------------------------------------------------ */
/* PNG                                                                 */
/* ------------------------------------------------------------------ */

typedef struct {
    uint32_t w, h;
    int depth, ctype, interlace, filters; /* filters: PNG_FILTER_* set, 0: libpng's choice */
    size_t idat;                          /* IDAT chunk size (0: libpng's default) */
    int chunks;                           /* add ancillary chunks */
    int level;                            /* zlib level, -1: default */
} pngspec;

static void write_png(const char *path, const pngspec *s, const void *data)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        die(path, "cannot create");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        die(path, "libpng");
    png_init_io(png, f);
    if (s->idat)
        png_set_compression_buffer_size(png, s->idat);
    if (s->level >= 0)
        png_set_compression_level(png, s->level);
    png_set_IHDR(png, info, s->w, s->h, s->depth, s->ctype,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->filters)
        png_set_filter(png, 0, s->filters);
    if (s->ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
        png_set_PLTE(png, info, pal, 4);
    }
    if (s->chunks) {
        png_text t = {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Comment", .text = "seed"};
        png_set_text(png, info, &t, 1);
        png_set_gAMA(png, info, 0.45455);
        png_set_pHYs(png, info, 2835, 2835, PNG_RESOLUTION_METER);
        if (s->ctype == PNG_COLOR_TYPE_GRAY) {
            png_color_16 trans = {.gray = 3};
            png_set_tRNS(png, info, NULL, 0, &trans);
        }
    }
    png_write_info(png, info);
    if (s->depth == 16 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
        png_set_swap(png);
    int passes = png_set_interlace_handling(png);
    size_t rowbytes = png_get_rowbytes(png, info);
    for (int p = 0; p < passes; p++)
        for (uint32_t y = 0; y < s->h; y++)
            png_write_row(png, (png_const_bytep)data + y * rowbytes);
    if (s->chunks) {
        png_text t = {.compression = PNG_TEXT_COMPRESSION_zTXt, .key = "After", .text = "idat"};
        png_set_text(png, info, &t, 1);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static int samples_of(int ctype)
{
    return ctype == 4 ? 2 : ctype == 2 ? 3 : ctype == 6 ? 4 : 1;
}

static void png_seeds_libpng(void)
{
    static const int ctypes[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                 PNG_COLOR_TYPE_RGB_ALPHA};
    static const struct {
        int f;
        const char *name;
    } filters[] = {{PNG_FILTER_NONE, "none"},   {PNG_FILTER_SUB, "sub"},
                   {PNG_FILTER_UP, "up"},       {PNG_FILTER_AVG, "avg"},
                   {PNG_FILTER_PAETH, "paeth"}, {PNG_ALL_FILTERS, "all"}};
    char name[128];
    for (size_t c = 0; c < 4; c++)
        for (int depth = 8; depth <= 16; depth += 8) {
            int spp = samples_of(ctypes[c]);
            size_t size = (size_t)depth / 8;
            /* every filter on a small image; interlaced; odd shapes */
            for (size_t f = 0; f < sizeof filters / sizeof *filters; f++) {
                pngspec s = {13, 11, depth, ctypes[c], 0, filters[f].f, 0, 0, -1};
                void *d = pattern(s.w * s.h, spp, size, s.w);
                snprintf(name, sizeof name, "ct%d_%d_%s", ctypes[c], depth, filters[f].name);
                write_png(png_path(name), &s, d);
                free(d);
            }
            pngspec s = {17, 9, depth, ctypes[c], 1, 0, 0, 0, -1};
            void *d = pattern(s.w * s.h, spp, size, s.w);
            snprintf(name, sizeof name, "ct%d_%d_interlaced", ctypes[c], depth);
            write_png(png_path(name), &s, d);
            free(d);
            pngspec t = {1, 1, depth, ctypes[c], 0, 0, 0, 0, -1};
            d = pattern(1, spp, size, 1);
            snprintf(name, sizeof name, "ct%d_%d_1x1", ctypes[c], depth);
            write_png(png_path(name), &t, d);
            free(d);
            pngspec u = {3, 40, depth, ctypes[c], 0, PNG_ALL_FILTERS, 37, 1, 9};
            d = pattern(u.w * u.h, spp, size, u.w);
            snprintf(name, sizeof name, "ct%d_%d_split_chunks", ctypes[c], depth);
            write_png(png_path(name), &u, d);
            free(d);
        }
    /* interlaced images too small for some passes */
    for (uint32_t w = 1; w <= 5; w += 2) {
        pngspec s = {w, 3, 8, PNG_COLOR_TYPE_GRAY, 1, 0, 0, 0, -1};
        void *d = pattern(s.w * s.h, 1, 1, s.w);
        snprintf(name, sizeof name, "interlaced_%ux3", w);
        write_png(png_path(name), &s, d);
        free(d);
    }
    /* stored (level 0) data: the deflate stream's bytes are the rows */
    pngspec st = {16, 8, 8, PNG_COLOR_TYPE_GRAY, 0, PNG_FILTER_NONE, 0, 0, 0};
    void *d = pattern(st.w * st.h, 1, 1, st.w);
    write_png(png_path("stored"), &st, d);
    free(d);
    /* what locus refuses: palette, low bit depths */
    uint8_t idx[64];
    for (int i = 0; i < 64; i++)
        idx[i] = (uint8_t)(i % 4);
    pngspec pal = {8, 8, 8, PNG_COLOR_TYPE_PALETTE, 0, 0, 0, 0, -1};
    write_png(png_path("palette"), &pal, idx);
    for (int depth = 1; depth <= 4; depth *= 2) {
        pngspec low = {16, 4, depth, PNG_COLOR_TYPE_GRAY, 0, 0, 0, 0, -1};
        snprintf(name, sizeof name, "grey%d", depth);
        write_png(png_path(name), &low, idx);
    }
}

static void png_seeds_locus(void)
{
    locus_error err;
    static const size_t shapes[][2] = {{1, 1}, {5, 3}, {9, 17}, {20, 33}, {64, 48}};
    char name[64];
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        for (int t = LOCUS_U8; t <= LOCUS_U16; t++) {
            size_t h = shapes[i][0], w = shapes[i][1];
            void *d = pattern(h * w, 1, locus_dtype_size(t), w);
            locus_image img = image(d, t, 2, h, w, 0);
            snprintf(name, sizeof name, "locus_%s_%zux%zu", locus_dtype_name(t), h, w);
            if (locus_pngio_write(png_path(name), &img, &err))
                die(name, err.message);
            free(d);
        }
    uint8_t *rgb = pattern(12 * 10, 3, 1, 10);
    if (locus_pngio_write_rgb8(png_path("locus_rgb8"), rgb, 12, 10, &err))
        die("rgb8", err.message);
    free(rgb);
}

/* ------------------------------------------------------------------ */
/* Shared data                                                         */
/* ------------------------------------------------------------------ */

static void copy_file(const char *from, const char *to)
{
    FILE *f = fopen(from, "rb");
    if (!f)
        return;
    FILE *g = fopen(to, "wb");
    if (!g)
        die(to, "cannot create");
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, g);
    fclose(f);
    fclose(g);
}

/* The small files of DATA/edge as they are. */
static void copy_small(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char from[1024], name[256];
        struct stat sb;
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(from, &sb) != 0 || !S_ISREG(sb.st_mode) ||
            sb.st_size > (64 << 10))
            continue;
        size_t n = strlen(e->d_name);
        snprintf(name, sizeof name, "data_%.*s", (int)(n > 4 ? n - 4 : n), e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".png"))
            copy_file(from, png_path(name));
        else if (n > 4 && !strcmp(e->d_name + n - 4, ".tif"))
            copy_file(from, tiff_path(name));
    }
    closedir(d);
}

/* A crop of frame `frame` of a file read with locus: (z0.., y0.., x0..) of size (d, h, w). */
static int crop(const char *path, int channel, int volume, size_t frame, size_t d, size_t h,
                size_t w, void **out, locus_image *img)
{
    locus_source_opts o = {.channel = channel, .volume = volume};
    locus_source *src = NULL;
    locus_error err;
    const char *in[1] = {path};
    locus_reader *rd = locus_reader_create();
    locus_image full;
    int st = locus_source_open(&src, in, 1, &o, &err);
    if (!st)
        st = locus_source_read(src, frame, rd, &full, &err);
    if (st) {
        fprintf(stderr, "make_seeds: skipping %s: %s\n", path, err.message);
        locus_source_free(src);
        locus_reader_free(rd);
        return -1;
    }
    size_t size = locus_dtype_size(full.dtype);
    size_t fz = volume ? full.shape[0] : 1, fy = full.shape[volume], fx = full.shape[volume + 1];
    d = d < fz ? d : fz;
    h = h < fy ? h : fy;
    w = w < fx ? w : fx;
    size_t z0 = (fz - d) / 2, y0 = (fy - h) / 2, x0 = (fx - w) / 2;
    unsigned char *p = malloc(d * h * w * size);
    for (size_t z = 0; z < d; z++)
        for (size_t y = 0; y < h; y++)
            memcpy(p + ((z * h + y) * w) * size,
                   (const unsigned char *)full.data + (((z0 + z) * fy + y0 + y) * fx + x0) * size,
                   w * size);
    *img = volume ? image(p, full.dtype, 3, d, h, w) : image(p, full.dtype, 2, h, w, 0);
    *out = p;
    locus_source_free(src);
    locus_reader_free(rd);
    return 0;
}

static void data_seeds(const char *data)
{
    char dir[1024], path[1024];
    locus_error err;
    snprintf(dir, sizeof dir, "%s/edge", data);
    copy_small(dir);
    void *p;
    locus_image img;
    /* an RGBA frame of bulk_water: its four channels, as RGBA and RGB */
    snprintf(path, sizeof path, "%s/bulk_water/bulk_water_030.png", data);
    void *ch[4] = {0};
    int ok = 1;
    for (int c = 0; c < 4; c++)
        ok &= crop(path, c, 0, 0, 1, 24, 32, &ch[c], &img) == 0;
    if (ok && img.shape[0] == 24 && img.shape[1] == 32) {
        uint8_t rgba[24 * 32 * 4], rgb[24 * 32 * 3];
        for (size_t i = 0; i < 24 * 32; i++)
            for (int c = 0; c < 4; c++) {
                rgba[i * 4 + (size_t)c] = ((uint8_t *)ch[c])[i];
                if (c < 3)
                    rgb[i * 3 + (size_t)c] = ((uint8_t *)ch[c])[i];
            }
        pngspec s = {32, 24, 8, PNG_COLOR_TYPE_RGB_ALPHA, 0, 0, 0, 0, -1};
        write_png(png_path("bulk_water_rgba"), &s, rgba);
        if (locus_pngio_write_rgb8(png_path("bulk_water_rgb"), rgb, 24, 32, &err))
            die("bulk_water_rgb", err.message);
        if (locus_pngio_write(png_path("bulk_water_red"), &img, &err))
            die("bulk_water_red", err.message);
    }
    for (int c = 0; c < 4; c++)
        free(ch[c]);
    snprintf(path, sizeof path, "%s/synthetic/spots8_000.png", data);
    if (crop(path, -1, 0, 0, 1, 30, 40, &p, &img) == 0) {
        if (locus_pngio_write(png_path("spots8"), &img, &err))
            die("spots8", err.message);
        free(p);
    }
    /* TIFFs: pages of the 16-bit movie, float frames, a volume */
    tiffio_options o;
    tiffio_writer *w;
    snprintf(path, sizeof path, "%s/synthetic/spots16.tif", data);
    locus_tiffio_options_init(&o);
    o.compression = TIFFIO_LZW;
    o.predictor = 2;
    if (locus_tiffio_writer_open_opts(&w, tiff_path("spots16_pages"), &o, &err))
        die("spots16", err.message);
    for (size_t f = 0; f < 3; f++)
        if (crop(path, -1, 0, f, 1, 20, 24, &p, &img) == 0) {
            locus_tiffio_writer_add(w, &img, &err);
            free(p);
        }
    locus_tiffio_writer_close(w, &err);
    snprintf(path, sizeof path, "%s/synthetic/spotsf32_000.tif", data);
    if (crop(path, -1, 0, 0, 1, 16, 20, &p, &img) == 0) {
        locus_tiffio_options_init(&o);
        o.compression = TIFFIO_DEFLATE;
        o.predictor = 3;
        if (!locus_tiffio_writer_open_opts(&w, tiff_path("spotsf32"), &o, &err)) {
            locus_tiffio_writer_add(w, &img, &err);
            locus_tiffio_writer_close(w, &err);
        }
        free(p);
    }
    snprintf(path, sizeof path, "%s/synthetic/vol_000.tif", data);
    if (crop(path, -1, 1, 0, 4, 12, 14, &p, &img) == 0) {
        locus_tiffio_options_init(&o);
        if (!locus_tiffio_writer_open_opts(&w, tiff_path("vol"), &o, &err)) {
            locus_tiffio_writer_add(w, &img, &err);
            locus_tiffio_writer_close(w, &err);
        }
        free(p);
    }
}

/* ------------------------------------------------------------------ */
/* TIFF                                                                */
/* ------------------------------------------------------------------ */

static void tiff_seeds_locus(void)
{
    static const char *const comp_names[] = {"none", "lzw", "deflate", "packbits"};
    char name[128];
    locus_error err;
    for (int t = LOCUS_U8; t <= LOCUS_F64; t++)
        for (int comp = TIFFIO_NONE; comp <= TIFFIO_PACKBITS; comp++)
            for (int variant = 0; variant < 4; variant++) {
                tiffio_options o;
                locus_tiffio_options_init(&o);
                o.compression = comp;
                int fl = t >= LOCUS_F32;
                /* 0: plain; 1: predictor, 2 pages; 2: tiles, big-endian; 3: BigTIFF, strips of 3 */
                if (variant == 1 && comp != TIFFIO_NONE && comp != TIFFIO_PACKBITS)
                    o.predictor = fl ? 3 : 2;
                if (variant == 2) {
                    o.tile = 16;
                    o.big_endian = 1;
                }
                if (variant == 3) {
                    o.bigtiff = 1;
                    o.rows_per_strip = 3;
                }
                size_t h = variant == 2 ? 20 : 9, wd = variant == 2 ? 18 : 11;
                size_t pages = variant == 1 ? 2 : 1;
                snprintf(name, sizeof name, "locus_%s_%s_%d", locus_dtype_name(t), comp_names[comp],
                         variant);
                tiffio_writer *w;
                if (locus_tiffio_writer_open_opts(&w, tiff_path(name), &o, &err))
                    die(name, err.message);
                void *d = pattern(h * wd * pages, 1, locus_dtype_size(t), wd);
                locus_image img =
                    pages > 1 ? image(d, t, 3, pages, h, wd) : image(d, t, 2, h, wd, 0);
                if (locus_tiffio_writer_add(w, &img, &err))
                    die(name, err.message);
                if (locus_tiffio_writer_close(w, &err))
                    die(name, err.message);
                free(d);
            }
}

typedef struct {
    uint32_t w, h, tile, rps;
    uint16_t spp, bps, fmt, photo, planar, comp, predictor;
    int extra; /* ExtraSamples value for the last sample, or -1 */
    int big_endian;
} tspec;

static void write_tiff(const char *name, const tspec *s, int pages)
{
    if (!TIFFIsCODECConfigured(s->comp))
        return;
    const char *path = tiff_path(name);
    TIFF *tif = TIFFOpen(path, s->big_endian ? "wb" : "wl");
    if (!tif)
        die(path, "TIFFOpen");
    size_t size = s->bps >= 8 ? s->bps / 8 : 1;
    for (int pg = 0; pg < pages; pg++) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, s->w);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, s->h);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, s->spp);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, s->bps);
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, s->fmt);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, s->photo);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, s->planar);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, s->comp);
        if (s->predictor > 1)
            TIFFSetField(tif, TIFFTAG_PREDICTOR, s->predictor);
        if (s->extra >= 0) {
            uint16_t ex[4] = {0, 0, 0, 0};
            uint16_t nex =
                s->photo == PHOTOMETRIC_RGB ? (uint16_t)(s->spp - 3) : (uint16_t)(s->spp - 1);
            ex[nex - 1] = (uint16_t)s->extra;
            TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, nex, ex);
        }
        if (s->photo == PHOTOMETRIC_PALETTE) {
            static uint16_t map[3][256];
            for (int i = 0; i < 256; i++)
                map[0][i] = map[1][i] = map[2][i] = (uint16_t)(i * 257);
            TIFFSetField(tif, TIFFTAG_COLORMAP, map[0], map[1], map[2]);
        }
        if (s->tile) {
            TIFFSetField(tif, TIFFTAG_TILEWIDTH, s->tile);
            TIFFSetField(tif, TIFFTAG_TILELENGTH, s->tile);
        } else {
            TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, s->rps ? s->rps : s->h);
        }
        if (pages > 1) {
            TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
            TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)pg, (uint16_t)pages);
        }
        int separate = s->planar == PLANARCONFIG_SEPARATE;
        int n = separate ? 1 : s->spp;
        if (s->tile) {
            tmsize_t tb = TIFFTileSize(tif);
            uint32_t ntiles = TIFFNumberOfTiles(tif);
            void *d = pattern((size_t)tb / size + 1, 1, size, s->tile);
            for (uint32_t t = 0; t < ntiles; t++)
                TIFFWriteEncodedTile(tif, t, d, tb);
            free(d);
        } else {
            uint32_t nstrips = TIFFNumberOfStrips(tif);
            size_t row = s->bps >= 8 ? (size_t)s->w * (size_t)n * size
                                     : ((size_t)s->w * (size_t)n * s->bps + 7) / 8;
            for (uint32_t st = 0; st < nstrips; st++) {
                uint32_t rps = s->rps ? s->rps : s->h;
                uint32_t y0 = (st % (separate ? (s->h + rps - 1) / rps : nstrips)) * rps;
                uint32_t rows = s->h - y0 < rps ? s->h - y0 : rps;
                void *d = pattern(row * rows / size + 1, 1, size, s->w);
                TIFFWriteEncodedStrip(tif, st, d, (tmsize_t)(row * rows));
                free(d);
            }
        }
        TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
}

static tspec grey(uint16_t bps, uint16_t fmt)
{
    tspec s = {.w = 13,
               .h = 10,
               .spp = 1,
               .bps = bps,
               .fmt = fmt,
               .photo = PHOTOMETRIC_MINISBLACK,
               .planar = PLANARCONFIG_CONTIG,
               .comp = COMPRESSION_NONE,
               .extra = -1};
    return s;
}

static void tiff_seeds_libtiff(void)
{
    tspec s = grey(8, SAMPLEFORMAT_UINT);
    s.spp = 3;
    s.photo = PHOTOMETRIC_RGB;
    write_tiff("rgb8_contig", &s, 1);
    s.planar = PLANARCONFIG_SEPARATE;
    s.rps = 4;
    write_tiff("rgb8_separate", &s, 1);
    s.bps = 16;
    s.comp = COMPRESSION_ADOBE_DEFLATE;
    s.predictor = 2;
    s.planar = PLANARCONFIG_CONTIG;
    write_tiff("rgb16_deflate", &s, 2);
    s = grey(8, SAMPLEFORMAT_UINT);
    s.spp = 4;
    s.photo = PHOTOMETRIC_RGB;
    s.extra = EXTRASAMPLE_UNASSALPHA;
    write_tiff("rgba8", &s, 1);
    s.tile = 16;
    s.w = 20;
    s.h = 18;
    s.planar = PLANARCONFIG_SEPARATE;
    s.comp = COMPRESSION_LZW;
    write_tiff("rgba8_tiled_separate", &s, 1);
    s = grey(16, SAMPLEFORMAT_UINT);
    s.spp = 2;
    s.extra = EXTRASAMPLE_ASSOCALPHA;
    write_tiff("grey_alpha16", &s, 1);
    s.extra = -1;
    write_tiff("two_samples", &s, 1);
    s = grey(8, SAMPLEFORMAT_UINT);
    s.photo = PHOTOMETRIC_MINISWHITE;
    s.comp = COMPRESSION_PACKBITS;
    s.rps = 1;
    write_tiff("miniswhite_rps1", &s, 3);
    s = grey(8, SAMPLEFORMAT_UINT);
    s.photo = PHOTOMETRIC_PALETTE;
    write_tiff("palette", &s, 1);
    s = grey(16, SAMPLEFORMAT_INT);
    write_tiff("int16", &s, 1);
    s = grey(1, SAMPLEFORMAT_UINT);
    write_tiff("bilevel", &s, 1);
    s = grey(32, SAMPLEFORMAT_IEEEFP);
    s.big_endian = 1;
    s.comp = COMPRESSION_LZW;
    write_tiff("f32_be_lzw", &s, 1);
    s = grey(64, SAMPLEFORMAT_IEEEFP);
    s.tile = 16;
    s.comp = COMPRESSION_ADOBE_DEFLATE;
    write_tiff("f64_tiled", &s, 1);
    /* other codecs, when this libtiff has them */
    static const struct {
        uint16_t comp;
        const char *name;
    } codecs[] = {{COMPRESSION_ZSTD, "zstd"},         {COMPRESSION_LZMA, "lzma"},
                  {COMPRESSION_JPEG, "jpeg"},         {COMPRESSION_WEBP, "webp"},
                  {COMPRESSION_CCITTRLE, "ccittrle"}, {COMPRESSION_LERC, "lerc"}};
    for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++) {
        s = grey(8, SAMPLEFORMAT_UINT);
        s.w = 16;
        s.h = 16;
        s.comp = codecs[i].comp;
        if (s.comp == COMPRESSION_CCITTRLE)
            s.bps = 1;
        if (s.comp == COMPRESSION_WEBP) {
            s.spp = 3;
            s.photo = PHOTOMETRIC_RGB;
        }
        char name[64];
        snprintf(name, sizeof name, "codec_%s", codecs[i].name);
        write_tiff(name, &s, 1);
    }
}

static void quiet(const char *module, const char *fmt, va_list ap)
{
    (void)module;
    (void)fmt;
    (void)ap;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_seeds OUT DATA\n");
        return 2;
    }
    TIFFSetWarningHandler(quiet);
    snprintf(out_png, sizeof out_png, "%s/png", argv[1]);
    snprintf(out_tiff, sizeof out_tiff, "%s/tiff", argv[1]);
    mkdir(argv[1], 0755);
    mkdir(out_png, 0755);
    mkdir(out_tiff, 0755);
    png_seeds_libpng();
    png_seeds_locus();
    tiff_seeds_locus();
    tiff_seeds_libtiff();
    data_seeds(argv[2]);
    printf("make_seeds: %d PNG and %d TIFF seeds in %s\n", count_png, count_tiff, argv[1]);
    return 0;
}
