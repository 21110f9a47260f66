/*
 * Conformance: __HYPERVISOR_console_io (public/xen.h CONSOLEIO_*;
 * xen/drivers/char/console.c:do_console_io(), privilege in
 * xen/include/xsm/dummy.h:xsm_console_io()) and __HYPERVISOR_physdev_op
 * (public/physdev.h; xen/arch/x86/physdev.c:do_physdev_op()).
 */
#include "conformance.h"
#include <xen/physdev.h>

static bool is_dom0(void)
{
    return boot_start_info.flags & SIF_INITDOMAIN;
}

/* dom0 may write to and read from Xen's console: write 0, read the
 * number of characters copied (>= 0). */
GUEST_TEST(console_io_dom0, 0)
{
    static char buf[64];
    static const char msg[] = "conformance: console_io write\n";
    long w, r;

    TEST_SKIP_IF(!is_dom0(), "not dom0");
    w = hypercall_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg);
    r = hypercall_console_io(CONSOLEIO_read, sizeof(buf), buf);
    TEST_ASSERT(w == 0, "console_io(write, %zu) as dom0 = %ld, expected 0", sizeof(msg) - 1, w);
    TEST_ASSERT(r >= 0 && r <= (long)sizeof(buf), "console_io(read, %zu) as dom0 = %ld, expected "
                "0..%zu", sizeof(buf), r, sizeof(buf));
    return TEST_PASS;
}

/* An unknown console_io command: -ENOSYS (dom0 passes the XSM check). */
GUEST_TEST(console_io_unknown_cmd, 0)
{
    long rc;

    TEST_SKIP_IF(!is_dom0(), "not dom0 (a domU is refused before the command is looked at)");
    rc = hypercall_console_io(99, 0, NULL);
    TEST_ASSERT(rc == -XEN_ENOSYS, "console_io(99) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}

/*
 * A domU may not read Xen's console (-EPERM, XSM_PRIV).  Writing depends
 * on the build: xsm_console_io() lets any domain write when Xen has
 * CONFIG_VERBOSE_DEBUG (on with debug=y), else refuses (-EPERM).
 */
GUEST_TEST(console_io_domu_refused, TEST_NEEDS("domu"))
{
    static char buf[16];
    static const char msg[] = "domU console_io\n";
    bool debug = conf_xen_is_debug();
    long want_w = debug ? 0 : -XEN_EPERM;
    long r = hypercall_console_io(CONSOLEIO_read, sizeof(buf), buf);
    long w = hypercall_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg);

    TEST_ASSERT(r == -XEN_EPERM, "console_io(read) as domU = %ld, expected -EPERM", r);
    TEST_ASSERT(w == want_w, "console_io(write) as domU = %ld, expected %ld (%s build)", w, want_w,
                debug ? "debug" : "release");
    return TEST_PASS;
}

/* PHYSDEVOP_set_iopl: 0..3 only, -EINVAL otherwise (any PV domain may
 * set its virtual IOPL; access to ports still needs permission). */
GUEST_TEST(physdev_set_iopl_range, 0)
{
    struct physdev_set_iopl io = { .iopl = 4 };
    long rc = hypercall_physdev_op(PHYSDEVOP_set_iopl, &io);

    TEST_ASSERT(rc == -XEN_EINVAL, "physdev_op(set_iopl, 4) = %ld, expected -EINVAL", rc);
    return TEST_PASS;
}

/* An unknown physdev_op: -ENOSYS. */
GUEST_TEST(physdev_unknown_cmd, 0)
{
    long rc = hypercall_physdev_op(99, NULL);

    TEST_ASSERT(rc == -XEN_ENOSYS, "physdev_op(99) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}

/* PHYSDEVOP_irq_status_query for a pirq the domain does not have:
 * -EINVAL (domain_pirq_to_irq() finds none / out of range). */
GUEST_TEST(physdev_irq_status_query_bad, 0)
{
    struct physdev_irq_status_query q = { .irq = 0x7fffffff };
    long rc = hypercall_physdev_op(PHYSDEVOP_irq_status_query, &q);

    TEST_ASSERT(rc == -XEN_EINVAL, "physdev_op(irq_status_query, irq 0x7fffffff) = %ld, "
                "expected -EINVAL", rc);
    return TEST_PASS;
}

/* As a domU, the device-management operations are refused: -EPERM
 * (xsm_resource_plug_pci / xsm_map_domain_pirq are privileged). */
GUEST_TEST(physdev_domu_refused, TEST_NEEDS("domu"))
{
    struct physdev_manage_pci pci = { .bus = 0, .devfn = 0 };
    struct physdev_map_pirq mp = { .domid = DOMID_SELF, .type = MAP_PIRQ_TYPE_GSI,
                                   .index = 1, .pirq = -1 };
    long rc_pci = hypercall_physdev_op(PHYSDEVOP_manage_pci_add, &pci);
    long rc_map = hypercall_physdev_op(PHYSDEVOP_map_pirq, &mp);

    TEST_ASSERT(rc_pci == -XEN_EPERM, "physdev_op(manage_pci_add, 00:00.0) as domU = %ld, "
                "expected -EPERM", rc_pci);
    TEST_ASSERT(rc_map == -XEN_EPERM, "physdev_op(map_pirq, SELF, GSI 1) as domU = %ld, "
                "expected -EPERM", rc_map);
    return TEST_PASS;
}
