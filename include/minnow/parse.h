/*
 * Numbers read from text: the command line, xenstore values, device ids.
 * Strict, because that text comes from users and other domains: the whole
 * string must be the number (no sign, no spaces, nothing after it), and
 * empty text, junk or a value above UINT64_MAX is -EINVAL, never a guess.
 */
#ifndef MINNOW_PARSE_H
#define MINNOW_PARSE_H

#include <stdint.h>

/* Decimal ("4096"), or hexadecimal after 0x or 0X ("0x1000"): 0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *out);
/*
 * A size: parse_u64's number with an optional K, M, G or T (either case,
 * powers of 1024): "64M", "0x1000", "512k".  0 or -EINVAL (also when the
 * suffix makes it overflow).
 */
int parse_size(const char *s, uint64_t *out);

#endif
