/*
 * The one number parser (include/minnow/parse.h).  newlib's strtoul is
 * not used on purpose: it skips spaces, takes a sign, saturates on
 * overflow and leaves checking the end to every caller.
 */
#include <errno.h>
#include <minnow/parse.h>

/* The value of one digit in base 16, or 16 if c is none. */
static unsigned int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 16;
}

/* The number at the start of s; *end is set just past its last digit. */
static int parse_number(const char *s, uint64_t *out, const char **end)
{
    unsigned int base = 10, d;
    const char *p = s;
    uint64_t v = 0;

    if (!s)
        return -EINVAL;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    const char *first = p;
    for (; (d = digit_value(*p)) < base; p++) {
        if (v > (UINT64_MAX - d) / base)
            return -EINVAL;
        v = v * base + d;
    }
    if (p == first)
        return -EINVAL;
    *out = v;
    *end = p;
    return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
    const char *end;
    uint64_t v;
    int rc = parse_number(s, &v, &end);

    if (rc || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

int parse_size(const char *s, uint64_t *out)
{
    const char *end;
    unsigned int shift = 0;
    uint64_t v;

    if (parse_number(s, &v, &end))
        return -EINVAL;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    }
    if (*end || v > (UINT64_MAX >> shift))
        return -EINVAL;
    *out = v << shift;
    return 0;
}
