/* NumPy-compatible pairwise summation (numpy/core/src/umath/loops_utils.h). */
#include "common/numeric.h"

enum { PW_BLOCKSIZE = 128 };

#define DEFINE_PAIRWISE(name, T)                                                                   \
    T name(const T *a, size_t n)                                                                   \
    {                                                                                              \
        if (n < 8) {                                                                               \
            T res = 0;                                                                             \
            for (size_t i = 0; i < n; i++)                                                         \
                res += a[i];                                                                       \
            return res;                                                                            \
        }                                                                                          \
        if (n <= PW_BLOCKSIZE) {                                                                   \
            T r[8], res;                                                                           \
            size_t i;                                                                              \
            for (int k = 0; k < 8; k++)                                                            \
                r[k] = a[k];                                                                       \
            for (i = 8; i < n - (n % 8); i += 8)                                                   \
                for (int k = 0; k < 8; k++)                                                        \
                    r[k] += a[i + k];                                                              \
            res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));               \
            for (; i < n; i++)                                                                     \
                res += a[i];                                                                       \
            return res;                                                                            \
        }                                                                                          \
        size_t n2 = n / 2;                                                                         \
        n2 -= n2 % 8;                                                                              \
        return name(a, n2) + name(a + n2, n - n2);                                                 \
    }

DEFINE_PAIRWISE(locus_pairwise_sum, double)
DEFINE_PAIRWISE(locus_pairwise_sum_f32, float)

/* NPY_BUFSIZE: the reduction's inner-loop length. */
enum { NUMPY_BUFSIZE = 8192 };

#define DEFINE_NUMPY_SUM(name, T, pairwise)                                                        \
    T name(const T *a, size_t n)                                                                   \
    {                                                                                              \
        T acc = 0;                                                                                 \
        for (size_t i = 0; i < n; i += NUMPY_BUFSIZE)                                              \
            acc += pairwise(a + i, n - i < NUMPY_BUFSIZE ? n - i : NUMPY_BUFSIZE);                 \
        return acc;                                                                                \
    }

DEFINE_NUMPY_SUM(locus_numpy_sum, double, locus_pairwise_sum)
DEFINE_NUMPY_SUM(locus_numpy_sum_f32, float, locus_pairwise_sum_f32)

/* NumPy's ordering for floats: NaN sorts last. */
static int less(double a, double b)
{
    return a < b || (b != b && a == a);
}

static void swap_index(size_t *a, size_t *b)
{
    size_t t = *a;
    *a = *b;
    *b = t;
}

/* Move tmp down the 1-based heap a[1..n] from position i. */
static void sift_down(const double *v, size_t *a, size_t i, size_t n, size_t tmp)
{
    for (size_t j = i << 1; j <= n;) {
        if (j < n && less(v[a[j]], v[a[j + 1]]))
            j += 1;
        if (!less(v[tmp], v[a[j]]))
            break;
        a[i] = a[j];
        i = j;
        j += j;
    }
    a[i] = tmp;
}

/* aheapsort_ over tosort[0..n-1] (1-based heap). */
static void numpy_aheapsort(const double *v, size_t *tosort, size_t n)
{
    size_t *a = tosort - 1;
    for (size_t l = n >> 1; l > 0; --l)
        sift_down(v, a, l, n, a[l]);
    for (; n > 1;) {
        size_t tmp = a[n];
        a[n] = a[1];
        n -= 1;
        sift_down(v, a, 1, n, tmp);
    }
}

enum { SMALL_QUICKSORT = 15, QS_STACK = 128 };

static int msb(size_t n)
{
    int depth = 0;
    while (n >>= 1)
        depth++;
    return depth;
}

/* aquicksort_ on pointers into idx, kept as in NumPy so every swap —
 * and so every tie — lands where NumPy's does. */
void locus_numpy_argsort(const double *v, size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    if (n < 2)
        return;
    size_t *pl = idx, *pr = idx + n - 1;
    size_t *stack[QS_STACK], **sptr = stack;
    int depth[QS_STACK], *psdepth = depth;
    int cdepth = msb(n) * 2;
    for (;;) {
        if (cdepth < 0) {
            numpy_aheapsort(v, pl, (size_t)(pr - pl + 1));
            goto stack_pop;
        }
        while (pr - pl > SMALL_QUICKSORT) {
            size_t *pm = pl + ((pr - pl) >> 1), *pi, *pj;
            if (less(v[*pm], v[*pl]))
                swap_index(pm, pl);
            if (less(v[*pr], v[*pm]))
                swap_index(pr, pm);
            if (less(v[*pm], v[*pl]))
                swap_index(pm, pl);
            double vp = v[*pm];
            pi = pl;
            pj = pr - 1;
            swap_index(pm, pj);
            for (;;) {
                do
                    ++pi;
                while (less(v[*pi], vp));
                do
                    --pj;
                while (less(vp, v[*pj]));
                if (pi >= pj)
                    break;
                swap_index(pi, pj);
            }
            swap_index(pi, pr - 1);
            /* push the larger partition, go on with the smaller */
            if (pi - pl < pr - pi) {
                *sptr++ = pi + 1;
                *sptr++ = pr;
                pr = pi - 1;
            } else {
                *sptr++ = pl;
                *sptr++ = pi - 1;
                pl = pi + 1;
            }
            *psdepth++ = --cdepth;
        }
        for (size_t *pi = pl + 1; pi <= pr; ++pi) {
            size_t vi = *pi, *pj = pi, *pk = pi - 1;
            double vv = v[vi];
            while (pj > pl && less(vv, v[*pk]))
                *pj-- = *pk--;
            *pj = vi;
        }
    stack_pop:
        if (sptr == stack)
            break;
        pr = *(--sptr);
        pl = *(--sptr);
        cdepth = *(--psdepth);
    }
}
