/*
 * PNG writing with libpng: grey uint8/uint16 images (synthetic movies)
 * and 8-bit RGB (annotated frames). Errors name the path; a file that
 * could not be written completely is removed.
 */
#include "io/imageio.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One write's state, reached from libpng's callbacks: a file, or memory. */
typedef struct {
    FILE *f;
    locus_buffer *mem;
    int write_errno;
    char msg[256];
} pngio_output;

/* What to write: rows of pixels anywhere in memory. */
typedef struct {
    const unsigned char *base;
    ptrdiff_t row_stride, px_stride; /* bytes */
    size_t width, height, px_bytes;
    int color_type, bit_depth;
    unsigned char *row; /* a packed copy of one row, when strided */
} pngio_rows_src;

static void pngio_write_fn(png_structp png, png_bytep data, size_t n)
{
    pngio_output *o = png_get_io_ptr(png);
    if (o->mem ? locus_buffer_append(o->mem, (const char *)data, n) != LOCUS_OK
               : fwrite(data, 1, n, o->f) != n) {
        o->write_errno = o->mem ? ENOMEM : errno ? errno : EIO;
        png_error(png, "write error");
    }
}

static void pngio_flush_fn(png_structp png)
{
    (void)png;
}

static void pngio_on_error(png_structp png, png_const_charp msg)
{
    pngio_output *o = png_get_error_ptr(png);
    snprintf(o->msg, sizeof o->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void pngio_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static const unsigned char *row_at(const pngio_rows_src *s, size_t y)
{
    const unsigned char *p = s->base + (ptrdiff_t)y * s->row_stride;
    if (!s->row)
        return p;
    for (size_t x = 0; x < s->width; x++)
        memcpy(s->row + x * s->px_bytes, p + (ptrdiff_t)x * s->px_stride, s->px_bytes);
    return s->row;
}

/* Everything that may longjmp. */
static void pngio_emit(png_structp png, png_infop info, pngio_output *o, const pngio_rows_src *s)
{
    png_set_write_fn(png, o, pngio_write_fn, pngio_flush_fn);
    /* Fast settings: these files are written often and read rarely. */
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, (png_uint_32)s->width, (png_uint_32)s->height, s->bit_depth,
                 s->color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (s->bit_depth == 16 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
        png_set_swap(png); /* host order in memory, big-endian in the file */
    for (size_t y = 0; y < s->height; y++)
        png_write_row(png, row_at(s, y));
    png_write_end(png, NULL);
}

static int pngio_emit_guarded(png_structp png, png_infop info, pngio_output *o,
                              const pngio_rows_src *s)
{
    if (setjmp(png_jmpbuf(png)))
        return 1;
    pngio_emit(png, info, o, s);
    return 0;
}

static int pngio_write_error(const char *path, const pngio_output *o, locus_error *err)
{
    if (o->write_errno)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "cannot write: %s",
                                  strerror(o->write_errno));
    return locus_imageio_fail(err, LOCUS_E_IO, path, "", "cannot write PNG (%s)", o->msg);
}

static int pngio_write_file(const char *path, const pngio_rows_src *s, locus_error *err)
{
    pngio_output o = {0};
    o.f = fopen(path, "wb");
    if (!o.f)
        return locus_error_errno(err, path, errno, "cannot create");
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &o, pngio_on_error, pngio_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    int st = LOCUS_OK;
    if (!info)
        st = locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    else if (pngio_emit_guarded(png, info, &o, s))
        st = pngio_write_error(path, &o, err);
    png_destroy_write_struct(&png, &info);
    if (fclose(o.f) != 0 && !st)
        st = locus_error_errno(err, path, errno, "cannot write");
    if (st)
        unlink(path);
    return st;
}

static int pngio_write_rows(const char *path, pngio_rows_src *s, locus_error *err)
{
    if (s->width == 0 || s->height == 0 || s->width > 0x7fffffff || s->height > 0x7fffffff)
        return locus_imageio_fail(err, LOCUS_E_SHAPE, path, "", "cannot write a %zu x %zu PNG",
                                  s->height, s->width);
    int strided = s->px_stride != (ptrdiff_t)s->px_bytes;
    if (strided && !(s->row = malloc(size_mul(s->width, s->px_bytes))))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    int st = pngio_write_file(path, s, err);
    free(s->row);
    return st;
}

int locus_pngio_write(const char *path, const locus_image *img, locus_error *err)
{
    if (!img || !img->data || img->ndim != 2 || (img->dtype != LOCUS_U8 && img->dtype != LOCUS_U16))
        return locus_imageio_fail(err, LOCUS_E_PARAM, path, "",
                                  "PNG output needs a 2-D uint8 or uint16 image");
    size_t size = locus_dtype_size(img->dtype);
    pngio_rows_src s = {.base = img->data,
                        .row_stride = img->strides[0],
                        .px_stride = img->strides[1],
                        .width = img->shape[1],
                        .height = img->shape[0],
                        .px_bytes = size,
                        .color_type = PNG_COLOR_TYPE_GRAY,
                        .bit_depth = (int)size * 8};
    return pngio_write_rows(path, &s, err);
}

int locus_pngio_encode_rgb8(locus_buffer *out, const uint8_t *rgb, size_t height, size_t width,
                            locus_error *err)
{
    if (!rgb || width == 0 || height == 0 || width > 0x7fffffff || height > 0x7fffffff)
        return locus_error_set(err, LOCUS_E_PARAM, "cannot encode a %zu x %zu PNG", height, width);
    pngio_rows_src s = {.base = rgb,
                        .row_stride = (ptrdiff_t)size_mul(width, 3),
                        .px_stride = 3,
                        .width = width,
                        .height = height,
                        .px_bytes = 3,
                        .color_type = PNG_COLOR_TYPE_RGB,
                        .bit_depth = 8};
    pngio_output o = {.mem = out};
    out->len = 0;
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &o, pngio_on_error, pngio_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    int st = LOCUS_OK;
    if (!info || pngio_emit_guarded(png, info, &o, &s))
        st = locus_error_set(err, LOCUS_E_NOMEM, "out of memory encoding a PNG");
    png_destroy_write_struct(&png, &info);
    return st;
}

int locus_pngio_write_rgb8(const char *path, const uint8_t *rgb, size_t height, size_t width,
                           locus_error *err)
{
    if (!rgb)
        return locus_imageio_fail(err, LOCUS_E_PARAM, path, "", "no pixels to write");
    pngio_rows_src s = {.base = rgb,
                        .row_stride = (ptrdiff_t)size_mul(width, 3),
                        .px_stride = 3,
                        .width = width,
                        .height = height,
                        .px_bytes = 3,
                        .color_type = PNG_COLOR_TYPE_RGB,
                        .bit_depth = 8};
    return pngio_write_rows(path, &s, err);
}

int locus_image_write_png(const char *path, const locus_image *img, locus_error *err)
{
    return locus_pngio_write(path, img, err);
}
