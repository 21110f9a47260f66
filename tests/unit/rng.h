/*
 * The tests' random numbers: xorshift64 (shifts 13, 7, 17; Marsaglia
 * 2003).  Deterministic: a seed gives the same sequence on every run, so a
 * failure replays.  Freestanding, so host tests, the Xen model, the
 * benches and the in-guest tests all use this one.
 */
#ifndef TESTS_RNG_H
#define TESTS_RNG_H

#include <stdint.h>

struct rng {
    uint64_t state;             /* the seed: any value but 0 */
};

static inline uint64_t rng_next(struct rng *r)
{
    r->state ^= r->state << 13;
    r->state ^= r->state >> 7;
    r->state ^= r->state << 17;
    return r->state;
}

#endif
