/*
 * Time from Xen's PV clock.  Xen publishes, per vCPU, a (tsc, system_time)
 * pair and a scale: system time = system_time + ((rdtsc - tsc_timestamp)
 * scaled), nanoseconds since the host booted.  Wall clock = shared_info's
 * boot-time wall clock + system time.
 *
 * System time belongs to the host: after a restore or a migration it
 * jumps, by days and often backwards.  minnow's monotonic time does not:
 *
 *   monotonic = system + offset         offset 0 at boot
 *   at suspend:   saved = monotonic
 *   at resume:    offset = saved - system now   (restored domain only)
 *
 * so it carries on from where it stopped (the time spent saved does not
 * count), and the absolute deadlines of sleepers and waits stay right;
 * set_timer_op gets deadline - offset.
 */
#ifndef MINNOW_TIME_H
#define MINNOW_TIME_H

#include <stdint.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

typedef uint64_t stime_t;   /* ns since the domain's system-time epoch */

void time_init(void);
/* Just before SCHEDOP_shutdown(suspend), while shared_info is still Xen's page. */
void time_suspend(void);
/* In a restored domain, before any suspend hook runs (drivers/xen/suspend.c). */
void time_resume(void);
stime_t monotonic_ns(void);
/* Wall clock: seconds and nanoseconds since the Unix epoch. */
void wall_clock(uint64_t *sec, uint32_t *nsec);
/* Arm the one-shot VIRQ_TIMER for an absolute deadline (0 = cancel). */
void timer_set_deadline(stime_t deadline);
/* A monotonic deadline in Xen's system time, for hypercalls that take one
 * (set_timer_op, SCHEDOP_poll's timeout). */
stime_t monotonic_to_system(stime_t deadline);
/* Scale a TSC delta the way the PV clock says (exposed for the host tests). */
uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int8_t shift);
/* system + offset, never below 0. */
stime_t pvclock_to_monotonic(stime_t system, int64_t offset);
/* A monotonic deadline in system time, for set_timer_op: 0 stays 0 (cancel),
 * a deadline before this host's time began becomes 1 (at once). */
stime_t pvclock_to_system(stime_t deadline, int64_t offset);
/* The offset that continues monotonic_at_suspend at system_now. */
int64_t pvclock_restore_offset(stime_t monotonic_at_suspend, stime_t system_now);

#endif
