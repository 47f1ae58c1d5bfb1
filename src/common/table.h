/* The result table's internals, for the stages that fill it. */
#ifndef LOCUS_TABLE_H
#define LOCUS_TABLE_H

#include "common/internal.h"

struct locus_table {
    int ncols;
    const char *names[LOCUS_MAX_COLUMNS];
    double *col[LOCUS_MAX_COLUMNS];
    size_t rows, cap;
    int blank;
};

/* Set the columns and make room for `rows` rows (contents undefined). */
int locus_table_reset(locus_table *t, const char *const *names, int ncols, size_t rows);

#endif
