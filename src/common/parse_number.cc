// Reading decimal numbers exactly and fast, with Debian's fast_float
// (libfast-float-dev, header-only): correctly rounded like glibc's strtod,
// several times faster, and it needs no NUL-terminated copy of the field.
// Anything it does not take whole (hexadecimal floats, "nan(...)", a
// leading '+' before something other than a number) goes to strtod, so
// the result is always strtod's on the whole field.
#include <fast_float/fast_float.h>

#include <cerrno>
#include <cstdlib>
#include <cctype>
#include <cstring>

extern "C" int locus_parse_double(const char *begin, const char *end, double *out);

// strtod on a NUL-terminated copy of [begin, end): 0 when it takes it whole.
static int parse_slow(const char *begin, const char *end, double *out)
{
    size_t n = (size_t)(end - begin);
    char small[128];
    char *buf = n < sizeof small ? small : (char *)malloc(n + 1);
    if (!buf)
        return -1;
    memcpy(buf, begin, n);
    buf[n] = '\0';
    char *stop;
    double v = strtod(buf, &stop);
    int whole = n > 0 && stop == buf + n && !isspace((unsigned char)buf[0]);
    if (buf != small)
        free(buf);
    if (!whole)
        return -1;
    *out = v;
    return 0;
}

// The number that is exactly [begin, end) (no surrounding blanks), as
// strtod reads it; 0, or -1 when the field is not a number.
extern "C" int locus_parse_double(const char *begin, const char *end, double *out)
{
    const char *p = begin;
    if (p < end && *p == '+' && p + 1 < end && p[1] != '-' && p[1] != '+')
        p++; // strtod takes a leading '+', fast_float does not
    double v;
    auto r = fast_float::from_chars(p, end, v);
    if (r.ec == std::errc() && r.ptr == end) {
        *out = v;
        return 0;
    }
    return parse_slow(begin, end, out);
}
