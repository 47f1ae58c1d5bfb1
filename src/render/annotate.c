/* Annotated frames: see annotate.h. */
#include "render/annotate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double pixel_at(const locus_image *img, size_t i, size_t j)
{
    const char *p =
        (const char *)img->data + (ptrdiff_t)i * img->strides[0] + (ptrdiff_t)j * img->strides[1];
    switch (img->dtype) {
    case LOCUS_U8:
        return *(const uint8_t *)p;
    case LOCUS_U16:
        return *(const uint16_t *)p;
    case LOCUS_U32:
        return *(const uint32_t *)p;
    case LOCUS_I8:
        return *(const int8_t *)p;
    case LOCUS_I16:
        return *(const int16_t *)p;
    case LOCUS_I32:
        return *(const int32_t *)p;
    case LOCUS_BOOL:
        return *(const uint8_t *)p != 0;
    case LOCUS_F32:
        return *(const float *)p;
    default:
        return *(const double *)p;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest of integer samples, from their counts. */
static double kth_of_counts(const size_t *counts, size_t k)
{
    size_t seen = 0, v = 0;
    while ((seen += counts[v]) <= k)
        v++;
    return (double)v;
}

/* Percentiles of integer images by counting: no sort, no copy. */
static int integer_range(const locus_image *img, size_t klo, size_t khi, double *lo, double *hi,
                         locus_error *err)
{
    size_t nlevels = img->dtype == LOCUS_U8 ? 256 : 65536;
    size_t *counts = calloc(nlevels, sizeof *counts);
    if (!counts)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < img->shape[0]; i++)
        for (size_t j = 0; j < img->shape[1]; j++)
            counts[(size_t)pixel_at(img, i, j)]++;
    *lo = kth_of_counts(counts, klo);
    *hi = kth_of_counts(counts, khi);
    free(counts);
    return LOCUS_OK;
}

static int float_range(const locus_image *img, size_t klo, size_t khi, double *lo, double *hi,
                       locus_error *err)
{
    size_t n = img->shape[0] * img->shape[1];
    double *v = malloc(size_mul(n, sizeof *v));
    if (!v)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    for (size_t i = 0, k = 0; i < img->shape[0]; i++)
        for (size_t j = 0; j < img->shape[1]; j++)
            v[k++] = pixel_at(img, i, j);
    qsort(v, n, sizeof *v, cmp_double);
    *lo = v[klo];
    *hi = v[khi];
    free(v);
    return LOCUS_OK;
}

int locus_annotate_range(const locus_image *img, int minmax, double *lo, double *hi,
                         locus_error *err)
{
    size_t n = img->shape[0] * img->shape[1];
    if (img->ndim != 2 || n == 0)
        return locus_error_set(err, LOCUS_E_SHAPE, "annotation needs a 2-D image");
    /* a few hot or dead pixels must not wash out the whole picture */
    size_t cut = minmax ? 0 : (n - 1) / 1000;
    /* counting for 8- and 16-bit unsigned images; the rest (signed, 32-bit, float) sort */
    if (img->dtype == LOCUS_U8 || img->dtype == LOCUS_U16)
        return integer_range(img, cut, n - 1 - cut, lo, hi, err);
    return float_range(img, cut, n - 1 - cut, lo, hi, err);
}

static uint8_t to_grey(double v, double lo, double hi)
{
    if (!(hi > lo))
        return 0;
    double g = floor((v - lo) * 255.0 / (hi - lo) + 0.5);
    return g <= 0 ? 0 : g >= 255 ? 255 : (uint8_t)g;
}

int locus_annotate_grey(const locus_image *img, int invert, int minmax, draw_canvas *out,
                        locus_error *err)
{
    double lo, hi;
    int rc = locus_annotate_range(img, minmax, &lo, &hi, err);
    if (rc == LOCUS_OK)
        rc = locus_draw_canvas_init(out, img->shape[1], img->shape[0], (draw_rgb){0, 0, 0}, err);
    if (rc != LOCUS_OK)
        return rc;
    uint8_t *p = out->px;
    for (size_t i = 0; i < img->shape[0]; i++)
        for (size_t j = 0; j < img->shape[1]; j++, p += 3) {
            uint8_t g = to_grey(pixel_at(img, i, j), lo, hi);
            p[0] = p[1] = p[2] = invert ? (uint8_t)(255 - g) : g;
        }
    return LOCUS_OK;
}

void locus_annotate_draw(draw_canvas *c, const annotate_mark *marks, size_t n, draw_rgb col,
                         double width)
{
    for (size_t k = 0; k < n; k++)
        locus_draw_ring(c, marks[k].x, marks[k].y, marks[k].rx, marks[k].ry, width, col);
}
