/*
 * Reading feature tables back: the CSV files `locus locate` writes, and
 * those trackpy users write with pandas (DataFrame.to_csv, with or
 * without the index column). Internal; used by `locus annotate` and
 * `locus diag`.
 *
 * The first non-blank line is the header of column names; every other
 * non-blank line is one row with as many fields as the header. A caller
 * asks for the columns it uses by name; only those are parsed, so other
 * columns may hold anything (text, booleans). An asked-for field must be
 * a number (strtod's syntax, surrounding blanks allowed) or empty, which
 * reads as NaN as pandas writes it. Fields may be quoted ("..." with ""
 * for a quote). Lines end in \n or \r\n.
 *
 * Errors are one line, "PATH:LINE: reason", LINE counted from 1.
 */
#ifndef LOCUS_FEATURES_CSV_H
#define LOCUS_FEATURES_CSV_H

#include "common/internal.h"

#include <stddef.h>

#define FEATURES_MAX_WANT 16

/*
 * Named columns of doubles. For CSV input, col[i] is the column named
 * want[i], or NULL when the header has no such column. The same struct
 * describes a locus_table (locus_features_of_table), so that what draws from a
 * table is written once.
 */
typedef struct {
    size_t nrows;
    int ncols;
    const char *names[FEATURES_MAX_WANT];
    const double *col[FEATURES_MAX_WANT];
    double *store; /* owned storage (CSV input), or NULL */
    size_t *line;  /* CSV input: the line of each row, for messages */
    char *header;  /* the header line as read, for messages */
    size_t header_line;
} features_table;

/*
 * Read PATH, keeping the columns named want[0..nwant-1] (nwant up to
 * FEATURES_MAX_WANT). LOCUS_E_IO: cannot read; LOCUS_E_FORMAT: not such
 * a CSV (empty, ragged row, text in a wanted field, ...); LOCUS_E_NOMEM.
 */
int locus_features_csv_read(const char *path, const char *const *want, int nwant, features_table *t,
                            locus_error *err);
void locus_features_table_free(features_table *t);

/* The column named name, or NULL. */
const double *locus_features_column(const features_table *t, const char *name);

/*
 * Fail unless every column in names[0..n-1] was found: LOCUS_E_FORMAT,
 * "PATH:LINE: no column 'mass' (the header is: y,x,...)" for CSV input,
 * "PATH: no column 'mass'" for a view of a locus_table.
 */
int locus_features_require(const features_table *t, const char *path, const char *const *names,
                           int n, locus_error *err);

/* A view of a locate result (no copy; valid while the table is). */
void locus_features_of_table(features_table *t, const locus_table *lt);

#endif
