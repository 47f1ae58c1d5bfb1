/*
 * Candidate search (docs/LINKING.md §3): for every destination, the at
 * most 10 nearest sources with d² < (R + 1e-7)², found through a uniform
 * grid of cells over the sources. A cell is at least a little wider than
 * the search bound, so a source within the bound of a destination lies in
 * the destination's cell or in one of its neighbours along every axis;
 * the exact test on d² then decides, exactly as a brute-force search
 * would.
 */
#include "link/link.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void locus_link_grid_free(locus_link_grid *g)
{
    free(g->cell_start);
    free(g->item);
    free(g->ipos);
    free(g->cell_of);
    free(g->dorder);
    free(g->dcount);
    memset(g, 0, sizeof *g);
}

void locus_link_cands_free(locus_link_cands *c)
{
    free(c->start);
    free(c->dst);
    free(c->d);
    free(c->ndst_src);
    free(c->e_src);
    free(c->e_dst);
    free(c->e_d2);
    memset(c, 0, sizeof *c);
}

/* Grow *p to n elements of size sz (contents kept); 0 or -1. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap)
        return 0;
    size_t want = n < 64 ? 64 : n + n / 2;
    void *q = realloc(*p, size_mul(want, sz));
    if (!q)
        return -1;
    *p = q;
    *cap = want;
    return 0;
}

/* The bounding box of the finite sources; 0 when there is none. */
static int finite_box(const double *src, size_t n, int ndim, double *lo, double *hi)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        const double *p = src + i * (size_t)ndim;
        int ok = 1;
        for (int a = 0; a < ndim; a++)
            ok &= isfinite(p[a]);
        if (!ok)
            continue;
        for (int a = 0; a < ndim; a++) {
            if (!any || p[a] < lo[a])
                lo[a] = p[a];
            if (!any || p[a] > hi[a])
                hi[a] = p[a];
        }
        any = 1;
    }
    return any;
}

/*
 * Cell side and counts: at least the bound with a relative margin that
 * dwarfs the rounding of (p - lo) / side, widened (doubling) until there
 * are not many more cells than sources, so that sparse or far-flung
 * points cannot make the grid huge. Wider cells stay correct.
 */
static void plan_cells(locus_link_grid *g, double bound, const double *hi, size_t n)
{
    double ext = 0;
    for (int a = 0; a < g->ndim; a++)
        ext = fmax(ext, hi[a] - g->lo[a]);
    double side = bound * (1 + 1e-6) + ext * 1e-12;
    double limit = fmin(8.0 * (double)n + 64, 1u << 31), per[3];
    for (;;) {
        double cells = 1;
        for (int a = 0; a < g->ndim; a++) {
            double q = (hi[a] - g->lo[a]) / side;
            per[a] = isfinite(q) ? floor(q) + 1 : 1; /* extents near DBL_MAX: one cell */
            cells *= per[a];
        }
        if (cells <= limit || !isfinite(side))
            break;
        side *= 1.25;
    }
    g->side = side;
    g->inv = 1 / side;
    g->cells = 1;
    for (int a = 0; a < g->ndim; a++) {
        g->ncell[a] = per[a] <= limit ? (size_t)per[a] : 1;
        g->cells *= g->ncell[a];
    }
}

static size_t cell_index(const locus_link_grid *g, const double *p)
{
    size_t id = 0;
    for (int a = 0; a < g->ndim; a++) {
        double x = (p[a] - g->lo[a]) * g->inv;
        size_t n = g->ncell[a];
        size_t k = x >= 0 && x < (double)n ? (size_t)x : x >= (double)n ? n - 1 : 0;
        id = id * n + k;
    }
    return id;
}

static int finite_row(const double *p, int ndim)
{
    int ok = 1;
    for (int a = 0; a < ndim; a++)
        ok &= isfinite(p[a]);
    return ok;
}

static int grid_reserve(locus_link_grid *g, size_t n)
{
    if (g->cells + 2 > g->cap_cells) {
        /* dcount shares cell_start's capacity */
        size_t cap = g->cells + 2 + (g->cells + 2) / 2;
        void *a = realloc(g->cell_start, size_mul(cap, sizeof *g->cell_start));
        if (a)
            g->cell_start = a;
        void *b = a ? realloc(g->dcount, size_mul(cap, sizeof *g->dcount)) : NULL;
        if (b)
            g->dcount = b;
        if (!b)
            return LOCUS_E_NOMEM;
        g->cap_cells = cap;
    }
    if (n <= g->cap_items)
        return 0;
    /* item and ipos (3 doubles a source, whatever ndim) share cell_of's capacity */
    size_t cap = n + n / 2;
    void *a = realloc(g->cell_of, size_mul(cap, sizeof *g->cell_of));
    if (a)
        g->cell_of = a;
    void *b = a ? realloc(g->item, size_mul(cap, sizeof *g->item)) : NULL;
    if (b)
        g->item = b;
    void *c = b ? realloc(g->ipos, size_mul(cap, 3 * sizeof(double))) : NULL;
    if (c)
        g->ipos = c;
    if (!c)
        return LOCUS_E_NOMEM;
    g->cap_items = cap;
    return 0;
}

/* Sort the finite sources into cells (a counting sort). */
static int grid_build(locus_link_grid *g, int ndim, double bound, const double *src, size_t n)
{
    double hi[3];
    g->ndim = ndim;
    if (!finite_box(src, n, ndim, g->lo, hi)) {
        g->cells = 0;
        return 0;
    }
    plan_cells(g, bound, hi, n);
    if (grid_reserve(g, n))
        return LOCUS_E_NOMEM;
    /* counts at start[c + 2], so that after the prefix sums and the
     * placement start[c] and start[c + 1] bound cell c */
    uint32_t *start = g->cell_start;
    memset(start, 0, (g->cells + 2) * sizeof *start);
    for (size_t i = 0; i < n; i++) {
        const double *p = src + i * (size_t)ndim;
        int ok = finite_row(p, ndim);
        g->cell_of[i] = ok ? (uint32_t)cell_index(g, p) : UINT32_MAX;
        if (ok)
            start[g->cell_of[i] + 2]++;
    }
    for (size_t k = 2; k <= g->cells; k++)
        start[k] += start[k - 1];
    for (size_t i = 0; i < n; i++) {
        if (g->cell_of[i] == UINT32_MAX)
            continue;
        size_t at = start[g->cell_of[i] + 1]++;
        g->item[at] = (uint32_t)i;
        for (int a = 0; a < ndim; a++)
            g->ipos[at * (size_t)ndim + (size_t)a] = src[i * (size_t)ndim + (size_t)a];
    }
    return 0;
}

/* The first-axis cell of a point (clamped to the grid). */
static size_t row_index(const locus_link_grid *g, const double *p)
{
    double x = (p[0] - g->lo[0]) * g->inv;
    size_t n = g->ncell[0];
    return x >= 0 && x < (double)n ? (size_t)x : x >= (double)n ? n - 1 : 0;
}

/* The destinations in the order of their first-axis cells, so that
 * successive queries read neighbouring parts of the grid. */
static int order_destinations(locus_link_grid *g, const double *dst, size_t n)
{
    size_t c1 = g->cap_dorder;
    if (grow((void **)&g->dorder, &c1, n, sizeof *g->dorder))
        return LOCUS_E_NOMEM;
    g->cap_dorder = c1;
    if (g->cells == 0)
        return 0;
    size_t rows = g->ncell[0];
    memset(g->dcount, 0, (rows + 1) * sizeof *g->dcount);
    for (size_t j = 0; j < n; j++)
        g->dcount[row_index(g, dst + j * (size_t)g->ndim) + 1]++;
    for (size_t k = 0; k < rows; k++)
        g->dcount[k + 1] += g->dcount[k];
    for (size_t j = 0; j < n; j++)
        g->dorder[g->dcount[row_index(g, dst + j * (size_t)g->ndim)]++] = (uint32_t)j;
    return 0;
}

/* The nearest (d², source) pairs of one destination, at most 10, sorted. */
typedef struct {
    int n;
    double d2[LINK_MAX_NEIGHBORS];
    uint32_t src[LINK_MAX_NEIGHBORS];
} near_list;

static void near_insert(near_list *l, double d2, uint32_t s)
{
    int k = l->n;
    if (k == LINK_MAX_NEIGHBORS) {
        double w = l->d2[k - 1];
        if (d2 > w || (d2 == w && s > l->src[k - 1]))
            return;
        k--;
    } else {
        l->n++;
    }
    while (k > 0 && (l->d2[k - 1] > d2 || (l->d2[k - 1] == d2 && l->src[k - 1] > s))) {
        l->d2[k] = l->d2[k - 1];
        l->src[k] = l->src[k - 1];
        k--;
    }
    l->d2[k] = d2;
    l->src[k] = s;
}

/* Test the sources stored at items [a, b) against q. */
static void scan_items(const locus_link_grid *g, size_t a, size_t b, const double *q, double bound2,
                       near_list *l)
{
    int ndim = g->ndim;
    for (size_t k = a; k < b; k++) {
        const double *p = g->ipos + k * (size_t)ndim;
        double d2 = 0;
        for (int ax = 0; ax < ndim; ax++) {
            double diff = p[ax] - q[ax];
            d2 += diff * diff; /* in axis order, as trackpy sums */
        }
        if (d2 < bound2)
            near_insert(l, d2, g->item[k]);
    }
}

/*
 * The cells [*k0, *k1] along axis a that the window q[a] ± side meets.
 * A source within the bound of q is inside that window, with a margin
 * (side exceeds the bound by 1e-6 of it) far above the rounding of the
 * cell computation, so its cell is among these.
 */
static int axis_range(const locus_link_grid *g, int a, double qa, size_t *k0, size_t *k1)
{
    double f0 = floor((qa - g->side - g->lo[a]) * g->inv);
    double f1 = floor((qa + g->side - g->lo[a]) * g->inv);
    double top = (double)g->ncell[a] - 1;
    if (f1 < 0 || f0 > top)
        return 0;
    *k0 = f0 < 0 ? 0 : (size_t)f0;
    *k1 = f1 > top ? g->ncell[a] - 1 : (size_t)f1;
    return 1;
}

static void grid_query(const locus_link_grid *g, const double *q, double bound2, near_list *l)
{
    size_t lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    l->n = 0;
    if (g->cells == 0)
        return;
    for (int a = 0; a < g->ndim; a++)
        if (!axis_range(g, a, q[a], &lo[a], &hi[a]))
            return;
    int last = g->ndim - 1;
    /* cells along the last axis are consecutive: one run of items each */
    size_t n1 = g->ndim == 3 ? g->ncell[1] : 1, nl = g->ncell[last];
    size_t i0a = g->ndim >= 2 ? lo[0] : 0, i0b = g->ndim >= 2 ? hi[0] : 0;
    size_t i1a = g->ndim == 3 ? lo[1] : 0, i1b = g->ndim == 3 ? hi[1] : 0;
    for (size_t i0 = i0a; i0 <= i0b; i0++)
        for (size_t i1 = i1a; i1 <= i1b; i1++) {
            size_t row = (i0 * n1 + i1) * nl;
            scan_items(g, g->cell_start[row + lo[last]], g->cell_start[row + hi[last] + 1], q,
                       bound2, l);
        }
}

static int cands_reserve(locus_link_cands *c, size_t nsrc, size_t ndst)
{
    size_t cs = c->cap_src, cd = c->cap_dst;
    if (grow((void **)&c->start, &cs, nsrc + 1, sizeof *c->start) ||
        grow((void **)&c->ndst_src, &cd, ndst, sizeof *c->ndst_src))
        return LOCUS_E_NOMEM;
    c->cap_src = cs;
    c->cap_dst = cd;
    c->ne = 0;
    return 0;
}

/* Room for the pairs of one more destination. */
static int edges_reserve(locus_link_cands *c, size_t more)
{
    if (c->ne + more <= c->cap_e)
        return 0;
    size_t c1 = c->cap_e, c2 = c->cap_e, c3 = c->cap_e;
    if (grow((void **)&c->e_src, &c1, c->ne + more, sizeof *c->e_src) ||
        grow((void **)&c->e_dst, &c2, c->ne + more, sizeof *c->e_dst) ||
        grow((void **)&c->e_d2, &c3, c->ne + more, sizeof *c->e_d2))
        return LOCUS_E_NOMEM;
    c->cap_e = c1;
    return 0;
}

/* Sort one source's list by d, equal d by destination index (§3). */
static void sort_list(uint32_t *dst, double *d, size_t n)
{
    for (size_t k = 1; k < n; k++) {
        uint32_t j = dst[k];
        double v = d[k];
        size_t m = k;
        while (m > 0 && (d[m - 1] > v || (d[m - 1] == v && dst[m - 1] > j))) {
            d[m] = d[m - 1];
            dst[m] = dst[m - 1];
            m--;
        }
        d[m] = v;
        dst[m] = j;
    }
}

/* From the pairs found to per-source lists (a counting sort by source). */
static int transpose(locus_link_cands *c)
{
    size_t nsrc = c->nsrc, ne = c->ne;
    memset(c->start, 0, (nsrc + 1) * sizeof *c->start);
    for (size_t e = 0; e < ne; e++)
        c->start[c->e_src[e] + 1]++;
    for (size_t i = 0; i < nsrc; i++)
        c->start[i + 1] += c->start[i];
    size_t ce = c->cap_edges, ce2 = c->cap_edges;
    if (grow((void **)&c->dst, &ce, ne, sizeof *c->dst) ||
        grow((void **)&c->d, &ce2, ne, sizeof *c->d))
        return LOCUS_E_NOMEM;
    c->cap_edges = ce < ce2 ? ce : ce2;
    for (size_t e = 0; e < ne; e++) {
        size_t at = c->start[c->e_src[e]]++;
        c->dst[at] = c->e_dst[e];
        c->d[at] = sqrt(c->e_d2[e]);
    }
    for (size_t i = nsrc; i > 0; i--)
        c->start[i] = c->start[i - 1];
    c->start[0] = 0;
    for (size_t i = 0; i < nsrc; i++)
        if (c->start[i + 1] - c->start[i] > 1)
            sort_list(c->dst + c->start[i], c->d + c->start[i], c->start[i + 1] - c->start[i]);
    return 0;
}

int locus_link_candidates(locus_link_grid *g, locus_link_cands *c, int ndim, double R,
                          const double *src, size_t nsrc, const double *dst, size_t ndst)
{
    double bound = R + LINK_SLACK, bound2 = bound * bound;
    c->nsrc = nsrc;
    c->ndst = ndst;
    if (cands_reserve(c, nsrc, ndst) || grid_build(g, ndim, bound, src, nsrc) ||
        order_destinations(g, dst, ndst))
        return LOCUS_E_NOMEM;
    memset(c->ndst_src, 0, ndst * sizeof *c->ndst_src);
    if (g->cells == 0)
        return transpose(c);
    for (size_t k = 0; k < ndst; k++) {
        uint32_t j = g->dorder[k];
        near_list l;
        grid_query(g, dst + j * (size_t)ndim, bound2, &l);
        if (edges_reserve(c, (size_t)l.n))
            return LOCUS_E_NOMEM;
        c->ndst_src[j] = (uint8_t)l.n;
        for (int q = 0; q < l.n; q++) {
            c->e_src[c->ne] = l.src[q];
            c->e_dst[c->ne] = j;
            c->e_d2[c->ne++] = l.d2[q];
        }
    }
    return transpose(c);
}
