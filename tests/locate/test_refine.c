/*
 * Refinement (LOCATE.md §6) through locus_refine_all with candidates set by
 * hand: centre of mass, iteration toward the centroid, clamping at the
 * image edge, the last-neighbourhood rule when iterations run out, and
 * the characterisation (size, ecc, signal, raw_mass). Every expected
 * value is worked out by hand in the comment next to it.
 *
 * Diameter 5 (r = 2) in 2-D: the mask is the 13 offsets with
 * dy² + dx² <= 4: (0,0), (0,±1), (±1,0), (±1,±1), (0,±2), (±2,0).
 */
#include "check.h"
#include "stage_helpers.h"
#include "locate/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 21 };

/* Refine the given candidates (linear indices); returns the features. */
static const feature *refine(locus_workspace *ws, const void *I, const void *raw,
                             const size_t *cand, size_t n)
{
    if (locus_mem_reserve((void **)&ws->cand, &ws->cand_cap, n * sizeof *ws->cand))
        return NULL;
    memcpy(ws->cand, cand, n * sizeof *cand);
    ws->ncand = n;
    CHECK(locus_refine_all(ws, I, raw, 1.0) == LOCUS_OK, "locus_refine_all runs");
    CHECK(ws->nfeat == n, "one feature per candidate (%zu)", ws->nfeat);
    return ws->feat;
}

/* The symmetric 3x3 blob: 9 at (10,10), 4 on the edges, 1 at the corners. */
static void put_blob(uint8_t im[N][N])
{
    im[10][10] = 9;
    im[9][10] = im[11][10] = im[10][9] = im[10][11] = 4;
    im[9][9] = im[9][11] = im[11][9] = im[11][11] = 1;
}

static void test_symmetric(void)
{
    static uint8_t im[N][N];
    put_blob(im);
    locus_image img = make_image(im, LOCUS_U8, 2, N, N, 0);
    locus_params p = params_d(5);
    locus_workspace *ws = planned(&p, &img);
    CHECK(ws->pl.nmask == 13, "diameter 5: 13 mask offsets (got %zu)", ws->pl.nmask);
    size_t c = 10 * N + 10;
    const feature *f = refine(ws, im, im, &c, 1);
    /* symmetric: centroid exactly at the centre */
    CHECK(f->pos[1] == 10 && f->pos[2] == 10, "symmetric blob: centre (%.17g, %.17g)", f->pos[1],
          f->pos[2]);
    /* mass 9 + 4*4 + 4*1 = 29 */
    CHECK_NEAR(f->mass, 29, 0, "symmetric blob: mass");
    /* size: Σ I |o|² = 4 edges * 4 * 1 + 4 corners * 1 * 2 = 24 -> sqrt(24/29) */
    CHECK_NEAR(f->size[0], sqrt(24.0 / 29), 1e-15, "symmetric blob: size");
    /* ecc: the centre counts in the cosine sum (θ = 0): 9; edges cancel
     * (+4+4 at θ = 0, π; -4-4 at θ = ±π/2); corners give cos = 0 and sin
     * +1 -1 -1 +1 = 0. So sqrt(9²) / (29 - 9 + 1e-6). */
    CHECK_NEAR(f->ecc, 9 / (20 + 1e-6), 1e-12, "symmetric blob: ecc");
    CHECK_NEAR(f->signal, 9, 0, "symmetric blob: signal");
    CHECK_NEAR(f->raw_mass, 29, 0, "symmetric blob: raw_mass");
    CHECK(f->centre == c, "symmetric blob: neighbourhood centre unchanged");
    locus_workspace_free(ws);
}

static void test_pair(void)
{
    static uint8_t im[N][N];
    im[10][10] = 4;
    im[10][11] = 2;
    locus_image img = make_image(im, LOCUS_U8, 2, N, N, 0);
    locus_params p = params_d(5);
    locus_workspace *ws = planned(&p, &img);
    size_t c = 10 * N + 10;
    const feature *f = refine(ws, im, im, &c, 1);
    /* m = 6; x moment Σ I (ox + 2) = 4*2 + 2*3 = 14 -> cm 14/6, off 1/3
     * (< 0.6: stop); x = 10 + 1/3 */
    CHECK_NEAR(f->pos[2], 10 + 2.0 / 6, 1e-14, "pair: x = 10 + 2/6");
    CHECK_NEAR(f->pos[1], 10, 0, "pair: y = 10");
    CHECK_NEAR(f->mass, 6, 0, "pair: mass 6");
    /* size sqrt((4*0 + 2*1) / 6) */
    CHECK_NEAR(f->size[0], sqrt(2.0 / 6), 1e-15, "pair: size sqrt(2/6)");
    /* ecc: both at θ = 0: Σ cos = 4 + 2 = 6, Σ sin = 0 -> 6 / (6 - 4 + 1e-6) */
    CHECK_NEAR(f->ecc, 6 / (2 + 1e-6), 1e-12, "pair: ecc 6 / 2.000001");
    CHECK_NEAR(f->signal, 4, 0, "pair: signal 4");
    CHECK_NEAR(f->raw_mass, 6, 0, "pair: raw_mass 6");

    /* raw different from I: raw = I + 10 -> raw_mass = 6 + 13 * 10 */
    static uint8_t raw[N][N];
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
            raw[y][x] = (uint8_t)(im[y][x] + 10);
    f = refine(ws, im, raw, &c, 1);
    CHECK_NEAR(f->raw_mass, 136, 0, "pair: raw_mass over raw (6 + 130)");
    CHECK_NEAR(f->mass, 6, 0, "pair: mass still from I");

    /* the pair along y: I(10,10) = 4, I(11,10) = 2 -> y = 10 + 1/3; the
     * partner at θ = π/2: Σ cos = 4 - 2 = 2 -> ecc 2 / 2.000001 */
    memset(im, 0, sizeof im);
    im[10][10] = 4;
    im[11][10] = 2;
    f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[1], 10 + 2.0 / 6, 1e-14, "vertical pair: y = 10 + 2/6");
    CHECK_NEAR(f->pos[2], 10, 0, "vertical pair: x = 10");
    CHECK_NEAR(f->ecc, 2 / (2 + 1e-6), 1e-12, "vertical pair: ecc 2 / 2.000001");
    locus_workspace_free(ws);
}

static void test_iteration(void)
{
    static uint8_t im[N][N];
    put_blob(im);
    locus_image img = make_image(im, LOCUS_U8, 2, N, N, 0);
    locus_params p = params_d(5);
    locus_workspace *ws = planned(&p, &img);
    size_t c = 10 * N + 8; /* two pixels left of the centre */
    const feature *f = refine(ws, im, im, &c, 1);
    /* (10,8): the mask sees (10,10) = 9 at dx +2, (10,9) = 4 at +1,
     * (9,9) = (11,9) = 1 at +1: m = 15, x moment 9*4 + 4*3 + 1*3 + 1*3 =
     * 54, cm 3.6, off 1.6 -> move to (10,9). There m = 27, moment 79,
     * off 79/27 - 2 = 0.93 -> move to (10,10), where off = 0. */
    CHECK(f->pos[2] == 10 && f->pos[1] == 10, "two pixels off: moves to the centre (%.17g, %.17g)",
          f->pos[1], f->pos[2]);
    CHECK_NEAR(f->mass, 29, 0, "two pixels off: mass of the final neighbourhood");
    CHECK(f->centre == 10 * N + 10, "two pixels off: final neighbourhood at (10,10)");
    locus_workspace_free(ws);

    /* max_iterations = 1: the first neighbourhood is kept. x = 8 + 1.6 =
     * 9.6, mass 15; size: Σ I |o|² = 9*4 + 4*1 + 1*2 + 1*2 = 44 ->
     * sqrt(44/15); signal 9; ecc: (0,+2) and (0,+1) at θ = 0 give
     * Σ cos = 13, the corners at θ = ±π/4 give sin -1 + 1 = 0; centre
     * I(10,8) = 0 -> 13 / (15 - 0 + 1e-6). */
    p.max_iterations = 1;
    ws = planned(&p, &img);
    f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[2], 9.6, 1e-14, "max_iterations 1: x = 9.6");
    CHECK_NEAR(f->pos[1], 10, 0, "max_iterations 1: y = 10");
    CHECK_NEAR(f->mass, 15, 0, "max_iterations 1: mass 15");
    CHECK_NEAR(f->size[0], sqrt(44.0 / 15), 1e-15, "max_iterations 1: size sqrt(44/15)");
    CHECK_NEAR(f->ecc, 13 / (15 + 1e-6), 1e-12, "max_iterations 1: ecc 13 / 15.000001");
    CHECK_NEAR(f->signal, 9, 0, "max_iterations 1: signal 9");
    CHECK_NEAR(f->raw_mass, 15, 0, "max_iterations 1: raw_mass 15");
    CHECK(f->centre == c, "max_iterations 1: neighbourhood at the candidate");
    locus_workspace_free(ws);

    /* max_iterations = 2: the second sum (at (10,9)) wants to move again
     * but the iterations run out: position and mass from (10,9):
     * x = 9 + 79/27 - 2, mass 27, characterised at (10,9): Σ I |o|² =
     * 9*1 + 4*4 + 1*1 + 4*2 + 1*1 + 4*2 = 43 -> size sqrt(43/27),
     * raw_mass 27. */
    p.max_iterations = 2;
    ws = planned(&p, &img);
    f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[2], 9 + (79.0 / 27 - 2), 1e-14, "max_iterations 2: x = 9 + 79/27 - 2");
    CHECK_NEAR(f->mass, 27, 0, "max_iterations 2: mass 27");
    CHECK(f->centre == 10 * N + 9, "max_iterations 2: characterised at (10,9), not (10,10)");
    CHECK_NEAR(f->size[0], sqrt(43.0 / 27), 1e-15, "max_iterations 2: size sqrt(43/27)");
    CHECK_NEAR(f->raw_mass, 27, 0, "max_iterations 2: raw_mass 27");
    locus_workspace_free(ws);

    /* max_iterations 0 acts as 1 */
    p.max_iterations = 0;
    ws = planned(&p, &img);
    f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[2], 9.6, 1e-14, "max_iterations 0 acts as 1: x = 9.6");
    locus_workspace_free(ws);

    /* a diagonal offset: candidate (8,8) walks to (10,10) on both axes */
    p.max_iterations = 10;
    ws = planned(&p, &img);
    c = 8 * N + 8;
    f = refine(ws, im, im, &c, 1);
    CHECK(f->pos[1] == 10 && f->pos[2] == 10 && f->mass == 29,
          "diagonal offset: moves to (10,10) (%.17g, %.17g)", f->pos[1], f->pos[2]);
    locus_workspace_free(ws);
}

static void test_clamp(void)
{
    static uint8_t im[N][N];
    locus_image img = make_image(im, LOCUS_U8, 2, N, N, 0);
    locus_params p = params_d(5);
    locus_workspace *ws = planned(&p, &img);

    /* right edge: I(10,20) = 8, I(10,18) = 2, candidate (10,18).
     * m = 10, x moment 2*2 + 8*4 = 36, cm 3.6, off 1.6: the move to x = 19
     * is clamped back to 21 - 1 - 2 = 18, so nothing changes:
     * x = 18 + 1.6 = 19.6. */
    im[10][20] = 8;
    im[10][18] = 2;
    size_t c = 10 * N + 18;
    const feature *f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[2], 19.6, 1e-14, "right edge: x = 19.6, clamped");
    CHECK_NEAR(f->mass, 10, 0, "right edge: mass 10");
    CHECK_NEAR(f->signal, 8, 0, "right edge: signal 8");
    CHECK(f->centre == c, "right edge: neighbourhood stays at x = 18");

    /* left edge: I(10,0) = 8, I(10,2) = 2, candidate (10,2): x moment
     * 8*0 + 2*2 = 4, cm 0.4, off -1.6 -> clamped at x = 2: x = 0.4 */
    memset(im, 0, sizeof im);
    im[10][0] = 8;
    im[10][2] = 2;
    c = 10 * N + 2;
    f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[2], 0.4, 1e-14, "left edge: x = 0.4, clamped");

    /* top edge, and x free to move: I(0,12) = 8, I(2,12) = 2, candidate
     * (2,11). Its mask sees only (2,12) (dx +1; (0,12) is at dy² + dx² =
     * 5 > 4): off x = +1 -> move to (2,12). There m = 10, y moment
     * 8*0 + 2*2 = 4, off -1.6: the move to y = 1 is clamped back to 2.
     * y = 2 - 1.6 = 0.4, x = 12. */
    memset(im, 0, sizeof im);
    im[0][12] = 8;
    im[2][12] = 2;
    c = 2 * N + 11;
    f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[1], 0.4, 1e-14, "top edge: y = 0.4, clamped");
    CHECK_NEAR(f->pos[2], 12, 0, "top edge: x moved to 12");
    CHECK(f->centre == 2 * N + 12, "top edge: neighbourhood at (2,12)");
    locus_workspace_free(ws);
}

static void test_characterize_off(void)
{
    static uint8_t im[N][N];
    im[10][10] = 4;
    im[10][11] = 2;
    locus_image img = make_image(im, LOCUS_U8, 2, N, N, 0);
    locus_params p = params_d(5);
    p.characterize = 0;
    locus_workspace *ws = planned(&p, &img);
    size_t c = 10 * N + 10;
    const feature *f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[2], 10 + 2.0 / 6, 1e-14, "characterize off: x still refined");
    CHECK_NEAR(f->mass, 6, 0, "characterize off: mass 6");
    CHECK(isnan(f->signal) && isnan(f->raw_mass) && isnan(f->ecc),
          "characterize off: signal, raw_mass, ecc not measured (NaN)");
    locus_workspace_free(ws);
}

static void test_anisotropic(void)
{
    /* diameter (3, 5): r = (1, 2); mask (oy/1)² + (ox/2)² <= 1: the row
     * oy = 0 with ox -2..2, and (±1, 0): 7 offsets.
     * I(10,10) = 4, I(10,12) = 2, I(11,10) = 2; m = 8.
     * y moment Σ I (oy + 1) = 4*1 + 2*1 + 2*2 = 10 -> 1.25, off 0.25;
     * x moment Σ I (ox + 2) = 4*2 + 2*4 + 2*2 = 20 -> 2.5, off 0.5.
     * size_y = sqrt(2 * Σ I oy² / m) = sqrt(2 * 2 / 8) = sqrt(0.5)
     * size_x = sqrt(2 * Σ I ox² / m) = sqrt(2 * 8 / 8) = sqrt(2)
     * ecc: centre +4, (0,2) at θ = 0 +2, (1,0) at θ = π/2 -2 -> 4 / (8 - 4 + 1e-6) */
    static uint8_t im[N][N];
    im[10][10] = 4;
    im[10][12] = 2;
    im[11][10] = 2;
    locus_image img = make_image(im, LOCUS_U8, 2, N, N, 0);
    locus_params p = params_d(3);
    p.diameter.count = 2;
    p.diameter.v[1] = 5;
    locus_workspace *ws = planned(&p, &img);
    CHECK(ws->pl.nmask == 7, "diameter (3,5): 7 mask offsets (got %zu)", ws->pl.nmask);
    size_t c = 10 * N + 10;
    const feature *f = refine(ws, im, im, &c, 1);
    CHECK_NEAR(f->pos[1], 10.25, 1e-14, "aniso: y = 10.25");
    CHECK_NEAR(f->pos[2], 10.5, 1e-14, "aniso: x = 10.5");
    CHECK_NEAR(f->mass, 8, 0, "aniso: mass 8");
    CHECK_NEAR(f->size[0], sqrt(0.5), 1e-15, "aniso: size_y sqrt(0.5)");
    CHECK_NEAR(f->size[1], sqrt(2.0), 1e-15, "aniso: size_x sqrt(2)");
    CHECK_NEAR(f->ecc, 4 / (4 + 1e-6), 1e-12, "aniso: ecc 4 / 4.000001");
    locus_workspace_free(ws);
}

static void test_3d(void)
{
    /* diameter 3 (r = 1): mask of 7 offsets (Σ o² <= 1).
     * I(4,4,4) = 6, I(4,4,5) = 3, I(3,4,4) = 3; m = 12.
     * x = 4 + 3/12 = 4.25, z = 4 - 3/12 = 3.75, y = 4.
     * size sqrt((3*1 + 3*1) / 12) = sqrt(0.5); ecc NaN in 3-D. */
    static uint8_t v[9][9][9];
    v[4][4][4] = 6;
    v[4][4][5] = 3;
    v[3][4][4] = 3;
    locus_image img = make_image(v, LOCUS_U8, 3, 9, 9, 9);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    CHECK(ws->pl.nmask == 7, "3-D diameter 3: 7 mask offsets");
    size_t c = (4 * 9 + 4) * 9 + 4;
    const feature *f = refine(ws, v, v, &c, 1);
    CHECK_NEAR(f->pos[0], 3.75, 1e-14, "3-D: z = 3.75");
    CHECK_NEAR(f->pos[1], 4, 0, "3-D: y = 4");
    CHECK_NEAR(f->pos[2], 4.25, 1e-14, "3-D: x = 4.25");
    CHECK_NEAR(f->mass, 12, 0, "3-D: mass 12");
    CHECK_NEAR(f->size[0], sqrt(0.5), 1e-15, "3-D: size sqrt(0.5)");
    CHECK(isnan(f->ecc), "3-D: ecc NaN");
    CHECK_NEAR(f->signal, 6, 0, "3-D: signal 6");
    locus_workspace_free(ws);
}

static void test_types_and_order(void)
{
    /* uint16 I with values above 255: 40000 and 20000 -> x = 10 + 1/3 */
    static uint16_t im[N][N];
    im[10][10] = 40000;
    im[10][11] = 20000;
    im[4][4] = 100; /* a second candidate, isolated */
    locus_image img = make_image(im, LOCUS_U16, 2, N, N, 0);
    locus_params p = params_d(5);
    locus_workspace *ws = planned(&p, &img);
    size_t c[2] = {4 * N + 4, 10 * N + 10};
    const feature *f = refine(ws, im, im, c, 2);
    CHECK_NEAR(f[0].pos[1], 4, 0, "uint16: first candidate first (y 4)");
    CHECK_NEAR(f[0].mass, 100, 0, "uint16: first candidate mass 100");
    CHECK_NEAR(f[1].pos[2], 10 + 1.0 / 3, 1e-14, "uint16: x = 10 + 1/3");
    CHECK_NEAR(f[1].mass, 60000, 0, "uint16: mass 60000");
    CHECK_NEAR(f[1].signal, 40000, 0, "uint16: signal 40000");
    locus_workspace_free(ws);

    /* float32 image: I is uint8, raw stays float32 (raw_mass sums raw) */
    static uint8_t I[N][N];
    static float raw[N][N];
    I[10][10] = 4;
    I[10][11] = 2;
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
            raw[y][x] = 0.25f;
    raw[10][10] = 1.5f;
    img = make_image(raw, LOCUS_F32, 2, N, N, 0);
    ws = planned(&p, &img);
    CHECK(ws->pl.itype == LOCUS_U8, "float32 image: I is uint8");
    size_t c1 = 10 * N + 10;
    f = refine(ws, I, raw, &c1, 1);
    /* raw_mass: 12 pixels of 0.25 + 1.5 = 4.5 */
    CHECK_NEAR(f->raw_mass, 4.5, 0, "float32 raw: raw_mass 12 * 0.25 + 1.5");
    CHECK_NEAR(f->pos[2], 10 + 2.0 / 6, 1e-14, "float32 raw: x from I");
    locus_workspace_free(ws);
}

/*
 * Random uint8 and uint16 images, uint16 values across the whole range
 * (above 32767 too), refined from every pixel inside the margins, for
 * radii 1 to 8: the same features as from the same values as uint32,
 * whose sums take the plain run loops (the vector lanes of uint8/uint16
 * I stop at radius 7).
 */
static void lanes_vs_plain(locus_dtype t, double d)
{
    enum { NY = 40, NX = 70 };
    static uint8_t im8[NY * NX];
    static uint16_t im16[NY * NX];
    static uint32_t im32[NY * NX];
    static uint64_t st = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < NY * NX; i++) {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        uint32_t v = (uint32_t)(st >> 20) & (t == LOCUS_U8 ? 0xFFu : 0xFFFFu);
        im8[i] = (uint8_t)v;
        im16[i] = (uint16_t)v;
        im32[i] = v;
    }
    const void *I = t == LOCUS_U8 ? (const void *)im8 : im16;
    locus_image img = make_image(I, t, 2, NY, NX, 0),
                img32 = make_image(im32, LOCUS_U32, 2, NY, NX, 0);
    locus_params p = params_d(d);
    locus_workspace *ws = planned(&p, &img), *ref = planned(&p, &img32);
    int r = ws->pl.radius[2];
    size_t n = 0;
    static size_t cand[NY * NX];
    for (int y = r; y < NY - r; y++)
        for (int x = r; x < NX - r; x++)
            cand[n++] = (size_t)(y * NX + x);
    const feature *f = refine(ws, I, I, cand, n), *g = refine(ref, im32, im32, cand, n);
    size_t bad = 0;
    for (size_t i = 0; f && g && i < n; i++)
        bad += memcmp(&f[i], &g[i], sizeof *f) != 0;
    CHECK(f && g && bad == 0,
          "%s, diameter %g (radius %d): %zu features equal uint32's (%zu differ)",
          t == LOCUS_U8 ? "uint8" : "uint16", d, r, n, bad);
    /* the same candidates refined in uneven pieces (as §5's bands hand
     * them over), each piece after the last: the same features */
    static feature whole[NY * NX];
    memcpy(whole, f, n * sizeof *f);
    memset(ws->feat, 0xAB, n * sizeof *f);
    size_t from = 0, piece = 1, pieces = 0;
    int rc = LOCUS_OK;
    while (rc == LOCUS_OK && from < n) {
        size_t to = from + piece < n ? from + piece : n;
        rc = locus_refine_range(ws, I, I, 1.0, from, to);
        from = to;
        piece = piece * 3 + 1;
        pieces++;
    }
    bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += memcmp(&ws->feat[i], &whole[i], sizeof *f) != 0;
    CHECK(rc == LOCUS_OK && bad == 0 && pieces > 3,
          "%s, diameter %g: refined in %zu pieces, the same %zu features (%zu differ)",
          t == LOCUS_U8 ? "uint8" : "uint16", d, pieces, n, bad);
    locus_workspace_free(ws);
    locus_workspace_free(ref);
}

static void test_lanes(void)
{
    static const double d[] = {3, 5, 7, 11, 13, 15, 17};
    for (size_t k = 0; k < sizeof d / sizeof *d; k++) {
        lanes_vs_plain(LOCUS_U8, d[k]);
        lanes_vs_plain(LOCUS_U16, d[k]);
    }
}

int main(void)
{
    test_symmetric();
    test_pair();
    test_iteration();
    test_clamp();
    test_characterize_off();
    test_anisotropic();
    test_3d();
    test_types_and_order();
    test_lanes();
    return check_done();
}
