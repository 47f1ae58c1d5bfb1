/*
 * locus._locus: the CPython face of the locus library (include/locus.h).
 *
 * Small on purpose. Arrays are described to the library as locus_image
 * views (their own data pointer and strides, no copy); the GIL is released
 * while the library works; results come back as (names, columns) for the
 * pure-Python layer (python/locus/__init__.py) to turn into a DataFrame.
 * Parameters arrive already normalised by that layer, as one tuple.
 *
 * Threads: locus_locate uses a workspace kept per thread (a pthread key
 * whose destructor frees it when the thread ends), so repeated calls
 * reuse the plan. Batches run on the library's own threads; this thread
 * waits without the GIL and checks for Ctrl-C every 50 ms.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include "locus.h"

#include "_methods.h" /* _link.c, _pictures.c */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/*
 * A locus_error as a Python exception: ValueError for bad parameters and
 * images, OSError (FileNotFoundError for a missing file) for files that
 * cannot be read, MemoryError, KeyboardInterrupt. `files`: the error came
 * from reading files, so a bad format is the file's fault (OSError); from
 * an array (NaN pixels), it is a bad value (ValueError).
 */
static PyObject *raise_locus(const locus_error *err, int files)
{
    const char *m = err->message[0] ? err->message : locus_strerror(err->status);
    PyObject *type = PyExc_ValueError;
    switch (err->status) {
    case LOCUS_E_NOMEM:
        type = PyExc_MemoryError;
        break;
    case LOCUS_E_IO:
        type = err->sys_errno == ENOENT ? PyExc_FileNotFoundError : PyExc_OSError;
        break;
    case LOCUS_E_FORMAT:
    case LOCUS_E_UNSUPPORTED:
        type = files ? PyExc_OSError : PyExc_ValueError;
        break;
    case LOCUS_E_INTERRUPTED:
        type = PyExc_KeyboardInterrupt;
        break;
    case LOCUS_E_SYSTEM:
        type = PyExc_OSError;
        break;
    case LOCUS_E_ABORTED:
        type = PyExc_RuntimeError;
        break;
    default: /* LOCUS_E_PARAM, LOCUS_E_SHAPE, LOCUS_E_CHANNEL */
        break;
    }
    PyErr_SetString(type, m);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Parameters                                                          */
/* ------------------------------------------------------------------ */

/* A Python value as 1 to 3 numbers (a number, or a sequence of them). */
static int numbers_of(PyObject *o, const char *name, double *v, int *n)
{
    PyObject *seq = PySequence_Check(o) && !PyUnicode_Check(o) && !PyBytes_Check(o)
                        ? PySequence_Fast(o, "")
                        : NULL;
    if (!seq) {
        PyErr_Clear();
        v[0] = PyFloat_AsDouble(o);
        if (v[0] == -1.0 && PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError, "%s must be a number or a tuple of numbers, not %R", name,
                         o);
            return -1;
        }
        *n = 1;
        return 0;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len < 1 || len > 3) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%s has %zd values; give one, or one per axis", name, len);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        v[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
        if (v[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_TypeError, "%s must be a number or a tuple of numbers, not %R", name,
                         o);
            return -1;
        }
    }
    *n = (int)len;
    Py_DECREF(seq);
    return 0;
}

/*
 * A dict of trackpy's keywords (None or missing: the default) as the
 * parameters of a group. Names, types, defaults and checks all come from
 * the library's table (locus_param_at), so Python accepts and refuses
 * exactly what the library and the command line do.
 */
static int group_from(PyObject *d, int group, void *target)
{
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "params: expected a dict");
        return -1;
    }
    for (int i = 0; locus_param_at(group, i); i++) {
        const locus_param_info *info = locus_param_at(group, i);
        PyObject *o = PyDict_GetItemString(d, info->name); /* borrowed */
        double v[3];
        int n = 0;
        if (o && o != Py_None) {
            if (info->type == LOCUS_PARAM_FLAG) {
                int truth = PyObject_IsTrue(o);
                if (truth < 0)
                    return -1;
                v[0] = truth, n = 1;
            } else if (numbers_of(o, info->name, v, &n)) {
                return -1;
            } else if (info->type != LOCUS_PARAM_AXES && n != 1) {
                PyErr_Format(PyExc_TypeError, "%s must be a number, not %R", info->name, o);
                return -1;
            }
        }
        locus_error err;
        if (locus_param_set(group, target, info->name, v, n, &err)) {
            PyErr_SetString(PyExc_ValueError, err.message);
            return -1;
        }
    }
    return 0;
}

static int params_from(PyObject *d, locus_params *p)
{
    locus_params_init(p);
    return group_from(d, LOCUS_PARAMS_LOCATE, p);
}

/* The library's parameter table, for the Python layer: [(name, type, help)]. */
static PyObject *py_param_names(PyObject *self, PyObject *args)
{
    (void)self;
    int group;
    if (!PyArg_ParseTuple(args, "i:_param_names", &group))
        return NULL;
    PyObject *list = PyList_New(0);
    for (int i = 0; list && locus_param_at(group, i); i++) {
        const locus_param_info *info = locus_param_at(group, i);
        PyObject *item = Py_BuildValue("(sis)", info->name, info->type, info->help);
        if (!item || PyList_Append(list, item)) {
            Py_XDECREF(item);
            Py_CLEAR(list);
        }
        Py_XDECREF(item);
    }
    return list;
}

/* ------------------------------------------------------------------ */
/* Arrays as images                                                    */
/* ------------------------------------------------------------------ */

/*
 * Describe a NumPy array as a locus_image: its own data pointer, shape
 * and strides (any, negative included), no copy. Only an array the
 * library cannot read in place (misaligned, or in the other byte order)
 * is copied first. *keep receives a new reference to the array the view
 * points into; the caller releases it once the library is done.
 * `what` prefixes messages ("locus.locate", "locus.batch: frame 3").
 */
static int image_of(PyObject *obj, const char *what, locus_image *img, PyObject **keep)
{
    *keep = NULL;
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a NumPy array, got %.200s", what,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    PyArrayObject *a = (PyArrayObject *)obj;
    int type = PyArray_TYPE(a);
    /* by kind and size, not type number: int32 is NPY_INT or NPY_LONG by platform */
    char kind = PyArray_DESCR(a)->kind;
    int size = (int)PyArray_ITEMSIZE(a);
    img->dtype = kind == 'b' && size == 1   ? LOCUS_BOOL
                 : kind == 'u' && size == 1 ? LOCUS_U8
                 : kind == 'u' && size == 2 ? LOCUS_U16
                 : kind == 'u' && size == 4 ? LOCUS_U32
                 : kind == 'i' && size == 1 ? LOCUS_I8
                 : kind == 'i' && size == 2 ? LOCUS_I16
                 : kind == 'i' && size == 4 ? LOCUS_I32
                 : kind == 'f' && size == 4 ? LOCUS_F32
                 : kind == 'f' && size == 8 ? LOCUS_F64
                                            : 0;
    if (!img->dtype) {
        PyObject *name = PyObject_Str((PyObject *)PyArray_DESCR(a));
        if (name) {
            PyErr_Format(PyExc_TypeError,
                         "%s: got an array of dtype %U; expected uint8, uint16, uint32, int8, "
                         "int16, int32, float32, float64 or bool",
                         what, name);
            Py_DECREF(name);
        }
        return -1;
    }
    int nd = PyArray_NDIM(a);
    if (nd != 2 && nd != 3) {
        PyErr_Format(PyExc_TypeError, "%s: got a %d-D array; expected 2-D or 3-D", what, nd);
        return -1;
    }
    if (!PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a)) {
        /* PyArray_FromAny steals the descriptor reference */
        obj = PyArray_FromAny(obj, PyArray_DescrFromType(type), 0, 0, NPY_ARRAY_CARRAY_RO, NULL);
        if (!obj)
            return -1;
        a = (PyArrayObject *)obj;
    } else {
        Py_INCREF(obj);
    }
    img->data = PyArray_DATA(a);
    img->ndim = nd;
    for (int i = 0; i < nd; i++) {
        img->shape[i] = (size_t)PyArray_DIM(a, i);
        img->strides[i] = (ptrdiff_t)PyArray_STRIDE(a, i);
    }
    *keep = obj;
    return 0;
}

/* Copy img's pixels (any strides) to dst, C-contiguous. */
static void image_copy(char *dst, const locus_image *img)
{
    size_t size = locus_dtype_size(img->dtype), nx = img->shape[img->ndim - 1];
    size_t n0 = img->ndim == 3 ? img->shape[0] : 1, ny = img->shape[img->ndim - 2];
    ptrdiff_t s0 = img->ndim == 3 ? img->strides[0] : 0, sy = img->strides[img->ndim - 2];
    ptrdiff_t sx = img->strides[img->ndim - 1];
    for (size_t z = 0; z < n0; z++)
        for (size_t y = 0; y < ny; y++) {
            const char *row = (const char *)img->data + (ptrdiff_t)z * s0 + (ptrdiff_t)y * sy;
            if (sx == (ptrdiff_t)size) {
                memcpy(dst, row, nx * size);
                dst += nx * size;
            } else {
                for (size_t x = 0; x < nx; x++, dst += size)
                    memcpy(dst, row + (ptrdiff_t)x * sx, size);
            }
        }
}

static int numpy_type(locus_dtype t)
{
    switch (t) {
    case LOCUS_U8:
        return NPY_UINT8;
    case LOCUS_U16:
        return NPY_UINT16;
    case LOCUS_F32:
        return NPY_FLOAT32;
    case LOCUS_I8:
        return NPY_INT8;
    case LOCUS_I16:
        return NPY_INT16;
    case LOCUS_I32:
        return NPY_INT32;
    case LOCUS_U32:
        return NPY_UINT32;
    case LOCUS_BOOL:
        return NPY_BOOL;
    default:
        return NPY_FLOAT64;
    }
}

/* A new C-contiguous array holding a copy of img's pixels. */
static PyObject *array_from_image(const locus_image *img)
{
    npy_intp dims[3];
    for (int i = 0; i < img->ndim; i++)
        dims[i] = (npy_intp)img->shape[i];
    PyObject *arr = PyArray_SimpleNew(img->ndim, dims, numpy_type(img->dtype));
    if (arr)
        image_copy(PyArray_DATA((PyArrayObject *)arr), img);
    return arr;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

static PyObject *names_tuple(const char *const *names, int n)
{
    PyObject *t = PyTuple_New(n);
    for (int c = 0; t && c < n; c++) {
        PyObject *s = PyUnicode_FromString(names[c]);
        if (!s) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, c, s);
    }
    return t;
}

static void capsule_free(PyObject *capsule)
{
    free(PyCapsule_GetPointer(capsule, NULL));
}

/*
 * A 1-D array that takes over a malloc'ed buffer (freed with the array),
 * so that a large batch's columns are not copied. On failure the buffer
 * is freed and NULL returned with an exception set.
 */
static PyObject *array_adopt(void *buf, size_t n, int type)
{
    npy_intp dims[1] = {(npy_intp)n};
    if (!buf) { /* n == 0: nothing to adopt */
        return PyArray_SimpleNew(1, dims, type);
    }
    PyObject *arr = PyArray_SimpleNewFromData(1, dims, type, buf);
    PyObject *cap = arr ? PyCapsule_New(buf, NULL, capsule_free) : NULL;
    if (!cap) {
        Py_XDECREF(arr);
        free(buf);
        return NULL;
    }
    if (PyArray_SetBaseObject((PyArrayObject *)arr, cap) < 0) { /* steals cap */
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

/* A table's locate stats as (blank, candidates, maxima_in_margins,
 * refined, features): what trackpy's warnings are made from. */
static void stats_row(const locus_table *t, int64_t row[5])
{
    locus_locate_stats st;
    locus_table_locate_stats(t, &st);
    row[0] = st.blank;
    row[1] = (int64_t)st.candidates;
    row[2] = st.maxima_in_margins;
    row[3] = (int64_t)st.refined;
    row[4] = (int64_t)st.features;
}

/* (names, columns, stats, None) of one table: each column copied into a
 * new array. */
static PyObject *table_result(const locus_table *t)
{
    int ncols = locus_table_cols(t);
    npy_intp dims[1] = {(npy_intp)locus_table_rows(t)};
    const char *names[LOCUS_MAX_COLUMNS] = {NULL};
    for (int c = 0; c < ncols; c++)
        names[c] = locus_table_name(t, c);
    PyObject *cols = PyTuple_New(ncols), *n = names_tuple(names, ncols);
    if (!cols || !n)
        goto fail;
    for (int c = 0; c < ncols; c++) {
        PyObject *arr = PyArray_SimpleNew(1, dims, NPY_FLOAT64);
        if (!arr)
            goto fail;
        if (dims[0])
            memcpy(PyArray_DATA((PyArrayObject *)arr), locus_table_column(t, c),
                   (size_t)dims[0] * sizeof(double));
        PyTuple_SET_ITEM(cols, c, arr);
    }
    int64_t st[5];
    stats_row(t, st);
    return Py_BuildValue("(NN(LLLLL)O)", n, cols, (long long)st[0], (long long)st[1],
                         (long long)st[2], (long long)st[3], (long long)st[4], Py_None);
fail:
    Py_XDECREF(cols);
    Py_XDECREF(n);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* One image: locus.locate                                             */
/* ------------------------------------------------------------------ */

/*
 * A fault of the image itself (too small, NaN pixels: LOCUS_E_SHAPE,
 * LOCUS_E_FORMAT) as a value, (names, empty columns, None, (status,
 * message)): trackpy finds no features there and goes on, so the Python
 * layer decides between a warning and an exception.
 */
static PyObject *frame_error(const locus_params *p, int ndim, const locus_error *err)
{
    const char *names[LOCUS_MAX_COLUMNS];
    int ncols = locus_columns(p, ndim, names);
    if (ncols < 0)
        return raise_locus(err, 0);
    npy_intp dims[1] = {0};
    PyObject *cols = PyTuple_New(ncols), *n = names_tuple(names, ncols);
    for (int c = 0; cols && c < ncols; c++) {
        PyObject *arr = PyArray_SimpleNew(1, dims, NPY_FLOAT64);
        if (!arr)
            Py_CLEAR(cols);
        else
            PyTuple_SET_ITEM(cols, c, arr);
    }
    if (!cols || !n) {
        Py_XDECREF(cols);
        Py_XDECREF(n);
        return NULL;
    }
    return Py_BuildValue("(NNO(is))", n, cols, Py_None, err->status,
                         err->message[0] ? err->message : locus_strerror(err->status));
}

typedef struct {
    locus_workspace *ws;
    locus_table *table;
} thread_state;

static pthread_key_t state_key;

static void state_free(void *p)
{
    thread_state *st = p;
    locus_workspace_free(st->ws);
    locus_table_free(st->table);
    free(st);
}

/* This thread's workspace and table, created on first use. */
static thread_state *state_get(void)
{
    thread_state *st = pthread_getspecific(state_key);
    if (st)
        return st;
    st = calloc(1, sizeof *st);
    if (st && (st->ws = locus_workspace_create()) && (st->table = locus_table_create()) &&
        pthread_setspecific(state_key, st) == 0)
        return st;
    if (st)
        state_free(st);
    PyErr_NoMemory();
    return NULL;
}

static PyObject *py_locate(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *image, *ptuple, *keep;
    locus_params p;
    locus_image img;
    locus_error err;
    int rc;
    if (!PyArg_ParseTuple(args, "OO:_locate", &image, &ptuple) || params_from(ptuple, &p) ||
        image_of(image, "locus.locate", &img, &keep))
        return NULL;
    thread_state *st = state_get();
    if (!st) {
        Py_DECREF(keep);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = locus_locate(st->ws, &p, &img, st->table, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (rc == LOCUS_E_SHAPE || rc == LOCUS_E_FORMAT)
        return frame_error(&p, img.ndim, &err);
    if (rc != LOCUS_OK)
        return raise_locus(&err, 0);
    return table_result(st->table);
}

/* ------------------------------------------------------------------ */
/* Many frames: locus.batch                                            */
/* ------------------------------------------------------------------ */

/* A frame the batch skipped (its image was at fault), for a warning. */
typedef struct {
    size_t frame;
    int status;
    char message[LOCUS_ERROR_MAX + LOCUS_ERROR_PATH_MAX];
    char reason[LOCUS_ERROR_MAX + LOCUS_ERROR_PATH_MAX];
} bad_frame;

/*
 * The sink: every frame's rows appended, in frame order, with each
 * frame's locate stats. Frames whose image is at fault are recorded and
 * skipped (trackpy goes on past them); other failures stop the batch.
 * `done` (under *lock, when set) counts the frames delivered, for the
 * waiting thread to report progress.
 */
typedef struct {
    int ncols;
    const char *names[LOCUS_MAX_COLUMNS];
    double *col[LOCUS_MAX_COLUMNS];
    int64_t *frame;
    int64_t *stats; /* per frame: stats_row's 5 values */
    size_t rows, cap, nframes;
    bad_frame *bad;
    size_t nbad, bad_cap;
    const char *why;   /* why the sink stopped the batch */
    locus_error fatal; /* a frame's failure that stops the batch (fatal.status != 0) */
    pthread_mutex_t *lock;
    pthread_cond_t *wake; /* signalled on every frame when progress is wanted */
    size_t done;
} collector;

static void collector_free(collector *c)
{
    for (int i = 0; i < LOCUS_MAX_COLUMNS; i++)
        free(c->col[i]);
    free(c->frame);
    free(c->stats);
    free(c->bad);
}

static int grow(void **p, size_t n, size_t size)
{
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

static void delivered(collector *c, size_t frame)
{
    if (!c->lock)
        return;
    pthread_mutex_lock(c->lock);
    c->done = frame + 1;
    if (c->wake)
        pthread_cond_signal(c->wake);
    pthread_mutex_unlock(c->lock);
}

/* A failed frame: skipped when its image was at fault, else fatal. */
static int collect_failed(collector *c, size_t frame, const locus_error *err)
{
    switch (err->status) {
    case LOCUS_E_NOMEM:
    case LOCUS_E_SYSTEM:
    case LOCUS_E_INTERRUPTED:
    case LOCUS_E_ABORTED:
        c->fatal = *err;
        return 1;
    default:
        break;
    }
    if (c->nbad == c->bad_cap) {
        size_t cap = c->bad_cap ? 2 * c->bad_cap : 4;
        if (grow((void **)&c->bad, cap, sizeof *c->bad)) {
            c->why = "out of memory";
            return 1;
        }
        c->bad_cap = cap;
    }
    bad_frame *b = &c->bad[c->nbad++];
    b->frame = frame;
    b->status = err->status;
    snprintf(b->message, sizeof b->message, "%s",
             err->message[0] ? err->message : locus_strerror(err->status));
    snprintf(b->reason, sizeof b->reason, "%s", err->reason[0] ? err->reason : b->message);
    delivered(c, frame);
    return 0;
}

static int collect(void *user, size_t frame, const locus_table *t, const locus_error *err)
{
    collector *c = user;
    if (!t)
        return collect_failed(c, frame, err);
    size_t n = locus_table_rows(t);
    if (locus_table_cols(t) != c->ncols) {
        c->why = "internal error: a frame's columns differ from the first's";
        return 1;
    }
    stats_row(t, c->stats + 5 * frame);
    if (n > 0 && c->rows + n > c->cap) {
        size_t cap = c->rows + n > 2 * c->cap ? c->rows + n : 2 * c->cap;
        int fail = cap > SIZE_MAX / sizeof(double);
        for (int i = 0; !fail && i < c->ncols; i++)
            fail = grow((void **)&c->col[i], cap, sizeof(double));
        if (fail || grow((void **)&c->frame, cap, sizeof(int64_t))) {
            c->why = "out of memory";
            return 1;
        }
        c->cap = cap;
    }
    for (int i = 0; n > 0 && i < c->ncols; i++)
        memcpy(c->col[i] + c->rows, locus_table_column(t, i), n * sizeof(double));
    for (size_t r = 0; r < n; r++)
        c->frame[c->rows + r] = (int64_t)frame;
    c->rows += n;
    delivered(c, frame);
    return 0;
}

/* The skipped frames as [(frame, status, message, reason)]. */
static PyObject *bad_list(const collector *c)
{
    PyObject *list = PyList_New((Py_ssize_t)c->nbad);
    for (size_t i = 0; list && i < c->nbad; i++) {
        const bad_frame *b = &c->bad[i];
        PyObject *item =
            Py_BuildValue("(niss)", (Py_ssize_t)b->frame, b->status, b->message, b->reason);
        if (!item)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

/* (names, columns, frame, stats, bad): the columns, each row's frame
 * index, per frame the locate stats (an nframes x 5 array) and the
 * skipped frames. Frees the collector's buffers. */
static PyObject *collector_result(collector *c)
{
    PyObject *cols = PyTuple_New(c->ncols), *names = names_tuple(c->names, c->ncols);
    PyObject *frame = NULL, *stats = NULL, *bad = bad_list(c);
    for (int i = 0; cols && i < c->ncols; i++) {
        PyObject *arr = array_adopt(c->col[i], c->rows, NPY_FLOAT64);
        c->col[i] = NULL;
        if (!arr)
            Py_CLEAR(cols);
        else
            PyTuple_SET_ITEM(cols, i, arr);
    }
    frame = array_adopt(c->frame, c->rows, NPY_INT64);
    c->frame = NULL;
    stats = array_adopt(c->stats, 5 * c->nframes, NPY_INT64);
    c->stats = NULL;
    collector_free(c);
    if (!cols || !names || !frame || !stats || !bad) {
        Py_XDECREF(cols);
        Py_XDECREF(names);
        Py_XDECREF(frame);
        Py_XDECREF(stats);
        Py_XDECREF(bad);
        return NULL;
    }
    return Py_BuildValue("(NNNNN)", names, cols, frame, stats, bad);
}

typedef struct {
    const locus_params *params;
    locus_batch_opts opts;
    const locus_frames *frames;
    collector *sink;
    PyObject *progress; /* progress(first, counts, total), or NULL */
    size_t reported;    /* frames passed to progress */
    locus_error err;
    int rc, done;
    volatile int stop;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} batch_run;

static void *batch_thread(void *arg)
{
    batch_run *r = arg;
    int rc = locus_batch(r->params, &r->opts, r->frames, collect, r->sink, &r->err);
    pthread_mutex_lock(&r->lock);
    r->rc = rc;
    r->done = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* With the GIL: progress(first, counts, total) for the frames delivered
 * since the last call, counts being their numbers of rows. -1 with an
 * exception set if progress raised. */
static int report(batch_run *r)
{
    collector *c = r->sink;
    pthread_mutex_lock(&r->lock);
    size_t done = c->done;
    pthread_mutex_unlock(&r->lock);
    if (done <= r->reported)
        return 0;
    PyObject *counts = PyTuple_New((Py_ssize_t)(done - r->reported));
    for (size_t k = r->reported; counts && k < done; k++) {
        PyObject *v = PyLong_FromLongLong((long long)c->stats[5 * k + 4]);
        if (!v)
            Py_CLEAR(counts);
        else
            PyTuple_SET_ITEM(counts, (Py_ssize_t)(k - r->reported), v);
    }
    if (!counts)
        return -1;
    PyObject *res = PyObject_CallFunction(r->progress, "nNn", (Py_ssize_t)r->reported, counts,
                                          (Py_ssize_t)c->nframes);
    r->reported = done;
    Py_XDECREF(res);
    return res ? 0 : -1;
}

/*
 * Run locus_batch on its own threads without the GIL, collecting into
 * r->sink. This thread waits, and every 50 ms (or, with r->progress, as
 * frames arrive) takes the GIL to let Python handle signals and to report
 * progress: on KeyboardInterrupt (or any exception from a signal handler
 * or from progress) the batch is told to stop, and once it has, -1 is
 * returned with that exception set. Otherwise the batch's status.
 */
static int run_batch(batch_run *r)
{
    pthread_t tid;
    int interrupted = 0, rc;
    r->opts.stop = &r->stop;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->sink->lock = &r->lock;
    r->sink->wake = r->progress ? &r->cond : NULL;
    if (pthread_create(&tid, NULL, batch_thread, r) != 0) {
        /* no helper thread: run here, without Ctrl-C */
        Py_BEGIN_ALLOW_THREADS
        batch_thread(r);
        Py_END_ALLOW_THREADS
    } else {
        for (int done = 0; !done;) {
            Py_BEGIN_ALLOW_THREADS
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 50 * 1000 * 1000;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_mutex_lock(&r->lock);
            if (!r->done && (!r->progress || r->sink->done == r->reported))
                pthread_cond_timedwait(&r->cond, &r->lock, &until);
            done = r->done;
            pthread_mutex_unlock(&r->lock);
            Py_END_ALLOW_THREADS
            if (!done && !interrupted && PyErr_CheckSignals() < 0) {
                interrupted = 1;
                r->stop = 1;
            }
            if (!interrupted && r->progress && report(r) < 0) {
                interrupted = 1;
                r->stop = 1;
            }
        }
        pthread_join(tid, NULL);
    }
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    rc = r->rc;
    if (!interrupted && rc == LOCUS_OK && r->progress && report(r) < 0)
        interrupted = 1;
    if (interrupted)
        return -1;
    return rc;
}

static int threads_arg(int threads)
{
    if (threads < 0) {
        PyErr_Format(PyExc_ValueError, "processes must be 'auto' or at least 1, not %d", threads);
        return -1;
    }
    return 0;
}

/*
 * Locate every frame with the library's threads and return
 * (names, columns, frame, stats, bad), or NULL with an exception set.
 * `files`: the frames come from files (see raise_locus). `progress`:
 * None, or called as the frames arrive (see report).
 */
static PyObject *batch_collect(const locus_params *p, const locus_frames *frames, int ndim,
                               int threads, int files, PyObject *progress)
{
    collector c = {.nframes = frames->nframes};
    c.ncols = locus_columns(p, ndim, c.names);
    if (!(c.stats = calloc(frames->nframes ? 5 * frames->nframes : 1, sizeof *c.stats)))
        return PyErr_NoMemory();
    batch_run r = {.params = p, .frames = frames, .sink = &c};
    r.progress = progress && progress != Py_None ? progress : NULL;
    locus_batch_opts_init(&r.opts);
    r.opts.threads = threads;
    r.opts.skip_bad = 1;
    int rc = run_batch(&r);
    if (rc == LOCUS_OK)
        return collector_result(&c);
    collector_free(&c);
    if (rc == LOCUS_E_ABORTED && c.fatal.status) { /* a frame's failure stopped it */
        r.err = c.fatal;
    } else if (rc == LOCUS_E_ABORTED && c.why) { /* the sink stopped it */
        r.err.status = strcmp(c.why, "out of memory") ? LOCUS_E_SYSTEM : LOCUS_E_NOMEM;
        snprintf(r.err.message, sizeof r.err.message, "%s", c.why);
    }
    return rc > 0 ? raise_locus(&r.err, files) : NULL;
}

/* The frames of an array batch: views of the arrays, gathered under the
 * GIL before the batch starts; workers only read this table. */
typedef struct {
    locus_image *images;
} array_frames;

static int array_get(void *user, size_t frame, void **scratch, locus_image *img, locus_error *err)
{
    (void)scratch;
    (void)err;
    *img = ((array_frames *)user)->images[frame];
    return LOCUS_OK;
}

static void array_name(void *user, size_t frame, char *buf, size_t n)
{
    (void)user;
    snprintf(buf, n, "frame %zu", frame);
}

/* _batch_arrays(images, params, threads[, progress])
 *   -> (names, columns, frame, stats, bad) */
static PyObject *py_batch_arrays(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *seq, *ptuple, *progress = NULL, *list, *result = NULL, **keep = NULL;
    int threads, ndim = 0;
    locus_params p;
    locus_error err;
    array_frames af = {NULL};
    Py_ssize_t n = 0, got = 0;
    if (!PyArg_ParseTuple(args, "OOi|O:_batch_arrays", &seq, &ptuple, &threads, &progress) ||
        params_from(ptuple, &p) || threads_arg(threads))
        return NULL;
    if (!(list = PySequence_Fast(seq, "images must be a sequence")))
        return NULL;
    n = PySequence_Fast_GET_SIZE(list);
    af.images = PyMem_Calloc(n ? (size_t)n : 1, sizeof *af.images);
    keep = PyMem_Calloc(n ? (size_t)n : 1, sizeof *keep);
    if (!af.images || !keep) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < n; got++) {
        char what[64];
        snprintf(what, sizeof what, "locus.batch: frame %zd", got);
        if (image_of(PySequence_Fast_GET_ITEM(list, got), what, &af.images[got], &keep[got]))
            goto done;
        if (got == 0)
            ndim = af.images[0].ndim;
        else if (af.images[got].ndim != ndim) {
            PyErr_Format(PyExc_ValueError,
                         "locus.batch: frame %zd is %d-D but frame 0 is %d-D; every frame must "
                         "have the same number of axes",
                         got, af.images[got].ndim, ndim);
            got++;
            goto done;
        }
    }
    if (locus_params_check(&p, n ? ndim : 2, &err) != LOCUS_OK) {
        raise_locus(&err, 0);
        goto done;
    }
    locus_frames frames = {
        .nframes = (size_t)n, .user = &af, .get = array_get, .release = NULL, .name = array_name};
    result = batch_collect(&p, &frames, n ? ndim : 2, threads, 0, progress);
done:
    for (Py_ssize_t i = 0; keep && i < got; i++)
        Py_XDECREF(keep[i]);
    PyMem_Free(keep);
    PyMem_Free(af.images);
    Py_DECREF(list);
    return result;
}

/* The inputs as C strings: a list of str/bytes/PathLike, converted with
 * the file-system encoding. *owned holds the bytes objects. */
static const char **paths_from(PyObject *seq, PyObject **owned, Py_ssize_t *count)
{
    PyObject *list = PySequence_Fast(seq, "inputs must be a sequence of paths");
    if (!list)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(list);
    const char **paths = PyMem_Calloc(n ? (size_t)n : 1, sizeof *paths);
    PyObject *bytes = PyTuple_New(n);
    if (!paths || !bytes) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = NULL;
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(list, i), &b))
            goto fail;
        PyTuple_SET_ITEM(bytes, i, b);
        paths[i] = PyBytes_AS_STRING(b);
    }
    Py_DECREF(list);
    *owned = bytes;
    *count = n;
    return paths;
fail:
    Py_DECREF(list);
    Py_XDECREF(bytes);
    PyMem_Free(paths);
    return NULL;
}

/* Open a source and check that every file is readable. */
static int source_open(locus_source **src, const char **paths, Py_ssize_t n, int channel,
                       int volume, locus_error *err)
{
    locus_source_opts opts = {.channel = channel, .volume = volume};
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = locus_source_open(src, paths, (size_t)n, &opts, err);
    if (rc == LOCUS_OK && (rc = locus_source_check(*src, err)) != LOCUS_OK) {
        locus_source_free(*src);
        *src = NULL;
    }
    Py_END_ALLOW_THREADS
    return rc;
}

/* _batch_files(inputs, channel, volume, params, threads[, progress])
 *   -> (names, columns, frame, stats, bad) */
static PyObject *py_batch_files(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *inputs, *ptuple, *progress = NULL, *owned = NULL, *result = NULL;
    int channel, volume, threads;
    locus_params p;
    locus_error err;
    locus_source *src = NULL;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OipOi|O:_batch_files", &inputs, &channel, &volume, &ptuple,
                          &threads, &progress) ||
        params_from(ptuple, &p) || threads_arg(threads))
        return NULL;
    const char **paths = paths_from(inputs, &owned, &n);
    if (!paths)
        return NULL;
    int ndim = volume ? 3 : 2;
    if (locus_params_check(&p, ndim, &err) != LOCUS_OK) {
        raise_locus(&err, 0);
        goto done;
    }
    if (source_open(&src, paths, n, channel, volume, &err) != LOCUS_OK) {
        raise_locus(&err, 1);
        goto done;
    }
    locus_frames frames = locus_source_frames_of(src);
    result = batch_collect(&p, &frames, ndim, threads, 1, progress);
done:
    locus_source_free(src);
    Py_XDECREF(owned);
    PyMem_Free(paths);
    return result;
}

/* ------------------------------------------------------------------ */
/* Files and synthetic movies                                          */
/* ------------------------------------------------------------------ */

/* _imread(path, channel, page, volume) -> ndarray (a copy) */
static PyObject *py_imread(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *path, *result = NULL;
    int channel, volume;
    Py_ssize_t page;
    locus_error err;
    locus_source *src = NULL;
    locus_reader *rd = NULL;
    locus_image img;
    if (!PyArg_ParseTuple(args, "O&inp:_imread", PyUnicode_FSConverter, &path, &channel, &page,
                          &volume))
        return NULL;
    const char *p = PyBytes_AS_STRING(path);
    if (source_open(&src, &p, 1, channel, volume, &err) != LOCUS_OK) {
        raise_locus(&err, 1);
        goto done;
    }
    size_t files = locus_source_files(src), nf = locus_source_frames(src);
    if (files != 1) {
        PyErr_Format(PyExc_ValueError,
                     "locus.imread: '%s' names %zu files; imread reads one (locus.batch reads "
                     "many)",
                     p, files);
        goto done;
    }
    if (page < 0)
        page += (Py_ssize_t)nf;
    if (page < 0 || (size_t)page >= nf) {
        PyErr_Format(PyExc_IndexError, "locus.imread: page %zd out of range (%s has %zu page%s)",
                     page < 0 ? page - (Py_ssize_t)nf : page, p, nf, nf == 1 ? "" : "s");
        goto done;
    }
    if (!(rd = locus_reader_create())) {
        PyErr_NoMemory();
        goto done;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = locus_source_read(src, (size_t)page, rd, &img, &err);
    Py_END_ALLOW_THREADS
    if (rc != LOCUS_OK)
        raise_locus(&err, 1);
    else
        result = array_from_image(&img);
done:
    locus_reader_free(rd);
    locus_source_free(src);
    Py_DECREF(path);
    return result;
}

/* _synth(shape, frames, particles, sigma, snr, bit_depth, min_separation,
 *        step, seed) -> (stack, truth): stack of shape (frames, *shape);
 * truth rows (frame, position..., amplitude). */
static PyObject *py_synth(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *shape, *stack = NULL, *truth = NULL;
    locus_synth_params sp;
    unsigned long long seed;
    Py_ssize_t frames, particles;
    locus_error err;
    locus_synth *s = NULL;
    double *rows = NULL;
    size_t nrows = 0, cap = 0;
    int rc = LOCUS_OK;
    locus_synth_params_init(&sp);
    if (!PyArg_ParseTuple(args, "OnnddiddK:_synth", &shape, &frames, &particles, &sp.sigma, &sp.snr,
                          &sp.bit_depth, &sp.min_separation, &sp.step, &seed))
        return NULL;
    if (!PyTuple_Check(shape) || (PyTuple_GET_SIZE(shape) != 2 && PyTuple_GET_SIZE(shape) != 3)) {
        PyErr_SetString(PyExc_ValueError, "locus.synth: shape must be (y, x) or (z, y, x)");
        return NULL;
    }
    if (frames < 1 || particles < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "locus.synth: frames must be at least 1 and particles at least 0");
        return NULL;
    }
    sp.ndim = (int)PyTuple_GET_SIZE(shape);
    npy_intp dims[4] = {(npy_intp)frames};
    for (int i = 0; i < sp.ndim; i++) {
        Py_ssize_t v = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
        if (v == -1 && PyErr_Occurred())
            return NULL;
        if (v < 1) {
            PyErr_SetString(PyExc_ValueError, "locus.synth: every axis of shape must be positive");
            return NULL;
        }
        sp.shape[i] = (size_t)v;
        dims[i + 1] = (npy_intp)v;
    }
    sp.frames = (size_t)frames;
    sp.particles = (size_t)particles;
    sp.seed = (uint64_t)seed;
    if (locus_synth_create(&s, &sp, &err) != LOCUS_OK)
        return raise_locus(&err, 0);
    stack = PyArray_SimpleNew(sp.ndim + 1, dims, sp.bit_depth == 16 ? NPY_UINT16 : NPY_UINT8);
    if (!stack)
        goto done;
    size_t width = (size_t)sp.ndim + 2;
    char *dst = PyArray_DATA((PyArrayObject *)stack);
    npy_intp step = PyArray_STRIDE((PyArrayObject *)stack, 0);
    Py_BEGIN_ALLOW_THREADS
    for (size_t f = 0; rc == LOCUS_OK && f < sp.frames; f++) {
        locus_image img;
        const double *t;
        size_t nt;
        if ((rc = locus_synth_next(s, &img, &t, &nt, &err)) != LOCUS_OK)
            break;
        image_copy(dst + (ptrdiff_t)f * step, &img);
        if (nrows + nt > cap) {
            cap = nrows + nt > 2 * cap ? nrows + nt : 2 * cap;
            if (grow((void **)&rows, cap, width * sizeof(double))) {
                rc = LOCUS_E_NOMEM;
                err.status = rc;
                snprintf(err.message, sizeof err.message, "out of memory");
                break;
            }
        }
        for (size_t i = 0; i < nt; i++) {
            double *r = rows + (nrows + i) * width;
            r[0] = (double)f;
            memcpy(r + 1, t + i * (width - 1), (width - 1) * sizeof(double));
        }
        nrows += nt;
    }
    Py_END_ALLOW_THREADS
    if (rc != LOCUS_OK) {
        Py_CLEAR(stack);
        raise_locus(&err, 0);
        goto done;
    }
    npy_intp tdims[2] = {(npy_intp)nrows, (npy_intp)width};
    truth = PyArray_SimpleNew(2, tdims, NPY_FLOAT64);
    if (!truth) {
        Py_CLEAR(stack);
        goto done;
    }
    if (nrows)
        memcpy(PyArray_DATA((PyArrayObject *)truth), rows, nrows * width * sizeof(double));
done:
    free(rows);
    locus_synth_free(s);
    if (!stack)
        return NULL;
    return Py_BuildValue("(NN)", stack, truth);
}

static PyObject *py_cpu_count(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    return PyLong_FromLong(locus_cpu_count());
}

/* ------------------------------------------------------------------ */
/* The module                                                          */
/* ------------------------------------------------------------------ */

static PyMethodDef methods[] = {
    {"_locate", py_locate, METH_VARARGS,
     "_locate(image, params) -> (names, columns, stats, None), or for an image at fault "
     "(names, empty columns, None, (status, message))"},
    {"_batch_arrays", py_batch_arrays, METH_VARARGS,
     "_batch_arrays(images, params, threads[, progress]) -> (names, columns, frame, stats, bad)"},
    {"_batch_files", py_batch_files, METH_VARARGS,
     "_batch_files(inputs, channel, volume, params, threads[, progress]) -> (names, columns, "
     "frame, stats, bad)"},
    {"_imread", py_imread, METH_VARARGS, "_imread(path, channel, page, volume) -> ndarray"},
    {"_synth", py_synth, METH_VARARGS,
     "_synth(shape, frames, particles, sigma, snr, bit_depth, min_separation, step, seed) -> "
     "(stack, truth)"},
    {"cpu_count", py_cpu_count, METH_NOARGS, "Number of online CPU cores."},
    {"_param_names", py_param_names, METH_VARARGS,
     "_param_names(group) -> [(name, type, help)]: the library's parameter table"},
    LOCUS_EXTRA_METHODS /* _methods.h */
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_locus",
    "The C engine of locus (see the locus package).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_status;

static void key_create(void)
{
    key_status = pthread_key_create(&state_key, state_free);
}

PyMODINIT_FUNC PyInit__locus(void);

PyMODINIT_FUNC PyInit__locus(void)
{
    import_array();
    pthread_once(&key_once, key_create);
    if (key_status != 0) {
        errno = key_status;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyObject *m = PyModule_Create(&module);
    if (m && (PyModule_AddStringConstant(m, "version", locus_version()) < 0 ||
              PyModule_AddIntConstant(m, "E_SHAPE", LOCUS_E_SHAPE) < 0 ||
              PyModule_AddIntConstant(m, "E_FORMAT", LOCUS_E_FORMAT) < 0))
        Py_CLEAR(m);
    return m;
}
