/*
 * Conformance: __HYPERVISOR_event_channel_op (public/event_channel.h;
 * xen/common/event_channel.c, xen/common/event_2l.c, event_fifo.c).
 *
 * Ports a test allocates stay masked (minnow masks every port at boot
 * and Xen does not touch the mask of a new 2-level port), so an event
 * sent to them shows up as a pending bit and nothing is dispatched.
 */
#include "conformance.h"
#include <minnow/events.h>
#include <xen/event_channel.h>

static long ev(int cmd, void *arg)
{
    return hypercall_event_channel_op(cmd, arg);
}

static long ev_close(evtchn_port_t port)
{
    struct evtchn_close c = { .port = port };

    return ev(EVTCHNOP_close, &c);
}

static bool ev_pending(evtchn_port_t port)
{
    return shared_info->evtchn_pending[port / 64] & (1UL << (port % 64));
}

static void ev_clear(evtchn_port_t port)
{
    __atomic_and_fetch(&shared_info->evtchn_pending[port / 64], ~(1UL << (port % 64)),
                       __ATOMIC_SEQ_CST);
}

static long ev_status(evtchn_port_t port, struct evtchn_status *st)
{
    memset(st, 0, sizeof(*st));
    st->dom = DOMID_SELF;
    st->port = port;
    return ev(EVTCHNOP_status, st);
}

/* An unbound port for ourselves: status unbound, naming the remote
 * domain allowed to bind it. */
GUEST_TEST(evtchn_alloc_unbound_status, 0)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_status st;
    long rc = ev(EVTCHNOP_alloc_unbound, &a), src;

    TEST_ASSERT(rc == 0 && a.port > 0, "event_channel_op(alloc_unbound, SELF, SELF) = %ld port %u, "
                "expected 0 and a port > 0", rc, a.port);
    src = ev_status(a.port, &st);
    ev_close(a.port);
    TEST_ASSERT(src == 0 && st.status == EVTCHNSTAT_unbound,
                "event_channel_op(status, port %u) = %ld status %u, expected 0, unbound", a.port,
                src, st.status);
    return TEST_PASS;
}

/* Interdomain loopback: bind_interdomain to our own unbound port; both
 * ends report each other; a send on one end sets the other's pending
 * bit (evtchn_send(), ECS_INTERDOMAIN). */
GUEST_TEST(evtchn_interdomain_loopback, 0)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF };
    struct evtchn_send s;
    struct evtchn_status st1, st2;
    long rc;

    TEST_ERROR_IF(ev(EVTCHNOP_alloc_unbound, &a) != 0, "alloc_unbound");
    b.remote_port = a.port;
    rc = ev(EVTCHNOP_bind_interdomain, &b);
    TEST_ASSERT(rc == 0 && b.local_port != a.port,
                "event_channel_op(bind_interdomain, SELF, port %u) = %ld local %u", a.port, rc,
                b.local_port);
    ev_status(a.port, &st1);
    ev_status(b.local_port, &st2);
    TEST_ASSERT(st1.status == EVTCHNSTAT_interdomain && st1.u.interdomain.port == b.local_port &&
                st2.status == EVTCHNSTAT_interdomain && st2.u.interdomain.port == a.port,
                "status: port %u -> %u (%u), port %u -> %u (%u); expected interdomain, crossed",
                a.port, st1.u.interdomain.port, st1.status, b.local_port, st2.u.interdomain.port,
                st2.status);
    ev_clear(a.port);
    s.port = b.local_port;
    rc = ev(EVTCHNOP_send, &s);
    TEST_ASSERT(rc == 0 && ev_pending(a.port),
                "event_channel_op(send, port %u) = %ld, remote port %u pending %d, expected 0, 1",
                b.local_port, rc, a.port, ev_pending(a.port));
    ev_clear(a.port);
    TEST_ERROR_IF(ev_close(b.local_port) || ev_close(a.port), "close");
    return TEST_PASS;
}

/* Binding a port that is bound already: bind_interdomain to a port no
 * longer unbound -> -EINVAL; a VIRQ bound already (minnow's VIRQ_TIMER)
 * -> -EEXIST. */
GUEST_TEST(evtchn_double_bind, 0)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain b = { .remote_dom = DOMID_SELF }, b2;
    struct evtchn_bind_virq v = { .virq = VIRQ_TIMER, .vcpu = 0 };
    long rc, rcv;

    TEST_ERROR_IF(ev(EVTCHNOP_alloc_unbound, &a) != 0, "alloc_unbound");
    b.remote_port = a.port;
    TEST_ERROR_IF(ev(EVTCHNOP_bind_interdomain, &b) != 0, "bind_interdomain");
    b2 = b;
    rc = ev(EVTCHNOP_bind_interdomain, &b2);
    if (rc == 0)
        ev_close(b2.local_port);
    ev_close(b.local_port);
    ev_close(a.port);
    TEST_ASSERT(rc == -XEN_EINVAL, "second event_channel_op(bind_interdomain, SELF, port %u) = %ld, "
                "expected -EINVAL", a.port, rc);
    rcv = ev(EVTCHNOP_bind_virq, &v);
    if (rcv == 0)
        ev_close(v.port);
    TEST_ASSERT(rcv == -XEN_EEXIST, "event_channel_op(bind_virq, VIRQ_TIMER, vcpu 0) while bound "
                "= %ld, expected -EEXIST", rcv);
    return TEST_PASS;
}

/* bind_virq: a per-vCPU VIRQ binds (status virq, the virq number); an
 * out-of-range VIRQ -> -EINVAL; a vCPU that does not exist -> -ENOENT. */
GUEST_TEST(evtchn_bind_virq, 0)
{
    struct evtchn_bind_virq v = { .virq = VIRQ_DEBUG, .vcpu = 0 };
    struct evtchn_status st;
    long rc = ev(EVTCHNOP_bind_virq, &v), src;

    TEST_ASSERT(rc == 0, "event_channel_op(bind_virq, VIRQ_DEBUG, vcpu 0) = %ld, expected 0", rc);
    src = ev_status(v.port, &st);
    ev_close(v.port);
    TEST_ASSERT(src == 0 && st.status == EVTCHNSTAT_virq && st.u.virq == VIRQ_DEBUG,
                "status(port %u) = %ld status %u virq %u, expected virq %u", v.port, src,
                st.status, st.u.virq, VIRQ_DEBUG);
    v.virq = NR_VIRQS;
    rc = ev(EVTCHNOP_bind_virq, &v);
    TEST_ASSERT(rc == -XEN_EINVAL, "bind_virq(virq %u) = %ld, expected -EINVAL", NR_VIRQS, rc);
    v.virq = VIRQ_DEBUG;
    v.vcpu = 0xffff;
    rc = ev(EVTCHNOP_bind_virq, &v);
    TEST_ASSERT(rc == -XEN_ENOENT, "bind_virq(VIRQ_DEBUG, vcpu 0xffff) = %ld, expected -ENOENT", rc);
    return TEST_PASS;
}

/* bind_ipi: a port to our own vCPU; send sets its pending bit; a vCPU
 * that does not exist -> -ENOENT. */
GUEST_TEST(evtchn_bind_ipi_send, 0)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    struct evtchn_send s;
    struct evtchn_status st;
    long rc = ev(EVTCHNOP_bind_ipi, &b);

    TEST_ASSERT(rc == 0, "event_channel_op(bind_ipi, vcpu 0) = %ld, expected 0", rc);
    ev_status(b.port, &st);
    s.port = b.port;
    ev_clear(b.port);
    rc = ev(EVTCHNOP_send, &s);
    TEST_ASSERT(rc == 0 && ev_pending(b.port) && st.status == EVTCHNSTAT_ipi,
                "send(ipi port %u) = %ld pending %d status %u, expected 0, 1, ipi", b.port, rc,
                ev_pending(b.port), st.status);
    ev_clear(b.port);
    TEST_ERROR_IF(ev_close(b.port), "close");
    b.vcpu = 0xffff;
    rc = ev(EVTCHNOP_bind_ipi, &b);
    TEST_ASSERT(rc == -XEN_ENOENT, "bind_ipi(vcpu 0xffff) = %ld, expected -ENOENT", rc);
    return TEST_PASS;
}

/* send on a closed port -> -EINVAL; close of a closed port -> -EINVAL;
 * send on an unbound port is dropped silently: 0, nothing pending. */
GUEST_TEST(evtchn_send_closed_and_unbound, 0)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_send s;
    long rc, rcc;

    TEST_ERROR_IF(ev(EVTCHNOP_alloc_unbound, &a) != 0, "alloc_unbound");
    s.port = a.port;
    ev_clear(a.port);
    rc = ev(EVTCHNOP_send, &s);
    TEST_ASSERT(rc == 0 && !ev_pending(a.port), "send(unbound port %u) = %ld pending %d, "
                "expected 0, 0", a.port, rc, ev_pending(a.port));
    TEST_ERROR_IF(ev_close(a.port), "close");
    rc = ev(EVTCHNOP_send, &s);
    rcc = ev_close(a.port);
    TEST_ASSERT(rc == -XEN_EINVAL, "send(closed port %u) = %ld, expected -EINVAL", a.port, rc);
    TEST_ASSERT(rcc == -XEN_EINVAL, "close(closed port %u) = %ld, expected -EINVAL", a.port, rcc);
    return TEST_PASS;
}

/* status: port 0 is never bound (closed); a port beyond the ABI's limit
 * -> -EINVAL. */
GUEST_TEST(evtchn_status_edges, 0)
{
    struct evtchn_status st;
    long rc = ev_status(0, &st);

    TEST_ASSERT(rc == 0 && st.status == EVTCHNSTAT_closed,
                "status(port 0) = %ld status %u, expected 0, closed", rc, st.status);
    rc = ev_status(1u << 20, &st);
    TEST_ASSERT(rc == -XEN_EINVAL, "status(port 1<<20) = %ld, expected -EINVAL", rc);
    return TEST_PASS;
}

/*
 * EVTCHNOP_unmask re-delivers: an event sent while the port was masked
 * only sets the pending bit (no selector bit, no upcall); unmask then
 * raises the selector bit and evtchn_upcall_pending
 * (event_2l.c:evtchn_2l_unmask()).  Upcalls stay masked meanwhile.
 */
GUEST_TEST(evtchn_unmask_redelivers, 0)
{
    struct evtchn_bind_ipi b = { .vcpu = 0 };
    struct evtchn_send s;
    struct evtchn_unmask u;
    struct vcpu_info *vi = this_vcpu();
    unsigned long flags, selbit;
    uint8_t upcall_after_send, upcall_after_unmask;
    bool sel_after_send, sel_after_unmask, mask_after;
    long rc;

    TEST_ERROR_IF(ev(EVTCHNOP_bind_ipi, &b) != 0, "bind_ipi");
    selbit = 1UL << (b.port / 64);
    flags = local_events_save();
    __atomic_and_fetch(&vi->evtchn_pending_sel, ~selbit, __ATOMIC_SEQ_CST);
    vi->evtchn_upcall_pending = 0;
    s.port = b.port;
    ev(EVTCHNOP_send, &s);
    upcall_after_send = vi->evtchn_upcall_pending;
    sel_after_send = vi->evtchn_pending_sel & selbit;
    u.port = b.port;
    rc = ev(EVTCHNOP_unmask, &u);
    upcall_after_unmask = vi->evtchn_upcall_pending;
    sel_after_unmask = vi->evtchn_pending_sel & selbit;
    mask_after = shared_info->evtchn_mask[b.port / 64] & (1UL << (b.port % 64));
    evtchn_mask(b.port);
    ev_clear(b.port);
    ev_close(b.port);
    vi->evtchn_upcall_pending = 1;      /* whatever else was pending gets looked at */
    local_events_restore(flags);
    TEST_ASSERT(!upcall_after_send && !sel_after_send,
                "send to masked port %u raised upcall %u / selector %d, expected neither",
                b.port, upcall_after_send, sel_after_send);
    TEST_ASSERT(rc == 0 && upcall_after_unmask && sel_after_unmask && !mask_after,
                "event_channel_op(unmask, pending port %u) = %ld: upcall %u selector %d mask %d, "
                "expected 0, 1, 1, 0", b.port, rc, upcall_after_unmask, sel_after_unmask,
                mask_after);
    return TEST_PASS;
}

/*
 * EVTCHNOP_init_control (FIFO ABI) argument checks, made before anything
 * changes (event_fifo.c:evtchn_fifo_init_control()): a vCPU that does
 * not exist -> -ENOENT; an offset past the last place a control block
 * fits, or not 8-byte aligned -> -EINVAL.  A valid call would switch the
 * domain to FIFO for good, so none is made.  No FIFO support (-ENOSYS):
 * SKIP.
 */
GUEST_TEST(evtchn_fifo_init_control_checks, 0)
{
    struct conf_frame f;
    struct evtchn_init_control ic;
    long rc_vcpu, rc_off, rc_align;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    ic = (struct evtchn_init_control){ .control_gfn = f.mfn, .offset = 0, .vcpu = 0xffff };
    rc_vcpu = ev(EVTCHNOP_init_control, &ic);
    ic = (struct evtchn_init_control){ .control_gfn = f.mfn, .offset = PAGE_SIZE - 8, .vcpu = 0 };
    rc_off = rc_vcpu == -XEN_ENOSYS ? 0 : ev(EVTCHNOP_init_control, &ic);
    ic = (struct evtchn_init_control){ .control_gfn = f.mfn, .offset = 4, .vcpu = 0 };
    rc_align = rc_vcpu == -XEN_ENOSYS ? 0 : ev(EVTCHNOP_init_control, &ic);
    conf_frame_put(&f);
    TEST_SKIP_IF(rc_vcpu == -XEN_ENOSYS, "no FIFO event channels (init_control = -ENOSYS)");
    TEST_ASSERT(rc_vcpu == -XEN_ENOENT, "init_control(vcpu 0xffff) = %ld, expected -ENOENT", rc_vcpu);
    TEST_ASSERT(rc_off == -XEN_EINVAL, "init_control(offset %lu) = %ld, expected -EINVAL",
                PAGE_SIZE - 8, rc_off);
    TEST_ASSERT(rc_align == -XEN_EINVAL, "init_control(offset 4) = %ld, expected -EINVAL", rc_align);
    return TEST_PASS;
}

/* An unknown event_channel_op: -ENOSYS. */
GUEST_TEST(evtchn_unknown_cmd, 0)
{
    long rc = ev(99, NULL);

    TEST_ASSERT(rc == -XEN_ENOSYS, "event_channel_op(99) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}
