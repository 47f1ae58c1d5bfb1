/*
 * SVG output: see svg.h. The raster puts pixel centres at whole numbers,
 * so a raster pixel j covers [j, j + 1] in SVG units: filled rectangles
 * keep their edges, strokes and dots shift by half a pixel, and text
 * keeps the raster's box (forced to the same length with textLength).
 */
#include "render/svg.h"

#include "render/font.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void emit(svg_doc *d, const char *fmt, ...) LOCUS_PRINTF(2, 3);
static void emit(svg_doc *d, const char *fmt, ...)
{
    char small[512], *buf = small;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (buf = malloc((size_t)n + 1)))
        vsnprintf(buf, (size_t)n + 1, fmt, again);
    va_end(again);
    if (n < 0 || !buf || locus_buffer_append(&d->out, buf, (size_t)n) != LOCUS_OK)
        d->failed = 1;
    if (buf != small)
        free(buf);
}

/* A coordinate with at most two decimals and no trailing zeros. */
static const char *num(double v, char *buf)
{
    snprintf(buf, 32, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
    char *e = buf + strlen(buf);
    while (e[-1] == '0')
        *--e = '\0';
    if (e[-1] == '.')
        e[-1] = '\0';
    return buf;
}

static void colour(const draw_rgb c, char *buf)
{
    snprintf(buf, 8, "#%02x%02x%02x", c.r, c.g, c.b);
}

static void svg_rect(void *ctx, double x0, double y0, double x1, double y1, draw_rgb fill)
{
    char a[32], b[32], w[32], h[32], c[8];
    x0 = ceil(x0), y0 = ceil(y0), x1 = ceil(x1), y1 = ceil(y1);
    if (!(x1 > x0 && y1 > y0))
        return;
    colour(fill, c);
    emit(ctx, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>\n", num(x0, a),
         num(y0, b), num(x1 - x0, w), num(y1 - y0, h), c);
}

static void svg_line(void *ctx, double x0, double y0, double x1, double y1, double width,
                     draw_rgb col, int dashed)
{
    char a[32], b[32], e[32], f[32], w[32], c[8];
    if (!(isfinite(x0) && isfinite(y0) && isfinite(x1) && isfinite(y1)))
        return;
    colour(col, c);
    emit(ctx,
         "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
         num(x0 + 0.5, a), num(y0 + 0.5, b), num(x1 + 0.5, e), num(y1 + 0.5, f), c, num(width, w),
         dashed ? " stroke-dasharray=\"6 4\"" : "");
}

static void svg_dot(void *ctx, double x, double y, double r, draw_rgb col, double alpha)
{
    char a[32], b[32], rr[32], o[32], c[8];
    if (!(isfinite(x) && isfinite(y)))
        return;
    colour(col, c);
    emit(ctx, "<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\" fill-opacity=\"%s\"/>\n",
         num(x + 0.5, a), num(y + 0.5, b), num(r + 0.5, rr), c, num(alpha, o));
}

/* Text as XML character data: markup escaped, and (as in the bitmap
 * font) anything but printable ASCII shown as '?', which also keeps the
 * document valid UTF-8 whatever bytes a file name holds. */
static void emit_escaped(svg_doc *d, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '&')
            emit(d, "&amp;");
        else if (ch == '<')
            emit(d, "&lt;");
        else if (ch == '>')
            emit(d, "&gt;");
        else
            emit(d, "%c", ch >= 32 && ch < 127 ? ch : '?');
    }
}

static void svg_text(void *ctx, double x, double y, const char *s, int scale, plot_anchor anchor,
                     int bold, draw_rgb col)
{
    char a[32], b[32], len[32], size[32], c[8];
    if (!*s)
        return;
    /* the raster's box: left and top as raster_text places them */
    double w = locus_plot_text_width(s, scale), advance = (double)strlen(s) * FONT_ADVANCE * scale;
    double left = anchor == PLOT_CENTER ? x - w / 2 : anchor == PLOT_RIGHT ? x - w : x;
    double top = anchor == PLOT_UP ? y - w / 2 : y;
    left = (double)lround(left), top = (double)lround(top);
    colour(col, c);
    emit(ctx, "<text ");
    if (anchor == PLOT_UP)
        emit(ctx, "transform=\"translate(%s %s) rotate(-90)\"", num(left + FONT_ASCENT * scale, a),
             num(top + w, b));
    else
        emit(ctx, "x=\"%s\" y=\"%s\"", num(left, a), num(top + FONT_ASCENT * scale, b));
    emit(ctx,
         " font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"%s\" "
         "textLength=\"%s\" lengthAdjust=\"spacingAndGlyphs\" fill=\"%s\"%s>",
         num(10.0 * scale, size), num(advance, len), c, bold ? " font-weight=\"bold\"" : "");
    emit_escaped(ctx, s);
    emit(ctx, "</text>\n");
}

void locus_svg_begin(svg_doc *d, double width, double height)
{
    char w[32], h[32];
    memset(d, 0, sizeof *d);
    emit(d,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" "
         "viewBox=\"0 0 %s %s\">\n",
         num(width, w), num(height, h), w, h);
    emit(d, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
}

plot_surface locus_svg_surface(svg_doc *d)
{
    return (plot_surface){d, svg_rect, svg_line, svg_dot, svg_text};
}

int locus_svg_finish(svg_doc *d, locus_error *err)
{
    emit(d, "</svg>\n");
    if (d->failed) {
        locus_svg_free(d);
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory writing SVG");
    }
    return LOCUS_OK;
}

void locus_svg_free(svg_doc *d)
{
    locus_buffer_free(&d->out);
}
