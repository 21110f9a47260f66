/* Event channels, the timer and the scheduler. */
#include <string.h>
#include <errno.h>
#include "test.h"
#include <minnow/events.h>
#include <minnow/sched.h>
#include <minnow/time.h>
#include <arch/hypercall.h>

static volatile unsigned loopback_hits;
static struct waitq loopback_wq = WAITQ_INIT;

static void loopback_handler(evtchn_port_t port, void *data)
{
    loopback_hits++;
    waitq_wake_all(&loopback_wq);
}

/*
 * An interdomain channel from this domain to itself: send on one end, the
 * event arrives on the other, through Xen's real delivery path.
 */
GUEST_TEST(evtchn_loopback, 0)
{
    evtchn_port_t a, b;
    int rc = evtchn_alloc_unbound(DOMID_SELF, NULL, NULL, &a);
    TEST_ASSERT(rc == 0, "alloc_unbound rc=%d", rc);
    evtchn_unbind(a);

    struct evtchn_bind_interdomain bind = { .remote_dom = DOMID_SELF, .remote_port = a };
    long lrc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
    TEST_ASSERT(lrc == 0, "bind_interdomain rc=%ld", lrc);
    b = bind.local_port;
    rc = evtchn_bind(b, loopback_handler, NULL);
    TEST_ASSERT(rc == 0, "bind rc=%d", rc);

    /* Masked: the event stays pending and the handler does not run. */
    loopback_hits = 0;
    evtchn_notify(a);
    TEST_ASSERT(evtchn_is_pending(b), "port %u not pending after send", b);
    TEST_ASSERT(loopback_hits == 0, "handler ran while masked");

    /* Unmasking delivers the pending event. */
    evtchn_unmask(b);
    wait_event_timeout(&loopback_wq, loopback_hits != 0, 100 * NSEC_PER_MSEC);
    TEST_ASSERT(loopback_hits == 1, "hits after unmask: %u", loopback_hits);

    /* And a second send while unmasked arrives too. */
    evtchn_notify(a);
    wait_event_timeout(&loopback_wq, loopback_hits >= 2, 100 * NSEC_PER_MSEC);
    TEST_ASSERT(loopback_hits == 2, "hits after second send: %u", loopback_hits);

    evtchn_close(b);
    evtchn_close(a);
    return TEST_PASS;
}

GUEST_TEST(time_monotonic, 0)
{
    stime_t t0 = monotonic_ns(), prev = t0;

    for (int i = 0; i < 10000; i++) {
        stime_t t = monotonic_ns();
        TEST_ASSERT(t >= prev, "time went back: %lu -> %lu", (unsigned long)prev,
                    (unsigned long)t);
        prev = t;
    }
    uint64_t sec;
    uint32_t nsec;
    wall_clock(&sec, &nsec);
    /* 2020-01-01 .. 2100-01-01: a sane wall clock. */
    TEST_ASSERT(sec > 1577836800ULL && sec < 4102444800ULL, "wall clock %lu", (unsigned long)sec);
    TEST_ASSERT(nsec < NSEC_PER_SEC, "nsec %u", nsec);
    return TEST_PASS;
}

GUEST_TEST(timer_sleep_10ms, 0)
{
    extern unsigned long timer_interrupts;
    unsigned long irqs = timer_interrupts;
    stime_t t0 = monotonic_ns();

    msleep(10);
    stime_t slept = monotonic_ns() - t0;
    /* Never early; late by at most 50 ms even under emulation. */
    TEST_ASSERT(slept >= 10 * NSEC_PER_MSEC, "woke early after %lu ns", (unsigned long)slept);
    TEST_ASSERT(slept < 60 * NSEC_PER_MSEC, "woke late after %lu ns", (unsigned long)slept);
    TEST_ASSERT(timer_interrupts > irqs, "no VIRQ_TIMER event");
    test_detail("slept %lu us", (unsigned long)(slept / NSEC_PER_USEC));
    return TEST_PASS;
}

static char order[16];
static volatile unsigned order_len;

static void sleeper(void *arg)
{
    uintptr_t ms = (uintptr_t)arg;
    msleep(ms);
    order[order_len++] = '0' + ms / 50;
}

GUEST_TEST(sched_sleep_order, 0)
{
    order_len = 0;
    unsigned long before = sched_thread_count();

    /* 50 ms apart: a domU on a busy emulated host may not run for 10 ms. */
    TEST_ASSERT(thread_create("s110", sleeper, (void *)110), "create");
    TEST_ASSERT(thread_create("s10", sleeper, (void *)10), "create");
    TEST_ASSERT(thread_create("s60", sleeper, (void *)60), "create");
    stime_t deadline = monotonic_ns() + NSEC_PER_SEC;
    while (order_len < 3 && monotonic_ns() < deadline)
        msleep(5);
    order[order_len] = '\0';
    TEST_ASSERT(order_len == 3, "only %u threads finished", order_len);
    TEST_ASSERT(order[0] == '0' && order[1] == '1' && order[2] == '2', "order %s", order);
    msleep(1);      /* let the exited threads be reaped */
    TEST_ASSERT(sched_thread_count() == before, "threads %lu, want %lu",
                sched_thread_count(), before);
    return TEST_PASS;
}

/*
 * The same three sleepers, but nothing runs until all three deadlines have
 * passed (a stalled vCPU, a long save): they must still wake in deadline
 * order, not in the order they sit in the scheduler's ring.
 */
GUEST_TEST(sched_sleep_order_after_stall, 0)
{
    order_len = 0;
    TEST_ASSERT(thread_create("s110", sleeper, (void *)110), "create");
    TEST_ASSERT(thread_create("s10", sleeper, (void *)10), "create");
    TEST_ASSERT(thread_create("s60", sleeper, (void *)60), "create");
    thread_yield();                     /* each sleeper takes its deadline */
    stime_t stall_end = monotonic_ns() + 150 * NSEC_PER_MSEC;
    while (monotonic_ns() < stall_end)
        ;                               /* no schedule(): every deadline passes */
    stime_t deadline = monotonic_ns() + NSEC_PER_SEC;
    while (order_len < 3 && monotonic_ns() < deadline)
        msleep(5);
    order[order_len] = '\0';
    TEST_ASSERT(order_len == 3, "only %u threads finished", order_len);
    TEST_ASSERT(strcmp(order, "012") == 0, "woke in the order %s after the stall, want 012",
                order);
    msleep(1);                          /* let the exited threads be reaped */
    return TEST_PASS;
}

static volatile unsigned pingpong;

static void ponger(void *arg)
{
    while (pingpong < 1000) {
        if (pingpong % 2 == 1)
            pingpong++;
        thread_yield();
    }
}

GUEST_TEST(sched_yield_pingpong, 0)
{
    pingpong = 0;
    TEST_ASSERT(thread_create("ponger", ponger, NULL), "create");
    while (pingpong < 1000) {
        if (pingpong % 2 == 0)
            pingpong++;
        thread_yield();
    }
    msleep(1);
    TEST_ASSERT(pingpong == 1000, "pingpong %u", pingpong);
    return TEST_PASS;
}

static void unused_handler(evtchn_port_t port, void *data)
{
}

/*
 * Xen hands out the lowest free port.  Occupy the next one locally (a
 * binding without a channel), so the local bind after alloc_unbound fails:
 * the channel Xen allocated must then be closed, not leaked.
 */
GUEST_TEST(evtchn_failed_bind_closes_the_channel, 0)
{
    evtchn_port_t next, got = 0;
    int rc = evtchn_alloc_unbound(DOMID_SELF, NULL, NULL, &next);
    TEST_ASSERT(rc == 0, "alloc_unbound rc=%d", rc);
    struct evtchn_close close = { .port = next };
    long lrc = hypercall_event_channel_op(EVTCHNOP_close, &close);
    TEST_ASSERT(lrc == 0, "close rc=%ld", lrc);
    TEST_ASSERT(evtchn_bind(next, unused_handler, NULL) == 0, "local bind of %u", next);

    rc = evtchn_alloc_unbound(DOMID_SELF, unused_handler, NULL, &got);
    struct evtchn_status status = { .dom = DOMID_SELF, .port = next };
    lrc = hypercall_event_channel_op(EVTCHNOP_status, &status);
    evtchn_unbind(next);
    if (rc == 0)
        evtchn_close(got);
    else if (lrc == 0 && status.status != EVTCHNSTAT_closed)
        hypercall_event_channel_op(EVTCHNOP_close, &close);
    TEST_ASSERT(rc == -EBUSY, "alloc_unbound onto a locally bound port %u: rc=%d (got %u)",
                next, rc, got);
    TEST_ASSERT(lrc == 0, "EVTCHNOP_status(%u) rc=%ld", next, lrc);
    TEST_ASSERT(status.status == EVTCHNSTAT_closed,
                "the channel whose local bind failed is still open (status %u)", status.status);
    return TEST_PASS;
}
