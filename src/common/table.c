/* The result table: named columns of doubles, reused call after call. */
#include "common/table.h"

#include <stdlib.h>
#include <string.h>

locus_table *locus_table_create(void)
{
    return calloc(1, sizeof(locus_table));
}

void locus_table_free(locus_table *t)
{
    if (!t)
        return;
    for (int c = 0; c < LOCUS_MAX_COLUMNS; c++)
        free(t->col[c]);
    free(t);
}

int locus_table_reset(locus_table *t, const char *const *names, int ncols, size_t rows)
{
    if (rows > t->cap) {
        size_t cap = rows > 2 * t->cap ? rows : 2 * t->cap;
        for (int c = 0; c < LOCUS_MAX_COLUMNS; c++) {
            double *p = realloc(t->col[c], size_mul(cap, sizeof(double)));
            if (!p)
                return LOCUS_E_NOMEM;
            t->col[c] = p;
        }
        t->cap = cap;
    }
    t->ncols = ncols;
    for (int c = 0; c < ncols; c++)
        t->names[c] = names[c];
    t->rows = rows;
    t->blank = 0;
    return LOCUS_OK;
}

size_t locus_table_rows(const locus_table *t)
{
    return t->rows;
}

int locus_table_cols(const locus_table *t)
{
    return t->ncols;
}

const char *locus_table_name(const locus_table *t, int col)
{
    return col >= 0 && col < t->ncols ? t->names[col] : NULL;
}

const double *locus_table_column(const locus_table *t, int col)
{
    return col >= 0 && col < t->ncols ? t->col[col] : NULL;
}

int locus_table_find(const locus_table *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->names[c], name))
            return c;
    return -1;
}

int locus_table_blank(const locus_table *t)
{
    return t->blank;
}
