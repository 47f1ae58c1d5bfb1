/* The raster canvas: see draw.h. */
#include "render/draw.h"

#include "render/font.h"
#include "io/imageio.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int locus_draw_canvas_init(draw_canvas *c, size_t width, size_t height, draw_rgb bg,
                           locus_error *err)
{
    c->px = NULL;
    c->width = width;
    c->height = height;
    if (width == 0 || height == 0 || width > 0x7fffffff || height > 0x7fffffff)
        return locus_error_set(err, LOCUS_E_SHAPE, "cannot draw a %zu x %zu picture", height,
                               width);
    size_t n = size_mul(size_mul(width, height), 3);
    if (n == SIZE_MAX || !(c->px = malloc(n)))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i += 3) {
        c->px[i] = bg.r;
        c->px[i + 1] = bg.g;
        c->px[i + 2] = bg.b;
    }
    return LOCUS_OK;
}

void locus_draw_canvas_free(draw_canvas *c)
{
    free(c->px);
    c->px = NULL;
}

static uint8_t mix(uint8_t from, uint8_t to, double alpha)
{
    return (uint8_t)lround(from + (to - from) * alpha);
}

void locus_draw_blend(draw_canvas *c, long x, long y, draw_rgb col, double alpha)
{
    if (!(alpha > 0) || x < 0 || y < 0 || (size_t)x >= c->width || (size_t)y >= c->height)
        return;
    if (alpha > 1)
        alpha = 1;
    uint8_t *p = c->px + ((size_t)y * c->width + (size_t)x) * 3;
    p[0] = mix(p[0], col.r, alpha);
    p[1] = mix(p[1], col.g, alpha);
    p[2] = mix(p[2], col.b, alpha);
}

/*
 * The pixel indices in [floor(lo), ceil(hi)] that lie on an axis of n
 * pixels, as *a..*b; 0 when none. Compares as doubles before converting,
 * so that huge or NaN coordinates cannot overflow a long.
 */
static int span(double lo, double hi, size_t n, long *a, long *b)
{
    if (!(lo <= hi) || hi < 0 || lo > (double)n - 1)
        return 0;
    *a = lo <= 0 ? 0 : (long)floor(lo);
    *b = hi >= (double)n - 1 ? (long)n - 1 : (long)ceil(hi);
    return *a <= *b;
}

void locus_draw_fill_rect(draw_canvas *c, double x0, double y0, double x1, double y1, draw_rgb col)
{
    long xa, xb, ya, yb;
    /* centres j with x0 <= j < x1 */
    if (!span(ceil(x0), ceil(x1) - 1, c->width, &xa, &xb) ||
        !span(ceil(y0), ceil(y1) - 1, c->height, &ya, &yb))
        return;
    for (long y = ya; y <= yb; y++)
        for (long x = xa; x <= xb; x++)
            locus_draw_blend(c, x, y, col, 1);
}

/* Distance from (px, py) to the segment (x0, y0)-(x1, y1). */
static double segment_distance(double px, double py, double x0, double y0, double x1, double y1)
{
    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

/* Coverage of a pixel whose centre is d from the middle of a stroke of
 * this width: 1 inside, falling linearly to 0 over one pixel. */
static double stroke_cover(double d, double width)
{
    double a = width / 2 + 0.5 - d;
    return a < 0 ? 0 : a > 1 ? 1 : a;
}

void locus_draw_line(draw_canvas *c, double x0, double y0, double x1, double y1, double width,
                     draw_rgb col)
{
    double pad = width / 2 + 1;
    long xa, xb, ya, yb;
    if (!span(fmin(x0, x1) - pad, fmax(x0, x1) + pad, c->width, &xa, &xb) ||
        !span(fmin(y0, y1) - pad, fmax(y0, y1) + pad, c->height, &ya, &yb))
        return;
    for (long y = ya; y <= yb; y++)
        for (long x = xa; x <= xb; x++)
            locus_draw_blend(c, x, y, col,
                             stroke_cover(segment_distance(x, y, x0, y0, x1, y1), width));
}

/*
 * Signed distance from (dx, dy) (relative to the centre) to the ellipse:
 * exact for a circle; for an ellipse the first-order estimate
 * g / |grad g| of g = (dx/rx)^2 + (dy/ry)^2 - 1, good within a pixel or
 * two of the outline, which is all a thin ring needs.
 */
static double ellipse_distance(double dx, double dy, double rx, double ry)
{
    if (rx == ry)
        return hypot(dx, dy) - rx;
    double g = (dx / rx) * (dx / rx) + (dy / ry) * (dy / ry) - 1;
    double grad = 2 * hypot(dx / (rx * rx), dy / (ry * ry));
    return grad > 0 ? g / grad : -HUGE_VAL;
}

void locus_draw_ring(draw_canvas *c, double cx, double cy, double rx, double ry, double width,
                     draw_rgb col)
{
    if (!(rx > 0 && ry > 0))
        return;
    double reach = fmax(rx, ry) + width / 2 + 1;
    long xa, xb, ya, yb;
    if (!span(cx - reach, cx + reach, c->width, &xa, &xb) ||
        !span(cy - reach, cy + reach, c->height, &ya, &yb))
        return;
    for (long y = ya; y <= yb; y++)
        for (long x = xa; x <= xb; x++) {
            double dx = x - cx, dy = y - cy;
            if (hypot(dx, dy) > reach)
                continue; /* the promise in draw.h, whatever the estimate says */
            locus_draw_blend(c, x, y, col,
                             stroke_cover(fabs(ellipse_distance(dx, dy, rx, ry)), width));
        }
}

void locus_draw_disc(draw_canvas *c, double cx, double cy, double r, draw_rgb col, double alpha)
{
    long xa, xb, ya, yb;
    if (!span(cx - r - 1, cx + r + 1, c->width, &xa, &xb) ||
        !span(cy - r - 1, cy + r + 1, c->height, &ya, &yb))
        return;
    for (long y = ya; y <= yb; y++)
        for (long x = xa; x <= xb; x++) {
            double a = r + 0.5 - hypot(x - cx, y - cy);
            locus_draw_blend(c, x, y, col, (a > 1 ? 1 : a) * alpha);
        }
}

/* One font pixel: a scale x scale block, turned if vertical. */
static void text_pixel(draw_canvas *c, long x, long y, long u, long v, long len, int scale,
                       int vertical, draw_rgb col)
{
    /* (u, v): position in the unturned text box; turning it a quarter
     * left sends u (reading direction) up and v (down the cell) right */
    long px = vertical ? x + v * scale : x + u * scale;
    long py = vertical ? y + (len - 1 - u) * scale : y + v * scale;
    for (long j = 0; j < scale; j++)
        for (long i = 0; i < scale; i++)
            locus_draw_blend(c, px + i, py + j, col, 1);
}

void locus_draw_text(draw_canvas *c, long x, long y, const char *s, int scale, int vertical,
                     draw_rgb col)
{
    long len = (long)locus_font_text_width(s);
    for (long k = 0; s[k]; k++)
        for (int row = 0; row < FONT_HEIGHT; row++) {
            unsigned bits = locus_font_row((unsigned char)s[k], row);
            for (int col_ = 0; col_ < FONT_WIDTH; col_++)
                if (bits >> (FONT_WIDTH - 1 - col_) & 1)
                    text_pixel(c, x, y, k * FONT_ADVANCE + col_, row, len, scale, vertical, col);
        }
}

int locus_draw_save_png(const draw_canvas *c, const char *path, locus_error *err)
{
    return locus_pngio_write_rgb8(path, c->px, c->height, c->width, err);
}
