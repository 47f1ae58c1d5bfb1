/*
 * locus._locus's pictures: _annotate (trackpy's annotate, as `locus
 * annotate` draws it), _diag (`locus diag`'s sheet) and _encode_png.
 * Feature tables arrive as column names and float64 arrays
 * (python/locus/pictures.py makes them from a DataFrame).
 */
#include "_methods.h"
#include "_pyhelp.h"

#include <math.h>
#include <stdint.h>

/* A locus_table of the columns: names a list of str, columns float64 arrays. */
static locus_table *table_of(PyObject *names, PyObject *columns)
{
    if (!PyList_Check(names) || !PyList_Check(columns) ||
        PyList_GET_SIZE(names) != PyList_GET_SIZE(columns)) {
        PyErr_SetString(PyExc_TypeError, "expected lists of column names and columns");
        return NULL;
    }
    locus_table *t = locus_table_create();
    if (!t)
        return (locus_table *)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
        const char *name = PyUnicode_AsUTF8(PyList_GET_ITEM(names, i));
        Py_buffer b;
        if (!name || help_buffer(PyList_GET_ITEM(columns, i), &b, 0, 0, "column")) {
            locus_table_free(t);
            return NULL;
        }
        locus_error err;
        int rc = locus_table_set_column(t, name, b.buf, help_items(&b), &err);
        PyBuffer_Release(&b);
        if (rc) {
            locus_table_free(t);
            help_raise(&err, NULL, NULL);
            return NULL;
        }
    }
    return t;
}

/* An array exporting a buffer (any strides) as a borrowed locus_image. */
static int image_view(PyObject *o, Py_buffer *b, locus_image *img)
{
    if (PyObject_GetBuffer(o, b, PyBUF_RECORDS_RO) < 0)
        return -1;
    const char *f = help_format(b);
    img->dtype = !strcmp(f, "B")   ? LOCUS_U8
                 : !strcmp(f, "H") ? LOCUS_U16
                 : !strcmp(f, "f") ? LOCUS_F32
                 : !strcmp(f, "d") ? LOCUS_F64
                                   : 0;
    if (!img->dtype || (b->ndim != 2 && b->ndim != 3)) {
        PyErr_Format(PyExc_TypeError,
                     "image: expected a 2-D or 3-D array of uint8, uint16, float32 or float64 "
                     "(format '%s', %d axes)",
                     f, b->ndim);
        PyBuffer_Release(b);
        return -1;
    }
    img->data = b->buf;
    img->ndim = b->ndim;
    for (int i = 0; i < b->ndim; i++) {
        img->shape[i] = (size_t)b->shape[i];
        img->strides[i] = b->strides[i];
    }
    return 0;
}

/* opts[key] as a double (missing or None: dflt); -1 on error. */
static int opt_double(PyObject *opts, const char *key, double dflt, double *out)
{
    PyObject *o = PyDict_GetItemString(opts, key);
    *out = dflt;
    if (!o || o == Py_None)
        return 0;
    *out = PyFloat_AsDouble(o);
    if (*out == -1.0 && PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "%s must be a number, not %R", key, o);
        return -1;
    }
    return 0;
}

/* opts[key] as 1 to 3 numbers into axes (missing or None: left as is). */
static int opt_axes(PyObject *opts, const char *key, locus_axes *axes)
{
    PyObject *o = PyDict_GetItemString(opts, key);
    if (!o || o == Py_None)
        return 0;
    PyObject *seq = PySequence_Check(o) ? PySequence_Fast(o, "") : NULL;
    if (!seq) {
        PyErr_Clear();
        double v = PyFloat_AsDouble(o);
        if (v == -1.0 && PyErr_Occurred())
            goto bad;
        axes->v[0] = v;
        axes->count = 1;
        return 0;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > 3) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%s has %zd values; give one, or one per axis", key, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        axes->v[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
    Py_DECREF(seq);
    if (PyErr_Occurred())
        goto bad;
    axes->count = (int)n;
    return 0;
bad:
    PyErr_Format(PyExc_TypeError, "%s must be a number or a tuple of numbers, not %R", key, o);
    return -1;
}

static int opt_flag(PyObject *opts, const char *key, int *out)
{
    PyObject *o = PyDict_GetItemString(opts, key);
    if (!o || o == Py_None)
        return 0;
    int t = PyObject_IsTrue(o);
    if (t < 0)
        return -1;
    *out = t;
    return 0;
}

static int opt_color(PyObject *opts, unsigned char rgb[3])
{
    PyObject *o = PyDict_GetItemString(opts, "color");
    if (!o || o == Py_None)
        return 0;
    if (PyUnicode_Check(o)) {
        const char *s = PyUnicode_AsUTF8(o);
        if (!s)
            return -1;
        if (locus_color_parse(s, rgb) == 0)
            return 0;
        PyErr_Format(PyExc_ValueError,
                     "color %R: give red, green, blue, yellow, cyan, magenta, white, "
                     "#RRGGBB or (r, g, b)",
                     o);
        return -1;
    }
    int c[3];
    if (!PyArg_ParseTuple(o, "iii", &c[0], &c[1], &c[2]) || c[0] < 0 || c[0] > 255 || c[1] < 0 ||
        c[1] > 255 || c[2] < 0 || c[2] > 255) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "color %R: expected a name or a tuple of 3 ints 0-255", o);
        return -1;
    }
    for (int i = 0; i < 3; i++)
        rgb[i] = (unsigned char)c[i];
    return 0;
}

static int annotate_opts_from(PyObject *opts, locus_annotate_opts *o)
{
    locus_annotate_opts_init(o);
    if (!PyDict_Check(opts)) {
        PyErr_SetString(PyExc_TypeError, "opts: expected a dict");
        return -1;
    }
    double z = -1;
    if (opt_color(opts, o->color) || opt_flag(opts, "invert", &o->invert) ||
        opt_flag(opts, "minmax", &o->minmax) || opt_flag(opts, "trajectories", &o->trajectories) ||
        opt_double(opts, "radius", o->radius, &o->radius) ||
        opt_axes(opts, "diameter", &o->diameter) ||
        opt_axes(opts, "fallback_diameter", &o->fallback_diameter) ||
        opt_double(opts, "frame", NAN, &o->frame) || opt_double(opts, "z", -1, &z))
        return -1;
    o->z = (long)z;
    return 0;
}

PyObject *locus_py_annotate(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *image, *names, *columns, *opts;
    if (!PyArg_ParseTuple(args, "OOOO:_annotate", &image, &names, &columns, &opts))
        return NULL;
    locus_annotate_opts o;
    if (annotate_opts_from(opts, &o))
        return NULL;
    o.table = "features";
    locus_table *t = table_of(names, columns);
    if (!t)
        return NULL;
    Py_buffer b;
    locus_image img;
    if (image_view(image, &b, &img)) {
        locus_table_free(t);
        return NULL;
    }
    locus_picture pic = {0};
    size_t drawn = 0;
    locus_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = locus_annotate(&img, t, &o, &pic, &drawn, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    locus_table_free(t);
    if (rc)
        return help_raise(&err, NULL, NULL);
    PyObject *res =
        Py_BuildValue("(y#nnn)", (const char *)pic.rgb, (Py_ssize_t)(pic.height * pic.width * 3),
                      (Py_ssize_t)pic.height, (Py_ssize_t)pic.width, (Py_ssize_t)drawn);
    locus_picture_free(&pic);
    return res;
}

PyObject *locus_py_diag(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *names, *columns, *opts;
    const char *format;
    if (!PyArg_ParseTuple(args, "OOOs:_diag", &names, &columns, &opts, &format))
        return NULL;
    int fmt = !strcmp(format, "png")    ? LOCUS_DIAG_PNG
              : !strcmp(format, "svg")  ? LOCUS_DIAG_SVG
              : !strcmp(format, "text") ? LOCUS_DIAG_TEXT
                                        : 0;
    if (!fmt) {
        PyErr_Format(PyExc_ValueError, "format must be 'png', 'svg' or 'text', not '%s'", format);
        return NULL;
    }
    locus_diag_opts o;
    locus_diag_opts_init(&o);
    o.table = "features";
    if (!PyDict_Check(opts)) {
        PyErr_SetString(PyExc_TypeError, "opts: expected a dict");
        return NULL;
    }
    double bins = o.bins;
    if (opt_double(opts, "bins", bins, &bins) || opt_double(opts, "minmass", NAN, &o.minmass))
        return NULL;
    if (!(bins >= 1 && bins <= 100000) || bins != floor(bins)) {
        PyErr_Format(PyExc_ValueError, "bins must be a whole number from 1 to 100000, not %g",
                     bins);
        return NULL;
    }
    o.bins = (int)bins;
    PyObject *title = PyDict_GetItemString(opts, "title"); /* the sheet's title */
    if (title && title != Py_None && !(o.table = PyUnicode_AsUTF8(title)))
        return NULL;
    locus_table *t = table_of(names, columns);
    if (!t)
        return NULL;
    locus_buffer out = {0};
    locus_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = locus_diag(t, &o, fmt, &out, &err);
    Py_END_ALLOW_THREADS
    locus_table_free(t);
    if (rc) {
        locus_buffer_free(&out);
        return help_raise(&err, NULL, NULL);
    }
    PyObject *res = PyBytes_FromStringAndSize(out.data ? out.data : "", (Py_ssize_t)out.len);
    locus_buffer_free(&out);
    return res;
}

PyObject *locus_py_encode_png(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer b;
    Py_ssize_t h, w;
    if (!PyArg_ParseTuple(args, "y*nn:_encode_png", &b, &h, &w))
        return NULL;
    if (h < 1 || w < 1 || b.len != h * w * 3) {
        PyBuffer_Release(&b);
        PyErr_Format(PyExc_ValueError, "_encode_png: %zd bytes are not %zd x %zd RGB", b.len, h, w);
        return NULL;
    }
    locus_picture pic = {(unsigned char *)b.buf, (size_t)h, (size_t)w};
    locus_buffer png = {0};
    locus_error err;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = locus_picture_encode_png(&pic, &png, &err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    if (rc) {
        locus_buffer_free(&png);
        return help_raise(&err, NULL, NULL);
    }
    PyObject *res = PyBytes_FromStringAndSize(png.data, (Py_ssize_t)png.len);
    locus_buffer_free(&png);
    return res;
}
