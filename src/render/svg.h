/*
 * SVG output for plots: a plot_surface that writes SVG elements, so the
 * same layout code gives a vector picture. Text becomes real <text>
 * elements (selectable, searchable) in a monospace font sized to match
 * the bitmap font's advance and cap height. Internal.
 */
#ifndef LOCUS_SVG_H
#define LOCUS_SVG_H

#include "render/plot.h"

typedef struct {
    locus_buffer out;
    int failed; /* out of memory while writing */
} svg_doc;

/* Start a width x height document on a white background. */
void locus_svg_begin(svg_doc *d, double width, double height);
plot_surface locus_svg_surface(svg_doc *d);
/* Finish the document: d->out holds it (on failure it is freed). */
int locus_svg_finish(svg_doc *d, locus_error *err);
void locus_svg_free(svg_doc *d);

#endif
