/*
 * Conformance: __HYPERVISOR_sched_op (public/sched.h;
 * xen/common/sched/core.c:do_sched_op(), do_poll(), domain_watchdog()).
 *
 * SCHEDOP_shutdown itself ends the domain, so it is not here: tests=all
 * runs in one boot.
 */
#include "conformance.h"
#include <minnow/events.h>
#include <minnow/time.h>
#include <xen/sched.h>

static long sched(int cmd, void *arg)
{
    return hypercall_sched_op(cmd, arg);
}

/* SCHEDOP_yield: 0. */
GUEST_TEST(sched_yield, 0)
{
    long rc = sched(SCHEDOP_yield, NULL);

    TEST_ASSERT(rc == 0, "sched_op(yield) = %ld, expected 0", rc);
    return TEST_PASS;
}

static volatile unsigned block_events;
static void count_event(evtchn_port_t port, void *data)
{
    (void)port;
    (void)data;
    block_events++;
}

/*
 * SCHEDOP_block with an event already pending: it unmasks event delivery
 * and does not sleep (do_block(): local_events_need_delivery()); the
 * upcall runs on return.  A timer 1 s out bounds the wait if Xen did
 * sleep; the test wants the return well before it.
 */
GUEST_TEST(sched_block_event_pending, 0)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    struct evtchn_send s;
    stime_t t0, t1;
    long rc;

    TEST_ERROR_IF(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b) != 0, "bind_ipi");
    TEST_ERROR_IF(evtchn_bind(b.port, count_event, NULL) != 0, "evtchn_bind");
    block_events = 0;
    local_events_disable();
    evtchn_unmask(b.port);
    s.port = b.port;
    TEST_ERROR_IF(hypercall_event_channel_op(EVTCHNOP_send, &s) != 0, "send");
    timer_set_deadline(monotonic_ns() + 1000 * NSEC_PER_MSEC);
    t0 = monotonic_ns();
    rc = sched(SCHEDOP_block, NULL);
    t1 = monotonic_ns();
    local_events_enable();
    evtchn_close(b.port);
    TEST_ASSERT(rc == 0 && t1 - t0 < 500 * NSEC_PER_MSEC && block_events == 1,
                "sched_op(block) with port %u pending = %ld after %ld ns, handler ran %u times; "
                "expected 0 at once and one event", b.port, rc, (long)(t1 - t0), block_events);
    return TEST_PASS;
}

static long poll1(evtchn_port_t *port, unsigned int n, uint64_t timeout)
{
    struct sched_poll p = { .nr_ports = n, .timeout = timeout };

    set_xen_guest_handle(p.ports, port);
    return sched(SCHEDOP_poll, &p);
}

/* SCHEDOP_poll on a port that stays quiet returns 0 at the timeout (an
 * absolute system time), not before.  Upcalls are masked so that no
 * other event ends it early. */
GUEST_TEST(sched_poll_timeout, 0)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_close c;
    unsigned long flags;
    stime_t t0, t1;
    long rc;

    TEST_ERROR_IF(hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a) != 0, "alloc_unbound");
    flags = local_events_save();
    t0 = monotonic_ns();
    rc = poll1(&a.port, 1, monotonic_to_system(t0 + 20 * NSEC_PER_MSEC));
    t1 = monotonic_ns();
    local_events_restore(flags);
    c.port = a.port;
    hypercall_event_channel_op(EVTCHNOP_close, &c);
    TEST_ASSERT(rc == 0 && t1 - t0 >= 20 * NSEC_PER_MSEC,
                "sched_op(poll, [port %u], timeout now+20ms) = %ld after %ld ns, expected 0 after "
                ">= 20 ms", a.port, rc, (long)(t1 - t0));
    return TEST_PASS;
}

/* SCHEDOP_poll on a port already pending returns 0 at once. */
GUEST_TEST(sched_poll_pending, 0)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    struct evtchn_send s;
    struct evtchn_close c;
    unsigned long flags;
    stime_t t0, t1;
    long rc;

    TEST_ERROR_IF(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b) != 0, "bind_ipi");
    s.port = c.port = b.port;
    flags = local_events_save();
    hypercall_event_channel_op(EVTCHNOP_send, &s);
    t0 = monotonic_ns();
    rc = poll1(&b.port, 1, monotonic_to_system(t0 + 1000 * NSEC_PER_MSEC));
    t1 = monotonic_ns();
    evtchn_clear(b.port);
    hypercall_event_channel_op(EVTCHNOP_close, &c);
    local_events_restore(flags);
    TEST_ASSERT(rc == 0 && t1 - t0 < 500 * NSEC_PER_MSEC,
                "sched_op(poll, [pending port %u]) = %ld after %ld ns, expected 0 at once",
                b.port, rc, (long)(t1 - t0));
    return TEST_PASS;
}

/* SCHEDOP_poll argument checks: more than 128 ports -> -EINVAL; a port
 * that was never allocated -> -EINVAL (evtchn_port_poll(); XSA-221 made
 * this a clean error rather than a NULL dereference). */
GUEST_TEST(sched_poll_bad_args, 0)
{
    static evtchn_port_t ports[129];
    evtchn_port_t big = 4095;
    unsigned long flags = local_events_save();
    long rc_many = poll1(ports, 129, 0);
    long rc_port = poll1(&big, 1, monotonic_to_system(monotonic_ns() + 10 * NSEC_PER_MSEC));

    local_events_restore(flags);
    TEST_ASSERT(rc_many == -XEN_EINVAL, "sched_op(poll, 129 ports) = %ld, expected -EINVAL", rc_many);
    TEST_ASSERT(rc_port == -XEN_EINVAL, "sched_op(poll, [port 4095, never allocated]) = %ld, "
                "expected -EINVAL", rc_port);
    return TEST_PASS;
}

/*
 * SCHEDOP_watchdog: id 0 creates a watchdog and returns its id (1..);
 * the id with a timeout re-arms it (0); with timeout 0 stops it (0); a
 * stopped or out-of-range id -> -EINVAL (domain_watchdog()).  Stopped
 * well before its 60 s fire.
 */
GUEST_TEST(sched_watchdog, 0)
{
    struct sched_watchdog w = { .id = 0, .timeout = 60 };
    long id = sched(SCHEDOP_watchdog, &w), rc_rearm, rc_stop, rc_again, rc_range;

    TEST_ASSERT(id >= 1, "sched_op(watchdog, id 0, 60 s) = %ld, expected a new id >= 1", id);
    w.id = (uint32_t)id;
    rc_rearm = sched(SCHEDOP_watchdog, &w);
    w.timeout = 0;
    rc_stop = sched(SCHEDOP_watchdog, &w);
    rc_again = sched(SCHEDOP_watchdog, &w);
    w.id = 1000;
    rc_range = sched(SCHEDOP_watchdog, &w);
    TEST_ASSERT(rc_rearm == 0 && rc_stop == 0,
                "watchdog(id %ld, 60) = %ld, (id %ld, 0) = %ld, expected 0, 0", id, rc_rearm, id,
                rc_stop);
    TEST_ASSERT(rc_again == -XEN_EINVAL && rc_range == -XEN_EINVAL,
                "watchdog(stopped id %ld, 0) = %ld, (id 1000) = %ld, expected -EINVAL twice", id,
                rc_again, rc_range);
    return TEST_PASS;
}

/* SCHEDOP_remote_shutdown of a domain that does not exist: -ESRCH
 * (dom0 passes the privilege check and fails the lookup; a domU is
 * refused first: -EPERM). */
GUEST_TEST(sched_remote_shutdown_no_domain, 0)
{
    struct sched_remote_shutdown r = { .domain_id = 0x7fef, .reason = SHUTDOWN_poweroff };
    long rc = sched(SCHEDOP_remote_shutdown, &r);
    long want = (boot_start_info.flags & SIF_INITDOMAIN) ? -XEN_ESRCH : -XEN_EPERM;

    TEST_ASSERT(rc == want, "sched_op(remote_shutdown, dom 0x7fef) = %ld, expected %ld", rc, want);
    return TEST_PASS;
}

/* An unknown sched_op: -ENOSYS. */
GUEST_TEST(sched_unknown_cmd, 0)
{
    long rc = sched(99, NULL);

    TEST_ASSERT(rc == -XEN_ENOSYS, "sched_op(99) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}
