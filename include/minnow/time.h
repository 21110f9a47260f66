/*
 * Time from Xen's PV clock.  Xen publishes, per vCPU, a (tsc, system_time)
 * pair and a scale: now = system_time + ((rdtsc - tsc_timestamp) scaled).
 * Wall clock = shared_info's boot-time wall clock + system time.
 */
#ifndef MINNOW_TIME_H
#define MINNOW_TIME_H

#include <stdint.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

typedef uint64_t stime_t;   /* ns since the domain's system-time epoch */

void time_init(void);
/* In a restored domain, before any suspend hook runs (drivers/xen/suspend.c). */
void time_resume(void);
stime_t monotonic_ns(void);
/* Wall clock: seconds and nanoseconds since the Unix epoch. */
void wall_clock(uint64_t *sec, uint32_t *nsec);
/* Arm the one-shot VIRQ_TIMER for an absolute deadline (0 = cancel). */
void timer_set_deadline(stime_t deadline);
/* Scale a TSC delta the way the PV clock says (exposed for the host tests). */
uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int8_t shift);

#endif
