// The shortest decimal that reads back as a given double, from Debian's
// dragonbox (libdragonbox-dev, header-only). printf-and-strtod search cost
// about 500 ns a number — 15% of a bulk_water run — and dragonbox about
// 20; the C side (csv.c) lays the digits out.
#include <dragonbox/dragonbox.h>

#include <cstdint>

extern "C" int locus_shortest_decimal(double v, uint64_t *digits, int *exponent);

// v must be finite and nonzero. Returns 1 when v is negative.
extern "C" int locus_shortest_decimal(double v, uint64_t *digits, int *exponent)
{
    auto d = jkj::dragonbox::to_decimal(v);
    *digits = d.significand;
    *exponent = d.exponent;
    return d.is_negative ? 1 : 0;
}
