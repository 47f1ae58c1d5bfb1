/*
 * NumPy-compatible arithmetic (src/common/numeric.c). trackpy's numbers come
 * out of NumPy's sum and argsort, so locus reproduces their exact order
 * of operations; the expected values below are what NumPy 1.24 returns
 * for the same input (np.sum, np.argsort — its default introsort), the
 * numbers the reference implementation's results rest on.
 */
#include "check.h"
#include "common/numeric.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void test_pairwise(void)
{
    static double x[1000];
    double seq = 0;
    for (int i = 0; i < 1000; i++) {
        x[i] = 0.1 * i + 1e-3 * (i % 7);
        seq += x[i];
    }
    /* np.sum: 49952.997; a plain loop: 49952.99699999996 */
    CHECK(locus_numpy_sum(x, 1000) == 49952.997, "np.sum of 1000 values (pairwise), got %.17g",
          locus_numpy_sum(x, 1000));
    CHECK(seq == 49952.99699999996, "and a plain loop differs from it (%.17g)", seq);
    double cancel[12];
    for (int i = 0; i < 12; i += 4) {
        cancel[i] = 1e16;
        cancel[i + 1] = 1.0;
        cancel[i + 2] = -1e16;
        cancel[i + 3] = 1.0;
    }
    /* np.sum([1e16, 1, -1e16, 1] * 3) == 1.0 */
    CHECK(locus_numpy_sum(cancel, 12) == 1.0, "np.sum's grouping of cancelling terms");
    CHECK(locus_pairwise_sum(x, 0) == 0 && locus_pairwise_sum(x, 1) == x[0],
          "empty and single sums");
}

static void test_float32_sum(void)
{
    enum { N = 20000 };
    static float y[N];
    float seq = 0;
    for (int i = 0; i < N; i++) {
        y[i] = (float)(fmod(i * 0.37, 1.3) + 1000); /* NumPy's % on positives is fmod */
        seq += y[i];
    }
    /* (np.arange(20000) * 0.37 % 1.3 + 1000).astype(np.float32).sum() ==
     * 20013046.0, summed in float32; one float32 accumulator: 20012072 */
    CHECK(locus_numpy_sum_f32(y, N) == 20013046.0f, "float32 np.sum in float32, got %.9g",
          locus_numpy_sum_f32(y, N));
    CHECK(seq == 20012072.0f, "and one float32 accumulator differs (%.9g)", seq);
}

static int same_order(const size_t *got, const size_t *want, size_t n)
{
    return memcmp(got, want, n * sizeof *got) == 0;
}

static void test_argsort(void)
{
    size_t idx[40];
    /* np.argsort([3,1,2] * 6 + [3,1]): ties come out in introsort order */
    double a[20];
    for (int i = 0; i < 20; i++)
        a[i] = (double)((i % 3 == 0) ? 3 : i % 3);
    static const size_t want_a[20] = {19, 1,  4,  16, 7, 10, 13, 2, 17, 5,
                                      8,  11, 14, 15, 0, 18, 6,  3, 12, 9};
    locus_numpy_argsort(a, idx, 20);
    CHECK(same_order(idx, want_a, 20), "np.argsort order among ties, 20 values");
    /* 17 equal values: one partition step, then insertion sorts */
    double b[17];
    for (int i = 0; i < 17; i++)
        b[i] = 5.0;
    static const size_t want_b[17] = {0, 14, 13, 12, 11, 10, 9, 15, 8, 6, 5, 4, 3, 2, 1, 7, 16};
    locus_numpy_argsort(b, idx, 17);
    CHECK(same_order(idx, want_b, 17), "np.argsort of 17 equal values");
    double c[40];
    for (int i = 0; i < 40; i++)
        c[i] = (double)((i * 7) % 5);
    static const size_t want_c[40] = {0,  20, 15, 30, 10, 25, 35, 5,  23, 8,  33, 28, 13, 3,
                                      38, 18, 6,  21, 1,  36, 16, 26, 11, 31, 34, 29, 19, 14,
                                      9,  4,  24, 39, 27, 22, 17, 12, 32, 7,  2,  37};
    locus_numpy_argsort(c, idx, 40);
    CHECK(same_order(idx, want_c, 40), "np.argsort of 40 values with 5 distinct");
    /* up to 16 values NumPy insertion-sorts: stable */
    double d[16];
    for (int i = 0; i < 16; i++)
        d[i] = (double)(i % 2);
    locus_numpy_argsort(d, idx, 16);
    int stable = 1;
    for (int i = 0; i < 8; i++)
        stable &= idx[i] == (size_t)(2 * i) && idx[8 + i] == (size_t)(2 * i + 1);
    CHECK(stable, "16 values or fewer: insertion sort, ties in input order");
    /* a large sorted-descending input (heapsort fallback territory) sorts */
    enum { M = 5000 };
    double *e = malloc(M * sizeof *e);
    size_t *ix = malloc(M * sizeof *ix);
    for (int i = 0; i < M; i++)
        e[i] = (double)((M - i) / 3);
    locus_numpy_argsort(e, ix, M);
    int sorted = 1;
    for (int i = 1; i < M; i++)
        sorted &= e[ix[i - 1]] <= e[ix[i]];
    CHECK(sorted, "5000 values with ties: ascending");
    /* ...and with NumPy's order among the ties: a hash of the whole
     * permutation, h = h * 1000003 + ix[i] (mod 2^64), computed with
     * NumPy 1.24.2: np.argsort(e, kind='quicksort') on the same e. The
     * first twelve are spelled out so that a failure shows where. */
    static const size_t head[12] = {4999, 4998, 4996, 4997, 4995, 4992,
                                    4994, 4993, 4989, 4991, 4990, 4988};
    uint64_t h = 0;
    for (int i = 0; i < M; i++)
        h = h * 1000003u + ix[i];
    CHECK(same_order(ix, head, 12) && h == UINT64_C(9138062904109926124),
          "5000 values with ties: NumPy's introsort order (first %zu %zu %zu %zu, hash %llu)",
          ix[0], ix[1], ix[2], ix[3], (unsigned long long)h);
    free(e);
    free(ix);
}

int main(void)
{
    test_pairwise();
    test_float32_sum();
    test_argsort();
    return check_done();
}
