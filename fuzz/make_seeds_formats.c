/*
 * Seeds for the readers of microscope formats: writes into OUT/
 *
 *   jpeg/    JPEGs of every kind locus reads (grey, 4:2:0, 4:2:2, 4:4:4,
 *            4:4:0, 4:1:1, progressive, restart markers, arithmetic
 *            coding, RGB without YCbCr, 1 x 1) and refuses (CMYK, cut)
 *   imagej/  ImageJ descriptions, after the harness's options byte
 *   ome/     OME-XML documents, after the options byte
 *   tiff/    (added to make_seeds' seeds) ImageJ hyperstacks, a raw
 *            one-directory ImageJ stack, OME-TIFFs
 *   png/     (added) palette PNGs with and without tRNS, interlaced,
 *            short palettes; 1/2/4-bit grey, interlaced
 *
 *   make_seeds_formats OUT      (fuzz/build.sh seeds runs it)
 */
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>

#include <jpeglib.h>

static char out[512];
static int count;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static const char *seed_path(const char *dir, const char *name)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s/%s/%s", out, dir, name);
    count++;
    return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* ------------------------------------------------------------------ */
/* JPEG                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    int w, h, comps, hs, vs, quality, progressive, restart, arith, rgb;
} jspec;

static void write_jpeg(const char *path, const jspec *s, size_t cut)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *mem = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &n);
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
    c.restart_in_rows = s->restart;
    c.arith_code = s->arith ? TRUE : FALSE;
    unsigned char *row = malloc((size_t)s->w * s->comps);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        for (int i = 0; i < s->w * s->comps; i++)
            row[i] = (unsigned char)((i * 7 + (int)c.next_scanline * 11) % 256 ^ rnd(16));
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    write_file(path, mem, n > cut ? n - cut : n);
    free(mem);
    free(row);
}

static void jpeg_seeds(void)
{
    static const jspec specs[] = {
        {"grey", 16, 12, 1, 1, 1, 80, 0, 0, 0, 0},
        {"ycc420", 24, 16, 3, 2, 2, 75, 0, 0, 0, 0},
        {"ycc422", 17, 9, 3, 2, 1, 75, 0, 0, 0, 0},
        {"ycc444", 8, 8, 3, 1, 1, 90, 0, 0, 0, 0},
        {"ycc440", 9, 17, 3, 1, 2, 70, 0, 0, 0, 0},
        {"ycc411", 33, 8, 3, 4, 1, 70, 0, 0, 0, 0},
        {"progressive", 24, 24, 3, 2, 2, 75, 1, 0, 0, 0},
        {"grey_progressive", 16, 16, 1, 1, 1, 75, 1, 0, 0, 0},
        {"restart", 32, 32, 3, 2, 2, 75, 0, 1, 0, 0},
        {"arith", 16, 16, 3, 2, 2, 75, 0, 0, 1, 0},
        {"arith_progressive", 16, 16, 3, 1, 1, 75, 1, 0, 1, 0},
        {"rgb", 12, 10, 3, 1, 1, 90, 0, 0, 0, 1},
        {"one", 1, 1, 3, 2, 2, 90, 0, 0, 0, 0},
        {"cmyk", 8, 8, 4, 1, 1, 90, 0, 0, 0, 0},
    };
    char name[64];
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        snprintf(name, sizeof name, "%s.jpg", specs[i].name);
        write_jpeg(seed_path("jpeg", name), &specs[i], 0);
    }
    write_jpeg(seed_path("jpeg", "cut.jpg"), &specs[1], 40);
    write_jpeg(seed_path("jpeg", "no_eoi.jpg"), &specs[6], 2);
}

/* ------------------------------------------------------------------ */
/* ImageJ and OME-XML descriptions                                     */
/* ------------------------------------------------------------------ */

static void text_seed(const char *dir, const char *name, unsigned char options, const char *text)
{
    size_t n = strlen(text);
    unsigned char *b = malloc(n + 1);
    b[0] = options;
    memcpy(b + 1, text, n);
    write_file(seed_path(dir, name), b, n + 1);
    free(b);
}

static const char *const imagej_texts[] = {
    "ImageJ=1.53t\nimages=6\nchannels=2\nframes=3\nhyperstack=true\nmode=composite\n",
    "ImageJ=1.53t\nimages=24\nchannels=2\nslices=3\nframes=4\nhyperstack=true\n",
    "ImageJ=1.4\r\nimages=5\r\nslices=5\r\nunit=micron\r\nspacing=0.5\r\n",
    "ImageJ=1.53t\nimages=4\nframes=4\nfinterval=0.1\nloop=false\nmin=0.0\nmax=255.0\n",
    "ImageJ=1.53t\nimages=3\nchannels=3\nmode=color\n",
    "ImageJ=\nimages=7\nchannels=3\n",
};

#define OME_NS "xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\""

static const char *const ome_texts[] = {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><OME " OME_NS " UUID=\"urn:uuid:a\"><Image "
    "ID=\"Image:0\"><Pixels ID=\"Pixels:0\" DimensionOrder=\"XYZCT\" Type=\"uint16\" SizeX=\"4\" "
    "SizeY=\"4\" SizeZ=\"2\" SizeC=\"2\" SizeT=\"2\"><Channel ID=\"Channel:0:0\" "
    "SamplesPerPixel=\"1\"/><Channel ID=\"Channel:0:1\" SamplesPerPixel=\"1\"/><TiffData "
    "IFD=\"0\" PlaneCount=\"8\"/></Pixels></Image></OME>",
    "<OME " OME_NS "><Image><Pixels DimensionOrder=\"XYCZT\" SizeX=\"2\" SizeY=\"2\" SizeZ=\"3\" "
    "SizeC=\"2\" SizeT=\"1\"><TiffData FirstZ=\"1\" FirstC=\"1\" IFD=\"3\" "
    "PlaneCount=\"2\"/><TiffData FirstZ=\"0\" IFD=\"0\" PlaneCount=\"3\"/></Pixels></Image></OME>",
    "<ome:OME xmlns:ome=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\" "
    "UUID=\"urn:uuid:1\"><ome:Image><ome:Pixels DimensionOrder=\"XYTZC\" SizeX=\"1\" SizeY=\"1\" "
    "SizeZ=\"1\" SizeC=\"3\" SizeT=\"2\"><ome:TiffData FirstC=\"1\"><ome:UUID "
    "FileName=\"b.ome.tif\">urn:uuid:2</ome:UUID></ome:TiffData><ome:TiffData><ome:UUID>"
    "urn:uuid:1</ome:UUID></ome:TiffData></ome:Pixels></ome:Image></ome:OME>",
    "<OME " OME_NS "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"4\" SizeY=\"4\" SizeZ=\"1\" "
    "SizeC=\"3\" SizeT=\"1\"><Channel SamplesPerPixel=\"3\"/></Pixels></Image><Image><Pixels "
    "DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"1\" SizeC=\"1\" "
    "SizeT=\"1\"/></Image></OME>",
    "<OME " OME_NS "><BinaryOnly MetadataFile=\"set.companion.ome\" UUID=\"urn:uuid:3\"/></OME>",
    "<?xml version=\"1.0\"?><!DOCTYPE OME [<!ENTITY e \"XYZCT\">]><OME><Image><Pixels "
    "DimensionOrder=\"&e;\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"2\" SizeC=\"1\" "
    "SizeT=\"1\"/></Image></OME>",
};

static void description_seeds(void)
{
    char name[64];
    for (size_t i = 0; i < sizeof imagej_texts / sizeof *imagej_texts; i++)
        for (unsigned opt = 0; opt < 16; opt += 5) {
            snprintf(name, sizeof name, "ij%zu_%u", i, opt);
            text_seed("imagej", name, (unsigned char)opt, imagej_texts[i]);
        }
    for (size_t i = 0; i < sizeof ome_texts / sizeof *ome_texts; i++)
        for (unsigned opt = 0; opt < 16; opt += 5) {
            snprintf(name, sizeof name, "ome%zu_%u", i, opt);
            text_seed("ome", name, (unsigned char)opt, ome_texts[i]);
        }
}

/* ------------------------------------------------------------------ */
/* Stacks with metadata                                                */
/* ------------------------------------------------------------------ */

static void write_stack(const char *path, const char *desc, int pages, int w, int h,
                        const char *mode)
{
    TIFF *tif = TIFFOpen(path, mode);
    if (!tif)
        exit(1);
    uint8_t *px = malloc((size_t)w * h);
    for (int k = 0; k < pages; k++) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, h);
        if (k == 0)
            TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, desc);
        for (int i = 0; i < w * h; i++)
            px[i] = (uint8_t)(k * 16 + i);
        for (int y = 0; y < h; y++)
            TIFFWriteScanline(tif, px + y * w, (uint32_t)y, 0);
        TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
    free(px);
}

/* ImageJ's layout over 4 GiB: one IFD, then the pages' bytes back to back. */
static void write_raw_stack(const char *path, const char *desc, int pages, int w, int h)
{
    size_t dlen = strlen(desc) + 1, ifd = 8, after = ifd + 2 + 10 * 12 + 4, data = after + dlen;
    size_t page = (size_t)w * h, total = data + page * (size_t)pages;
    unsigned char *f = calloc(1, total);
    memcpy(f, "II*\0", 4);
    f[4] = (unsigned char)ifd;
    f[ifd] = 10;
    static const uint16_t tags[10] = {256, 257, 258, 259, 262, 270, 273, 277, 278, 279};
    uint32_t vals[10] = {(uint32_t)w,     (uint32_t)h,    8, 1,           1,
                         (uint32_t)after, (uint32_t)data, 1, (uint32_t)h, (uint32_t)page};
    for (int i = 0; i < 10; i++) {
        unsigned char *e = f + ifd + 2 + 12 * i;
        int ascii = tags[i] == 270, lng = tags[i] == 273 || tags[i] == 279;
        e[0] = (unsigned char)tags[i];
        e[1] = (unsigned char)(tags[i] >> 8);
        e[2] = ascii ? 2 : lng ? 4 : 3;
        uint32_t cnt = ascii ? (uint32_t)dlen : 1;
        memcpy(e + 4, &cnt, 4);
        memcpy(e + 8, &vals[i], 4);
    }
    memcpy(f + after, desc, dlen);
    for (size_t i = 0; i < page * (size_t)pages; i++)
        f[data + i] = (unsigned char)i;
    write_file(path, f, total);
    free(f);
}

static void tiff_seeds(void)
{
    write_stack(seed_path("tiff", "imagej_tcyx.tif"), imagej_texts[0], 6, 8, 6, "w");
    write_stack(seed_path("tiff", "imagej_tzcyx.tif"), imagej_texts[1], 24, 4, 3, "wb");
    write_stack(seed_path("tiff", "imagej_zyx.tif"), imagej_texts[2], 5, 6, 5, "w");
    write_stack(seed_path("tiff", "imagej_tyx.tif"), imagej_texts[3], 4, 6, 5, "w");
    write_raw_stack(seed_path("tiff", "imagej_raw.tif"), imagej_texts[0], 6, 8, 6);
    write_raw_stack(seed_path("tiff", "imagej_raw_z.tif"), imagej_texts[2], 5, 6, 4);
    write_stack(seed_path("tiff", "ome_xyzct.ome.tif"), ome_texts[0], 8, 4, 4, "w");
    write_stack(seed_path("tiff", "ome_tiffdata.ome.tif"), ome_texts[1], 6, 2, 2, "wb");
}

/* ------------------------------------------------------------------ */
/* PNG                                                                 */
/* ------------------------------------------------------------------ */

static void write_png(const char *path, int w, int h, int depth, int ctype, int interlace, int npal,
                      int ntrans)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!f || setjmp(png_jmpbuf(png)))
        exit(1);
    png_init_io(png, f);
    png_set_check_for_invalid_index(png, 0);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_color pal[256];
    png_byte trans[256];
    for (int i = 0; i < 256; i++) {
        pal[i] = (png_color){(png_byte)rnd(256), (png_byte)rnd(256), (png_byte)rnd(256)};
        trans[i] = (png_byte)rnd(256);
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_PLTE(png, info, pal, npal);
    png_color_16 tc = {.gray = 1};
    if (ntrans)
        png_set_tRNS(png, info, trans, ctype == PNG_COLOR_TYPE_PALETTE ? ntrans : 0, &tc);
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    size_t rowbytes = png_get_rowbytes(png, info);
    unsigned char *rows = malloc(rowbytes * (size_t)h);
    for (size_t i = 0; i < rowbytes * (size_t)h; i++)
        rows[i] = (unsigned char)rnd(256);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++)
            png_write_row(png, rows + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(rows);
}

static void png_seeds(void)
{
    static const struct {
        const char *name;
        int w, h, depth, ctype, interlace, npal, ntrans;
    } s[] = {
        {"pal1.png", 17, 5, 1, PNG_COLOR_TYPE_PALETTE, 0, 2, 0},
        {"pal2_trns.png", 9, 7, 2, PNG_COLOR_TYPE_PALETTE, 0, 3, 2},
        {"pal4_interlaced.png", 13, 11, 4, PNG_COLOR_TYPE_PALETTE, 1, 16, 0},
        {"pal8_trns.png", 12, 9, 8, PNG_COLOR_TYPE_PALETTE, 0, 200, 50},
        {"pal8_short.png", 12, 9, 8, PNG_COLOR_TYPE_PALETTE, 0, 5, 0},
        {"pal8_trns_interlaced.png", 11, 13, 8, PNG_COLOR_TYPE_PALETTE, 1, 256, 256},
        {"grey1_interlaced.png", 19, 9, 1, PNG_COLOR_TYPE_GRAY, 1, 0, 0},
        {"grey2_trns.png", 10, 6, 2, PNG_COLOR_TYPE_GRAY, 0, 0, 1},
        {"grey4_interlaced.png", 9, 9, 4, PNG_COLOR_TYPE_GRAY, 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        write_png(seed_path("png", s[i].name), s[i].w, s[i].h, s[i].depth, s[i].ctype,
                  s[i].interlace, s[i].npal, s[i].ntrans);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds_formats OUT\n");
        return 2;
    }
    snprintf(out, sizeof out, "%s", argv[1]);
    static const char *const dirs[] = {"", "/jpeg", "/imagej", "/ome", "/tiff", "/png"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char d[600];
        snprintf(d, sizeof d, "%s%s", out, dirs[i]);
        mkdir(d, 0755);
    }
    jpeg_seeds();
    description_seeds();
    tiff_seeds();
    png_seeds();
    printf("make_seeds_formats: %d seeds in %s\n", count, out);
    return 0;
}
