/*
 * locus_annotate: a frame with a ring around each feature of a table, the
 * picture trackpy users judge diameter and minmass by (tp.annotate). The
 * grey frame and the ring drawing are annotate.c's; this file decides
 * which rows become rings, where and how large.
 */
#include "render/annotate.h"

#include "common/table.h"
#include "io/csv_read.h"
#include "io/imageio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ring line width in pixels: thin, so rings hide little of the spot. */
#define RING_WIDTH 1.0
/* Default ring radius per unit of `size` (the radius of gyration). A
 * Gaussian spot of standard deviation s has size up to s * sqrt(2) in
 * 2-D (less when the mask cuts it), so rings fall near 3.5 s: just
 * outside the visible spot, which they should frame, not cover. */
#define SIZE_TO_RADIUS 2.5

void locus_annotate_opts_init(locus_annotate_opts *o)
{
    memset(o, 0, sizeof *o);
    o->color[0] = 255;
    o->frame = NAN;
    o->z = -1;
    o->trajectories = 1;
}

int locus_color_parse(const char *s, unsigned char rgb[3])
{
    static const struct {
        const char *name;
        unsigned char rgb[3];
    } named[] = {
        {"red", {255, 0, 0}},       {"green", {0, 255, 0}},  {"blue", {0, 96, 255}},
        {"yellow", {255, 255, 0}},  {"cyan", {0, 255, 255}}, {"magenta", {255, 0, 255}},
        {"white", {255, 255, 255}},
    };
    for (size_t i = 0; s && i < sizeof named / sizeof named[0]; i++)
        if (!strcmp(s, named[i].name)) {
            memcpy(rgb, named[i].rgb, 3);
            return 0;
        }
    unsigned v = 0;
    if (!s || s[0] != '#' || strlen(s) != 7 || strspn(s + 1, "0123456789abcdefABCDEF") != 6)
        return -1;
    sscanf(s + 1, "%x", &v);
    rgb[0] = (unsigned char)(v >> 16), rgb[1] = (unsigned char)(v >> 8), rgb[2] = (unsigned char)v;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Rings from a table                                                  */
/* ------------------------------------------------------------------ */

/* Where each axis's radius comes from: a fixed value, or a column of
 * sizes (times SIZE_TO_RADIUS). Axes in array order: (z,) y, x. */
typedef struct {
    double fixed[3];
    const double *size[3];
} ring_radii;

/* Per-axis values of a locus_axes for ndim axes; -1 if the count fits
 * neither one value nor one per axis. */
static int axes_values(const locus_axes *a, int ndim, double *v)
{
    if (a->count != 1 && a->count != ndim)
        return -1;
    for (int i = 0; i < ndim; i++)
        v[i] = a->count == 1 ? a->v[0] : a->v[i];
    return 0;
}

static int size_columns(const features_table *t, int ndim, ring_radii *r)
{
    static const char *const per_axis[3][3] = {
        {NULL}, {"size_y", "size_x"}, {"size_z", "size_y", "size_x"}};
    const double *iso = locus_features_column(t, "size");
    for (int i = 0; i < ndim; i++) {
        r->size[i] = iso ? iso : locus_features_column(t, per_axis[ndim - 1][i]);
        if (!r->size[i])
            return -1;
    }
    return 0;
}

static int choose_radii(const features_table *t, const locus_annotate_opts *o, int ndim,
                        const char *what, ring_radii *r, locus_error *err)
{
    memset(r, 0, sizeof *r);
    if (o->radius > 0) {
        r->fixed[0] = r->fixed[1] = r->fixed[2] = o->radius;
        return LOCUS_OK;
    }
    if (o->diameter.count) {
        if (axes_values(&o->diameter, ndim, r->fixed))
            return locus_error_param(err, "diameter", NULL, "takes one value or %d", ndim);
        for (int i = 0; i < ndim; i++)
            r->fixed[i] /= 2;
        return LOCUS_OK;
    }
    if (size_columns(t, ndim, r) == 0)
        return LOCUS_OK;
    if (o->fallback_diameter.count && !axes_values(&o->fallback_diameter, ndim, r->fixed)) {
        for (int i = 0; i < ndim; i++)
            r->fixed[i] /= 2;
        return LOCUS_OK;
    }
    locus_error_file(err, LOCUS_E_FORMAT, what, 0,
                     "no size column to size the rings by: give a ring " LOCUS_ERROR_OTHER
                     " or diameter");
    err->line = (long long)(t->header_line ? t->header_line : 1);
    locus_error_name(err, NULL, "radius");
    return LOCUS_E_FORMAT;
}

static double radius_of(const ring_radii *r, int axis, size_t row)
{
    double v = r->size[axis] ? SIZE_TO_RADIUS * r->size[axis][row] : r->fixed[axis];
    return v < 1 ? 1 : v; /* smaller rings would be dots */
}

/* The columns a ring needs. */
typedef struct {
    const double *x, *y, *z, *frame;
} ring_columns;

/*
 * The ring of row i, if it is in the frame and (3-D) cuts slice z:
 * 1 with *m set, else 0. A 3-D feature is an ellipsoid of semi-axes
 * (rz, ry, rx); slice z cuts it in an ellipse scaled by
 * sqrt(1 - (dz / rz)^2).
 */
static int ring_of(const ring_columns *c, const ring_radii *r, int ndim, size_t i, double frame,
                   double z, annotate_mark *m)
{
    if (c->frame && !isnan(frame) && !(c->frame[i] == frame))
        return 0;
    int a = ndim - 2; /* index of the y axis */
    m->x = c->x[i], m->y = c->y[i];
    m->ry = radius_of(r, a, i), m->rx = radius_of(r, a + 1, i);
    if (ndim == 3) {
        double rz = radius_of(r, 0, i), dz = (z - c->z[i]) / rz;
        if (!(fabs(dz) < 1))
            return 0;
        m->rx *= sqrt(1 - dz * dz), m->ry *= sqrt(1 - dz * dz);
    }
    return isfinite(m->x) && isfinite(m->y) && isfinite(m->rx) && isfinite(m->ry);
}

static int find_columns(const features_table *t, int ndim, const char *what, ring_columns *c,
                        locus_error *err)
{
    c->x = locus_features_column(t, "x");
    c->y = locus_features_column(t, "y");
    c->z = locus_features_column(t, "z");
    c->frame = locus_features_column(t, "frame");
    static const char *const needed[] = {"x", "y", "z"};
    return locus_features_require(t, what, needed, ndim == 3 ? 3 : 2, err);
}

/* A 2-D view of slice z of a 3-D image (or the image itself). */
static locus_image slice_of(const locus_image *img, size_t z)
{
    if (img->ndim == 2)
        return *img;
    locus_image s = {(const char *)img->data + (ptrdiff_t)z * img->strides[0],
                     img->dtype,
                     2,
                     {img->shape[1], img->shape[2], 0},
                     {img->strides[1], img->strides[2], 0}};
    return s;
}

static int draw_rings(draw_canvas *cv, const features_table *t, int ndim, size_t z,
                      const locus_annotate_opts *o, const char *what, size_t *drawn,
                      locus_error *err)
{
    ring_columns c;
    ring_radii r;
    int rc = find_columns(t, ndim, what, &c, err);
    if (rc == LOCUS_OK)
        rc = choose_radii(t, o, ndim, what, &r, err);
    if (rc != LOCUS_OK)
        return rc;
    annotate_mark *marks = malloc(size_mul(t->nrows ? t->nrows : 1, sizeof *marks));
    if (!marks)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        n += ring_of(&c, &r, ndim, i, o->frame, (double)z, &marks[n]);
    draw_rgb col = {o->color[0], o->color[1], o->color[2]};
    locus_annotate_draw(cv, marks, n, col, RING_WIDTH);
    free(marks);
    if (drawn)
        *drawn = n;
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* Trajectories from a linked table                                    */
/* ------------------------------------------------------------------ */

/* Path line width: thinner than a ring would hide the spots less, but
 * one pixel keeps paths visible at any zoom. */
#define PATH_WIDTH 1.0

/* One row of a path: sorted by particle, then frame. */
typedef struct {
    double particle, frame;
    size_t row;
} path_point;

static int path_point_cmp(const void *a, const void *b)
{
    const path_point *p = a, *q = b;
    if (p->particle != q->particle)
        return p->particle < q->particle ? -1 : 1;
    if (p->frame != q->frame)
        return p->frame < q->frame ? -1 : 1;
    return p->row < q->row ? -1 : p->row > q->row;
}

/* A particle's colour: matplotlib's ten-colour cycle (trackpy's
 * plot_traj colours lines by it too), chosen by particle number. */
static draw_rgb path_color(double particle)
{
    static const unsigned char cycle[10][3] = {
        {31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
        {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    double k = fmod(fabs(particle), 10.0);
    const unsigned char *c = cycle[(int)k % 10];
    draw_rgb col = {c[0], c[1], c[2]};
    return col;
}

/*
 * Each trajectory's path up to frame `upto` (all of it when upto is
 * NaN): a line between consecutive positions of one particle. Tables
 * without particle and frame columns, and volumes, have no paths.
 */
static int draw_paths(draw_canvas *cv, const features_table *t, int ndim, double upto,
                      locus_error *err)
{
    const double *particle = locus_features_column(t, "particle");
    const double *frame = locus_features_column(t, "frame");
    const double *x = locus_features_column(t, "x"), *y = locus_features_column(t, "y");
    if (!particle || !frame || !x || !y || ndim != 2 || t->nrows < 2)
        return LOCUS_OK;
    path_point *pts = malloc(size_mul(t->nrows, sizeof *pts));
    if (!pts)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if (isfinite(particle[i]) && isfinite(frame[i]) && isfinite(x[i]) && isfinite(y[i]) &&
            (isnan(upto) || frame[i] <= upto))
            pts[n++] = (path_point){particle[i], frame[i], i};
    qsort(pts, n, sizeof *pts, path_point_cmp);
    for (size_t k = 1; k < n; k++)
        if (pts[k].particle == pts[k - 1].particle) {
            size_t a = pts[k - 1].row, b = pts[k].row;
            locus_draw_line(cv, x[a], y[a], x[b], y[b], PATH_WIDTH, path_color(pts[k].particle));
        }
    free(pts);
    return LOCUS_OK;
}

/* The slice of a volume to draw: o->z, or the middle one. */
static int pick_slice(const locus_annotate_opts *o, const locus_image *img, size_t *z,
                      locus_error *err)
{
    *z = 0;
    if (img->ndim != 3)
        return LOCUS_OK;
    *z = o->z >= 0 ? (size_t)o->z : img->shape[0] / 2;
    if (*z >= img->shape[0])
        return locus_error_param(err, "z", NULL, "has no slice %zu: the volume has %zu", *z,
                                 img->shape[0]);
    return LOCUS_OK;
}

int locus_annotate(const locus_image *img, const locus_table *features,
                   const locus_annotate_opts *opts, locus_picture *out, size_t *drawn,
                   locus_error *err)
{
    locus_annotate_opts defaults;
    if (!opts) {
        locus_annotate_opts_init(&defaults);
        opts = &defaults;
    }
    if (!img || !features || !out)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_annotate: missing argument");
    memset(out, 0, sizeof *out);
    if (img->ndim != 2 && img->ndim != 3)
        return locus_error_set(err, LOCUS_E_SHAPE, "images to annotate have 2 or 3 axes, not %d",
                               img->ndim);
    const char *what = opts->table ? opts->table : "features";
    size_t z;
    int rc = pick_slice(opts, img, &z, err);
    if (rc != LOCUS_OK)
        return rc;
    features_table t;
    locus_features_of_table(&t, features);
    locus_image view = slice_of(img, z);
    draw_canvas cv;
    if ((rc = locus_annotate_grey(&view, opts->invert, opts->minmax, &cv, err)))
        return rc;
    rc = opts->trajectories ? draw_paths(&cv, &t, img->ndim, opts->frame, err) : LOCUS_OK;
    if (rc == LOCUS_OK)
        rc = draw_rings(&cv, &t, img->ndim, z, opts, what, drawn, err);
    if (rc != LOCUS_OK) {
        locus_draw_canvas_free(&cv);
        return rc;
    }
    out->rgb = cv.px;
    out->height = cv.height;
    out->width = cv.width;
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* Pictures                                                            */
/* ------------------------------------------------------------------ */

void locus_picture_free(locus_picture *p)
{
    if (!p)
        return;
    free(p->rgb);
    memset(p, 0, sizeof *p);
}

int locus_picture_write_png(const locus_picture *p, const char *path, locus_error *err)
{
    if (!p || !p->rgb || !path)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_picture_write_png: missing argument");
    return locus_pngio_write_rgb8(path, p->rgb, p->height, p->width, err);
}

int locus_picture_encode_png(const locus_picture *p, locus_buffer *png, locus_error *err)
{
    if (!p || !p->rgb || !png)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_picture_encode_png: missing argument");
    return locus_pngio_encode_rgb8(png, p->rgb, p->height, p->width, err);
}
