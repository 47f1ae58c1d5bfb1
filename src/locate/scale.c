/*
 * docs/ALGORITHM.md §4: the integer working image I = trunc(scale * max(bp, 0)),
 * scale = maxval(T) / max(bp), stored in T (the raw integer type, or
 * uint8 for float images). Steps 5-7 all work on I.
 */
#include "locate/plan.h"

#define DEFINE_SCALE(name, T)                                                                      \
    static void name(const double *bp, T *out, size_t n, double scale)                             \
    {                                                                                              \
        for (size_t i = 0; i < n; i++) {                                                           \
            double v = bp[i] > 0 ? bp[i] : 0.0;                                                    \
            out[i] = (T)(scale * v);                                                               \
        }                                                                                          \
    }

DEFINE_SCALE(scale_u8, uint8_t)
DEFINE_SCALE(scale_u16, uint16_t)
DEFINE_SCALE(scale_u32, uint32_t)

int locus_scale_to_integer(locus_workspace *ws, double bp_max, double *scale)
{
    const plan *pl = &ws->pl;
    /* maxval of the raw type T: 127 for int8, though I is stored as uint8 */
    double maxval = locus_dtype_max(pl->dtype);
    /* bp_max <= 0 leaves I all zero whatever the scale; a scale of 1 also
     * keeps scale * v below maxval + 1, so the conversion is defined. */
    double s = bp_max > 0 ? maxval / bp_max : 1.0;
    if (locus_mem_reserve(&ws->work, &ws->work_cap,
                          size_mul(pl->npix, locus_dtype_size(pl->itype))))
        return LOCUS_E_NOMEM;
    if (pl->itype == LOCUS_U8)
        scale_u8(ws->lp, ws->work, pl->npix, s);
    else if (pl->itype == LOCUS_U16)
        scale_u16(ws->lp, ws->work, pl->npix, s);
    else
        scale_u32(ws->lp, ws->work, pl->npix, s);
    *scale = s;
    return LOCUS_OK;
}
