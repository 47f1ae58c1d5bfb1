/*
 * The integer and bool pixel types beyond uint8/uint16 (LOCATE.md's rules
 * per type, as trackpy applies them): invert by XOR with the type's
 * maximum, the boxcar truncated toward zero into a signed type, 32-bit
 * window sums, the same table for the same values when nothing
 * type-dependent applies, NumPy's wrapping percentile of signed values,
 * and bool as trackpy treats it. tests/python/test_python.py checks whole
 * tables of every type against ../shared/tools/reference_locate.py.
 */
#include "check.h"
#include "stage_helpers.h"
#include "locus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Same columns, same rows, bit for bit (NaN equal to NaN). */
static int tables_equal(const locus_table *a, const locus_table *b)
{
    if (locus_table_cols(a) != locus_table_cols(b) || locus_table_rows(a) != locus_table_rows(b))
        return 0;
    for (int c = 0; c < locus_table_cols(a); c++) {
        const double *x = locus_table_column(a, c), *y = locus_table_column(b, c);
        for (size_t r = 0; r < locus_table_rows(a); r++)
            if (!(x[r] == y[r] || (isnan(x[r]) && isnan(y[r]))))
                return 0;
    }
    return 1;
}

static int locate(const locus_params *p, const locus_image *img, locus_table *t)
{
    locus_workspace *ws = locus_workspace_create();
    locus_error err;
    int rc = locus_locate(ws, p, img, t, &err);
    if (rc)
        printf("# locate: %s\n", err.message);
    locus_workspace_free(ws);
    return rc;
}

/* LOCATE.md §2: v XOR maxval(T), for signed types too. */
static void test_invert(void)
{
    int8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (int8_t)(i - 128);
    locus_params p = params_d(3);
    p.invert = 1;
    locus_image img = make_image(all, LOCUS_I8, 2, 16, 16, 0);
    locus_workspace *ws = planned(&p, &img);
    const void *raw = NULL;
    int ok = ws && locus_preprocess_raw(ws, &img, &raw, NULL) == LOCUS_OK;
    for (int i = 0; ok && i < 256; i++)
        ok = ((const int8_t *)raw)[i] == (int8_t)(all[i] ^ 127);
    CHECK(ok, "int8 invert is v ^ 127 for all 256 values");
    CHECK(ok && ((const int8_t *)raw)[127] == -128 && ((const int8_t *)raw)[128] == 127 &&
              ((const int8_t *)raw)[255] == 0 && ((const int8_t *)raw)[0] == -1,
          "int8 invert: -1 -> -128, 0 -> 127, 127 -> 0, -128 -> -1 (NumPy's XOR)");
    locus_workspace_free(ws);

    int16_t s16[9] = {-1, 0, 32767, -32768, 5, 6, 7, 8, 9};
    int32_t s32[9] = {-1, 0, 2147483647, INT32_MIN, 5, 6, 7, 8, 9};
    uint32_t u32[9] = {0, 5, 4294967295u, 1, 2, 3, 4, 5, 6};
    struct {
        const void *data;
        locus_dtype t;
        int64_t want[4];
    } cases[3] = {{s16, LOCUS_I16, {-32768, 32767, 0, -1}},
                  {s32, LOCUS_I32, {INT32_MIN, 2147483647, 0, -1}},
                  {u32, LOCUS_U32, {4294967295, 4294967290, 0, 4294967294}}};
    for (int k = 0; k < 3; k++) {
        img = make_image(cases[k].data, cases[k].t, 2, 3, 3, 0);
        ws = planned(&p, &img);
        ok = ws && locus_preprocess_raw(ws, &img, &raw, NULL) == LOCUS_OK;
        for (int i = 0; ok && i < 4; i++)
            ok = pixel_get(raw, cases[k].t, (size_t)i) == (double)cases[k].want[i];
        CHECK(ok, "%s invert is v XOR its maximum", locus_dtype_name(cases[k].t));
        locus_workspace_free(ws);
    }
}

/*
 * LOCATE.md §3a: each pass truncates toward zero into the image's type
 * (scipy's C conversion), not down: -2/3 becomes 0 and -8/3 becomes -2.
 * Three identical rows make the y pass exact; the x pass of width 3 over
 * the row repeats the edge pixels.
 */
static void test_boxcar_truncation(void)
{
    struct {
        locus_dtype t;
        int64_t row[5], want[5];
    } cases[4] = {
        {LOCUS_I8, {-1, -1, 0, 2, -5}, {-1, 0, 0, -1, -2}},
        {LOCUS_I16, {-1000, -1000, 0, 2000, -5000}, {-1000, -666, 333, -1000, -2666}},
        {LOCUS_I32,
         {-2000000000, -2000000000, 0, 2000000000, INT32_MIN},
         {-2000000000, -1333333333, 0, -49161216, -764989098}},
        {LOCUS_U32,
         {4294967295, 4294967295, 0, 1, 4294967295},
         {4294967295, 2863311530, 1431655765, 1431655765, 2863311530}},
    };
    for (int k = 0; k < 4; k++) {
        size_t es = locus_dtype_size(cases[k].t);
        unsigned char buf[3 * 5 * 4];
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 5; x++) {
                int64_t v = cases[k].row[x];
                int8_t v8 = (int8_t)v;
                int16_t v16 = (int16_t)v;
                int32_t v32 = (int32_t)v;
                uint32_t u32 = (uint32_t)v;
                const void *src = es == 1                   ? (const void *)&v8
                                  : es == 2                 ? (const void *)&v16
                                  : cases[k].t == LOCUS_I32 ? (const void *)&v32
                                                            : (const void *)&u32;
                memcpy(buf + (size_t)(y * 5 + x) * es, src, es);
            }
        locus_params p = params_d(3);
        locus_image img = make_image(buf, cases[k].t, 2, 3, 5, 0);
        locus_workspace *ws = planned(&p, &img);
        const void *bg = NULL;
        int ok = ws && locus_preprocess_boxcar(ws, buf, &bg) == LOCUS_OK;
        for (int y = 0; ok && y < 3; y++)
            for (int x = 0; ok && x < 5; x++)
                ok = pixel_get(bg, cases[k].t, (size_t)(y * 5 + x)) == (double)cases[k].want[x];
        CHECK(ok, "%s boxcar: the window mean truncated toward zero, per pass",
              locus_dtype_name(cases[k].t));
        locus_workspace_free(ws);
    }
}

/* Gaussian spots on a background, as doubles. */
enum { NY = 48, NX = 56 };
static double field[NY * NX];

static void make_field(void)
{
    static const double spots[][3] = {{12.3, 14.7, 1}, {30.2, 40.6, 0.8}, {35.5, 15.1, 0.6}};
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < NX; x++) {
            double v = 0.05;
            for (int k = 0; k < 3; k++) {
                double dy = y - spots[k][0], dx = x - spots[k][1];
                v += spots[k][2] * exp(-(dy * dy + dx * dx) / (2 * 1.6 * 1.6));
            }
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            field[y * NX + x] = v + (double)(s >> 11) / 9007199254740992.0 * 0.04;
        }
}

/*
 * Without the band pass I is the raw image, so the same values in any
 * integer type give the same table, bit for bit; with it, the type's
 * maximum scales I and the tables differ only through that.
 */
static void test_same_values(void)
{
    static uint8_t u8[NY * NX];
    static int8_t i8[NY * NX];
    static uint16_t u16[NY * NX];
    static int16_t i16[NY * NX];
    static int32_t i32[NY * NX];
    static uint32_t u32[NY * NX];
    for (size_t i = 0; i < NY * NX; i++) {
        u8[i] = (uint8_t)lround(field[i] * 120);
        i8[i] = (int8_t)u8[i];
        u16[i] = (uint16_t)lround(field[i] * 30000);
        i16[i] = (int16_t)u16[i];
        i32[i] = (int32_t)u16[i];
        u32[i] = u16[i];
    }
    locus_params p = params_d(7);
    p.preprocess = 0;
    locus_table *a = locus_table_create(), *b = locus_table_create();
    locus_image img = make_image(u8, LOCUS_U8, 2, NY, NX, 0);
    int rc = locate(&p, &img, a);
    CHECK(rc == LOCUS_OK && locus_table_rows(a) >= 3, "uint8 without preprocess: %zu features",
          locus_table_rows(a));
    img = make_image(i8, LOCUS_I8, 2, NY, NX, 0);
    CHECK(locate(&p, &img, b) == LOCUS_OK && tables_equal(a, b),
          "int8 of the same values: the same table (preprocess off)");
    img = make_image(u16, LOCUS_U16, 2, NY, NX, 0);
    rc = locate(&p, &img, a);
    CHECK(rc == LOCUS_OK && locus_table_rows(a) >= 3, "uint16 without preprocess: %zu features",
          locus_table_rows(a));
    const struct {
        const void *data;
        locus_dtype t;
    } same[3] = {{i16, LOCUS_I16}, {i32, LOCUS_I32}, {u32, LOCUS_U32}};
    for (int k = 0; k < 3; k++) {
        img = make_image(same[k].data, same[k].t, 2, NY, NX, 0);
        CHECK(locate(&p, &img, b) == LOCUS_OK && tables_equal(a, b),
              "%s of the same values: uint16's table (preprocess off)",
              locus_dtype_name(same[k].t));
    }
    /* with the band pass: found where uint16 finds them; mass in the image's units */
    p.preprocess = 1;
    img = make_image(u16, LOCUS_U16, 2, NY, NX, 0);
    locate(&p, &img, a);
    for (int k = 0; k < 3; k++) {
        img = make_image(same[k].data, same[k].t, 2, NY, NX, 0);
        int ok = locate(&p, &img, b) == LOCUS_OK && locus_table_rows(a) >= 3 &&
                 locus_table_rows(a) == locus_table_rows(b);
        const double *xa = locus_table_column(a, 1), *xb = locus_table_column(b, 1);
        const double *ma = locus_table_column(a, 2), *mb = locus_table_column(b, 2);
        for (size_t r = 0; ok && r < locus_table_rows(a); r++)
            ok = fabs(xa[r] - xb[r]) < 0.01 && fabs(ma[r] / mb[r] - 1) < 0.01;
        CHECK(ok, "%s with the band pass: uint16's features to within I's quantisation",
              locus_dtype_name(same[k].t));
    }
    locus_table_free(a);
    locus_table_free(b);
}

/*
 * np.percentile takes the difference of its two values in their own type:
 * for int8 -100 and 100 that is 200 - 256 = -56, so the 50% point between
 * them is 100 + 56 / 2 = 128, and no pixel exceeds it.
 */
static void test_signed_percentile(void)
{
    enum { N = 32 };
    static int8_t im[N * N];
    for (size_t i = 0; i < N * N; i++)
        im[i] = -100;
    static const int centres[2][2] = {{10, 10}, {21, 20}};
    size_t high = 0;
    for (int s = 0; s < 2; s++)
        for (int dy = -3; dy <= 3; dy++)
            for (int dx = -3; dx <= 3; dx++, high++)
                im[(centres[s][0] + dy) * N + centres[s][1] + dx] = 100;
    /* n values, the lowest N*N - high are -100: put the percentile halfway
     * between the last -100 and the first 100 */
    size_t n = N * N, low = n - high;
    locus_params p = params_d(5);
    p.preprocess = 0;
    p.percentile = 100 * ((double)low - 0.5) / (double)(n - 1);
    locus_image img = make_image(im, LOCUS_I8, 2, N, N, 0);
    locus_table *t = locus_table_create();
    int rc = locate(&p, &img, t);
    CHECK(rc == LOCUS_OK && locus_table_rows(t) == 0 && !locus_table_blank(t),
          "int8 percentile between -100 and 100 is 128 (NumPy wraps the difference): "
          "no features (%zu)",
          locus_table_rows(t));
    p.percentile = 10;
    rc = locate(&p, &img, t);
    CHECK(rc == LOCUS_OK && locus_table_rows(t) == 2,
          "a percentile among the -100s: both plateaus found (%zu)", locus_table_rows(t));
    locus_table_free(t);
}

/* bool: uint8 0/1 with threshold 1/255; inverted, the float64 image 1 - v. */
static void test_bool(void)
{
    static uint8_t b[NY * NX], b255[NY * NX], u8[NY * NX];
    static double inv[NY * NX];
    for (size_t i = 0; i < NY * NX; i++) {
        b[i] = field[i] > 0.3;
        b255[i] = b[i] ? 255 : 0; /* any non-zero byte is true */
        u8[i] = b[i];
        inv[i] = 1.0 - b[i];
    }
    locus_params p = params_d(7);
    locus_table *a = locus_table_create(), *c = locus_table_create();
    locus_image img = make_image(b, LOCUS_BOOL, 2, NY, NX, 0);
    int rc = locate(&p, &img, a);
    CHECK(rc == LOCUS_OK && locus_table_rows(a) >= 2, "bool: %zu features", locus_table_rows(a));
    locus_params q = p;
    q.threshold = 1 / 255.;
    img = make_image(u8, LOCUS_U8, 2, NY, NX, 0);
    CHECK(locate(&q, &img, c) == LOCUS_OK && tables_equal(a, c),
          "bool = uint8 0/1 with threshold 1/255 (trackpy: bool is not np.integer)");
    img = make_image(b255, LOCUS_BOOL, 2, NY, NX, 0);
    CHECK(locate(&p, &img, c) == LOCUS_OK && tables_equal(a, c), "bool bytes of 255 count as 1");
    locus_image sub = make_image(b + NX + 1, LOCUS_BOOL, 2, NY - 2, NX - 2, 0);
    sub.strides[0] = NX;
    locus_image subu8 = sub;
    subu8.data = u8 + NX + 1;
    subu8.dtype = LOCUS_U8;
    CHECK(locate(&p, &sub, a) == LOCUS_OK && locate(&q, &subu8, c) == LOCUS_OK &&
              tables_equal(a, c),
          "a strided bool view");
    p.invert = 1;
    img = make_image(b, LOCUS_BOOL, 2, NY, NX, 0);
    locus_image fimg = make_image(inv, LOCUS_F64, 2, NY, NX, 0);
    locus_params pf = params_d(7);
    rc = locate(&p, &img, a) || locate(&pf, &fimg, c);
    CHECK(rc == LOCUS_OK && locus_table_rows(a) >= 1 && tables_equal(a, c),
          "inverted bool = the float64 image 1 - v (%zu features)", locus_table_rows(a));
    locus_table_free(a);
    locus_table_free(c);
}

int main(void)
{
    make_field();
    test_invert();
    test_boxcar_truncation();
    test_same_values();
    test_signed_percentile();
    test_bool();
    return check_done();
}
