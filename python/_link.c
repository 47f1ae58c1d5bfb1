/*
 * locus._locus._link: trackpy's link on arrays (python/locus/link.py
 * makes them from a DataFrame). Rows arrive sorted by frame; each frame
 * is pushed to a streaming linker with the GIL released, and Ctrl-C is
 * checked between frames.
 */
#include "_methods.h"
#include "_pyhelp.h"

#include <math.h>
#include <stdint.h>

/* Optional buffer predict[key] of doubles: its item count, or 0 if absent; -1 on error. */
static Py_ssize_t predict_array(PyObject *predict, const char *key, Py_buffer *b, int *held)
{
    PyObject *o = PyDict_Check(predict) ? PyDict_GetItemString(predict, key) : NULL;
    *held = 0;
    if (!o || o == Py_None)
        return 0;
    if (help_buffer(o, b, 0, 0, key))
        return -1;
    *held = 1;
    return (Py_ssize_t)help_items(b);
}

enum { P_GUESS, P_POSITIONS, P_VELOCITIES, P_PROFILE, P_COUNT };

/* The predictor's arrays and flow axis (from the dict `predict`) into p. */
static int predict_from(PyObject *predict, locus_link_params *p, Py_buffer *b, int *held)
{
    static const char *const keys[P_COUNT] = {"initial_guess", "initial_guess_positions",
                                              "initial_guess_vels", "initial_profile_guess"};
    Py_ssize_t n[P_COUNT];
    for (int k = 0; k < P_COUNT; k++)
        if ((n[k] = predict_array(predict, keys[k], &b[k], &held[k])) < 0)
            return -1;
    size_t nd = (size_t)p->ndim;
    locus_predict_params *q = &p->predict;
    if (held[P_GUESS]) {
        if ((size_t)n[P_GUESS] != nd) {
            PyErr_Format(PyExc_ValueError, "initial_guess has %zd values for %d position columns",
                         n[P_GUESS], p->ndim);
            return -1;
        }
        memcpy(q->guess, b[P_GUESS].buf, nd * sizeof *q->guess);
        q->has_guess = 1;
    }
    if (held[P_POSITIONS] || held[P_VELOCITIES]) {
        if (!held[P_POSITIONS] || !held[P_VELOCITIES] || n[P_POSITIONS] != n[P_VELOCITIES] ||
            (size_t)n[P_POSITIONS] % nd || n[P_POSITIONS] == 0) {
            PyErr_Format(PyExc_ValueError,
                         "initial_guess_positions and initial_guess_vels must both be N x %d "
                         "arrays of the same N",
                         p->ndim);
            return -1;
        }
        q->guess_positions = b[P_POSITIONS].buf;
        q->guess_velocities = b[P_VELOCITIES].buf;
        q->nguess = (size_t)n[P_POSITIONS] / nd;
    }
    if (held[P_PROFILE]) {
        if (n[P_PROFILE] == 0 || n[P_PROFILE] % 2) {
            PyErr_SetString(PyExc_ValueError, "initial_profile_guess must be an N x 2 array");
            return -1;
        }
        q->profile = b[P_PROFILE].buf;
        q->nprofile = (size_t)n[P_PROFILE] / 2;
    }
    PyObject *axis = PyDict_Check(predict) ? PyDict_GetItemString(predict, "flow_axis") : NULL;
    if (axis && axis != Py_None) {
        long a = PyLong_AsLong(axis);
        if (a == -1 && PyErr_Occurred())
            return -1;
        q->flow_axis = (int)a;
    }
    return 0;
}

static PyObject *stats_dict(const locus_link_stats *s)
{
    return Py_BuildValue("{sKsKsKsKsKsKsKsK}", "frames", (unsigned long long)s->frames, "features",
                         (unsigned long long)s->features, "subnets", (unsigned long long)s->subnets,
                         "oversize", (unsigned long long)s->oversize, "largest_oversize",
                         (unsigned long long)s->largest_oversize, "largest_subnet",
                         (unsigned long long)s->largest_subnet, "adaptive_shrinks",
                         (unsigned long long)s->adaptive_shrinks, "trajectories",
                         (unsigned long long)s->trajectories);
}

/* Push the sorted rows frame by frame; 0, a locus status, or -1 (a Python error). */
static int push_frames(locus_linker *lk, const int64_t *frames, const double *pos, size_t n,
                       size_t nd, int64_t *ids, locus_error *err)
{
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && frames[b] == frames[a])
            b++;
        if (b < n && frames[b] < frames[a]) {
            PyErr_SetString(PyExc_ValueError, "_link: rows must be sorted by frame");
            return -1;
        }
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = locus_linker_push(lk, frames[a], pos + a * nd, b - a, ids + a, err);
        Py_END_ALLOW_THREADS
        if (rc)
            return rc;
        if (PyErr_CheckSignals())
            return -1;
        a = b;
    }
    return 0;
}

PyObject *locus_py_link(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *params, *frames_o, *pos_o, *predict, *ids_o, *oversize_type, *spelling;
    int ndim;
    if (!PyArg_ParseTuple(args, "OOOiOOOO:_link", &params, &frames_o, &pos_o, &ndim, &predict,
                          &ids_o, &oversize_type, &spelling))
        return NULL;
    locus_link_params p;
    locus_link_params_init(&p);
    if (ndim < 1 || ndim > 3) {
        PyErr_Format(PyExc_ValueError, "pos_columns must name 1 to 3 columns, not %d", ndim);
        return NULL;
    }
    p.ndim = ndim;
    if (help_params(params, LOCUS_PARAMS_LINK, &p, spelling))
        return NULL;

    Py_buffer fb, pb, ib, extra[P_COUNT];
    int held[P_COUNT] = {0}, have_f = 0, have_p = 0, have_i = 0;
    PyObject *result = NULL;
    locus_linker *lk = NULL;
    if (predict_from(predict, &p, extra, held))
        goto done;
    if (help_buffer(frames_o, &fb, 1, 0, "frames"))
        goto done;
    have_f = 1;
    if (help_buffer(pos_o, &pb, 0, 0, "positions"))
        goto done;
    have_p = 1;
    if (help_buffer(ids_o, &ib, 1, 1, "ids"))
        goto done;
    have_i = 1;
    size_t n = help_items(&fb), nd = (size_t)ndim;
    if (help_items(&pb) != n * nd || help_items(&ib) != n) {
        PyErr_Format(PyExc_ValueError,
                     "_link: %zu frames, %zu position values and %zu ids do not match", n,
                     help_items(&pb), help_items(&ib));
        goto done;
    }
    locus_error err;
    int rc = locus_link_params_check(&p, &err);
    if (rc == LOCUS_OK)
        rc = locus_linker_create(&lk, &p, &err);
    if (rc == LOCUS_OK)
        rc = push_frames(lk, fb.buf, pb.buf, n, nd, ib.buf, &err);
    if (rc > 0)
        help_raise(&err, spelling, oversize_type);
    if (rc == 0) {
        locus_link_stats total;
        locus_linker_stats(lk, NULL, &total);
        result = stats_dict(&total);
    }
done:
    locus_linker_free(lk);
    for (int k = 0; k < P_COUNT; k++)
        if (held[k])
            PyBuffer_Release(&extra[k]);
    if (have_f)
        PyBuffer_Release(&fb);
    if (have_p)
        PyBuffer_Release(&pb);
    if (have_i)
        PyBuffer_Release(&ib);
    return result;
}

/* ------------------------------------------------------------------ */
/* A streaming linker for link_iter and link_df_iter                   */
/* ------------------------------------------------------------------ */

typedef struct {
    locus_linker *lk;
    int ndim;
    PyObject *oversize_type, *spelling;
} stream;

static const char STREAM[] = "locus._locus.linker";

static void stream_free(PyObject *capsule)
{
    stream *s = PyCapsule_GetPointer(capsule, STREAM);
    if (!s)
        return;
    locus_linker_free(s->lk);
    Py_XDECREF(s->oversize_type);
    Py_XDECREF(s->spelling);
    PyMem_Free(s);
}

PyObject *locus_py_linker(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *params, *predict, *oversize_type, *spelling;
    int ndim;
    if (!PyArg_ParseTuple(args, "OiOOO:_linker", &params, &ndim, &predict, &oversize_type,
                          &spelling))
        return NULL;
    if (ndim < 1 || ndim > 3) {
        PyErr_Format(PyExc_ValueError, "pos_columns must name 1 to 3 columns, not %d", ndim);
        return NULL;
    }
    locus_link_params p;
    locus_link_params_init(&p);
    p.ndim = ndim;
    if (help_params(params, LOCUS_PARAMS_LINK, &p, spelling))
        return NULL;
    Py_buffer extra[P_COUNT];
    int held[P_COUNT] = {0};
    PyObject *capsule = NULL;
    stream *s = NULL;
    locus_linker *lk = NULL;
    locus_error err;
    if (predict_from(predict, &p, extra, held))
        goto done;
    /* the guesses are copied by locus_linker_create */
    if (locus_link_params_check(&p, &err) || locus_linker_create(&lk, &p, &err)) {
        help_raise(&err, spelling, oversize_type);
        goto done;
    }
    if (!(s = PyMem_Calloc(1, sizeof *s))) {
        PyErr_NoMemory();
        goto done;
    }
    s->lk = lk, s->ndim = ndim;
    Py_INCREF(oversize_type);
    Py_INCREF(spelling);
    s->oversize_type = oversize_type, s->spelling = spelling;
    lk = NULL;
    if (!(capsule = PyCapsule_New(s, STREAM, stream_free))) {
        locus_linker_free(s->lk);
        Py_DECREF(s->oversize_type);
        Py_DECREF(s->spelling);
        PyMem_Free(s);
    }
done:
    locus_linker_free(lk);
    for (int k = 0; k < P_COUNT; k++)
        if (held[k])
            PyBuffer_Release(&extra[k]);
    return capsule;
}

PyObject *locus_py_linker_push(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *capsule, *pos_o, *ids_o;
    long long frame;
    if (!PyArg_ParseTuple(args, "OLOO:_linker_push", &capsule, &frame, &pos_o, &ids_o))
        return NULL;
    stream *s = PyCapsule_GetPointer(capsule, STREAM);
    if (!s)
        return NULL;
    Py_buffer pb, ib;
    if (help_buffer(pos_o, &pb, 0, 0, "positions"))
        return NULL;
    if (help_buffer(ids_o, &ib, 1, 1, "ids")) {
        PyBuffer_Release(&pb);
        return NULL;
    }
    size_t n = help_items(&ib);
    PyObject *result = NULL;
    if (help_items(&pb) != n * (size_t)s->ndim) {
        PyErr_Format(PyExc_ValueError, "_linker_push: %zu position values for %zu ids",
                     help_items(&pb), n);
    } else {
        locus_error err;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = locus_linker_push(s->lk, (int64_t)frame, pb.buf, n, ib.buf, &err);
        Py_END_ALLOW_THREADS
        if (rc)
            help_raise(&err, s->spelling, s->oversize_type);
        else {
            Py_INCREF(Py_None);
            result = Py_None;
        }
    }
    PyBuffer_Release(&pb);
    PyBuffer_Release(&ib);
    return result;
}
