/*
 * The PV clock's arithmetic, kept apart from the hypercalls so the host
 * tests can check it: Xen gives a 32.32 fixed-point multiplier and a
 * power-of-two pre-shift that together turn TSC ticks into nanoseconds;
 * and minnow's monotonic time is Xen's system time plus an offset that a
 * restore sets (include/minnow/time.h draws it).
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

stime_t pvclock_to_monotonic(stime_t system, int64_t offset)
{
    __int128 mono = (__int128)system + offset;
    return mono < 0 ? 0 : (stime_t)mono;
}

stime_t pvclock_to_system(stime_t deadline, int64_t offset)
{
    if (deadline == 0)
        return 0;                       /* "cancel" stays "cancel" */
    __int128 system = (__int128)deadline - offset;
    /* Before this host's time began: long past, so "now" (1, as 0 cancels). */
    return system < 1 ? 1 : system > (__int128)UINT64_MAX ? UINT64_MAX : (stime_t)system;
}

int64_t pvclock_restore_offset(stime_t monotonic_at_suspend, stime_t system_now)
{
    return (int64_t)(monotonic_at_suspend - system_now);
}
