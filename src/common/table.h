/* The table's internals, for the stages that fill it and the readers. */
#ifndef LOCUS_TABLE_H
#define LOCUS_TABLE_H

#include "common/internal.h"

struct locus_table {
    int ncols;
    const char *names[LOCUS_TABLE_MAX_COLUMNS];
    char *owned[LOCUS_TABLE_MAX_COLUMNS]; /* names the table owns, or NULL (static) */
    double *col[LOCUS_TABLE_MAX_COLUMNS];
    size_t cap[LOCUS_TABLE_MAX_COLUMNS]; /* rows each column has room for */
    size_t rows;
    int blank;
    locus_locate_stats stats; /* of the last locate (locus_table_locate_stats) */
    /* Read from a file: each row's line and the header, for messages
     * (else NULL). */
    size_t *line;
    char *header;
    size_t header_line;
};

/* Set the columns (names stay the caller's: static strings) and make
 * room for `rows` rows (contents undefined). */
int locus_table_reset(locus_table *t, const char *const *names, int ncols, size_t rows);

#endif
