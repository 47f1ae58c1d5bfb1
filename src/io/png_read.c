/*
 * PNG decoding: one channel of a grey, grey+alpha, RGB or RGBA image,
 * 8 or 16 bits, interlaced or not, into the reader's buffer; palette
 * images (as RGB or RGBA) and 1/2/4-bit grey as PIL reads them.
 *
 * Two paths give the same pixels. The fast one, for the common
 * well-formed non-interlaced file, reads the whole file, inflates the
 * image data in one call to libdeflate (several times faster than zlib)
 * and undoes the row filters for the wanted channel's bytes only (the
 * filters work bytewise, so channels are independent): a quarter of the
 * work for RGBA. Anything unusual (interlacing, a bad CRC, truncation,
 * extra or missing data, very large images) goes to libpng, which
 * decides what the file means and words the errors.
 *
 * One known difference, kept on purpose: libdeflate decodes a few
 * deflate constructs zlib refuses (symbols 286-287 and distances 30-31,
 * 32 distance codes, a one-codeword code's unused codeword, distances
 * beyond the window the zlib header declares — found by fuzz/fuzz_png.c).
 * A file using them gets past the fast path only with every chunk CRC
 * and the Adler-32 of the inflated data correct, so its pixels are the
 * ones its writer meant; libpng alone would refuse it. Matching zlib
 * exactly would mean an inflate of our own (measured: 24% more
 * instructions per bulk_water frame) for files no encoder writes.
 *
 * libpng reports errors by longjmp; every decode has its own context
 * (error message, input state) reached through libpng's error and I/O
 * pointers, so concurrent decodes share nothing.
 */
#include "io/imageio.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PNGIO_IO_BUFFER = 1 << 16 };

/* Files, and decoded images, larger than this are streamed by libpng. */
#define PNGIO_FAST_MAX ((size_t)256 << 20)

static const unsigned char png_signature_bytes[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The PNG (zlib) CRC-32, bitwise: only the 17 bytes of an IHDR use it. */
static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static int depth_allowed(int color_type, int depth)
{
    switch (color_type) {
    case 0:
        return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3:
        return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2:
    case 4:
    case 6:
        return depth == 8 || depth == 16;
    }
    return 0;
}

/* Parsing IHDR ourselves lets a source open thousands of files cheaply. */
int locus_pngio_parse_header(const unsigned char *b, size_t n, pngio_header *h, const char *path,
                             locus_error *err)
{
    if (n < 33)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                  "truncated PNG (header ends early)");
    if (memcmp(b, png_signature_bytes, 8) != 0)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "not a PNG image");
    if (be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                  "corrupt PNG (no IHDR chunk first)");
    if (crc32_of(b + 12, 17) != be32(b + 29))
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt PNG (CRC error in IHDR)");
    h->width = be32(b + 16);
    h->height = be32(b + 20);
    h->bit_depth = b[24];
    h->color_type = b[25];
    h->interlace = b[28];
    if (h->width == 0 || h->height == 0)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt PNG (image is %lu x %lu)",
                                  (unsigned long)h->width, (unsigned long)h->height);
    if (h->width > 0x7fffffffu || h->height > 0x7fffffffu ||
        !depth_allowed(h->color_type, h->bit_depth) || b[26] != 0 || b[27] != 0 || h->interlace > 1)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt PNG (invalid IHDR)");
    return LOCUS_OK;
}

static int samples_of(int color_type)
{
    switch (color_type) {
    case 4:
        return 2;
    case 2:
        return 3;
    case 6:
        return 4;
    }
    return 1;
}

/*
 * Palette images are read as PIL converts them, RGB (RGBA with a tRNS
 * chunk), so they need a channel like any colour image; which of the two
 * shows only past the header, so opening allows channel 3 and reading a
 * palette without tRNS refuses it.
 */
int locus_pngio_check(const pngio_header *h, int channel, const char *path, int *pick,
                      locus_error *err)
{
    int palette = h->color_type == 3;
    int samples = palette ? (channel == 3 ? 4 : 3) : samples_of(h->color_type);
    size_t size = h->bit_depth == 16 ? 2 : 1;
    int st = locus_imageio_check_size(path, "", (uint64_t)h->width * h->height,
                                      (size_t)samples * size, err);
    if (st)
        return st;
    static const int layouts[7] = {IMAGEIO_GREY,       0, IMAGEIO_RGB, IMAGEIO_RGB,
                                   IMAGEIO_GREY_ALPHA, 0, IMAGEIO_RGBA};
    int chosen = 0;
    st = locus_imageio_pick_channel(channel, samples, layouts[h->color_type], path, "", &chosen,
                                    err);
    if (pick)
        *pick = chosen;
    return st;
}

static void pngio_describe(locus_image *img, const pngio_header *h, void *pixels)
{
    img->data = pixels;
    img->dtype = h->bit_depth <= 8 ? LOCUS_U8 : LOCUS_U16;
    img->ndim = 2;
    img->shape[0] = h->height;
    img->shape[1] = h->width;
    locus_image_set_contiguous(img);
}

/*
 * Deflate expands at most 1032-fold, so a file too small to hold the
 * image's compressed rows is cut short: say so before allocating for it.
 */
int locus_pngio_check_file_size(const pngio_header *h, uint64_t file_bytes, const char *path,
                                locus_error *err)
{
    if ((uint64_t)h->width * h->height > IMAGEIO_MAX_PIXELS)
        return LOCUS_OK; /* too large anyway: locus_pngio_check says so */
    uint64_t row = (uint64_t)h->width * (uint64_t)samples_of(h->color_type) * h->bit_depth / 8;
    uint64_t raw = (row + 1) * h->height;
    if (file_bytes < raw / 1032)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                  "truncated PNG (%llu bytes cannot hold a %lu x %lu image)",
                                  (unsigned long long)file_bytes, (unsigned long)h->width,
                                  (unsigned long)h->height);
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* Input and errors                                                    */
/* ------------------------------------------------------------------ */

/* One decode's state, reached from libpng's callbacks. */
typedef struct {
    int fd;
    unsigned char *buf;
    size_t cap, pos, len;
    int eof;        /* the file ended before libpng was done with it */
    int read_errno; /* read(2) failed */
    int in_rows;    /* past the header, decoding image data */
    int whole;      /* buf holds the whole file */
    char msg[256];  /* libpng's error message */
} pngio_input;

static int pngio_fill(pngio_input *in)
{
    for (;;) {
        ssize_t r = read(in->fd, in->buf, in->cap);
        if (r > 0) {
            in->pos = 0;
            in->len = (size_t)r;
            return 1;
        }
        if (r == 0) {
            in->eof = 1;
            return 0;
        }
        if (errno != EINTR) {
            in->read_errno = errno;
            return 0;
        }
    }
}

static void pngio_read_fn(png_structp png, png_bytep out, size_t n)
{
    pngio_input *in = png_get_io_ptr(png);
    while (n > 0) {
        if (in->pos == in->len && !pngio_fill(in))
            png_error(png, "file ends early");
        size_t k = in->len - in->pos < n ? in->len - in->pos : n;
        memcpy(out, in->buf + in->pos, k);
        in->pos += k;
        out += k;
        n -= k;
    }
}

static void pngio_on_error(png_structp png, png_const_charp msg)
{
    pngio_input *in = png_get_error_ptr(png);
    snprintf(in->msg, sizeof in->msg, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings (e.g. a known-incorrect sRGB profile) do not affect pixels. */
static void pngio_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Turn what stopped libpng into a locus error. */
static int pngio_failure(const pngio_input *in, const char *path, locus_error *err)
{
    if (in->read_errno)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "read error: %s",
                                  strerror(in->read_errno));
    if (in->eof)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "truncated PNG (%s ends early)",
                                  in->in_rows ? "image data" : "header");
    /* libpng says "IDAT: CRC error"; name the chunk the other way round. */
    const char *crc = strstr(in->msg, ": CRC error");
    if (crc && crc - in->msg == 4)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt PNG (CRC error in %.4s)",
                                  in->msg);
    if (!strcmp(in->msg, "Insufficient memory"))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "corrupt PNG (%s)", in->msg);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    png_structp png;
    png_infop info;
    pngio_input *in;
    const char *path;
    int channel;
    locus_reader *rd;
    locus_image *img;
    locus_error *err;
    int color_type;   /* the IHDR's, read before libpng starts */
    int indexed;      /* palette or 1/2/4-bit grey: a byte per pixel, through lut */
    uint8_t lut[256]; /* that byte → the sample */
} pngio_job;

/* Ancillary chunks that cannot change the samples: skip, do not parse. */
static const png_byte ignored_chunks[] = "bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0"
                                         "pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sRGB\0tEXt\0tIME\0"
                                         "tRNS\0zTXt";

static int host_is_little_endian(void)
{
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

static void map_bytes(uint8_t *out, const uint8_t *in, size_t n, const uint8_t *lut)
{
    for (size_t i = 0; i < n; i++)
        out[i] = lut[in[i]];
}

/* Non-interlaced: one row at a time, straight into place when grey. */
static void pngio_rows(pngio_job *j, int samples, int pick, size_t size)
{
    uint32_t w = png_get_image_width(j->png, j->info), h = png_get_image_height(j->png, j->info);
    unsigned char *out = j->rd->pixels;
    size_t outrow = (size_t)w * size;
    for (uint32_t y = 0; y < h; y++) {
        if (j->indexed) {
            png_read_row(j->png, j->rd->scratch, NULL);
            map_bytes(out + y * outrow, j->rd->scratch, w, j->lut);
        } else if (samples == 1) {
            png_read_row(j->png, out + y * outrow, NULL);
        } else {
            png_read_row(j->png, j->rd->scratch, NULL);
            locus_imageio_extract(out + y * outrow, j->rd->scratch, w, samples, pick, size);
        }
    }
}

/* Interlaced: libpng needs the whole image to combine the passes. */
static void pngio_image(pngio_job *j, int samples, int pick, size_t size, size_t rowbytes)
{
    uint32_t w = png_get_image_width(j->png, j->info), h = png_get_image_height(j->png, j->info);
    unsigned char *base = samples == 1 && !j->indexed ? j->rd->pixels : j->rd->scratch;
    png_bytep *rows = j->rd->rows;
    for (uint32_t y = 0; y < h; y++)
        rows[y] = base + y * rowbytes;
    png_read_image(j->png, rows);
    if (j->indexed)
        map_bytes(j->rd->pixels, base, (size_t)w * h, j->lut);
    else if (samples > 1)
        locus_imageio_extract(j->rd->pixels, base, (size_t)w * h, samples, pick, size);
}

static int pngio_reserve(pngio_job *j, const pngio_header *h, int samples, size_t size,
                         size_t rowbytes)
{
    locus_reader *rd = j->rd;
    size_t npx = size_mul(h->width, h->height);
    int st = locus_mem_reserve(&rd->pixels, &rd->pixels_cap, size_mul(npx, size));
    if (!st && (samples > 1 || j->indexed))
        st = locus_mem_reserve(&rd->scratch, &rd->scratch_cap,
                               h->interlace ? size_mul(rowbytes, h->height) : rowbytes);
    if (!st && h->interlace)
        st = locus_mem_reserve(&rd->rows, &rd->rows_cap, size_mul(h->height, sizeof(png_bytep)));
    if (st)
        return locus_imageio_fail(j->err, st, j->path, "", "out of memory");
    return LOCUS_OK;
}

/*
 * The samples PIL gives for the bytes png_set_packing leaves: for a
 * palette, channel `pick` of each entry of PLTE (with tRNS as alpha,
 * 255 where it has no entry), and for indices past PLTE the grey (i, i, i)
 * PIL's 256-entry palette starts from; for 1/2/4-bit grey the values
 * numpy.asarray(PIL.Image.open(f)) holds: 0/1 for 1 bit (a bool array),
 * 0/85/170/255 for 2 bits and 0..255 in steps of 17 for 4 bits (mode L).
 */
static int pngio_lut(pngio_job *j, const pngio_header *h, int pick)
{
    uint8_t *lut = j->lut;
    if (h->color_type != 3) {
        int scale = h->bit_depth == 1 ? 1 : h->bit_depth == 2 ? 85 : 17;
        for (int i = 0; i < 256; i++)
            lut[i] = (uint8_t)(i * scale);
        j->indexed = 1;
        return LOCUS_OK;
    }
    png_colorp pal = NULL;
    png_bytep trans = NULL;
    int npal = 0, ntrans = 0;
    png_get_PLTE(j->png, j->info, &pal, &npal);
    int alpha = png_get_tRNS(j->png, j->info, &trans, &ntrans, NULL) != 0 && trans;
    if (pick == 3 && !alpha)
        return locus_imageio_fail(j->err, LOCUS_E_CHANNEL, j->path, "",
                                  "channel 3 out of range (the image has 3 channels: a palette "
                                  "without transparency is RGB)");
    for (int i = 0; i < 256; i++) {
        uint8_t rgba[4] = {(uint8_t)i, (uint8_t)i, (uint8_t)i, 255};
        if (i < npal && pal) {
            rgba[0] = pal[i].red;
            rgba[1] = pal[i].green;
            rgba[2] = pal[i].blue;
        }
        if (alpha && i < ntrans)
            rgba[3] = trans[i];
        lut[i] = rgba[pick];
    }
    j->indexed = 1;
    return LOCUS_OK;
}

/* Everything that may longjmp; returns a status for locus's own checks. */
static int pngio_decode(pngio_job *j)
{
    png_structp png = j->png;
    png_set_read_fn(png, j->in, pngio_read_fn);
    /* locus applies its own size limit (locus_imageio_check_size). */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored_chunks,
                                (int)(sizeof ignored_chunks / 5));
    if (j->color_type == 3) /* a palette's transparency is its alpha channel */
        png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_AS_DEFAULT, (png_const_bytep) "tRNS", 1);
    png_read_info(png, j->info);
    pngio_header h;
    png_uint_32 w, ht;
    png_get_IHDR(png, j->info, &w, &ht, &h.bit_depth, &h.color_type, &h.interlace, NULL, NULL);
    h.width = w;
    h.height = ht;
    int pick = 0;
    int st = locus_pngio_check(&h, j->channel, j->path, &pick, j->err);
    int indexed = h.color_type == 3 || h.bit_depth < 8;
    if (!st && indexed)
        st = pngio_lut(j, &h, pick);
    if (st)
        return st;
    if (indexed)
        png_set_packing(png); /* one byte per pixel, the index or grey level */
    if (h.bit_depth == 16 && host_is_little_endian())
        png_set_swap(png); /* PNG is big-endian; deliver host order */
    if (h.interlace)
        png_set_interlace_handling(png);
    png_read_update_info(png, j->info);
    int samples = indexed ? 1 : samples_of(h.color_type);
    size_t size = indexed ? 1 : (size_t)h.bit_depth / 8;
    size_t rowbytes = png_get_rowbytes(png, j->info);
    if (rowbytes != (size_t)w * (size_t)samples * size)
        return locus_imageio_fail(j->err, LOCUS_E_FORMAT, j->path, "", "corrupt PNG (row size)");
    st = pngio_reserve(j, &h, samples, size, rowbytes);
    if (st)
        return st;
    j->in->in_rows = 1;
    if (h.interlace)
        pngio_image(j, samples, pick, size, rowbytes);
    else
        pngio_rows(j, samples, pick, size);
    pngio_describe(j->img, &h, j->rd->pixels);
    return LOCUS_OK;
}

static int pngio_run(pngio_job *j)
{
    if (setjmp(png_jmpbuf(j->png)))
        return pngio_failure(j->in, j->path, j->err);
    return pngio_decode(j);
}

static int pngio_decode_fd(pngio_input *in, const char *path, int channel, int color_type,
                           locus_reader *rd, locus_image *img, locus_error *err)
{
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, in, pngio_on_error, pngio_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    }
    pngio_job job = {png, info, in, path, channel, rd, img, err, color_type, 0, {0}};
    int st = pngio_run(&job);
    png_destroy_read_struct(&png, &info, NULL);
    return st;
}

/* ------------------------------------------------------------------ */
/* The fast path                                                       */
/* ------------------------------------------------------------------ */

static int chunk_name_ok(const unsigned char *t)
{
    for (int i = 0; i < 4; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z')))
            return 0;
    return 1;
}

/*
 * Move the IDAT payloads of a whole PNG in memory to its start, checking
 * their CRCs: 0 and their total length, or -1 for anything libpng
 * should judge (any critical chunk but the first IHDR and the IDATs, an
 * odd chunk name, a bad CRC, a chunk cut short). The header is
 * overwritten.
 */
static int gather_idat(unsigned char *file, size_t n, size_t *total)
{
    size_t pos = 8 + 25, out = 0; /* IHDR, already checked */
    int in_idat = 0;
    while (pos <= n && n - pos >= 12) {
        uint32_t len = be32(file + pos);
        const unsigned char *type = file + pos + 4;
        if (len > 0x7fffffffu || len > n - pos - 12 || !chunk_name_ok(type))
            return -1;
        int idat = memcmp(type, "IDAT", 4) == 0;
        if (!idat && in_idat)
            break; /* the image data is complete */
        if (!idat && !(type[0] & 0x20))
            return -1; /* PLTE, IEND before IDAT, an unknown critical chunk */
        if (idat) {
            if (libdeflate_crc32(0, type, 4 + (size_t)len) != be32(file + pos + 8 + len))
                return -1;
            memmove(file + out, file + pos + 8, len);
            out += len;
            in_idat = 1;
        }
        pos += 12 + (size_t)len;
    }
    *total = out;
    return in_idat ? 0 : -1;
}

#if !defined(__SSE2__)
/*
 * The Paeth predictor, arranged for its serial chain: each byte's
 * prediction needs the byte before it, so the parts that do not (the
 * byte above and above-left) are computed off the chain.
 */
static unsigned paeth(int a, int b, int c)
{
    int db = b - c, da = a - c;
    int pa = abs(db), pb = abs(da), pc = abs(da + db);
    int r = pb <= pc ? b : c;
    return (unsigned)(pa <= pb && pa <= pc ? a : r);
}

/*
 * Undo filter f for one byte lane: d[x * bpp] for every pixel x of a row
 * (above: the same lane of the previous row, already undone; NULL for
 * the first row, whose "above" is all zeros).
 */
static void unfilter_lane(unsigned char *d, const unsigned char *above, size_t w, size_t bpp, int f)
{
    if (f == 1 || (f == 4 && !above)) { /* Sub; Paeth with nothing above is Sub */
        for (size_t x = 1; x < w; x++)
            d[x * bpp] = (unsigned char)(d[x * bpp] + d[(x - 1) * bpp]);
    } else if (f == 2 && above) { /* Up */
        for (size_t x = 0; x < w; x++)
            d[x * bpp] = (unsigned char)(d[x * bpp] + above[x * bpp]);
    } else if (f == 3) { /* Average */
        d[0] = (unsigned char)(d[0] + (above ? above[0] : 0) / 2);
        for (size_t x = 1; x < w; x++)
            d[x * bpp] =
                (unsigned char)(d[x * bpp] + (d[(x - 1) * bpp] + (above ? above[x * bpp] : 0)) / 2);
    } else if (f == 4) { /* Paeth */
        d[0] = (unsigned char)(d[0] + above[0]);
        for (size_t x = 1; x < w; x++)
            d[x * bpp] = (unsigned char)(d[x * bpp] + paeth(d[(x - 1) * bpp], above[x * bpp],
                                                            above[(x - 1) * bpp]));
    }
}

/* One channel of one unfiltered row into out, 16-bit samples to host order. */
static void take_channel(void *out, const unsigned char *d, size_t w, size_t bpp, size_t size)
{
    if (size == 1) {
        uint8_t *o = out;
        for (size_t x = 0; x < w; x++)
            o[x] = d[x * bpp];
        return;
    }
    uint16_t *o = out;
    for (size_t x = 0; x < w; x++)
        o[x] = (uint16_t)(d[x * bpp] << 8 | d[x * bpp + 1]);
}

#endif

#if defined(__SSE2__)
/*
 * The row filters as a wavefront: each byte needs the one to its left
 * and the two above, so row r + 1 can run one pixel behind row r. WAVE
 * rows are unfiltered together, one 16-bit lane each, row r at pixel
 * t - r in step t: a step is a few vector operations for WAVE bytes
 * where the row-by-row loop spent a serial chain of about ten
 * operations (and a mispredicted branch in Paeth) on every byte.
 * Measured on bulk_water (640x424 RGBA, every row Paeth), decode only
 * (bench_frames, alternating with the build before): 400-420 -> 750-840
 * frames/s, 2.4 -> 1.3 ms/frame, of which libdeflate's inflate is now
 * about 0.75 ms. Integer arithmetic: the bytes are the same.
 *
 * The bytes enter skewed — S[(x + r) * WAVE + r] holds row r's byte x —
 * so each step loads one contiguous run, and leave the same way. SSE2
 * only (every x86-64 has it), so no run-time check is needed.
 */
#include <emmintrin.h>

enum { WAVE = 16 }; /* rows per wavefront: two vectors of eight lanes */

static inline __m128i wave_select(__m128i m, __m128i x, __m128i y)
{
    return _mm_or_si128(_mm_and_si128(m, x), _mm_andnot_si128(m, y));
}

static inline __m128i wave_abs(__m128i v)
{
    return _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v));
}

/* Per lane: which filter its row uses (all ones in that mask, else 0). */
typedef struct {
    __m128i sub, up, avg, paeth;
} wave_masks;

/* The predictor of every lane from left a, above b, above-left c. */
static inline __m128i wave_predict(__m128i a, __m128i b, __m128i c, const wave_masks *f)
{
    __m128i db = _mm_sub_epi16(b, c), da = _mm_sub_epi16(a, c);
    __m128i pa = wave_abs(db), pb = wave_abs(da), pc = wave_abs(_mm_add_epi16(da, db));
    __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
    __m128i paeth = wave_select(not_a, wave_select(_mm_cmpgt_epi16(pb, pc), c, b), a);
    __m128i avg = _mm_srli_epi16(_mm_add_epi16(a, b), 1);
    return _mm_or_si128(_mm_or_si128(_mm_and_si128(f->sub, a), _mm_and_si128(f->up, b)),
                        _mm_or_si128(_mm_and_si128(f->avg, avg), _mm_and_si128(f->paeth, paeth)));
}

static void wave_masks_of(const unsigned char *raw, size_t stride, size_t rows, wave_masks m[2])
{
    int16_t sub[WAVE] = {0}, up[WAVE] = {0}, avg[WAVE] = {0}, paeth[WAVE] = {0};
    for (size_t r = 0; r < rows; r++) {
        int f = raw[r * stride];
        sub[r] = (int16_t) - (f == 1);
        up[r] = (int16_t) - (f == 2);
        avg[r] = (int16_t) - (f == 3);
        paeth[r] = (int16_t) - (f == 4);
    }
    for (int h = 0; h < 2; h++) {
        m[h].sub = _mm_loadu_si128((const __m128i *)(sub + 8 * h));
        m[h].up = _mm_loadu_si128((const __m128i *)(up + 8 * h));
        m[h].avg = _mm_loadu_si128((const __m128i *)(avg + 8 * h));
        m[h].paeth = _mm_loadu_si128((const __m128i *)(paeth + 8 * h));
    }
}

/* The steps of one wavefront over S (in place); U[1 + x] is the row
 * above the first (U[0] and past the end: zeros). */
static void wave_run(uint16_t *S, size_t steps, const uint16_t *U, const wave_masks m[2])
{
    const __m128i low = _mm_set1_epi16(0xff);
    __m128i a0 = _mm_setzero_si128(), a1 = a0, b0 = a0, b1 = a0;
    for (size_t t = 0; t < steps; t++) {
        __m128i c0 = b0, c1 = b1; /* above-left: the last step's above */
        b0 = _mm_insert_epi16(_mm_slli_si128(a0, 2), U[1 + t], 0);
        b1 = _mm_or_si128(_mm_slli_si128(a1, 2), _mm_srli_si128(a0, 14));
        __m128i *s = (__m128i *)(S + t * WAVE);
        a0 = _mm_and_si128(_mm_add_epi16(_mm_loadu_si128(s), wave_predict(a0, b0, c0, &m[0])), low);
        a1 = _mm_and_si128(_mm_add_epi16(_mm_loadu_si128(s + 1), wave_predict(a1, b1, c1, &m[1])),
                           low);
        _mm_storeu_si128(s, a0);
        _mm_storeu_si128(s + 1, a1);
    }
}

/* Transpose eight rows of eight 16-bit values in place (SSE2). */
static inline void wave_transpose8(__m128i v[8])
{
    __m128i a[8], b[8];
    for (int i = 0; i < 4; i++) {
        a[i] = _mm_unpacklo_epi16(v[2 * i], v[2 * i + 1]);
        a[4 + i] = _mm_unpackhi_epi16(v[2 * i], v[2 * i + 1]);
    }
    /* a[0..3]: columns 0-3 of row pairs (0,1) (2,3) (4,5) (6,7); a[4..7]: columns 4-7 */
    for (int h = 0; h < 2; h++) {
        b[4 * h + 0] = _mm_unpacklo_epi32(a[4 * h + 0], a[4 * h + 1]);
        b[4 * h + 1] = _mm_unpackhi_epi32(a[4 * h + 0], a[4 * h + 1]);
        b[4 * h + 2] = _mm_unpacklo_epi32(a[4 * h + 2], a[4 * h + 3]);
        b[4 * h + 3] = _mm_unpackhi_epi32(a[4 * h + 2], a[4 * h + 3]);
    }
    for (int h = 0; h < 2; h++) {
        v[4 * h + 0] = _mm_unpacklo_epi64(b[4 * h + 0], b[4 * h + 2]);
        v[4 * h + 1] = _mm_unpackhi_epi64(b[4 * h + 0], b[4 * h + 2]);
        v[4 * h + 2] = _mm_unpacklo_epi64(b[4 * h + 1], b[4 * h + 3]);
        v[4 * h + 3] = _mm_unpackhi_epi64(b[4 * h + 1], b[4 * h + 3]);
    }
}

/* S[t * WAVE + r] = L[r * len + t] (to_s), or the reverse, for t < len
 * (a multiple of 8) and the WAVE rows. */
static void wave_transpose(uint16_t *S, uint16_t *L, size_t len, int to_s)
{
    for (size_t t0 = 0; t0 < len; t0 += 8)
        for (size_t h = 0; h < WAVE; h += 8) {
            __m128i v[8];
            for (size_t i = 0; i < 8; i++)
                v[i] = to_s ? _mm_loadu_si128((const __m128i *)(L + (h + i) * len + t0))
                            : _mm_loadu_si128((const __m128i *)(S + (t0 + i) * WAVE + h));
            wave_transpose8(v);
            for (size_t i = 0; i < 8; i++) {
                if (to_s)
                    _mm_storeu_si128((__m128i *)(S + (t0 + i) * WAVE + h), v[i]);
                else
                    _mm_storeu_si128((__m128i *)(L + (h + i) * len + t0), v[i]);
            }
        }
}

/* line[x] = d[x * BPP] for x < w; BPP a constant in each caller so that
 * the strided loads vectorise. */
static inline void wave_gather(uint16_t *restrict line, const unsigned char *restrict d, size_t w,
                               size_t bpp)
{
    for (size_t x = 0; x < w; x++)
        line[x] = d[x * bpp];
}

static void wave_gather_any(uint16_t *line, const unsigned char *d, size_t w, size_t bpp)
{
    switch (bpp) {
    case 1:
        wave_gather(line, d, w, 1);
        break;
    case 2:
        wave_gather(line, d, w, 2);
        break;
    case 3:
        wave_gather(line, d, w, 3);
        break;
    case 4:
        wave_gather(line, d, w, 4);
        break;
    case 6:
        wave_gather(line, d, w, 6);
        break;
    case 8:
        wave_gather(line, d, w, 8);
        break;
    default:
        wave_gather(line, d, w, bpp);
        break;
    }
}

/* o[x * OSTEP] = line[x] for x < w (OSTEP 1 or 2, as for wave_gather). */
static inline void wave_scatter(unsigned char *restrict o, const uint16_t *restrict line, size_t w,
                                size_t ostep)
{
    for (size_t x = 0; x < w; x++)
        o[x * ostep] = (unsigned char)line[x];
}

/* Lines per wavefront: len values each, a multiple of 8 covering the steps. */
static size_t wave_len(size_t w)
{
    return (w + WAVE - 1 + 7) / 8 * 8;
}

/*
 * Byte lane `lane` of every row (stride bytes, filter byte first, pixels
 * bpp bytes apart) unfiltered into out[y * ostride + x * ostep].
 * scratch: unfilter_scratch(w) bytes.
 *
 * The bytes enter and leave the skewed layout through 8x8 transposes of
 * lines: row r of a wavefront is gathered into line r shifted right by r
 * (zeros before and after), and S is the transpose of the lines. The
 * scalar scatter and gather this replaces wrote and read S one value at
 * a time, two thirds of the fast path's own time (perf annotate).
 * Measured on bulk_water, decode only (bench_frames, five runs
 * alternating): 560-640 -> 690-740 frames/s; libdeflate's inflate is now
 * 72% of decoding, locus's own code 18%.
 */
static void unfilter_waves(const unsigned char *raw, size_t h, size_t w, size_t stride, size_t bpp,
                           size_t lane, unsigned char *out, size_t ostride, size_t ostep,
                           uint16_t *scratch)
{
    size_t len = wave_len(w), steps = w + WAVE - 1;
    uint16_t *S = scratch, *L = S + len * WAVE, *U = L + len * WAVE;
    memset(U, 0, (w + WAVE + 1) * sizeof *U);
    for (size_t y0 = 0; y0 < h; y0 += WAVE) {
        size_t rows = h - y0 < WAVE ? h - y0 : WAVE;
        const unsigned char *src = raw + y0 * stride;
        wave_masks m[2];
        wave_masks_of(src, stride, rows, m);
        for (size_t r = 0; r < WAVE; r++) {
            uint16_t *line = L + r * len;
            /* row r at t = r .. r + w - 1; zeros elsewhere (a row past
             * the image's end is all zeros) */
            memset(line, 0, r * sizeof *line);
            if (r < rows)
                wave_gather_any(line + r, src + r * stride + 1 + lane, w, bpp);
            else
                memset(line + r, 0, w * sizeof *line);
            memset(line + r + w, 0, (len - r - w) * sizeof *line);
        }
        wave_transpose(S, L, len, 1);
        wave_run(S, steps, U, m);
        wave_transpose(S, L, len, 0);
        for (size_t r = 0; r < rows; r++) {
            const uint16_t *line = L + r * len + r;
            unsigned char *o = out + (y0 + r) * ostride;
            if (ostep == 1)
                wave_scatter(o, line, w, 1);
            else if (ostep == 2)
                wave_scatter(o, line, w, 2);
            else
                wave_scatter(o, line, w, ostep);
        }
        memcpy(U + 1, L + (rows - 1) * len + rows - 1, w * sizeof *U);
    }
}

static size_t unfilter_scratch(size_t w)
{
    return (2 * wave_len(w) * WAVE + w + WAVE + 1) * sizeof(uint16_t);
}

/* Unfilter the bytes of sample `pick` of every row straight into pixels. */
static int unfilter_image(unsigned char *raw, const pngio_header *h, int samples, int pick,
                          void *pixels, void *scratch)
{
    size_t size = (size_t)h->bit_depth / 8, bpp = (size_t)samples * size;
    size_t w = h->width, stride = w * bpp + 1, lane = (size_t)pick * size;
    for (size_t y = 0; y < h->height; y++)
        if (raw[y * stride] > 4)
            return -1;
    for (size_t k = 0; k < size; k++) {
        /* 16-bit samples are big-endian in the file, host order out */
        size_t at = size == 1 ? 0 : host_is_little_endian() ? 1 - k : k;
        unfilter_waves(raw, h->height, w, stride, bpp, lane + k, (unsigned char *)pixels + at,
                       w * size, size, scratch);
    }
    return 0;
}
#else
static size_t unfilter_scratch(size_t w)
{
    (void)w;
    return 0;
}

/* Unfilter the bytes of sample `pick` of every row and extract them. */
static int unfilter_image(unsigned char *raw, const pngio_header *h, int samples, int pick,
                          void *pixels, void *scratch)
{
    size_t size = (size_t)h->bit_depth / 8, bpp = (size_t)samples * size;
    size_t w = h->width, stride = w * bpp + 1, lane = (size_t)pick * size;
    (void)scratch;
    for (size_t y = 0; y < h->height; y++) {
        unsigned char *row = raw + y * stride;
        if (row[0] > 4)
            return -1;
        const unsigned char *above = y ? row - stride + 1 + lane : NULL;
        for (size_t k = 0; k < size; k++)
            unfilter_lane(row + 1 + lane + k, above ? above + k : NULL, w, bpp, row[0]);
        take_channel((unsigned char *)pixels + y * w * size, row + 1 + lane, w, bpp, size);
    }
    return 0;
}
#endif

/* Decode a well-formed non-interlaced PNG held whole in buf: 0, or -1. */
static int pngio_fast(unsigned char *buf, size_t n, const pngio_header *h, int pick,
                      locus_reader *rd)
{
    int samples = samples_of(h->color_type);
    size_t size = (size_t)h->bit_depth / 8;
    size_t raw = size_mul(size_mul(h->width, (size_t)samples * size) + 1, h->height), idat;
    if (raw > PNGIO_FAST_MAX || gather_idat(buf, n, &idat))
        return -1;
    if (!rd->inflater && !(rd->inflater = libdeflate_alloc_decompressor()))
        return -1;
    /* the unfilter's scratch follows the inflated bytes */
    size_t at = (raw + 15) & ~(size_t)15;
    if (locus_mem_reserve(&rd->scratch, &rd->scratch_cap, at + unfilter_scratch(h->width)) ||
        locus_mem_reserve(&rd->pixels, &rd->pixels_cap,
                          size_mul((size_t)h->width * h->height, size)))
        return -1;
    size_t used;
    if (libdeflate_zlib_decompress_ex(rd->inflater, buf, idat, rd->scratch, raw, &used, NULL) !=
        LIBDEFLATE_SUCCESS)
        return -1;
    return unfilter_image(rd->scratch, h, samples, pick, rd->pixels,
                          (unsigned char *)rd->scratch + at);
}

/* ------------------------------------------------------------------ */
/* Reading a file                                                      */
/* ------------------------------------------------------------------ */

/* The whole file when it is not huge (for the fast path), else a start. */
static int pngio_load(pngio_input *in, locus_reader *rd, off_t bytes, const char *path,
                      locus_error *err)
{
    size_t want = bytes > 0 && (uint64_t)bytes <= PNGIO_FAST_MAX ? (size_t)bytes : 0;
    if (locus_mem_reserve(&rd->io, &rd->io_cap, want > PNGIO_IO_BUFFER ? want : PNGIO_IO_BUFFER))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    in->buf = rd->io;
    in->cap = rd->io_cap;
    in->pos = in->len = 0;
    while (in->len < in->cap) {
        ssize_t r = read(in->fd, in->buf + in->len, in->cap - in->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return locus_error_errno(err, path, errno, "read error");
        if (r == 0)
            break;
        in->len += (size_t)r;
    }
    if (in->len == 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "file is empty");
    in->whole = in->len < in->cap || (want && in->len == want);
    return LOCUS_OK;
}

/*
 * The header is checked before either decoder runs, so that reading a
 * frame reports what opening the source found (e.g. an image too large
 * to decode) rather than whatever a decoder trips over next.
 */
static int pngio_read_fd(pngio_input *in, const char *path, int channel, locus_reader *rd,
                         locus_image *img, locus_error *err)
{
    struct stat sb;
    if (fstat(in->fd, &sb) != 0)
        return locus_error_errno(err, path, errno, NULL);
    int st = pngio_load(in, rd, sb.st_size, path, err);
    pngio_header h;
    int pick = 0;
    if (!st)
        st = locus_pngio_parse_header(in->buf, in->len, &h, path, err);
    if (!st)
        st = locus_pngio_check(&h, channel, path, &pick, err);
    if (!st)
        st = locus_pngio_check_file_size(&h, (uint64_t)sb.st_size, path, err);
    if (st)
        return st;
    /* the fast path unfilters whole bytes: palette and 1/2/4-bit go to libpng */
    if (in->whole && !h.interlace && !rd->probe.png_no_fast && h.bit_depth >= 8 &&
        h.color_type != 3 && pngio_fast(in->buf, in->len, &h, pick, rd) == 0) {
        pngio_describe(img, &h, rd->pixels);
        rd->probe.png_fast++;
        return LOCUS_OK;
    }
    /* libpng, from the start (the fast path may have moved bytes) */
    if (lseek(in->fd, 0, SEEK_SET) != 0)
        return locus_error_errno(err, path, errno, NULL);
    in->pos = in->len = 0;
    return pngio_decode_fd(in, path, channel, h.color_type, rd, img, err);
}

int locus_pngio_read(const char *path, int channel, locus_reader *rd, locus_image *img,
                     locus_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return locus_error_errno(err, path, errno, NULL);
    pngio_input in = {.fd = fd};
    int st = pngio_read_fd(&in, path, channel, rd, img, err);
    close(fd);
    return st;
}

void locus_pngio_release(locus_reader *rd)
{
    if (rd->inflater)
        libdeflate_free_decompressor(rd->inflater);
    rd->inflater = NULL;
}
