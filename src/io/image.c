/* Pixel types, image views, and helpers shared by the PNG and TIFF decoders. */
#include "io/imageio.h"

#include <stdio.h>
#include <string.h>

const char *locus_dtype_name(locus_dtype t)
{
    switch (t) {
    case LOCUS_U8:
        return "uint8";
    case LOCUS_U16:
        return "uint16";
    case LOCUS_F32:
        return "float32";
    case LOCUS_F64:
        return "float64";
    case LOCUS_I8:
        return "int8";
    case LOCUS_I16:
        return "int16";
    case LOCUS_I32:
        return "int32";
    case LOCUS_U32:
        return "uint32";
    case LOCUS_BOOL:
        return "bool";
    }
    return NULL;
}

size_t locus_dtype_size(locus_dtype t)
{
    switch (t) {
    case LOCUS_U8:
    case LOCUS_I8:
    case LOCUS_BOOL:
        return 1;
    case LOCUS_U16:
    case LOCUS_I16:
        return 2;
    case LOCUS_F32:
    case LOCUS_I32:
    case LOCUS_U32:
        return 4;
    case LOCUS_F64:
        return 8;
    }
    return 0;
}

void locus_image_set_contiguous(locus_image *img)
{
    if (!img || img->ndim < 1 || img->ndim > 3)
        return;
    ptrdiff_t stride = (ptrdiff_t)locus_dtype_size(img->dtype);
    for (int i = img->ndim - 1; i >= 0; i--) {
        img->strides[i] = stride;
        stride *= (ptrdiff_t)img->shape[i];
    }
}

/*
 * Messages come partly from libpng and libtiff, which may end with a
 * newline or a period; a locus message is one line without either.
 */
static void one_line(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '.'))
        s[--n] = '\0';
}

int locus_imageio_fail(locus_error *err, int status, const char *path, const char *prefix,
                       const char *fmt, ...)
{
    if (!err)
        return status;
    char reason[LOCUS_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    one_line(reason);
    return locus_error_file(err, status, path, 0, "%s%s", prefix ? prefix : "", reason);
}

int locus_imageio_check_size(const char *path, const char *prefix, uint64_t pixels, size_t size,
                             locus_error *err)
{
    if (pixels == 0)
        return locus_imageio_fail(err, LOCUS_E_SHAPE, path, prefix,
                                  "image has no pixels (a size is 0)");
    if (pixels > IMAGEIO_MAX_PIXELS || pixels > IMAGEIO_MAX_BYTES / size)
        return locus_imageio_fail(err, LOCUS_E_SHAPE, path, prefix,
                                  "image of %llu pixels is too large (the limit is %llu pixels "
                                  "and %llu GiB)",
                                  (unsigned long long)pixels,
                                  (unsigned long long)IMAGEIO_MAX_PIXELS,
                                  (unsigned long long)(IMAGEIO_MAX_BYTES >> 30));
    return LOCUS_OK;
}

static const char *const channel_names[] = {"red", "green", "blue", "alpha"};

static int colour_needs_channel(int samples, const char *path, const char *prefix, locus_error *err)
{
    char list[128] = "";
    size_t n = 0;
    for (int i = 0; i < samples && i < 4; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%d = %s", i ? ", " : "", i,
                              channel_names[i]);
    locus_imageio_fail(err, LOCUS_E_CHANNEL, path, prefix,
                       "colour image (%s, %d channels); choose one with " LOCUS_ERROR_OTHER " (%s)",
                       samples == 4 ? "RGBA" : "RGB", samples, list);
    locus_error_name(err, NULL, "channel");
    return LOCUS_E_CHANNEL;
}

int locus_imageio_pick_channel(int channel, int samples, int layout, const char *path,
                               const char *prefix, int *pick, locus_error *err)
{
    if (channel >= samples) {
        locus_imageio_fail(err, LOCUS_E_CHANNEL, path, prefix,
                           "no " LOCUS_ERROR_OTHER " %d: the image has %d channel%s (0 to %d)",
                           channel, samples, samples == 1 ? "" : "s", samples - 1);
        locus_error_name(err, NULL, "channel");
        return LOCUS_E_CHANNEL;
    }
    if (channel >= 0) {
        *pick = channel;
        return LOCUS_OK;
    }
    switch (layout) {
    case IMAGEIO_GREY:
    case IMAGEIO_GREY_ALPHA:
        *pick = 0; /* the grey samples; alpha is not an intensity */
        return LOCUS_OK;
    case IMAGEIO_RGB:
    case IMAGEIO_RGBA:
        return colour_needs_channel(samples, path, prefix, err);
    default:
        locus_imageio_fail(err, LOCUS_E_CHANNEL, path, prefix,
                           "%d-channel image; choose one with " LOCUS_ERROR_OTHER " (0 to %d)",
                           samples, samples - 1);
        locus_error_name(err, NULL, "channel");
        return LOCUS_E_CHANNEL;
    }
}

/*
 * Channel extraction, specialised on the sample count and size so that
 * the compiler turns each loop into fixed-stride loads.
 */
#define EXTRACT_LOOP(T, N)                                                                         \
    do {                                                                                           \
        T *d_ = dst;                                                                               \
        const T *s_ = (const T *)src + c;                                                          \
        for (size_t i_ = 0; i_ < count; i_++)                                                      \
            d_[i_] = s_[i_ * (N)];                                                                 \
    } while (0)

#define EXTRACT_TYPE(T)                                                                            \
    do {                                                                                           \
        switch (n) {                                                                               \
        case 2:                                                                                    \
            EXTRACT_LOOP(T, 2);                                                                    \
            break;                                                                                 \
        case 3:                                                                                    \
            EXTRACT_LOOP(T, 3);                                                                    \
            break;                                                                                 \
        case 4:                                                                                    \
            EXTRACT_LOOP(T, 4);                                                                    \
            break;                                                                                 \
        default:                                                                                   \
            EXTRACT_LOOP(T, (size_t)n);                                                            \
        }                                                                                          \
    } while (0)

void locus_imageio_extract(void *dst, const void *src, size_t count, int n, int c, size_t size)
{
    if (n == 1) {
        memcpy(dst, src, count * size);
        return;
    }
    switch (size) {
    case 1:
        EXTRACT_TYPE(uint8_t);
        break;
    case 2:
        EXTRACT_TYPE(uint16_t);
        break;
    case 4:
        EXTRACT_TYPE(uint32_t);
        break;
    default:
        EXTRACT_TYPE(uint64_t);
        break;
    }
}
