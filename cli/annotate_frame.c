/*
 * Rings around features on a frame, for `locus annotate` (annotate_cmd.c)
 * and the `locate --annotate DIR` hook that draws frames during a run.
 * See annotate_frame.h.
 */
#include "annotate_frame.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Ring line width in pixels: thin, so rings hide little of the spot. */
#define RING_WIDTH 1.0
/* Default ring radius per unit of `size` (the radius of gyration). A
 * Gaussian spot of standard deviation s has size up to s * sqrt(2) in
 * 2-D (less when the mask cuts it), so rings fall near 3.5 s: just
 * outside the visible spot, which they should frame, not cover. */
#define SIZE_TO_RADIUS 2.5

void annotate_style_init(annotate_style *st)
{
    memset(st, 0, sizeof *st);
    st->color = (draw_rgb){255, 0, 0};
}

int annotate_parse_color(const char *s, draw_rgb *c)
{
    static const struct {
        const char *name;
        draw_rgb rgb;
    } named[] = {
        {"red", {255, 0, 0}},       {"green", {0, 255, 0}},  {"blue", {0, 96, 255}},
        {"yellow", {255, 255, 0}},  {"cyan", {0, 255, 255}}, {"magenta", {255, 0, 255}},
        {"white", {255, 255, 255}},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (!strcmp(s, named[i].name)) {
            *c = named[i].rgb;
            return 0;
        }
    unsigned v = 0;
    if (s[0] != '#' || strlen(s) != 7 || strspn(s + 1, "0123456789abcdefABCDEF") != 6)
        return -1;
    sscanf(s + 1, "%x", &v);
    *c = (draw_rgb){(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
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

static int choose_radii(const features_table *t, const annotate_style *st, int ndim,
                        const char *what, ring_radii *r, locus_error *err)
{
    memset(r, 0, sizeof *r);
    if (st->radius > 0) {
        r->fixed[0] = r->fixed[1] = r->fixed[2] = st->radius;
        return LOCUS_OK;
    }
    if (st->diameter.count) {
        if (axes_values(&st->diameter, ndim, r->fixed))
            return locus_error_set(err, LOCUS_E_PARAM, "--diameter: give one value or %d", ndim);
        for (int i = 0; i < ndim; i++)
            r->fixed[i] /= 2;
        return LOCUS_OK;
    }
    if (size_columns(t, ndim, r) == 0)
        return LOCUS_OK;
    if (st->fallback_diameter.count && !axes_values(&st->fallback_diameter, ndim, r->fixed)) {
        for (int i = 0; i < ndim; i++)
            r->fixed[i] /= 2;
        return LOCUS_OK;
    }
    return locus_error_set(
        err, LOCUS_E_FORMAT,
        "%s:%zu: no size column to size the rings by: give --radius or --diameter", what,
        t->header_line ? t->header_line : 1);
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
    if (c->frame && !(c->frame[i] == frame))
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

static int draw_rings(draw_canvas *cv, const features_table *t, int ndim, double frame, size_t z,
                      const annotate_style *st, const char *what, size_t *drawn, locus_error *err)
{
    ring_columns c;
    ring_radii r;
    int rc = find_columns(t, ndim, what, &c, err);
    if (rc == LOCUS_OK)
        rc = choose_radii(t, st, ndim, what, &r, err);
    if (rc != LOCUS_OK)
        return rc;
    annotate_mark *marks = malloc(size_mul(t->nrows ? t->nrows : 1, sizeof *marks));
    if (!marks)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        n += ring_of(&c, &r, ndim, i, frame, (double)z, &marks[n]);
    locus_annotate_draw(cv, marks, n, st->color, RING_WIDTH);
    free(marks);
    if (drawn)
        *drawn = n;
    return LOCUS_OK;
}

int annotate_write(const char *path, const locus_image *img, size_t z, const features_table *t,
                   double frame, const annotate_style *st, const char *what, size_t *drawn,
                   locus_error *err)
{
    locus_image view = slice_of(img, z);
    draw_canvas cv;
    int rc = locus_annotate_grey(&view, st->invert, st->minmax, &cv, err);
    if (rc != LOCUS_OK)
        return rc;
    rc = draw_rings(&cv, t, img->ndim, frame, z, st, what, drawn, err);
    if (rc == LOCUS_OK)
        rc = locus_draw_save_png(&cv, path, err);
    locus_draw_canvas_free(&cv);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The locate hook                                                     */
/* ------------------------------------------------------------------ */

static int make_dir(const char *dir, locus_error *err)
{
    struct stat st;
    if (mkdir(dir, 0777) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
        return LOCUS_OK;
    return locus_error_set(err, LOCUS_E_IO, "--annotate: %s: cannot create the directory: %s", dir,
                           errno == EEXIST ? "a file has that name" : strerror(errno));
}

int annotate_hook_open(annotate_hook *h, const locate_options *o, const locus_source *src,
                       locus_error *err)
{
    memset(h, 0, sizeof *h);
    if (!o->annotate_dir)
        return LOCUS_OK;
    int rc =
        parse_frame_list(o->annotate_frames ? o->annotate_frames : "0", &h->frames, &h->nframes);
    if (rc) /* the options were checked when parsed: only memory can fail */
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    size_t last = h->frames[h->nframes - 1], have = locus_source_frames(src);
    if (last >= have)
        return locus_error_set(err, LOCUS_E_PARAM,
                               "--annotate-frames: no frame %zu: the input has %zu frame%s", last,
                               have, have == 1 ? "" : "s");
    h->dir = o->annotate_dir;
    h->src = src;
    annotate_style_init(&h->style);
    h->style.invert = o->params.invert;
    h->style.fallback_diameter = o->params.diameter;
    if (!(h->rd = locus_reader_create()))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    return make_dir(h->dir, err);
}

/* Whether frame is in the sorted list. */
static int wanted(const annotate_hook *h, size_t frame)
{
    size_t lo = 0, hi = h->nframes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->frames[mid] < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->nframes && h->frames[lo] == frame;
}

int annotate_hook_frame(annotate_hook *h, size_t frame, const locus_table *t, locus_error *err)
{
    if (!h->dir || !t || !wanted(h, frame))
        return LOCUS_OK;
    locus_image img;
    int rc = locus_source_read(h->src, frame, h->rd, &img, err);
    if (rc != LOCUS_OK)
        return rc;
    size_t n = strlen(h->dir) + 32;
    char *path = malloc(n);
    if (!path)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    snprintf(path, n, "%s/frame_%04zu.png", h->dir, frame);
    features_table ft;
    locus_features_of_table(&ft, t);
    /* volumes: the middle slice */
    size_t z = img.ndim == 3 ? img.shape[0] / 2 : 0;
    rc = annotate_write(path, &img, z, &ft, NAN, &h->style, "--annotate", NULL, err);
    free(path);
    return rc;
}

void annotate_hook_close(annotate_hook *h)
{
    free(h->frames);
    locus_reader_free(h->rd);
    memset(h, 0, sizeof *h);
}
