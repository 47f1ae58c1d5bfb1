/*
 * The picture primitives behind `locus annotate` and `locus diag`: the
 * bitmap font, the canvas (rectangles, rings, text), frame scaling, the
 * histogram and tick rules, the feature CSV reader and SVG escaping.
 * Rings are checked against their promise: no pixel changes farther than
 * radius + width / 2 + 1 from the centre, and the outline is drawn all
 * round.
 */
#include "render/annotate.h"
#include "check.h"
#include "io/csv_read.h"
#include "render/font.h"
#include "render/plot.h"
#include "render/svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static const uint8_t *px(const draw_canvas *c, long x, long y)
{
    return c->px + ((size_t)y * c->width + (size_t)x) * 3;
}

static int is_paper(const draw_canvas *c, long x, long y, uint8_t v)
{
    const uint8_t *p = px(c, x, y);
    return p[0] == v && p[1] == v && p[2] == v;
}

static void test_font(void)
{
    int inked = 1;
    for (int ch = 33; ch < 127; ch++) {
        unsigned any = 0;
        for (int r = 0; r < FONT_HEIGHT; r++)
            any |= locus_font_row((unsigned char)ch, r);
        inked &= any != 0;
    }
    CHECK(inked, "every printable character but space has ink");
    unsigned blank = 0;
    for (int r = 0; r < FONT_HEIGHT; r++)
        blank |= locus_font_row(' ', r);
    CHECK(blank == 0, "space is blank");
    int same = 1;
    for (int r = 0; r < FONT_HEIGHT; r++)
        same &= locus_font_row(200, r) == locus_font_row('?', r) &&
                locus_font_row('\n', r) == locus_font_row('?', r);
    CHECK(same, "characters outside printable ASCII draw as '?'");
    CHECK(locus_font_row('A', -1) == 0 && locus_font_row('A', FONT_HEIGHT) == 0,
          "rows outside the cell: 0");
    CHECK(locus_font_text_width("") == 0 && locus_font_text_width("ab") == 11, "text width: 0, 11");
    unsigned desc = locus_font_row('g', 7) | locus_font_row('g', 8),
             none = locus_font_row('a', 7) | locus_font_row('a', 8);
    CHECK(desc && !none, "g has a descender, a has none");
}

static void test_canvas(void)
{
    draw_canvas c;
    locus_error err = {0};
    CHECK(locus_draw_canvas_init(&c, 0, 5, (draw_rgb){0, 0, 0}, &err) == LOCUS_E_SHAPE,
          "0-wide canvas refused");
    CHECK(locus_draw_canvas_init(&c, 20, 10, (draw_rgb){7, 7, 7}, &err) == LOCUS_OK,
          "20 x 10 canvas");
    locus_draw_blend(&c, 3, 3, (draw_rgb){255, 0, 0}, 0);
    locus_draw_blend(&c, 4, 3, (draw_rgb){255, 0, 0}, -1);
    locus_draw_blend(&c, -1, 3, (draw_rgb){255, 0, 0}, 1);
    locus_draw_blend(&c, 20, 3, (draw_rgb){255, 0, 0}, 1);
    CHECK(is_paper(&c, 3, 3, 7) && is_paper(&c, 4, 3, 7), "alpha <= 0 leaves pixels alone");
    locus_draw_blend(&c, 5, 3, (draw_rgb){255, 0, 0}, 1);
    CHECK(px(&c, 5, 3)[0] == 255 && px(&c, 5, 3)[1] == 0, "alpha 1 paints");
    locus_draw_fill_rect(&c, 2, 5, 4.5, 7, (draw_rgb){1, 2, 3});
    int inside = 0, outside = 0;
    for (long y = 0; y < 10; y++)
        for (long x = 0; x < 20; x++) {
            int in = x >= 2 && x <= 4 && y >= 5 && y <= 6;
            int painted = px(&c, x, y)[2] == 3;
            inside += in && painted;
            outside += !in && painted;
        }
    CHECK(inside == 6 && outside == 0, "rectangle fills centres in [x0, x1) x [y0, y1): %d, %d",
          inside, outside);
    locus_draw_line(&c, NAN, 0, 5, 5, 1, (draw_rgb){9, 9, 9});
    locus_draw_fill_rect(&c, -1e300, -1e300, 1e300, 1e300, (draw_rgb){0, 0, 0});
    CHECK(is_paper(&c, 19, 9, 0), "huge coordinates are clipped, not overflowed");
    locus_draw_canvas_free(&c);
}

/* Draw one ring on a blank canvas and check where pixels changed. */
static int ring_ok(double cx, double cy, double rx, double ry, double width)
{
    draw_canvas c;
    locus_draw_canvas_init(&c, 64, 48, (draw_rgb){50, 50, 50}, NULL);
    locus_draw_ring(&c, cx, cy, rx, ry, width, (draw_rgb){255, 0, 0});
    double reach = fmax(rx, ry) + width / 2 + 1;
    int far = 0, changed = 0;
    for (long y = 0; y < 48; y++)
        for (long x = 0; x < 64; x++)
            if (!is_paper(&c, x, y, 50)) {
                changed++;
                far += hypot(x - cx, y - cy) > reach;
            }
    /* the outline passes through the ends of both axes */
    int ends = 1;
    double pts[4][2] = {{cx + rx, cy}, {cx - rx, cy}, {cx, cy + ry}, {cx, cy - ry}};
    for (int k = 0; k < 4; k++)
        ends &= !is_paper(&c, lround(pts[k][0]), lround(pts[k][1]), 50);
    int centre = is_paper(&c, lround(cx), lround(cy), 50);
    locus_draw_canvas_free(&c);
    return changed > 0 && far == 0 && ends && (rx < 2.5 || centre);
}

static void test_rings(void)
{
    CHECK(ring_ok(30, 20, 6, 6, 1), "circle r 6: drawn all round, nothing beyond r + 1.5");
    CHECK(ring_ok(30.37, 20.81, 4.2, 4.2, 1), "circle off the pixel grid");
    CHECK(ring_ok(30, 20, 9, 4, 1), "ellipse 9 x 4");
    CHECK(ring_ok(30, 20, 3, 8.5, 2), "ellipse 3 x 8.5, width 2");
    CHECK(ring_ok(30, 20, 1, 1, 1), "radius 1");
    draw_canvas c;
    locus_draw_canvas_init(&c, 16, 16, (draw_rgb){0, 0, 0}, NULL);
    locus_draw_ring(&c, -100, -100, 5, 5, 1, (draw_rgb){255, 0, 0});
    locus_draw_ring(&c, 8, 8, 0, 5, 1, (draw_rgb){255, 0, 0});
    locus_draw_ring(&c, 8, 8, NAN, 5, 1, (draw_rgb){255, 0, 0});
    int clean = 1;
    for (long y = 0; y < 16; y++)
        for (long x = 0; x < 16; x++)
            clean &= is_paper(&c, x, y, 0);
    CHECK(clean, "rings off the canvas, of radius 0 or NaN draw nothing");
    locus_draw_canvas_free(&c);
}

static size_t count_ink(const draw_canvas *c, long *w, long *h)
{
    size_t n = 0;
    long x0 = 1 << 30, x1 = -1, y0 = 1 << 30, y1 = -1;
    for (long y = 0; y < (long)c->height; y++)
        for (long x = 0; x < (long)c->width; x++)
            if (!is_paper(c, x, y, 255)) {
                n++;
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
            }
    *w = x1 - x0 + 1, *h = y1 - y0 + 1;
    return n;
}

static void test_text(void)
{
    size_t dots = 0;
    for (int r = 0; r < FONT_HEIGHT; r++)
        for (unsigned b = locus_font_row('E', r); b; b >>= 1)
            dots += b & 1;
    draw_canvas c;
    locus_draw_canvas_init(&c, 40, 40, (draw_rgb){255, 255, 255}, NULL);
    locus_draw_text(&c, 5, 5, "E", 2, 0, (draw_rgb){0, 0, 0});
    long w, h;
    CHECK(count_ink(&c, &w, &h) == dots * 4 && w == 10 && h == 14,
          "'E' at scale 2: every font pixel a 2 x 2 block, 10 x 14");
    locus_draw_canvas_free(&c);
    locus_draw_canvas_init(&c, 40, 40, (draw_rgb){255, 255, 255}, NULL);
    locus_draw_text(&c, 5, 5, "E", 2, 1, (draw_rgb){0, 0, 0});
    CHECK(count_ink(&c, &w, &h) == dots * 4 && w == 14 && h == 10, "turned 'E': 14 x 10");
    /* reading upward: the top bar of E is at the left, its stem at the bottom */
    CHECK(!is_paper(&c, 5, 10, 255) && !is_paper(&c, 10, 14, 255), "turned a quarter left");
    locus_draw_canvas_free(&c);
    locus_draw_canvas_init(&c, 8, 8, (draw_rgb){255, 255, 255}, NULL);
    locus_draw_text(&c, -20, -3, "clipped text \xff", 3, 0, (draw_rgb){0, 0, 0});
    locus_draw_canvas_free(&c);
    CHECK(1, "text beyond the canvas is clipped");
}

static void test_png(void)
{
    draw_canvas c;
    locus_error err = {0};
    locus_draw_canvas_init(&c, 5, 3, (draw_rgb){10, 20, 30}, NULL);
    CHECK(locus_draw_save_png(&c, tpath("c.png"), &err) == LOCUS_OK, "canvas saved as PNG");
    FILE *f = fopen(tpath("c.png"), "rb");
    unsigned char head[24] = {0};
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    CHECK(n == 24 && !memcmp(head, "\x89PNG\r\n\x1a\n", 8) && head[19] == 5 && head[23] == 3,
          "PNG signature, 5 x 3 in IHDR");
    CHECK(locus_draw_save_png(&c, "/nonexistent-dir/c.png", &err) == LOCUS_E_IO &&
              strstr(err.message, "/nonexistent-dir/c.png"),
          "unwritable path: error names it (%s)", err.message);
    locus_draw_canvas_free(&c);
}

/* A uint8 ramp 0..n-1 (mod 256), as a 1 x n image. */
static void test_scaling(void)
{
    static uint8_t ramp[2000];
    for (int i = 0; i < 2000; i++)
        ramp[i] = (uint8_t)(i % 250);
    locus_image img = {ramp, LOCUS_U8, 2, {1, 2000, 0}, {0}};
    locus_image_set_contiguous(&img);
    double lo, hi;
    locus_annotate_range(&img, 0, &lo, &hi, NULL);
    /* sorted: each of 0..249 eight times; indices 1 and 1997 */
    CHECK(lo == 0 && hi == 249, "percentiles of a ramp: %g, %g", lo, hi);
    ramp[0] = 255; /* a hot pixel counts only with --minmax */
    locus_annotate_range(&img, 0, &lo, &hi, NULL);
    CHECK(hi == 249, "one hot pixel does not move the 99.9th percentile");
    locus_annotate_range(&img, 1, &lo, &hi, NULL);
    CHECK(lo == 0 && hi == 255, "minmax: 0, 255");
    float fl[6] = {-1, 0.5f, 2, 3, 4, 9};
    locus_image fimg = {fl, LOCUS_F32, 2, {2, 3, 0}, {0}};
    locus_image_set_contiguous(&fimg);
    locus_annotate_range(&fimg, 0, &lo, &hi, NULL);
    CHECK(lo == -1 && hi == 9, "small float image: min and max");
    draw_canvas c;
    CHECK(locus_annotate_grey(&fimg, 0, 0, &c, NULL) == LOCUS_OK, "float image to grey");
    /* (0.5 + 1) * 255 / 10 + 0.5 = 38.75 -> 38 */
    CHECK(is_paper(&c, 0, 0, 0) && is_paper(&c, 1, 0, 38) && is_paper(&c, 2, 1, 255),
          "grey = floor((v - lo) * 255 / (hi - lo) + 0.5), R = G = B");
    locus_draw_canvas_free(&c);
    locus_annotate_grey(&fimg, 1, 0, &c, NULL);
    CHECK(is_paper(&c, 0, 0, 255) && is_paper(&c, 1, 0, 217), "inverted: 255 - grey");
    locus_draw_canvas_free(&c);
    uint16_t flat[4] = {7, 7, 7, 7};
    locus_image f16 = {flat, LOCUS_U16, 2, {2, 2, 0}, {0}};
    locus_image_set_contiguous(&f16);
    locus_annotate_grey(&f16, 0, 0, &c, NULL);
    CHECK(is_paper(&c, 1, 1, 0), "a flat frame is black");
    locus_draw_canvas_free(&c);
    /* signed and 32-bit images scale by their values too (negative ones included) */
    int16_t s16[4] = {-100, 0, 100, 300};
    locus_image i16 = {s16, LOCUS_I16, 2, {2, 2, 0}, {0}};
    locus_image_set_contiguous(&i16);
    locus_annotate_range(&i16, 0, &lo, &hi, NULL);
    CHECK(lo == -100 && hi == 300, "int16 image: min and max, signed");
    locus_annotate_grey(&i16, 0, 0, &c, NULL);
    /* 100 * 255 / 400 + 0.5 = 64.25 -> 64; 200 * 255 / 400 + 0.5 = 128 */
    CHECK(is_paper(&c, 0, 0, 0) && is_paper(&c, 1, 0, 64) && is_paper(&c, 0, 1, 128) &&
              is_paper(&c, 1, 1, 255),
          "int16 image to grey");
    locus_draw_canvas_free(&c);
    uint32_t u32[4] = {0, 4000000000u, 2000000000u, 1000000000u};
    locus_image w32 = {u32, LOCUS_U32, 2, {2, 2, 0}, {0}};
    locus_image_set_contiguous(&w32);
    locus_annotate_range(&w32, 0, &lo, &hi, NULL);
    CHECK(lo == 0 && hi == 4e9, "uint32 image: values above 2^31 read unsigned");
}

static void test_histogram(void)
{
    double v[] = {0, 1, 2, 3, 4, 4, NAN, INFINITY, -1, 5};
    double edges[5];
    size_t counts[4];
    size_t n = locus_plot_histogram(v, 10, 0, 4, 4, edges, counts);
    CHECK(n == 6, "NaN, inf and values outside [lo, hi] are not counted (%zu)", n);
    CHECK(edges[0] == 0 && edges[2] == 2 && edges[4] == 4, "edges 0 .. 4");
    CHECK(counts[0] == 1 && counts[1] == 1 && counts[2] == 1 && counts[3] == 3,
          "bins [0,1) [1,2) [2,3) [3,4]: the last takes hi");
    /* numpy's edges for a range that does not divide evenly */
    double w[] = {0.1, 0.7};
    locus_plot_histogram(w, 2, 0.1, 0.7, 3, edges, counts);
    CHECK(edges[1] == 1 * ((0.7 - 0.1) / 3) + 0.1 && edges[3] == 0.7,
          "edge i = i * ((hi - lo) / bins) + lo");
    double lo = 0, hi = 0;
    CHECK(!locus_plot_finite_range(v + 6, 2, &lo, &hi), "no finite value: no range");
    CHECK(locus_plot_finite_range(v, 10, &lo, &hi) && lo == -1 && hi == 5, "finite range -1 .. 5");
}

static void test_ticks(void)
{
    double t[PLOT_MAX_TICKS], step;
    int n = locus_plot_ticks(29.47, 659.38, 0, 455, 2, 1, t, &step);
    int ok = n >= 3;
    for (int i = 0; i < n; i++)
        ok &= t[i] >= 29.47 && t[i] <= 659.38 && fabs(t[i] / step - round(t[i] / step)) < 1e-9;
    CHECK(ok && step == 100, "ticks 100, 200, ... 600 for mass 29 .. 659 (%d, step %g)", n, step);
    n = locus_plot_ticks(0, 1, 0, 455, 2, 1, t, &step);
    CHECK(n == 6 && step == 0.2 && t[5] == 1 && t[0] == 0, "0, 0.2, ... 1 (%d, %g)", n, step);
    n = locus_plot_ticks(-0.5, 1.5, 1, 455, 2, 1, t, &step);
    CHECK(step == 1 && n == 2, "integer axis: no fractional ticks");
    n = locus_plot_ticks(1, 1, 0, 455, 2, 1, t, &step);
    CHECK(n == 0, "empty range: no ticks");
    n = locus_plot_ticks(0, 2.5e6, 0, 455, 2, 1, t, &step);
    double gap = step / 2.5e6 * 455, widest = 0;
    for (int i = 0; i < n; i++) {
        char buf[40];
        locus_plot_tick_label(t[i], step, buf, sizeof buf);
        widest = fmax(widest, locus_plot_text_width(buf, 2));
    }
    CHECK(n >= 2 && gap > widest, "labels do not crowd: gap %g > width %g", gap, widest);
    char b[40];
    locus_plot_tick_label(0.5, 0.1, b, sizeof b);
    CHECK(!strcmp(b, "0.5"), "label 0.5 (%s)", b);
    locus_plot_tick_label(-0.0, 1, b, sizeof b);
    CHECK(!strcmp(b, "0"), "no -0 (%s)", b);
    locus_plot_tick_label(1500000, 500000, b, sizeof b);
    CHECK(!strcmp(b, "1.5e6"), "label 1.5e6 (%s)", b);
    locus_plot_tick_label(2000000, 1000000, b, sizeof b);
    CHECK(!strcmp(b, "2e6"), "label 2e6 (%s)", b);
    locus_plot_tick_label(0.00025, 0.00005, b, sizeof b);
    CHECK(!strcmp(b, "0.00025"), "label 0.00025 (%s)", b);
}

static int read_csv(const char *text, features_table *t, locus_error *err)
{
    static const char *const want[] = {"x", "y", "mass", "frame"};
    write_file(tpath("f.csv"), text);
    return locus_features_csv_read(tpath("f.csv"), want, 4, t, err);
}

static void test_csv_good(void)
{
    features_table t;
    locus_error err = {0};
    int rc = read_csv("\xef\xbb\xbf,y,x,mass,name,frame\r\n"
                      "0,1.5,2.5,100,\"a, \"\"b\"\"\",0\r\n"
                      "\r\n"
                      "1,,3, 1e3 ,text,1\n"
                      "2,2,4,nan,,1",
                      &t, &err);
    CHECK(rc == LOCUS_OK, "pandas CSV with index, BOM, CRLF, quotes, blank line (%s)", err.message);
    if (rc != LOCUS_OK)
        return;
    const double *x = locus_features_column(&t, "x"), *y = locus_features_column(&t, "y");
    const double *m = locus_features_column(&t, "mass"), *f = locus_features_column(&t, "frame");
    CHECK(t.nrows == 3 && x && y && m && f, "3 rows, the 4 asked-for columns");
    CHECK(x[0] == 2.5 && x[2] == 4 && y[0] == 1.5 && isnan(y[1]) && m[1] == 1000 && isnan(m[2]),
          "numbers, blanks trimmed, empty field and nan read as NaN");
    CHECK(f[2] == 1 && t.line[0] == 2 && t.line[1] == 4 && t.line[2] == 5,
          "row line numbers skip the blank line");
    locus_features_table_free(&t);
    rc = read_csv("x,y\n1,2\n", &t, &err);
    CHECK(rc == LOCUS_OK && !locus_features_column(&t, "mass"), "missing columns read as absent");
    static const char *const need[] = {"x", "mass"};
    rc = locus_features_require(&t, "f.csv", need, 2, &err);
    CHECK(rc == LOCUS_E_FORMAT && !strcmp(err.message, "f.csv:1: no column 'mass' (the header "
                                                       "is: x,y)"),
          "required column missing: %s", err.message);
    locus_features_table_free(&t);
}

static void expect_csv_error(const char *text, const char *want, const char *what)
{
    features_table t;
    locus_error err = {0};
    int rc = read_csv(text, &t, &err);
    char full[600];
    snprintf(full, sizeof full, "%s%s", tpath("f.csv"), want);
    CHECK(rc == LOCUS_E_FORMAT && !strcmp(err.message, full) && t.store == NULL, "%s: %s", what,
          err.message);
}

static void test_csv_bad(void)
{
    expect_csv_error("", ":1: empty file (no header)", "empty file");
    expect_csv_error("\n \r\n", ":1: empty file (no header)", "blank lines only");
    expect_csv_error("x,y,mass\n1,2,3\n1,2\n", ":3: 2 fields, but the header has 3", "ragged row");
    expect_csv_error("x,y,mass\n1,2,3,4\n", ":2: 4 fields, but the header has 3", "long row");
    expect_csv_error("x,y,mass\n\n1,2x,3\n", ":3: column 'y': '2x' is not a number",
                     "text in a number field");
    expect_csv_error("x,y,mass\n1,2,\"3\n", ":2: unterminated quote", "unterminated quote");
    features_table t;
    locus_error err = {0};
    static const char *const want[] = {"x"};
    int rc = locus_features_csv_read(tpath("missing.csv"), want, 1, &t, &err);
    CHECK(rc == LOCUS_E_IO && strstr(err.message, "missing.csv: cannot read"), "missing file: %s",
          err.message);
}

static void test_svg(void)
{
    svg_doc d;
    locus_error err = {0};
    locus_svg_begin(&d, 100, 50);
    plot_surface s = locus_svg_surface(&d);
    s.text(s.ctx, 10, 10, "a<b & \"c\" \xc3\xa9", 2, PLOT_LEFT, 0, (draw_rgb){0, 0, 0});
    s.line(s.ctx, 0, 0, 10, 10, 1, (draw_rgb){255, 0, 0}, 1);
    CHECK(strstr(d.out.data, ">a&lt;b &amp; \"c\" ?"
                             "?</text>") != NULL,
          "text escaped, non-ASCII shown as '?'");
    CHECK(strstr(d.out.data, "stroke-dasharray") != NULL, "dashed line");
    CHECK(locus_svg_finish(&d, &err) == LOCUS_OK && d.out.len > 7 &&
              !strcmp(d.out.data + d.out.len - 7, "</svg>\n"),
          "SVG finished with its closing tag");
    CHECK(locus_buffer_write_file(&d.out, tpath("p.svg"), &err) == LOCUS_OK &&
              access(tpath("p.svg"), R_OK) == 0,
          "SVG written");
    CHECK(locus_buffer_write_file(&d.out, "/nonexistent-dir/p.svg", &err) == LOCUS_E_IO,
          "unwritable SVG: %s", err.message);
    locus_svg_free(&d);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/locus-test-draw-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        printf("not ok 1 - cannot make a temporary directory\n");
        return 1;
    }
    test_font();
    test_canvas();
    test_rings();
    test_text();
    test_png();
    test_scaling();
    test_histogram();
    test_ticks();
    test_csv_good();
    test_csv_bad();
    test_svg();
    const char *names[] = {"c.png", "f.csv", "p.svg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(tpath(names[i]));
    rmdir(tmpdir);
    return check_done();
}
