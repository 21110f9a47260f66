/*
 * The PV clock's scaling, kept apart from the hypercalls so the host tests
 * can check it: Xen gives a 32.32 fixed-point multiplier and a power-of-two
 * pre-shift that together turn TSC ticks into nanoseconds.
 */
#include <minnow/time.h>

uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    /* (delta * mul_frac) >> 32 without losing the top bits. */
    return (uint64_t)(((unsigned __int128)delta * mul_frac) >> 32);
}
