/*
 * Methods of locus._locus defined outside _locus.c: linking (_link.c)
 * and pictures (_pictures.c). _locus.c lists them in its method table
 * with LOCUS_EXTRA_METHODS.
 */
#ifndef LOCUS_PY_METHODS_H
#define LOCUS_PY_METHODS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

PyObject *locus_py_link(PyObject *self, PyObject *args);
PyObject *locus_py_linker(PyObject *self, PyObject *args);
PyObject *locus_py_linker_push(PyObject *self, PyObject *args);
PyObject *locus_py_annotate(PyObject *self, PyObject *args);
PyObject *locus_py_diag(PyObject *self, PyObject *args);
PyObject *locus_py_encode_png(PyObject *self, PyObject *args);

#define LOCUS_EXTRA_METHODS                                                                        \
    {"_link", locus_py_link, METH_VARARGS,                                                         \
     "_link(params, frames, pos, ndim, predict, ids, oversize_type, spelling) -> stats"},          \
        {"_linker", locus_py_linker, METH_VARARGS,                                                 \
         "_linker(params, ndim, predict, oversize_type, spelling) -> a streaming linker"},         \
        {"_linker_push", locus_py_linker_push, METH_VARARGS,                                       \
         "_linker_push(linker, frame, pos, ids): link one frame, ids filled"},                     \
        {"_annotate", locus_py_annotate, METH_VARARGS,                                             \
         "_annotate(image, names, columns, opts) -> (rgb bytes, height, width, drawn)"},           \
        {"_diag", locus_py_diag, METH_VARARGS,                                                     \
         "_diag(names, columns, opts, format) -> bytes (format: 'png', 'svg' or 'text')"},         \
        {"_encode_png", locus_py_encode_png, METH_VARARGS,                                         \
         "_encode_png(rgb, height, width) -> PNG bytes"},

#endif
