/* Tables: named columns of doubles, reused call after call. */
#include "common/table.h"

#include <stdlib.h>
#include <string.h>

locus_table *locus_table_create(void)
{
    return calloc(1, sizeof(locus_table));
}

static void drop_names(locus_table *t)
{
    for (int c = 0; c < LOCUS_TABLE_MAX_COLUMNS; c++) {
        free(t->owned[c]);
        t->owned[c] = NULL;
    }
    free(t->line);
    free(t->header);
    t->line = NULL;
    t->header = NULL;
    t->header_line = 0;
}

void locus_table_free(locus_table *t)
{
    if (!t)
        return;
    drop_names(t);
    for (int c = 0; c < LOCUS_TABLE_MAX_COLUMNS; c++)
        free(t->col[c]);
    free(t);
}

/* Room for `rows` values in column c (contents kept). */
static int column_room(locus_table *t, int c, size_t rows)
{
    if (rows <= t->cap[c])
        return LOCUS_OK;
    size_t cap = rows > 2 * t->cap[c] ? rows : 2 * t->cap[c];
    double *p = realloc(t->col[c], size_mul(cap, sizeof(double)));
    if (!p)
        return LOCUS_E_NOMEM;
    t->col[c] = p;
    t->cap[c] = cap;
    return LOCUS_OK;
}

int locus_table_reset(locus_table *t, const char *const *names, int ncols, size_t rows)
{
    if (ncols < 0 || ncols > LOCUS_TABLE_MAX_COLUMNS)
        return LOCUS_E_PARAM;
    drop_names(t);
    for (int c = 0; c < ncols; c++)
        if (column_room(t, c, rows))
            return LOCUS_E_NOMEM;
    t->ncols = ncols;
    for (int c = 0; c < ncols; c++)
        t->names[c] = names[c];
    t->rows = rows;
    t->blank = 0;
    memset(&t->stats, 0, sizeof t->stats);
    return LOCUS_OK;
}

int locus_table_set_column(locus_table *t, const char *name, const double *v, size_t n,
                           locus_error *err)
{
    if (!t || !name || (n && !v))
        return locus_error_set(err, LOCUS_E_PARAM, "locus_table_set_column: missing argument");
    if (t->ncols > 0 && n != t->rows)
        return locus_error_param(err, name, NULL, "has %zu values but the table has %zu rows", n,
                                 t->rows);
    int c = locus_table_find(t, name);
    if (c < 0) {
        if (t->ncols == LOCUS_TABLE_MAX_COLUMNS)
            return locus_error_set(err, LOCUS_E_PARAM, "a table holds at most %d columns",
                                   LOCUS_TABLE_MAX_COLUMNS);
        c = t->ncols;
        if (!(t->owned[c] = strdup(name)))
            return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
        t->names[c] = t->owned[c];
    }
    if (column_room(t, c, n ? n : 1))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    if (n)
        memcpy(t->col[c], v, n * sizeof *v);
    if (c == t->ncols)
        t->ncols++;
    t->rows = n;
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

void locus_table_locate_stats(const locus_table *t, locus_locate_stats *stats)
{
    *stats = t->stats;
}
