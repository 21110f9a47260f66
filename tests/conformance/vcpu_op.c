/*
 * Conformance: __HYPERVISOR_vcpu_op (public/vcpu.h;
 * xen/common/domain.c:common_vcpu_op() / do_vcpu_op(),
 * xen/arch/x86/domain.c:arch_do_vcpu_op()).
 */
#include "conformance.h"
#include <minnow/time.h>
#include <xen/vcpu.h>
#include <minnow/events.h>

/* VCPUOP_get_runstate_info on ourselves: we are running, and have run. */
GUEST_TEST(vcpu_runstate_info, 0)
{
    struct vcpu_runstate_info ri;
    long rc;

    memset(&ri, 0xff, sizeof(ri));
    rc = hypercall_vcpu_op(VCPUOP_get_runstate_info, 0, &ri);
    TEST_ASSERT(rc == 0 && ri.state == RUNSTATE_running && ri.time[RUNSTATE_running] > 0,
                "vcpu_op(get_runstate_info, 0) = %ld state %d running %lu ns, expected 0, "
                "running, > 0", rc, ri.state, (unsigned long)ri.time[RUNSTATE_running]);
    return TEST_PASS;
}

/* VCPUOP_register_runstate_memory_area: Xen writes the area at once for
 * the current vCPU (state running); a NULL handle unregisters. */
GUEST_TEST(vcpu_runstate_area, 0)
{
    static struct vcpu_runstate_info area;
    struct vcpu_register_runstate_memory_area r;
    long rc, rc0;

    memset(&area, 0xff, sizeof(area));
    set_xen_guest_handle(r.addr.h, &area);
    rc = hypercall_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &r);
    set_xen_guest_handle(r.addr.h, NULL);
    rc0 = hypercall_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &r);
    TEST_ASSERT(rc == 0 && area.state == RUNSTATE_running,
                "vcpu_op(register_runstate_memory_area, 0, %p) = %ld, area state %d, expected 0, "
                "running", (void *)&area, rc, area.state);
    TEST_ASSERT(rc0 == 0, "vcpu_op(register_runstate_memory_area, NULL) = %ld, expected 0", rc0);
    return TEST_PASS;
}

/* VCPUOP_is_up: 1 for the running vCPU 0; a vCPU id beyond the domain's
 * -> -ENOENT. */
GUEST_TEST(vcpu_is_up, 0)
{
    long up = hypercall_vcpu_op(VCPUOP_is_up, 0, NULL);
    long none = hypercall_vcpu_op(VCPUOP_is_up, 0xffff, NULL);

    TEST_ASSERT(up == 1, "vcpu_op(is_up, 0) = %ld, expected 1", up);
    TEST_ASSERT(none == -XEN_ENOENT, "vcpu_op(is_up, 0xffff) = %ld, expected -ENOENT", none);
    return TEST_PASS;
}

/* VCPUOP_initialise of a vCPU that is up already: -EEXIST
 * (default_initialise_vcpu(): v->is_initialised). */
GUEST_TEST(vcpu_initialise_running, 0)
{
    static struct vcpu_guest_context ctx;
    long rc;

    memset(&ctx, 0, sizeof(ctx));
    rc = hypercall_vcpu_op(VCPUOP_initialise, 0, &ctx);
    TEST_ASSERT(rc == -XEN_EEXIST, "vcpu_op(initialise, 0) on a running vCPU = %ld, expected -EEXIST",
                rc);
    return TEST_PASS;
}

/* The port minnow bound VIRQ_TIMER to, found through EVTCHNOP_status. */
static evtchn_port_t timer_port(void)
{
    for (evtchn_port_t p = 1; p < 1024; p++) {
        struct evtchn_status st = { .dom = DOMID_SELF, .port = p };

        if (hypercall_event_channel_op(EVTCHNOP_status, &st) == 0 &&
            st.status == EVTCHNSTAT_virq && st.u.virq == VIRQ_TIMER)
            return p;
    }
    return 0;
}

/*
 * A single-shot timer in the past with VCPU_SSHOTTMR_future: public/vcpu.h
 * says Xen returns -ETIME "but can be ignored by the hypervisor".  Xen
 * ignores it since commit 7b5155a79e ("xen/vcpu: ignore
 * VCPU_SSHOTTMR_future", in 4.17.x stable updates and 4.18+): 0, and the
 * timer event is sent at once (common_vcpu_op(): send_timer_event()).
 * Either answer passes; with 0 the VIRQ_TIMER port must be pending.
 */
GUEST_TEST(vcpu_singleshot_timer_past, 0)
{
    evtchn_port_t port = timer_port();
    struct vcpu_set_singleshot_timer t = { .flags = VCPU_SSHOTTMR_future };
    unsigned long flags;
    bool pending;
    long rc;

    TEST_ERROR_IF(port == 0, "no port bound to VIRQ_TIMER");
    flags = local_events_save();
    t.timeout_abs_ns = monotonic_to_system(monotonic_ns()) - 1000000;
    rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
    pending = shared_info->evtchn_pending[port / 64] & (1UL << (port % 64));
    local_events_restore(flags);        /* minnow's timer handler re-arms */
    TEST_ASSERT(rc == -XEN_ETIME || (rc == 0 && pending),
                "vcpu_op(set_singleshot_timer, 0, now-1ms, future) = %ld, VIRQ_TIMER port %u "
                "pending %d; expected -ETIME, or 0 with the event sent", rc, port, pending);
    return TEST_PASS;
}

/*
 * VCPUOP_register_vcpu_info with an offset where the structure does not
 * fit in the page.  Nothing is registered either way (registering would
 * move vcpu_info for good).  A misaligned offset: -ENXIO on every
 * version.  An offset of a whole page: 4.17 checks the offset against
 * the page first (map_vcpu_info(): -ENXIO); from 4.18 the frame and
 * offset become one guest address whose frame must be the one named
 * (VCPUOP_register_vcpu_info in do_vcpu_op(): -EINVAL).
 */
GUEST_TEST(vcpu_register_vcpu_info_bad_offset, 0)
{
    struct conf_frame f;
    struct vcpu_register_vcpu_info vi;
    long want_page = conf_xen_version() >= XEN(4, 18) ? -XEN_EINVAL : -XEN_ENXIO;
    long rc_mis, rc_page;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    vi = (struct vcpu_register_vcpu_info){ .mfn = f.mfn, .offset = 3 };
    rc_mis = hypercall_vcpu_op(VCPUOP_register_vcpu_info, 0, &vi);
    vi = (struct vcpu_register_vcpu_info){ .mfn = f.mfn, .offset = PAGE_SIZE };
    rc_page = hypercall_vcpu_op(VCPUOP_register_vcpu_info, 0, &vi);
    conf_frame_put(&f);
    TEST_ASSERT(rc_mis == -XEN_ENXIO, "vcpu_op(register_vcpu_info, mfn %#lx, offset 3) = %ld, "
                "expected -ENXIO", (unsigned long)f.mfn, rc_mis);
    TEST_ASSERT(rc_page == want_page, "vcpu_op(register_vcpu_info, mfn %#lx, offset 4096) = %ld, "
                "expected %ld on Xen %#lx", (unsigned long)f.mfn, rc_page, want_page,
                conf_xen_version());
    return TEST_PASS;
}

/* An unknown vcpu_op: -ENOSYS. */
GUEST_TEST(vcpu_unknown_cmd, 0)
{
    long rc = hypercall_vcpu_op(99, 0, NULL);

    TEST_ASSERT(rc == -XEN_ENOSYS, "vcpu_op(99, 0) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}
