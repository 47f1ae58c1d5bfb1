/*
 * The public picture API: locus_annotate on tables made from columns
 * (locus_table_set_column, as Python makes them), locus_diag's three
 * formats, and their errors.
 */
#include "check.h"
#include "locus.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { H = 40, W = 60 };

static locus_table *table_of(const double *y, const double *x, const double *mass, size_t n)
{
    locus_table *t = locus_table_create();
    locus_error err = {0};
    CHECK(locus_table_set_column(t, "y", y, n, &err) == LOCUS_OK &&
              locus_table_set_column(t, "x", x, n, &err) == LOCUS_OK &&
              (!mass || locus_table_set_column(t, "mass", mass, n, &err) == LOCUS_OK),
          "a table from columns (%s)", err.message);
    return t;
}

static void test_table_columns(void)
{
    double a[3] = {1, 2, 3}, b[2] = {4, 5};
    locus_error err;
    locus_table *t = locus_table_create();
    CHECK(locus_table_set_column(t, "a", a, 3, &err) == LOCUS_OK && locus_table_rows(t) == 3,
          "the first column sets the rows");
    CHECK(locus_table_set_column(t, "b", b, 2, &err) == LOCUS_E_PARAM && !strcmp(err.param, "b"),
          "a column of another length is refused, naming it (%s)", err.message);
    a[0] = 9;
    CHECK(locus_table_set_column(t, "a", a, 3, &err) == LOCUS_OK && locus_table_cols(t) == 1 &&
              locus_table_column(t, 0)[0] == 9,
          "setting a column again replaces it");
    a[0] = 7;
    CHECK(locus_table_column(t, 0)[0] == 9, "the table keeps a copy");
    locus_table_free(t);
}

static void test_annotate(void)
{
    static uint8_t px[H][W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++)
            px[i][j] = (uint8_t)(i + j);
    locus_image img = {px, LOCUS_U8, 2, {H, W}, {0}};
    locus_image_set_contiguous(&img);
    double y[2] = {10, 30}, x[2] = {15, 45};
    locus_table *t = table_of(y, x, NULL, 2);
    locus_annotate_opts o;
    locus_annotate_opts_init(&o);
    o.radius = 5;
    o.minmax = 1;
    locus_picture pic;
    size_t drawn = 0;
    locus_error err;
    int rc = locus_annotate(&img, t, &o, &pic, &drawn, &err);
    CHECK(rc == LOCUS_OK && drawn == 2 && pic.height == H && pic.width == W,
          "two rings on a %zu x %zu picture (%s)", pic.height, pic.width, rc ? err.message : "");
    int red_near = 0, changed_far = 0;
    for (int i = 0; rc == LOCUS_OK && i < H; i++)
        for (int j = 0; j < W; j++) {
            const unsigned char *p = pic.rgb + 3 * ((size_t)i * W + (size_t)j);
            double d0 = hypot(i - 10, j - 15), d1 = hypot(i - 30, j - 45);
            int grey = p[0] == p[1] && p[1] == p[2];
            if ((fabs(d0 - 5) < 0.3 || fabs(d1 - 5) < 0.3) && p[0] > p[1] + 50)
                red_near++;
            if (d0 > 8 && d1 > 8 && !grey)
                changed_far++;
        }
    CHECK(red_near > 20 && changed_far == 0,
          "red rings at radius 5 and only there (%d near, %d far)", red_near, changed_far);
    locus_buffer png = {0};
    CHECK(locus_picture_encode_png(&pic, &png, &err) == LOCUS_OK && png.len > 8 &&
              !memcmp(png.data, "\x89PNG\r\n\x1a\n", 8),
          "the picture as PNG bytes");
    locus_buffer_free(&png);
    locus_picture_free(&pic);
    locus_table_free(t);

    double only[1] = {3};
    locus_table *bad = locus_table_create();
    locus_table_set_column(bad, "y", only, 1, &err);
    rc = locus_annotate(&img, bad, &o, &pic, NULL, &err);
    CHECK(rc == LOCUS_E_FORMAT && strstr(err.message, "no column 'x'"),
          "a table without x is refused (%s)", err.message);
    locus_table_free(bad);
}

static void test_diag(void)
{
    double y[4] = {1.25, 2.5, 3.75, 4.5}, x[4] = {0.5, 1.5, 2.5, 3.5}, m[4] = {10, 20, 30, 40};
    locus_table *t = table_of(y, x, m, 4);
    locus_diag_opts o;
    locus_diag_opts_init(&o);
    o.bins = 2;
    locus_buffer out = {0};
    locus_error err;
    int rc = locus_diag(t, &o, LOCUS_DIAG_TEXT, &out, &err);
    /* numpy.histogram([10, 20, 30, 40], 2): edges 10 25 40, counts 2 2;
     * fractional parts of x: all 0.5 -> bins [0, 0.5) and [0.5, 1]: 0, 4 */
    CHECK(rc == LOCUS_OK &&
              strstr(out.data, "mass_histogram bins=2 counted=4\n10 25 2\n25 40 2\n") &&
              strstr(out.data, "subpixel_x bins=2 counted=4\n0 0.5 0\n0.5 1 4\n") &&
              strstr(out.data, "features_per_frame frames=1\n0 4\n"),
          "the numbers as text:\n%s", rc ? err.message : out.data);
    rc = locus_diag(t, &o, LOCUS_DIAG_PNG, &out, &err);
    CHECK(rc == LOCUS_OK && out.len > 1000 && !memcmp(out.data, "\x89PNG", 4), "the sheet as PNG");
    rc = locus_diag(t, &o, LOCUS_DIAG_SVG, &out, &err);
    CHECK(rc == LOCUS_OK && strstr(out.data, "<svg") && strstr(out.data, "</svg>"),
          "the sheet as SVG");
    o.bins = 0;
    CHECK(locus_diag(t, &o, LOCUS_DIAG_TEXT, &out, &err) == LOCUS_E_PARAM &&
              !strcmp(err.param, "bins"),
          "bins 0 is refused, naming bins (%s)", err.message);
    o.bins = 2;
    CHECK(locus_diag(t, &o, 99, &out, &err) == LOCUS_E_PARAM, "an unknown format is refused");
    locus_buffer_free(&out);
    locus_table_free(t);
}

/* A linked table: trajectories drawn up to the frame shown, in their
 * particle's colour; the diag sheet counts their lengths. */
static void test_trajectories(void)
{
    static uint8_t px[H][W];
    locus_image img = {px, LOCUS_U8, 2, {H, W}, {0}};
    locus_image_set_contiguous(&img);
    /* particle 0 moves right along y = 10 over frames 0..2; particle 1
     * appears at frame 3 at (30, 40) */
    double y[4] = {10, 10, 10, 30}, x[4] = {10, 20, 30, 40}, f[4] = {0, 1, 2, 3},
           p[4] = {0, 0, 0, 1}, m[4] = {5, 5, 5, 5};
    locus_table *t = table_of(y, x, m, 4);
    locus_error err = {0};
    CHECK(locus_table_set_column(t, "frame", f, 4, &err) == LOCUS_OK &&
              locus_table_set_column(t, "particle", p, 4, &err) == LOCUS_OK,
          "a linked table (%s)", err.message);
    locus_annotate_opts o;
    locus_annotate_opts_init(&o);
    o.radius = 3;
    o.frame = 1;
    locus_picture pic;
    int rc = locus_annotate(&img, t, &o, &pic, NULL, &err);
    /* the path from (10, 10) to (20, 10) is drawn; (20,10)-(30,10) is not yet */
    const unsigned char *on = pic.rgb + 3 * (10 * W + 15), *later = pic.rgb + 3 * (10 * W + 27);
    CHECK(rc == LOCUS_OK && (on[0] != on[1] || on[1] != on[2]) && later[0] == later[1] &&
              later[1] == later[2],
          "frame 1: the path so far in colour, the later step not drawn (%d,%d,%d / %d,%d,%d)",
          on[0], on[1], on[2], later[0], later[1], later[2]);
    locus_picture_free(&pic);
    o.trajectories = 0;
    rc = locus_annotate(&img, t, &o, &pic, NULL, &err);
    on = pic.rgb + 3 * (10 * W + 15);
    CHECK(rc == LOCUS_OK && on[0] == on[1] && on[1] == on[2], "trajectories off: no path");
    locus_picture_free(&pic);

    locus_diag_opts d;
    locus_diag_opts_init(&d);
    d.bins = 3;
    locus_buffer out = {0};
    rc = locus_diag(t, &d, LOCUS_DIAG_TEXT, &out, &err);
    /* lengths 3 and 1: numpy.histogram([3, 1], 3) -> edges 1 1.667 2.333 3, counts 1 0 1 */
    CHECK(rc == LOCUS_OK && strstr(out.data, "trajectory_lengths bins=3 counted=2\n") &&
              strstr(out.data, " 1\n") && strstr(out.data, "3 1\n"),
          "diag counts the trajectories' lengths:\n%s", rc ? err.message : out.data);
    locus_buffer_free(&out);
    locus_table_free(t);
}

int main(void)
{
    test_table_columns();
    test_annotate();
    test_diag();
    test_trajectories();
    return check_done();
}
