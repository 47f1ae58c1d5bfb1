/*
 * Helpers shared by _link.c and _pictures.c (static inline: each file
 * uses some). Arrays arrive through the buffer protocol, already made
 * C-contiguous and of the right dtype by the Python layer, so these files
 * need no NumPy C API.
 */
#ifndef LOCUS_PY_HELP_H
#define LOCUS_PY_HELP_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "locus.h"

#include <errno.h>
#include <string.h>

/* The buffer's item format without a native byte-order prefix. */
static inline const char *help_format(const Py_buffer *b)
{
    const char *f = b->format ? b->format : "B";
    return (f[0] == '@' || f[0] == '=') ? f + 1 : f;
}

/*
 * A C-contiguous buffer of doubles (format 'd') or, with int64 set,
 * 8-byte integers ('q' or 'l'); writable when asked. 0, or -1 with a
 * TypeError naming `what`.
 */
static inline int help_buffer(PyObject *o, Py_buffer *b, int int64, int writable, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(o, b, flags) < 0)
        return -1;
    const char *f = help_format(b);
    int ok = b->itemsize == 8 && (int64 ? (!strcmp(f, "q") || !strcmp(f, "l")) : !strcmp(f, "d"));
    if (!ok) {
        PyBuffer_Release(b);
        PyErr_Format(PyExc_TypeError, "%s: expected a contiguous array of %s", what,
                     int64 ? "int64" : "float64");
        return -1;
    }
    return 0;
}

/* Items in a buffer of 8-byte items. */
static inline size_t help_items(const Py_buffer *b)
{
    return (size_t)(b->len / 8);
}

/* The spelling of a parameter for messages: spelling[name], else name. */
static inline const char *help_spell(const char *param, void *user)
{
    PyObject *d = user, *v;
    if (!d || !PyDict_Check(d) || !(v = PyDict_GetItemString(d, param)) || !PyUnicode_Check(v))
        return param;
    const char *s = PyUnicode_AsUTF8(v);
    if (!s)
        PyErr_Clear();
    return s ? s : param;
}

/*
 * A locus_error as an exception: ValueError for bad parameters and values
 * (the library's sentence, parameters spelled by `spelling`, a dict or
 * NULL), oversize_type for LOCUS_E_OVERSIZE (NULL: RuntimeError),
 * MemoryError, OSError, KeyboardInterrupt.
 */
static inline PyObject *help_raise(const locus_error *err, PyObject *spelling,
                                   PyObject *oversize_type)
{
    char buf[LOCUS_ERROR_MAX + LOCUS_ERROR_PATH_MAX];
    const char *m = locus_error_describe(err, help_spell, spelling, buf, sizeof buf);
    if (!m || !m[0])
        m = locus_strerror(err->status);
    PyObject *type = PyExc_ValueError;
    switch (err->status) {
    case LOCUS_E_NOMEM:
        type = PyExc_MemoryError;
        break;
    case LOCUS_E_IO:
    case LOCUS_E_SYSTEM:
        type = PyExc_OSError;
        break;
    case LOCUS_E_INTERRUPTED:
        type = PyExc_KeyboardInterrupt;
        break;
    case LOCUS_E_OVERSIZE:
        type = oversize_type && oversize_type != Py_None ? oversize_type : PyExc_RuntimeError;
        break;
    default:
        break;
    }
    PyErr_SetString(type, m);
    return NULL;
}

/*
 * A dict of keywords (missing or None: the default) set through the
 * library's parameter table of `group`: names, checks and messages are
 * the library's. Strings are parsed by the table (choices by name).
 */
static inline int help_params(PyObject *d, int group, void *target, PyObject *spelling)
{
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "params: expected a dict");
        return -1;
    }
    for (int i = 0; locus_param_at(group, i); i++) {
        const locus_param_info *info = locus_param_at(group, i);
        PyObject *o = PyDict_GetItemString(d, info->name); /* borrowed */
        locus_error err;
        int rc;
        if (!o || o == Py_None) {
            rc = locus_param_set(group, target, info->name, NULL, 0, &err);
        } else if (PyUnicode_Check(o)) {
            const char *s = PyUnicode_AsUTF8(o);
            if (!s)
                return -1;
            rc = locus_param_set_text(group, target, info->name, s, &err);
        } else if (info->type == LOCUS_PARAM_FLAG) {
            int truth = PyObject_IsTrue(o);
            if (truth < 0)
                return -1;
            double v = truth;
            rc = locus_param_set(group, target, info->name, &v, 1, &err);
        } else {
            double v[3];
            int n = 0;
            PyObject *seq = PySequence_Check(o) ? PySequence_Fast(o, "") : NULL;
            if (seq) {
                Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
                if (len < 1 || len > 3 || info->type != LOCUS_PARAM_AXES) {
                    Py_DECREF(seq);
                    PyErr_Format(PyExc_ValueError, "%s has %zd values; give %s",
                                 help_spell(info->name, spelling), len,
                                 info->type == LOCUS_PARAM_AXES ? "one, or one per axis" : "one");
                    return -1;
                }
                for (Py_ssize_t k = 0; k < len; k++)
                    v[k] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, k));
                n = (int)len;
                Py_DECREF(seq);
            } else {
                PyErr_Clear();
                v[0] = PyFloat_AsDouble(o);
                n = 1;
            }
            if (PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError, "%s must be a number%s, not %R",
                             help_spell(info->name, spelling),
                             info->type == LOCUS_PARAM_AXES ? " or a tuple of numbers" : "", o);
                return -1;
            }
            rc = locus_param_set(group, target, info->name, v, n, &err);
        }
        if (rc) {
            help_raise(&err, spelling, NULL);
            return -1;
        }
    }
    return 0;
}

#endif
