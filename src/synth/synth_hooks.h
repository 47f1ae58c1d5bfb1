/*
 * Testing hooks of the synthetic-movie generator: not public API, but
 * declared once here so that synth.c and tests/synth/test_synth.c cannot
 * disagree about them.
 */
#ifndef LOCUS_SYNTH_HOOKS_H
#define LOCUS_SYNTH_HOOKS_H

#include "locus.h"

#include <stddef.h>
#include <stdint.h>

/* n Poisson deviates of `mean` drawn as the generator draws them. */
void locus_synth_poisson_fill(uint64_t seed, double mean, size_t n, double *out);
/* n standard normal deviates drawn as the generator draws them. */
void locus_synth_normal_fill(uint64_t seed, size_t n, double *out);
/* The generator's own deterministic log (fn 0), exp (1) and erf (2). */
double locus_synth_math(int fn, double x);
/* Generate with this many threads (0: every core). */
void locus_synth_set_threads(locus_synth *s, int threads);

#endif
