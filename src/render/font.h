/*
 * A small built-in bitmap font for plot labels and annotations, so that
 * locus draws text without a font library. Every printable ASCII
 * character is a 5 x 9 cell: 7 rows from the cap line to the baseline,
 * then 2 rows of descender (g, j, p, q, y, comma). Internal.
 */
#ifndef LOCUS_FONT_H
#define LOCUS_FONT_H

#include <stddef.h>

enum {
    FONT_WIDTH = 5,   /* columns of a glyph */
    FONT_HEIGHT = 9,  /* rows of a glyph, descender included */
    FONT_ASCENT = 7,  /* rows from the top of the cell to the baseline */
    FONT_ADVANCE = 6, /* columns from one character to the next */
};

/*
 * The pixels of row `row` (0 at the top) of character c as a bit mask:
 * bit (FONT_WIDTH - 1 - col) is set when column col is ink. Characters
 * outside printable ASCII draw as '?'.
 */
unsigned locus_font_row(unsigned char c, int row);

/* Width in font columns of a string drawn at scale 1 (no trailing gap). */
size_t locus_font_text_width(const char *s);

#endif
