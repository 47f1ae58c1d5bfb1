/*
 * The plan: everything locate derives from (parameters, image shape,
 * pixel type) before looking at pixels — Gaussian taps, the circular
 * mask, margins, box sizes — computed once and reused for every frame
 * with the same key. Also the workspace and the stage functions, one
 * source file per stage:
 *
 *   preprocess.c  §2-3  invert, boxcar background, Gaussian low pass, bp
 *   scale.c       §4    the integer working image I
 *   maxima.c      §5    percentile threshold, box maximum, candidates
 *   refine.c      §6    centre of mass and characterisation
 *   duplicates.c  §7    separation-based duplicate removal
 *   noise.c       §9    background dilation, black level, noise, ep
 *   locate.c            the pipeline, filters and top-n (§8)
 *
 * Internally every image is 3-D: a 2-D image has a leading axis of
 * length 1 whose parameters are neutral (radius 0, width 1, sigma 0),
 * so one code path serves both. "Axis" below means such a padded axis
 * (0 = z, 1 = y, 2 = x) unless it says otherwise.
 */
#ifndef LOCUS_PLAN_H
#define LOCUS_PLAN_H

#include "common/internal.h"

/* Parameters checked and expanded to one value per image axis (in the
 * image's own axes, 0..nd-1). */
typedef struct {
    int nd;
    int diameter[3], radius[3], smoothing[3], margin[3], box[3];
    double separation[3], noise_size[3];
    int isotropic, isotropic_noise, aniso_size, aniso_ep;
    int has_maxsize, dedupe, max_iterations;
} resolved_params;

int locus_params_resolve(const locus_params *p, int nd, resolved_params *rp, locus_error *err);
int locus_params_columns(const resolved_params *rp, int characterize, const char **names);

/* One offset of the circular (elliptical) mask M, docs/ALGORITHM.md §6. */
typedef struct {
    int o[3];          /* offset per padded axis */
    ptrdiff_t delta;   /* linear offset in pixels */
    int64_t r2;        /* |o|^2 */
    double cos2, sin2; /* cos 2θ, sin 2θ with θ = atan2(o_y, o_x) */
} mask_point;

/* One row of the mask: pixels (dz, dy, -half..half). */
typedef struct {
    ptrdiff_t row_delta; /* linear offset of (dz, dy, 0) */
    int dz, dy, half;
} mask_row;

typedef struct {
    /* key */
    locus_params params;
    int nd;
    size_t shape[3]; /* padded */
    locus_dtype dtype;

    resolved_params rp;
    size_t npix;
    locus_dtype itype; /* type I is stored in: the raw integer type, or uint8 (see plan.c) */
    double threshold;
    int radius[3], smoothing[3], margin[3], box[3];
    double separation[3], noise_size[3];

    double *gauss[3]; /* taps g[0..w] (g[j] = g[-j]) per axis, or NULL */
    int gauss_w[3];

    mask_point *mask;
    size_t nmask;
    mask_row *rows;
    size_t nrows;
    double moment[3]; /* sqrt(Σ o_a²) over M */
} plan;

void locus_plan_clear(plan *pl);
/* Build pl for these parameters and an image of this shape and type. */
int locus_plan_build(plan *pl, const locus_params *p, const locus_image *img, locus_error *err);
/* Whether pl was built for exactly this key. */
int locus_plan_matches(const plan *pl, const locus_params *p, const locus_image *img);

/* A refined feature (positions per padded axis). */
typedef struct {
    double pos[3];
    double mass;
    double size[3];
    double ecc, signal, raw_mass;
    double ep[3];
    size_t centre; /* linear index of the neighbourhood's centre */
} feature;

struct locus_workspace {
    plan pl;
    int planned;

    void *raw; /* contiguous (and inverted) copy of the input, if needed */
    size_t raw_cap;
    void *bg[2]; /* boxcar background, ping-pong */
    size_t bg_cap[2];
    double *lp; /* low pass, then bp (doubles, or floats: locus_preprocess_bandpass_f32) */
    size_t lp_cap;
    size_t bp_unsettled; /* pixels of the last float bp made from the exact bp */
    void *line;          /* per-line scratch (padded lines, rings of rows) */
    size_t line_cap;
    void *dmax; /* box maximum of I; reused as the dilation map */
    size_t dmax_cap;
    void *dmax2; /* second buffer for 3-D box maxima */
    size_t dmax2_cap;
    uint32_t *hist; /* value histogram (percentile, background) */
    size_t hist_cap;
    uint64_t *nonzero; /* bit i % 64 of word i / 64: pixel i of I is non-zero */
    size_t nonzero_cap;

    size_t *cand; /* candidate linear indices */
    size_t cand_cap, ncand;
    feature *feat;
    size_t feat_cap, nfeat;
    unsigned char *drop; /* duplicate flags */
    size_t drop_cap;
    feature *top; /* the features top-n keeps */
    size_t top_cap;
    size_t *order; /* scratch index arrays */
    size_t order_cap;
    double *scratch; /* background values for float images */
    size_t scratch_cap;
    void *conv; /* a bool image as uint8 or (inverted) float64, locate.c */
    size_t conv_cap;
};

/* §2-3: returns the image the later stages treat as raw (pointer to
 * ws->raw or the caller's data), of type pl->dtype, contiguous. */
int locus_preprocess_raw(locus_workspace *ws, const locus_image *img, const void **raw,
                         locus_error *err);
/* §3a: boxcar background of raw into a buffer of raw's type; returns it. */
int locus_preprocess_boxcar(locus_workspace *ws, const void *raw, const void **background);
/* §3b-c: bp = lowpass(raw) - background, thresholded, into ws->lp; *bp_max = max(bp).
 * background NULL (2-D images only): the boxcar is made row by row as the
 * band pass needs it, the same rows locus_preprocess_boxcar gives. */
int locus_preprocess_bandpass(locus_workspace *ws, const void *raw, const void *background,
                              double *bp_max);

/*
 * The band pass of a 2-D uint8 or uint16 image with bp stored rounded to
 * float: half the bytes written and read again of a frame's bp (a
 * 2048x2048 frame's 32 MB of doubles is 16 MB). Exact all the same: the
 * maximum is taken of the doubles, and locus_scale_to_integer_f32 makes
 * every pixel of I that the float does not settle from
 * locus_preprocess_bandpass_at. applies: whether the plan takes this form.
 */
static inline int locus_bandpass_f32_applies(const plan *pl)
{
    return pl->params.preprocess && pl->shape[0] == 1 && !pl->gauss[0] &&
           (pl->dtype == LOCUS_U8 || pl->dtype == LOCUS_U16);
}
int locus_preprocess_bandpass_f32(locus_workspace *ws, const void *raw, double *bp_max);
/* bp at pixel (y, x) of a 2-D uint8/uint16 image, as the band pass makes it. */
double locus_preprocess_bandpass_at(const plan *pl, const void *raw, size_t y, size_t x);

/* §4: I = trunc(scale * max(bp, 0)), written over ws->lp (bp is gone
 * after); returns scale and I. */
int locus_scale_to_integer(locus_workspace *ws, double bp_max, double *scale, const void **I);
/*
 * The same from the float bp of locus_preprocess_bandpass_f32. A pixel
 * whose float cannot settle its value of I (an integer lies within the
 * float's rounding of scale * bp) is made from the exact bp at that
 * pixel. When more than 1 / BP_F32_UNSETTLED_SHARE of a frame's pixels
 * (plus BP_F32_UNSETTLED_FLOOR) need that, it stops with *settled = 0
 * and the caller makes bp in doubles instead: a frame never costs much
 * more than the double form.
 * ws->bp_unsettled counts the pixels made from the exact bp.
 */
enum { BP_F32_UNSETTLED_SHARE = 64, BP_F32_UNSETTLED_FLOOR = 4096 };
int locus_scale_to_integer_f32(locus_workspace *ws, const void *raw, double bp_max, double *scale,
                               const void **I, int *settled);
/* (It also leaves in ws->hist the histogram of every PCT_SAMPLE_STEP-th
 * pixel of I, the sample §5's threshold starts from: `sampled` below,
 * and in ws->nonzero the bits of I's non-zero pixels, which §9 starts
 * from: both are taken while each block of I is in L1.) */

/*
 * Where locus_maxima_find hands over candidates as it finds them: on a
 * 2-D frame, those of each band of rows, [from, to) of ws->cand, while
 * the band's rows of I are still in cache (refinement reads them again).
 * `done` counts the candidates handed over; the caller takes the rest
 * (all of them, where §5 makes no bands) afterwards.
 */
typedef struct {
    int (*take)(void *user, locus_workspace *ws, size_t from, size_t to);
    void *user;
    size_t done;
} locus_band_sink;

/* §5: candidates of I (ws->cand). Returns 0 and sets *blank when I has no
 * non-zero pixel. sampled: ws->hist already holds the histogram of I's
 * sample (made with I by locus_scale_to_integer_f32). sink: NULL, or
 * where each band's candidates go as they are found. */
int locus_maxima_find(locus_workspace *ws, const void *I, int sampled, int *blank,
                      locus_band_sink *sink);
/* The same for an I that maxima.c does not take (pl->itype uint32, or a
 * signed raw image without the band pass): maxima_wide.c. */
int locus_maxima_find_wide(locus_workspace *ws, const void *I, int *blank);
/* Whether such an I has a local maximum anywhere, margins included. */
int locus_maxima_any_wide(locus_workspace *ws, const void *I, int *any);
/* D = the box maximum of I (docs/ALGORITHM.md §5) in ws->dmax; D may be I itself
 * when every box is 1 pixel. */
int locus_maxima_box_max(locus_workspace *ws, const void *I, const void **D);
/* §5's threshold of a uint8/uint16 I: the percentile of its non-zero
 * values in *t, their count in *nonzero. */
int locus_maxima_threshold(locus_workspace *ws, const void *I, int sampled, double *t,
                           size_t *nonzero);
/* The percentile of the non-zero values of I (numpy's linear method). */
double locus_maxima_percentile(const uint32_t *hist, size_t nbins, double percentile,
                               size_t *nonzero);
/* The same for a uint8 or uint16 I by sampling first (every
 * PCT_SAMPLE_STEP-th pixel), in one pass: 1 with *value and *nonzero
 * set, or 0 when the sample's window missed (then use the histograms).
 * scratch: locus_maxima_sampled_scratch(t) counts (at most 65536 + 4096),
 * whose first bins already hold the sample's histogram when `sampled`.
 * The step is prime: no alignment with the rows of common widths. */
enum { PCT_SAMPLE_STEP = 31 };
int locus_maxima_percentile_sampled(const void *I, locus_dtype t, size_t npix, double percentile,
                                    uint32_t *scratch, int sampled, double *value, size_t *nonzero);
size_t locus_maxima_sampled_scratch(locus_dtype t);
/* Bins of the sample's histogram, the first of that scratch: one per value of I. */
size_t locus_maxima_sample_bins(locus_dtype t);
/* The same, straight from a uint16 image (two small histograms, not one of 65536 bins). */
double locus_maxima_percentile_u16(const uint16_t *I, size_t npix, double percentile,
                                   size_t *nonzero);

/* §6: refine every candidate into ws->feat. Features whose mass will
 * fail minmass (mass / scale <= minmass) are not characterised. */
int locus_refine_all(locus_workspace *ws, const void *I, const void *raw, double scale);
/* The same for candidates [from, to) into ws->feat[from, to) (ws->feat
 * grown to hold them, the features before from kept). */
int locus_refine_range(locus_workspace *ws, const void *I, const void *raw, double scale,
                       size_t from, size_t to);

/* §8's mass filter on a mass not yet scaled back: refinement
 * characterises, §7 judges and §8 keeps only the features it passes. */
static inline int locus_passes_minmass(const plan *pl, double mass, double scale)
{
    return mass / scale > pl->params.minmass;
}

/* §7: ws->drop[i] = 1 for each duplicate among the ws->nfeat features
 * that pass the mass filter (and those of NaN mass), 0 for the rest: the
 * features that fail it cannot change which of those stay (see
 * duplicates.c), and §8 leaves them out anyway. The features stay where
 * they are: the filters of §8 leave the duplicates out as they keep the
 * rest, one pass over the features instead of two. */
int locus_duplicates_mark(locus_workspace *ws, double scale);

/* §9: ep of every feature in ws->feat. nonzero: the bits of I's
 * non-zero pixels (ws->nonzero as locus_scale_to_integer_f32 leaves it),
 * or NULL to read them from I. */
int locus_noise_static_error(locus_workspace *ws, const void *I, const uint64_t *nonzero,
                             const void *raw);

/* Pixel value as double. */
static inline double pixel_get(const void *base, locus_dtype t, size_t i)
{
    switch (t) {
    case LOCUS_U8:
        return ((const uint8_t *)base)[i];
    case LOCUS_U16:
        return ((const uint16_t *)base)[i];
    case LOCUS_I8:
        return ((const int8_t *)base)[i];
    case LOCUS_I16:
        return ((const int16_t *)base)[i];
    case LOCUS_I32:
        return ((const int32_t *)base)[i];
    case LOCUS_U32:
        return ((const uint32_t *)base)[i];
    case LOCUS_F32:
        return ((const float *)base)[i];
    default:
        return ((const double *)base)[i];
    }
}

/* Whether t is an integer type in trackpy's sense (np.integer: not bool). */
static inline int locus_dtype_is_integer(locus_dtype t)
{
    return t == LOCUS_U8 || t == LOCUS_U16 || t == LOCUS_I8 || t == LOCUS_I16 || t == LOCUS_I32 ||
           t == LOCUS_U32;
}

/* max(T) of docs/ALGORITHM.md: the largest value of integer type t (255 for
 * anything else, the uint8 that float images scale to). */
static inline double locus_dtype_max(locus_dtype t)
{
    switch (t) {
    case LOCUS_U16:
        return 65535.0;
    case LOCUS_I8:
        return 127.0;
    case LOCUS_I16:
        return 32767.0;
    case LOCUS_I32:
        return 2147483647.0;
    case LOCUS_U32:
        return 4294967295.0;
    default:
        return 255.0;
    }
}

#endif
