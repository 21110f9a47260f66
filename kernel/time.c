#include <minnow/time.h>
#include <minnow/events.h>
#include <minnow/hypervisor.h>
#include <minnow/console.h>
#include <minnow/panic.h>
#include <arch/barrier.h>
#include <arch/hypercall.h>

static evtchn_port_t timer_port;
unsigned long timer_interrupts;
static int64_t mono_offset;         /* monotonic = system time + this (time.h) */
static stime_t mono_at_suspend;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Xen's system time: nanoseconds since this host booted. */
static stime_t system_time_ns(void)
{
    volatile struct vcpu_time_info *t = &this_vcpu()->time;
    uint32_t version;
    uint64_t now;

    /* Xen bumps version to odd while updating, even when done. */
    do {
        version = t->version;
        smp_rmb();
        now = t->system_time +
              pvclock_scale_delta(rdtsc() - t->tsc_timestamp,
                                  t->tsc_to_system_mul, t->tsc_shift);
        smp_rmb();
    } while ((version & 1) || version != t->version);
    return now;
}

void wall_clock(uint64_t *sec, uint32_t *nsec)
{
    uint32_t version;
    uint64_t s;
    uint32_t ns;

    do {
        version = shared_info->wc_version;
        smp_rmb();
        s = shared_info->wc_sec | ((uint64_t)shared_info->xen_wc_sec_hi << 32);
        ns = shared_info->wc_nsec;
        smp_rmb();
    } while ((version & 1) || version != shared_info->wc_version);

    uint64_t total = ns + system_time_ns();
    *sec = s + total / NSEC_PER_SEC;
    *nsec = total % NSEC_PER_SEC;
}

stime_t monotonic_ns(void)
{
    return pvclock_to_monotonic(system_time_ns(), mono_offset);
}

stime_t monotonic_to_system(stime_t deadline)
{
    return pvclock_to_system(deadline, mono_offset);
}

void timer_set_deadline(stime_t deadline)
{
    stime_t system = monotonic_to_system(deadline);
    long rc = hypercall_set_timer_op(system);
    if (rc)
        printk("time: set_timer_op(%lu) failed: rc=%ld\n", (unsigned long)system, rc);
}

static void timer_event(evtchn_port_t port, void *data)
{
    timer_interrupts++;
}

static void bind_timer(void)
{
    int rc = evtchn_bind_virq(VIRQ_TIMER, timer_event, NULL, &timer_port);
    if (rc)
        panic("time: cannot bind VIRQ_TIMER: rc=%d", rc);
    evtchn_unmask(timer_port);
}

void time_suspend(void)
{
    mono_at_suspend = monotonic_ns();
}

/* A restored domain has no VIRQ bound, and maybe another host's clock. */
void time_resume(void)
{
    mono_offset = pvclock_restore_offset(mono_at_suspend, system_time_ns());
    bind_timer();
}

void time_init(void)
{
    bind_timer();
}
