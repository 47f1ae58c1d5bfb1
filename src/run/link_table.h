/*
 * The feature table of `locus link`: a CSV file read whole, every row
 * kept as its original text (so that every column is carried through
 * verbatim), with the frame and position columns parsed.
 *
 * The first non-blank line is the header; every other non-blank line is
 * a row with as many fields as the header. Fields may be quoted ("..."
 * with "" for a quote); blanks around a number are allowed. Lines end in
 * \n or \r\n. Errors are one line, "PATH:LINE: reason".
 */
#ifndef LOCUS_RUN_LINK_TABLE_H
#define LOCUS_RUN_LINK_TABLE_H

#include "locus.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *path;
    char *data; /* the file (mapped, or read) */
    size_t len;
    int mapped;
    const char *header; /* the header line, without its end of line */
    size_t header_len;
    int nfields;
    int ndim;
    int pos_field[3], t_field, particle_field; /* field indices; particle -1 if absent */
    size_t nrows;
    const char **row; /* each row's text, without its end of line */
    uint32_t *row_len;
    uint32_t *pfield_begin; /* the particle field's [begin, end) in the row text */
    uint32_t *pfield_end;
    int64_t *frame;
    double *pos; /* nrows x ndim */
} link_table;

/*
 * Read PATH with the position columns pos[0..npos) (NULL: z,y,x when the
 * header has z, else y,x) and the frame column tcol. LOCUS_E_IO: cannot
 * read; LOCUS_E_FORMAT: not such a table (the message says FILE:LINE and
 * why); LOCUS_E_NOMEM.
 */
int locus_link_table_read(link_table *t, const char *path, const char *const *pos, int npos,
                          const char *tcol, locus_error *err);
void locus_link_table_free(link_table *t);

/*
 * Write the output CSV to f: the header (plus ",particle" unless the
 * table has that column), then the rows in `order` (indices into the
 * table) with their particle ID ids[row] (appended, or in place of the old
 * field). Rows whose trajectory is shorter than min_length (rows per
 * trajectory in `length`, NULL for none) are left out. 0, LOCUS_E_IO
 * (a write failed) or LOCUS_E_NOMEM.
 */
int locus_link_table_write(const link_table *t, const size_t *order, const int64_t *ids,
                           const size_t *length, size_t min_length, FILE *f);

#endif
