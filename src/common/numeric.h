/* Summation that reproduces NumPy's results bit for bit. */
#ifndef LOCUS_NUMERIC_H
#define LOCUS_NUMERIC_H

#include <stddef.h>

/*
 * NumPy's pairwise summation (used by ndarray.sum, mean and std): blocks
 * of up to 128 summed with eight interleaved accumulators, larger arrays
 * split in two. Matching it matters where trackpy's numbers come from a
 * NumPy sum: the Gaussian taps' normalisation and the background noise.
 */
double locus_pairwise_sum(const double *a, size_t n);
float locus_pairwise_sum_f32(const float *a, size_t n);

/*
 * ndarray.sum() of a whole 1-D array: NumPy's reduction hands the loop
 * buffers of 8192 elements, sums each pairwise, and adds the partial sums
 * in order into an accumulator of the array's own type (so float32 arrays
 * are summed in float32).
 */
double locus_numpy_sum(const double *a, size_t n);
float locus_numpy_sum_f32(const float *a, size_t n);

/*
 * NumPy's default argsort (introsort, numpy/core/src/npysort/quicksort.cpp):
 * fills idx with the permutation np.argsort(v) returns. It is not stable,
 * and trackpy's top-n selection inherits its order among equal masses, so
 * matching trackpy means matching this exact algorithm.
 */
void locus_numpy_argsort(const double *v, size_t *idx, size_t n);

#endif
