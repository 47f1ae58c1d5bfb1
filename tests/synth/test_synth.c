/* Synthetic movies: reproducibility, geometry, noise model, spots, samplers. */
#include "check.h"
#include "locus.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Testing hooks in src/synth/synth.c (not public API). */
#include "synth/synth_hooks.h"

#define GRADIENT 0.3

static double base_level(int bit_depth)
{
    return bit_depth == 8 ? 30 : 2000;
}

static double amp_max(int bit_depth)
{
    return bit_depth == 8 ? 180 : 12000;
}

/* The background model at (z, y, x) (z ignored for 2-D). */
static double background(const locus_synth_params *p, const size_t *idx)
{
    double f = 0;
    for (int a = 0; a < p->ndim; a++)
        f += (double)idx[a] / (double)(p->shape[a] - 1);
    return base_level(p->bit_depth) * (1 + GRADIENT * f / p->ndim);
}

static double pixel_at(const locus_image *img, size_t off)
{
    if (img->dtype == LOCUS_U8)
        return ((const uint8_t *)img->data)[off];
    return ((const uint16_t *)img->data)[off];
}

static size_t npixels(const locus_image *img)
{
    size_t n = 1;
    for (int a = 0; a < img->ndim; a++)
        n *= img->shape[a];
    return n;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *c = data;
    for (size_t i = 0; i < len; i++) {
        h ^= c[i];
        h *= 0x100000001B3u;
    }
    return h;
}

/* A hash of every frame's pixels and truth. */
static uint64_t movie_hash(const locus_synth_params *p, int *ok)
{
    locus_synth *s = NULL;
    locus_error err;
    uint64_t h = 0xCBF29CE484222325u;
    *ok = 0;
    if (locus_synth_create(&s, p, &err))
        return 0;
    locus_image img;
    const double *truth;
    size_t nt;
    for (size_t f = 0; f < p->frames; f++) {
        if (locus_synth_next(s, &img, &truth, &nt, &err)) {
            locus_synth_free(s);
            return 0;
        }
        h = fnv1a(h, img.data, npixels(&img) * locus_dtype_size(img.dtype));
        h = fnv1a(h, truth, nt * (size_t)(p->ndim + 1) * sizeof(double));
    }
    locus_synth_free(s);
    *ok = 1;
    return h;
}

static void test_defaults(void)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    CHECK(p.ndim == 2 && p.shape[0] == 384 && p.shape[1] == 512, "default shape 384x512");
    CHECK(p.frames == 10 && p.particles == 200, "default frames 10, particles 200");
    CHECK(p.sigma == 1.5 && p.snr == 20 && p.bit_depth == 8, "default sigma, snr, bit depth");
    CHECK(p.step == 0.5 && p.seed == 1, "default step and seed");
    CHECK(isnan(p.min_separation), "default min_separation is NaN (4 sigma + 2)");
}

static void test_reproducible(void)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.shape[0] = 64;
    p.shape[1] = 80;
    p.frames = 3;
    p.particles = 20;
    int ok1, ok2, ok3, ok4;
    uint64_t a = movie_hash(&p, &ok1), b = movie_hash(&p, &ok2);
    CHECK(ok1 && ok2 && a == b, "same seed: identical pixels and truth");
    p.seed = 2;
    uint64_t c = movie_hash(&p, &ok3);
    CHECK(ok3 && c != a, "different seed: a different movie");
    p.seed = 1;
    p.bit_depth = 16;
    uint64_t d = movie_hash(&p, &ok4);
    CHECK(ok4 && d != a, "16-bit movie differs from 8-bit");

    /* frame by frame: truth and pixels of two generators agree, different seeds differ */
    locus_synth *s1 = NULL, *s2 = NULL, *s3 = NULL;
    locus_error err;
    p.seed = 7;
    p.bit_depth = 8;
    locus_synth_create(&s1, &p, &err);
    locus_synth_create(&s2, &p, &err);
    p.seed = 8;
    locus_synth_create(&s3, &p, &err);
    CHECK(s1 && s2 && s3, "three generators created");
    if (!s1 || !s2 || !s3)
        goto out;
    int same = 1, truth_diff = 0, pix_diff = 0;
    for (size_t f = 0; f < p.frames; f++) {
        locus_image i1, i2, i3;
        const double *t1, *t2, *t3;
        size_t n1, n2, n3;
        locus_synth_next(s1, &i1, &t1, &n1, &err);
        locus_synth_next(s2, &i2, &t2, &n2, &err);
        locus_synth_next(s3, &i3, &t3, &n3, &err);
        same &= n1 == n2 && !memcmp(t1, t2, n1 * 3 * sizeof(double)) &&
                !memcmp(i1.data, i2.data, npixels(&i1));
        truth_diff += memcmp(t1, t3, n1 * 3 * sizeof(double)) != 0;
        pix_diff += memcmp(i1.data, i3.data, npixels(&i1)) != 0;
    }
    CHECK(same, "same seed: every frame identical");
    CHECK(truth_diff == 3 && pix_diff == 3, "different seed: every frame differs");
out:
    locus_synth_free(s1);
    locus_synth_free(s2);
    locus_synth_free(s3);
}

/*
 * The bytes for a seed are fixed: the same on every machine, compiler and
 * optimisation level. If the model is changed on purpose, update these.
 */
static void test_golden(void)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.frames = 2;
    int ok;
    uint64_t h = movie_hash(&p, &ok);
    printf("# default movie hash %016llx\n", (unsigned long long)h);
    CHECK(ok && h == UINT64_C(0x523b81d05df578ac), "default 8-bit movie has the known bytes");
    p.bit_depth = 16;
    p.ndim = 3;
    p.shape[0] = 24;
    p.shape[1] = 40;
    p.shape[2] = 48;
    p.particles = 12;
    h = movie_hash(&p, &ok);
    printf("# 3-D 16-bit movie hash %016llx\n", (unsigned long long)h);
    CHECK(ok && h == UINT64_C(0x88c7eebcba0a9b0f), "3-D 16-bit movie has the known bytes");
}

/* The noise of each row has its own stream: any number of threads gives the same bytes. */
static void test_threads(void)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.shape[0] = 1024;
    p.shape[1] = 768;
    p.frames = 2;
    p.particles = 500;
    p.bit_depth = 16;
    uint64_t h[3] = {0, 0, 0};
    static const int threads[3] = {1, 3, 8};
    for (int k = 0; k < 3; k++) {
        locus_synth *s = NULL;
        locus_error err;
        if (locus_synth_create(&s, &p, &err))
            break;
        locus_synth_set_threads(s, threads[k]);
        h[k] = 0xCBF29CE484222325u;
        locus_image img;
        const double *t;
        size_t n;
        while (locus_synth_next(s, &img, &t, &n, &err) == LOCUS_OK)
            h[k] = fnv1a(h[k], img.data, npixels(&img) * 2);
        locus_synth_free(s);
    }
    CHECK(h[0] && h[0] == h[1] && h[0] == h[2], "1, 3 and 8 threads give identical frames");
}

static void test_geometry(void)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.frames = 20;
    p.particles = 300;
    p.step = 3; /* large steps: reflections at the margin happen */
    locus_synth *s = NULL;
    locus_error err;
    int rc = locus_synth_create(&s, &p, &err);
    CHECK(rc == LOCUS_OK, "create 384x512 with 300 particles");
    if (rc)
        return;
    double margin = ceil(3 * p.sigma) + 2, sep = 4 * p.sigma + 2;
    int inside = 1, shape_ok = 1;
    double min_d = INFINITY, max_d0 = 0;
    double rms = 0;
    size_t nsteps = 0;
    double *prev = malloc(p.particles * 3 * sizeof(double));
    for (size_t f = 0; f < p.frames; f++) {
        locus_image img;
        const double *t;
        size_t n;
        if (locus_synth_next(s, &img, &t, &n, &err))
            break;
        shape_ok &= img.ndim == 2 && img.shape[0] == 384 && img.shape[1] == 512 &&
                    img.dtype == LOCUS_U8 && img.strides[1] == 1 && img.strides[0] == 512 &&
                    n == p.particles;
        for (size_t i = 0; i < n; i++) {
            const double *r = t + 3 * i;
            for (int a = 0; a < 2; a++)
                inside &= r[a] >= margin && r[a] <= (double)p.shape[a] - 1 - margin;
            inside &= r[2] >= 0.5 * 180 && r[2] <= 180;
            if (f == 0)
                for (size_t j = 0; j < i; j++) {
                    double dy = r[0] - t[3 * j], dx = r[1] - t[3 * j + 1];
                    double d = sqrt(dy * dy + dx * dx);
                    if (d < min_d)
                        min_d = d;
                }
            if (f > 0) {
                for (int a = 0; a < 2; a++) {
                    double d = r[a] - prev[3 * i + a];
                    rms += d * d;
                    nsteps++;
                }
                if (f > 0 && fabs(r[2] - prev[3 * i + 2]) > max_d0)
                    max_d0 = fabs(r[2] - prev[3 * i + 2]);
            }
        }
        memcpy(prev, t, n * 3 * sizeof(double));
    }
    free(prev);
    CHECK(shape_ok, "images are contiguous 384x512 uint8 with 300 truth rows");
    CHECK(inside, "every centre is within the margin %g and amplitudes in [90, 180]", margin);
    CHECK(min_d >= sep, "frame 0: closest pair %g >= min_separation %g", min_d, sep);
    CHECK(max_d0 == 0, "amplitudes do not change between frames");
    rms = sqrt(rms / (double)nsteps);
    /* reflections shorten a few steps slightly */
    CHECK(rms > 2.8 && rms < 3.15, "random-walk step rms %g ~ 3", rms);
    locus_synth_free(s);

    /* step 0: particles stay put; explicit min_separation is honoured */
    p.step = 0;
    p.min_separation = 25;
    p.particles = 150;
    p.frames = 3;
    rc = locus_synth_create(&s, &p, &err);
    CHECK(rc == LOCUS_OK, "create with min_separation 25");
    if (rc)
        return;
    locus_image img;
    const double *t;
    size_t n;
    double *first = malloc(p.particles * 3 * sizeof(double));
    locus_synth_next(s, &img, &t, &n, &err);
    memcpy(first, t, n * 3 * sizeof(double));
    min_d = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            double dy = t[3 * i] - t[3 * j], dx = t[3 * i + 1] - t[3 * j + 1];
            min_d = fmin(min_d, sqrt(dy * dy + dx * dx));
        }
    CHECK(min_d >= 25, "closest pair %g >= 25", min_d);
    locus_synth_next(s, &img, &t, &n, &err);
    locus_synth_next(s, &img, &t, &n, &err);
    CHECK(!memcmp(first, t, n * 3 * sizeof(double)), "step 0: positions unchanged");
    free(first);

    /* the end of the movie */
    rc = locus_synth_next(s, &img, &t, &n, &err);
    CHECK(rc == LOCUS_E_PARAM && strstr(err.message, "all 3 frames already produced"),
          "after the last frame: %s", err.message);
    locus_synth_free(s);
}

/*
 * Background and noise model, without particles: the mean follows the
 * sloped background, and the variance of (pixel - model) is
 * g m + r^2 + 1/12 with s = A_max / snr, g = 0.75 s^2 / B, r = s / 2.
 */
static void noise_model(int bit_depth, double snr)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.particles = 0;
    p.frames = 1;
    p.bit_depth = bit_depth;
    p.snr = snr;
    locus_synth *s = NULL;
    locus_error err;
    locus_image img;
    const double *t;
    size_t n;
    if (locus_synth_create(&s, &p, &err) || locus_synth_next(s, &img, &t, &n, &err)) {
        CHECK(0, "create a blank movie: %s", err.message);
        locus_synth_free(s);
        return;
    }
    double B = base_level(bit_depth), sd = amp_max(bit_depth) / snr;
    double gain = 0.75 * sd * sd / B, read2 = sd * sd / 4;
    size_t ny = p.shape[0], nx = p.shape[1];
    double sum = 0, sum_model = 0, sq = 0, var_model = 0;
    /* corner blocks of 32x32 */
    double corner_mean[4] = {0}, corner_model[4] = {0};
    for (size_t y = 0; y < ny; y++)
        for (size_t x = 0; x < nx; x++) {
            size_t idx[2] = {y, x};
            double m = background(&p, idx), v = pixel_at(&img, y * nx + x);
            sum += v;
            sum_model += m;
            sq += (v - m) * (v - m);
            var_model += gain * m + read2 + 1.0 / 12;
            if ((y < 32 || y >= ny - 32) && (x < 32 || x >= nx - 32)) {
                int c = (y >= 32) * 2 + (x >= 32);
                corner_mean[c] += v / 1024;
                corner_model[c] += m / 1024;
            }
        }
    double np = (double)(ny * nx);
    double mean_sd = sqrt(var_model / np);
    CHECK_NEAR(sum / np, sum_model / np, 5 * mean_sd + 1e-9, "image mean vs background model");
    for (int c = 0; c < 4; c++) {
        double tol = 5 * sqrt(var_model / np / 1024) + 0.02 * B / snr;
        CHECK(fabs(corner_mean[c] - corner_model[c]) <= tol,
              "%d-bit snr %g: corner %d mean %g vs model %g (tol %g)", bit_depth, snr, c,
              corner_mean[c], corner_model[c], tol);
    }
    double var = sq / np, want = var_model / np;
    CHECK(fabs(var / want - 1) < 0.02, "%d-bit snr %g: noise variance %g vs model %g", bit_depth,
          snr, var, want);
    locus_synth_free(s);
}

/* Noise-free spots: each pixel is the exact pixel integral of its spot. */
static double integral_1d(double c, double sigma, long i)
{
    double k = 1 / (sqrt(2.0) * sigma);
    return sqrt(2 * M_PI) * sigma * 0.5 * (erf((i + 0.5 - c) * k) - erf((i - 0.5 - c) * k));
}

static void spots(int ndim)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.ndim = ndim;
    if (ndim == 2) {
        p.shape[0] = 160;
        p.shape[1] = 200;
        p.particles = 40;
    } else {
        p.shape[0] = 48;
        p.shape[1] = 64;
        p.shape[2] = 64;
        p.particles = 8;
    }
    p.frames = 2;
    p.snr = 1e6;
    p.bit_depth = 16;
    p.min_separation = ndim == 2 ? 20 : 18;
    p.sigma = 1.5;
    locus_synth *s = NULL;
    locus_error err;
    if (locus_synth_create(&s, &p, &err)) {
        CHECK(0, "create: %s", err.message);
        return;
    }
    const int R = 6; /* half-width of the box summed around each spot */
    double worst_pos = 0, worst_mass = 0, worst_peak = 0, worst_ratio = 1;
    size_t nspots = 0;
    for (size_t f = 0; f < p.frames; f++) {
        locus_image img;
        const double *t;
        size_t n;
        if (locus_synth_next(s, &img, &t, &n, &err))
            break;
        size_t n3[3] = {1, 1, 1};
        for (int a = 0; a < ndim; a++)
            n3[3 - ndim + a] = p.shape[a];
        for (size_t i = 0; i < n; i++) {
            const double *r = t + (size_t)(ndim + 1) * i;
            double c3[3] = {0, 0, 0};
            for (int a = 0; a < ndim; a++)
                c3[3 - ndim + a] = r[a];
            double amp = r[ndim];
            /* an isolated spot: nobody within 2 R + 1 (steps may bring spots closer) */
            int isolated = 1;
            for (size_t j = 0; j < n; j++) {
                double d2 = 0;
                for (int a = 0; a < ndim; a++) {
                    double d = r[a] - t[(size_t)(ndim + 1) * j + a];
                    d2 += d * d;
                }
                if (j != i && d2 < (2 * R + 1.5) * (2 * R + 1.5))
                    isolated = 0;
            }
            if (!isolated)
                continue;
            long ci[3];
            for (int a = 0; a < 3; a++)
                ci[a] = lround(c3[a]);
            double mass = 0, mom[3] = {0, 0, 0}, peak = 0;
            long zr = ndim == 3 ? R : 0;
            for (long dz = -zr; dz <= zr; dz++)
                for (long dy = -R; dy <= R; dy++)
                    for (long dx = -R; dx <= R; dx++) {
                        long q[3] = {ci[0] + dz, ci[1] + dy, ci[2] + dx};
                        size_t idx[3] = {(size_t)q[0], (size_t)q[1], (size_t)q[2]};
                        size_t off = (idx[0] * n3[1] + idx[1]) * n3[2] + idx[2];
                        double v = pixel_at(&img, off);
                        double b = background(&p, ndim == 3 ? idx : idx + 1);
                        double w = v - b;
                        mass += w;
                        for (int a = 0; a < 3; a++)
                            mom[a] += w * (double)q[a];
                        if (dz == 0 && dy == 0 && dx == 0) {
                            double want = amp;
                            for (int a = 3 - ndim; a < 3; a++)
                                want *= integral_1d(c3[a], p.sigma, q[a]);
                            peak = w;
                            worst_peak = fmax(worst_peak, fabs(w - want));
                        }
                    }
            for (int a = 3 - ndim; a < 3; a++)
                worst_pos = fmax(worst_pos, fabs(mom[a] / mass - c3[a]));
            double want_mass = amp * pow(sqrt(2 * M_PI) * p.sigma, ndim);
            worst_mass = fmax(worst_mass, fabs(mass / want_mass - 1));
            worst_ratio = fmin(worst_ratio, peak / amp);
            nspots++;
        }
    }
    CHECK(nspots >= (ndim == 2 ? 40 : 8), "%d-D: %zu isolated spots measured", ndim, nspots);
    CHECK(worst_pos < 0.02, "%d-D: centroid within %g px of the truth", ndim, worst_pos);
    CHECK(worst_mass < 2e-3, "%d-D: integrated mass within %g of amplitude (2 pi sigma^2)^(d/2)",
          ndim, worst_mass);
    CHECK(worst_peak <= 0.6, "%d-D: nearest pixel = exact pixel integral (max error %g counts)",
          ndim, worst_peak);
    CHECK(worst_ratio > (ndim == 2 ? 0.85 : 0.8), "%d-D: peak pixel >= %g of the amplitude", ndim,
          worst_ratio);
    locus_synth_free(s);
}

static void test_range(void)
{
    /* 8-bit: the defaults use most of the range and rarely saturate */
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.frames = 3;
    locus_synth *s = NULL;
    locus_error err;
    locus_synth_create(&s, &p, &err);
    size_t sat = 0, total = 0, zero = 0;
    double vmax = 0;
    locus_image img;
    const double *t;
    size_t n;
    while (s && locus_synth_next(s, &img, &t, &n, &err) == LOCUS_OK) {
        const uint8_t *px = img.data;
        for (size_t i = 0; i < npixels(&img); i++) {
            sat += px[i] == 255;
            zero += px[i] == 0;
            vmax = fmax(vmax, px[i]);
        }
        total += npixels(&img);
    }
    CHECK(vmax > 200, "8-bit defaults reach %g (most of the range)", vmax);
    CHECK(sat < total / 2000, "8-bit defaults: %zu of %zu pixels saturated", sat, total);
    CHECK(zero < total / 1000, "8-bit defaults: %zu of %zu pixels clipped at 0", zero, total);
    locus_synth_free(s);

    /* very low snr: values are clipped to [0, 255], no wrap-around */
    p.snr = 0.5;
    p.frames = 1;
    s = NULL;
    locus_synth_create(&s, &p, &err);
    sat = zero = total = 0;
    if (s && locus_synth_next(s, &img, &t, &n, &err) == LOCUS_OK) {
        const uint8_t *px = img.data;
        for (size_t i = 0; i < npixels(&img); i++) {
            sat += px[i] == 255;
            zero += px[i] == 0;
        }
        total = npixels(&img);
    }
    CHECK(total && sat > 0 && zero > 0, "8-bit snr 0.5: clipped at both ends (%zu, %zu)", zero,
          sat);
    locus_synth_free(s);

    /* 16-bit defaults stay well below saturation */
    locus_synth_params_init(&p);
    p.bit_depth = 16;
    p.frames = 1;
    s = NULL;
    locus_synth_create(&s, &p, &err);
    vmax = 0;
    if (s && locus_synth_next(s, &img, &t, &n, &err) == LOCUS_OK) {
        const uint16_t *px = img.data;
        for (size_t i = 0; i < npixels(&img); i++)
            vmax = fmax(vmax, px[i]);
        CHECK(img.dtype == LOCUS_U16 && img.strides[1] == 2, "16-bit image is uint16");
    }
    CHECK(vmax > 8000 && vmax < 65535, "16-bit defaults peak at %g", vmax);
    locus_synth_free(s);

    /* noise-free: every pixel is the rounded model */
    locus_synth_params_init(&p);
    p.snr = INFINITY;
    p.particles = 0;
    p.frames = 1;
    s = NULL;
    locus_synth_create(&s, &p, &err);
    int exact = s != NULL;
    if (s && locus_synth_next(s, &img, &t, &n, &err) == LOCUS_OK) {
        for (size_t y = 0; y < p.shape[0]; y++)
            for (size_t x = 0; x < p.shape[1]; x++) {
                size_t idx[2] = {y, x};
                double m = background(&p, idx);
                exact &= fabs(pixel_at(&img, y * p.shape[1] + x) - m) <= 0.5 + 1e-9;
            }
    } else {
        exact = 0;
    }
    CHECK(exact, "snr = inf: the background model, rounded");
    locus_synth_free(s);
}

static void test_3d(void)
{
    locus_synth_params p;
    locus_synth_params_init(&p);
    p.ndim = 3;
    p.shape[0] = 24;
    p.shape[1] = 96;
    p.shape[2] = 80;
    p.particles = 30;
    p.frames = 4;
    locus_synth *s = NULL;
    locus_error err;
    int rc = locus_synth_create(&s, &p, &err);
    CHECK(rc == LOCUS_OK, "create 3-D 24x96x80: %s", rc ? err.message : "ok");
    if (rc)
        return;
    double margin = ceil(3 * p.sigma) + 2, sep = 4 * p.sigma + 2, min_d = INFINITY;
    int ok = 1, inside = 1;
    for (size_t f = 0; f < p.frames; f++) {
        locus_image img;
        const double *t;
        size_t n;
        if (locus_synth_next(s, &img, &t, &n, &err)) {
            ok = 0;
            break;
        }
        ok &= img.ndim == 3 && img.shape[0] == 24 && img.shape[1] == 96 && img.shape[2] == 80 &&
              img.strides[2] == 1 && img.strides[1] == 80 && img.strides[0] == 96 * 80 && n == 30;
        for (size_t i = 0; i < n; i++) {
            for (int a = 0; a < 3; a++)
                inside &= t[4 * i + a] >= margin && t[4 * i + a] <= p.shape[a] - 1 - margin;
            inside &= t[4 * i + 3] >= 90 && t[4 * i + 3] <= 180;
            for (size_t j = 0; f == 0 && j < i; j++) {
                double d2 = 0;
                for (int a = 0; a < 3; a++)
                    d2 += (t[4 * i + a] - t[4 * j + a]) * (t[4 * i + a] - t[4 * j + a]);
                min_d = fmin(min_d, sqrt(d2));
            }
        }
    }
    CHECK(ok, "3-D frames have shape (24, 96, 80) and 30 rows of (z, y, x, amplitude)");
    CHECK(inside, "3-D centres within the margin on every axis");
    CHECK(min_d >= sep, "3-D frame 0: closest pair %g >= %g", min_d, sep);
    locus_synth_free(s);
}

static void bad(const char *what, locus_synth_params p, const char *expect)
{
    locus_synth *s = (locus_synth *)&p; /* must be overwritten with NULL */
    locus_error err;
    err.message[0] = 0;
    int rc = locus_synth_create(&s, &p, &err);
    /* expect: "PARAM" or "PARAM: words the reason holds" */
    char param[64];
    snprintf(param, sizeof param, "%.*s", (int)strcspn(expect, ":"), expect);
    const char *words = strchr(expect, ':') ? strchr(expect, ':') + 2 : "";
    CHECK(rc == LOCUS_E_PARAM && err.status == LOCUS_E_PARAM && s == NULL &&
              !strcmp(err.param, param) && strstr(err.reason, words) &&
              !strncmp(err.message, param, strlen(param)),
          "%s: LOCUS_E_PARAM about %s (\"%s\")", what, param, err.message);
    if (rc == LOCUS_OK && s != (locus_synth *)&p)
        locus_synth_free(s);
}

static void test_bad_params(void)
{
    locus_synth_params p0, p;
    locus_synth_params_init(&p0);
    p = p0, p.ndim = 1;
    bad("ndim 1", p, "ndim");
    p = p0, p.ndim = 4;
    bad("ndim 4", p, "ndim");
    p = p0, p.shape[0] = 7;
    bad("shape 7", p, "shape: axis 0: 7");
    p = p0, p.shape[1] = 65537;
    bad("shape 65537", p, "shape: axis 1: 65537");
    p = p0, p.ndim = 3;
    bad("3-D with shape[2] unset", p, "shape: axis 2: 0");
    p = p0, p.frames = 0;
    bad("frames 0", p, "frames");
    p = p0, p.sigma = 0;
    bad("sigma 0", p, "sigma");
    p = p0, p.sigma = NAN;
    bad("sigma NaN", p, "sigma");
    p = p0, p.snr = -1;
    bad("snr -1", p, "snr");
    p = p0, p.snr = 0;
    bad("snr 0", p, "snr");
    p = p0, p.bit_depth = 12;
    bad("bit_depth 12", p, "bit_depth");
    p = p0, p.step = -0.1;
    bad("step -0.1", p, "step");
    p = p0, p.step = INFINITY;
    bad("step inf", p, "step");
    p = p0, p.min_separation = -1;
    bad("min_separation -1", p, "min_separation");
    p = p0, p.shape[0] = 32, p.shape[1] = 32, p.particles = 1000;
    bad("too many particles", p, "particles: cannot all be placed: 1000 with \037 8 in a 32x32");
    locus_error e2;
    locus_synth *s2 = NULL;
    locus_synth_create(&s2, &p, &e2);
    CHECK(!strcmp(e2.other, "min_separation") &&
              strstr(e2.message, "1000 with min_separation 8 in a 32x32 image"),
          "too many particles: the reason names min_separation (\"%s\")", e2.message);
    p = p0, p.shape[0] = 8, p.shape[1] = 8, p.particles = 1;
    bad("no room inside the margin", p, "particles: cannot all be placed: 1 with");
    p = p0, p.shape[0] = 8, p.shape[1] = 8, p.particles = 0;
    locus_synth *s = NULL;
    locus_error err;
    CHECK(locus_synth_create(&s, &p, &err) == LOCUS_OK, "8x8 with no particles is fine");
    locus_synth_free(s);
    CHECK(locus_synth_create(NULL, &p0, &err) == LOCUS_E_PARAM, "NULL output: LOCUS_E_PARAM");
    CHECK(locus_synth_create(&s, NULL, &err) == LOCUS_E_PARAM, "NULL params: LOCUS_E_PARAM");
    locus_synth_free(NULL);
}

static void test_poisson(double mean, size_t n)
{
    double *x = malloc(n * sizeof *x);
    locus_synth_poisson_fill(42, mean, n, x);
    double s = 0, s2 = 0;
    int integral = 1;
    for (size_t i = 0; i < n; i++) {
        s += x[i];
        integral &= x[i] == floor(x[i]) && x[i] >= 0;
    }
    double m = s / (double)n;
    for (size_t i = 0; i < n; i++)
        s2 += (x[i] - m) * (x[i] - m);
    double v = s2 / (double)(n - 1);
    CHECK(integral, "Poisson(%g): non-negative integers", mean);
    CHECK(fabs(m - mean) < 5 * sqrt(mean / (double)n), "Poisson(%g): mean %.6g", mean, m);
    /* var of the sample variance ~ (2 mean^2 + mean) / n */
    CHECK(fabs(v - mean) < 5 * sqrt((2 * mean * mean + mean) / (double)n),
          "Poisson(%g): variance %.6g", mean, v);
    /* the probabilities of single values near the mean: within 5 sigma */
    if (mean < 1e6) {
        int pmf_ok = 1;
        long k0 = (long)floor(mean - 2 * sqrt(mean)), k1 = (long)ceil(mean + 2 * sqrt(mean));
        if (k0 < 0)
            k0 = 0;
        for (long k = k0; k <= k1; k++) {
            size_t cnt = 0;
            for (size_t i = 0; i < n; i++)
                cnt += x[i] == (double)k;
            double pk = exp(-mean + k * log(mean) - lgamma(k + 1.0));
            double want = pk * (double)n, sd = sqrt(want * (1 - pk));
            if (fabs((double)cnt - want) > 5 * sd + 1) {
                pmf_ok = 0;
                printf("# Poisson(%g): P(%ld) count %zu, want %g\n", mean, k, cnt, want);
            }
        }
        CHECK(pmf_ok, "Poisson(%g): P(k) for k in [%ld, %ld] match the distribution", mean, k0, k1);
    }
    free(x);
}

static void test_normal(void)
{
    size_t n = 2000000;
    double *x = malloc(n * sizeof *x);
    locus_synth_normal_fill(3, n, x);
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double m = s / (double)n;
    for (size_t i = 0; i < n; i++)
        s2 += (x[i] - m) * (x[i] - m);
    CHECK(fabs(m) < 5 / sqrt((double)n), "normal: mean %g", m);
    CHECK(fabs(s2 / (double)n - 1) < 5 * sqrt(2.0 / (double)n), "normal: variance %g",
          s2 / (double)n);
    /* the distribution function at a few points, including the ziggurat's tail */
    static const double pts[] = {-4, -3.7, -2, -1, -0.3, 0, 0.5, 1.5, 2.5, 3.6541, 3.8, 4.5};
    int ok = 1;
    for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++) {
        size_t below = 0;
        for (size_t i = 0; i < n; i++)
            below += x[i] < pts[k];
        double pk = 0.5 * erfc(-pts[k] / sqrt(2.0));
        double want = pk * (double)n, sd = sqrt(want * (1 - pk));
        if (fabs((double)below - want) > 5 * sd + 1) {
            ok = 0;
            printf("# normal: P(z < %g) count %zu, want %g\n", pts[k], below, want);
        }
    }
    CHECK(ok, "normal: distribution function matches at 12 points");
    free(x);
}

static double ulps(double got, double want)
{
    if (got == want)
        return 0;
    double u = nextafter(fabs(want), INFINITY) - fabs(want);
    return fabs(got - want) / u;
}

static void test_math(void)
{
    double wl = 0, we = 0, wr = 0, wf = 0;
    uint64_t st = 12345;
    for (int i = 0; i < 200000; i++) {
        st = st * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(st >> 11) * 0x1.0p-53;
        double xl = exp((u - 0.5) * 1400);
        wl = fmax(wl, ulps(locus_synth_math(0, xl), log(xl)));
        double xe = (u - 0.5) * 1400;
        if (xe > -700)
            we = fmax(we, ulps(locus_synth_math(1, xe), exp(xe)));
        double xr = (u - 0.5) * 14;
        wr = fmax(wr, fabs(locus_synth_math(2, xr) - erf(xr)));
    }
    for (int k = 0; k < 2000; k++)
        wf = fmax(wf, fabs(locus_synth_math(3, k) - lgamma(k + 1.0)) / fmax(1, lgamma(k + 1.0)));
    CHECK(wl <= 4, "own log within %g ulp of libm", wl);
    CHECK(we <= 4, "own exp within %g ulp of libm", we);
    CHECK(wr <= 1e-14, "own erf within %g of libm", wr);
    CHECK(wf <= 1e-14, "own log(k!) within %g (relative) of lgamma", wf);
    CHECK(locus_synth_math(0, 1) == 0 && locus_synth_math(0, 0) == -HUGE_VAL &&
              locus_synth_math(1, 0) == 1 && locus_synth_math(2, 0) == 0 &&
              locus_synth_math(2, 7) == 1 && locus_synth_math(2, -7) == -1,
          "own log/exp/erf special values");
    CHECK(fabs(locus_synth_math(0, 0x1p-1070) - log(0x1p-1070)) < 1e-12 &&
              fabs(locus_synth_math(1, -740) / exp(-740) - 1) < 1e-6,
          "own log/exp at subnormals");
}

int main(void)
{
    test_defaults();
    test_reproducible();
    test_golden();
    test_threads();
    test_geometry();
    noise_model(8, 20);
    noise_model(16, 20);
    noise_model(16, 200);
    noise_model(8, 40);
    spots(2);
    spots(3);
    test_range();
    test_3d();
    test_bad_params();
    test_poisson(3, 1000000);
    test_poisson(0.05, 200000);
    test_poisson(9.5, 500000);
    test_poisson(10, 500000);
    test_poisson(30, 1000000);
    test_poisson(1e4, 1000000);
    test_poisson(1e9, 200000);
    test_normal();
    test_math();
    return check_done();
}
