/*
 * Conformance: __HYPERVISOR_memory_op (xen/include/public/memory.h;
 * xen/common/memory.c:do_memory_op(), x86 subops in
 * xen/arch/x86/mm.c:arch_memory_op()).
 *
 * For a PV guest the extent lists of populate/decrease/exchange carry
 * machine frames out (populate, exchange) and in (decrease, exchange):
 * the guest keeps its own p2m.
 */
#include "conformance.h"
#include <xen/memory.h>

/* One E820 entry as Xen writes it (XENMEM_memory_map's buffer). */
struct e820entry {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));
#define E820_RAM 1u

static long reservation(unsigned int cmd)
{
    domid_t dom = DOMID_SELF;

    return hypercall_memory_op(cmd, &dom);
}

static long populate(xen_pfn_t *list, unsigned int n)
{
    struct xen_memory_reservation r = { .nr_extents = n, .extent_order = 0,
                                        .domid = DOMID_SELF };

    set_xen_guest_handle(r.extent_start, list);
    return hypercall_memory_op(XENMEM_populate_physmap, &r);
}

static long decrease(xen_pfn_t *list, unsigned int n)
{
    struct xen_memory_reservation r = { .nr_extents = n, .extent_order = 0,
                                        .domid = DOMID_SELF };

    set_xen_guest_handle(r.extent_start, list);
    return hypercall_memory_op(XENMEM_decrease_reservation, &r);
}

/* XENMEM_current_reservation <= XENMEM_maximum_reservation, both > 0:
 * tot_pages and max_pages of the domain (memory.c). */
GUEST_TEST(memory_op_reservations, 0)
{
    long cur = reservation(XENMEM_current_reservation);
    long max = reservation(XENMEM_maximum_reservation);

    TEST_ASSERT(cur > 0 && max >= cur,
                "memory_op(current_reservation, SELF) = %ld, (maximum_reservation) = %ld, "
                "expected 0 < current <= maximum", cur, max);
    return TEST_PASS;
}

/* A reservation query for a domain that does not exist: -ESRCH
 * (rcu_lock_domain_by_any_id() fails). */
GUEST_TEST(memory_op_reservation_no_domain, 0)
{
    domid_t dom = 0x7fef;       /* below DOMID_FIRST_RESERVED, never created */
    long rc = hypercall_memory_op(XENMEM_current_reservation, &dom);

    TEST_ASSERT(rc == -XEN_ESRCH, "memory_op(current_reservation, dom %#x) = %ld, expected -ESRCH",
                dom, rc);
    return TEST_PASS;
}

/* XENMEM_maximum_gpfn for a PV guest is the max_pfn the guest published
 * in shared_info, minus one (xen/arch/x86/mm.c:domain_get_maximum_gpfn()). */
GUEST_TEST(memory_op_maximum_gpfn, 0)
{
    domid_t dom = DOMID_SELF;
    long rc = hypercall_memory_op(XENMEM_maximum_gpfn, &dom);
    long published = (long)shared_info->arch.max_pfn;

    TEST_ASSERT(rc == published - 1,
                "memory_op(maximum_gpfn, SELF) = %ld, expected shared_info max_pfn - 1 = %ld",
                rc, published - 1);
    return TEST_PASS;
}

/*
 * populate_physmap stops at the maximum reservation and returns how many
 * extents it did (memory.c:populate_physmap(), a partial result, not an
 * error); decrease_reservation stops at the first frame that is not the
 * caller's and returns the count before it (guest_remove_page() fails).
 * The test frees two frames to make room, asks for room + 1 extents,
 * and puts the two frames back.
 */
GUEST_TEST(memory_op_populate_decrease_partial, 0)
{
    struct conf_frame f[2];
    xen_pfn_t list[4], extra[64];
    long cur0, cur, max, rc;
    unsigned long room;

    TEST_SKIP_UNLESS_FREE(8, "two frames to give back");
    cur0 = reservation(XENMEM_current_reservation);
    max = reservation(XENMEM_maximum_reservation);
    TEST_ERROR_IF(cur0 <= 0 || max < cur0, "reservations %ld / %ld", cur0, max);
    TEST_SKIP_IF(max - cur0 > 32, "maximum reservation %ld pages above current", max - cur0);

    TEST_ERROR_IF(conf_frame_get(&f[0]) || conf_frame_get(&f[1]), "no frames");
    TEST_ERROR_IF(conf_frame_detach(&f[0]) || conf_frame_detach(&f[1]), "detach");

    /* [ours, not ours, ours]: stops at index 1. */
    list[0] = f[0].mfn;
    list[1] = xen_max_mfn() + 1;
    list[2] = f[1].mfn;
    rc = decrease(list, 3);
    TEST_ASSERT(rc == 1, "memory_op(decrease_reservation, [mfn %#lx, bad mfn %#lx, mfn %#lx]) "
                "= %ld, expected 1 (stop at the bad extent)",
                (unsigned long)list[0], (unsigned long)list[1], (unsigned long)list[2], rc);
    rc = decrease(&list[2], 1);
    TEST_ERROR_IF(rc != 1, "decrease_reservation(mfn %#lx) = %ld", (unsigned long)list[2], rc);
    cur = reservation(XENMEM_current_reservation);
    TEST_ASSERT(cur == cur0 - 2, "current_reservation %ld after giving back 2 of %ld", cur, cur0);

    /* room + 1 extents: exactly room come back. */
    room = (unsigned long)(max - cur);
    for (unsigned long i = 0; i <= room; i++)
        extra[i] = f[i % 2].pfn;
    rc = populate(extra, room + 1);
    TEST_ASSERT(rc == (long)room,
                "memory_op(populate_physmap, %lu extents, order 0) = %ld, expected %lu "
                "(the maximum reservation)", room + 1, rc, room);
    /* Keep two for f[0], f[1]; give any others back. */
    if (rc > 2) {
        long back = decrease(&extra[2], (unsigned int)(rc - 2));
        TEST_ERROR_IF(back != rc - 2, "give back %ld extras: %ld", rc - 2, back);
    }
    TEST_ERROR_IF(rc < 2, "only %ld frames to put back", rc);
    TEST_ERROR_IF(conf_frame_attach(&f[0], extra[0]) || conf_frame_attach(&f[1], extra[1]),
                  "attach");
    conf_frame_put(&f[0]);
    conf_frame_put(&f[1]);
    cur = reservation(XENMEM_current_reservation);
    TEST_ASSERT(cur == cur0, "current_reservation %ld, expected %ld again", cur, cur0);
    return TEST_PASS;
}

/* decrease_reservation of a frame that is not the caller's: 0 extents
 * done (memory.c:decrease_reservation() -> guest_remove_page()). */
GUEST_TEST(memory_op_decrease_foreign_frame, 0)
{
    xen_pfn_t bad = xen_max_mfn() + 1;
    long rc = decrease(&bad, 1);

    TEST_ASSERT(rc == 0, "memory_op(decrease_reservation, [mfn %#lx]) = %ld, expected 0",
                (unsigned long)bad, rc);
    return TEST_PASS;
}

/*
 * XENMEM_exchange swaps frames for fresh ones: nr_exchanged counts them,
 * out.extent_start gets the new mfns (PV), and the old frame is gone.
 * Here: one order-0 extent for one order-0 extent.
 */
GUEST_TEST(memory_op_exchange_one, 0)
{
    struct conf_frame f;
    xen_pfn_t in, out;
    struct xen_memory_exchange x = {
        .in = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF },
        .out = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF },
    };
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    TEST_ERROR_IF(conf_frame_detach(&f), "detach");
    in = f.mfn;
    out = f.pfn;
    set_xen_guest_handle(x.in.extent_start, &in);
    set_xen_guest_handle(x.out.extent_start, &out);
    rc = hypercall_memory_op(XENMEM_exchange, &x);
    if (rc != 0 || x.nr_exchanged != 1) {
        int back = conf_frame_attach(&f, in);
        TEST_ERROR_IF(back, "cannot restore frame after failed exchange (%d)", back);
        conf_frame_put(&f);
        TEST_ASSERT(0, "memory_op(exchange, 1x order 0 mfn %#lx) = %ld, nr_exchanged %lu, "
                    "expected 0 and 1", (unsigned long)in, rc, (unsigned long)x.nr_exchanged);
    }
    TEST_ASSERT(out != in && out != f.pfn,
                "exchange gave mfn %#lx for %#lx, expected a fresh frame",
                (unsigned long)out, (unsigned long)in);
    TEST_ERROR_IF(conf_frame_attach(&f, out), "attach the new frame");
    conf_frame_put(&f);
    return TEST_PASS;
}

/* An exchange whose two sides hold different amounts of memory: -EINVAL,
 * nothing exchanged (memory.c:memory_exchange()). */
GUEST_TEST(memory_op_exchange_size_mismatch, 0)
{
    xen_pfn_t in = 0, out[2] = { 0, 0 };
    struct xen_memory_exchange x = {
        .in = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF },
        .out = { .nr_extents = 2, .extent_order = 0, .domid = DOMID_SELF },
    };
    long rc;

    set_xen_guest_handle(x.in.extent_start, &in);
    set_xen_guest_handle(x.out.extent_start, out);
    rc = hypercall_memory_op(XENMEM_exchange, &x);
    TEST_ASSERT(rc == -XEN_EINVAL && x.nr_exchanged == 0,
                "memory_op(exchange, in 1x order 0, out 2x order 0) = %ld nr_exchanged %lu, "
                "expected -EINVAL and 0", rc, (unsigned long)x.nr_exchanged);
    return TEST_PASS;
}

/* An exchange of a frame that is still mapped: steal_page() refuses it,
 * -EINVAL, nr_exchanged 0, the frame stays the caller's (XSA-287 made
 * steal_page() strict about this). */
GUEST_TEST(memory_op_exchange_mapped_refused, 0)
{
    struct conf_frame f;
    xen_pfn_t in, out;
    struct xen_memory_exchange x = {
        .in = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF },
        .out = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF },
    };
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    in = f.mfn;
    out = f.pfn;
    f.va[0] = 0x42;
    set_xen_guest_handle(x.in.extent_start, &in);
    set_xen_guest_handle(x.out.extent_start, &out);
    rc = hypercall_memory_op(XENMEM_exchange, &x);
    TEST_ASSERT(rc == -XEN_EINVAL && x.nr_exchanged == 0,
                "memory_op(exchange, mapped mfn %#lx) = %ld nr_exchanged %lu, expected -EINVAL, 0",
                (unsigned long)in, rc, (unsigned long)x.nr_exchanged);
    TEST_ASSERT(f.va[0] == 0x42 && pfn_to_mfn(f.pfn) == in, "the refused frame changed");
    conf_frame_put(&f);
    return TEST_PASS;
}

/*
 * XENMEM_memory_map: the guest's own E820.  Xen keeps none for a PV dom0
 * (the map is the machine's, XENMEM_machine_memory_map) and answers
 * -ENOSYS (arch_memory_op(): d->arch.nr_e820 == 0); libxl gives a PV
 * domU a one-region map.
 */
GUEST_TEST(memory_op_memory_map, 0)
{
    struct e820entry map[8];
    struct xen_memory_map mm = { .nr_entries = 8 };
    long rc;

    set_xen_guest_handle(mm.buffer, map);
    rc = hypercall_memory_op(XENMEM_memory_map, &mm);
    if (boot_start_info.flags & SIF_INITDOMAIN) {
        TEST_ASSERT(rc == -XEN_ENOSYS, "memory_op(memory_map) as PV dom0 = %ld, expected -ENOSYS",
                    rc);
    } else {
        TEST_ASSERT(rc == 0 && mm.nr_entries >= 1 && map[0].type == E820_RAM,
                    "memory_op(memory_map) as domU = %ld, %u entries, first type %u, "
                    "expected 0 and a RAM region", rc, mm.nr_entries, map[0].type);
    }
    return TEST_PASS;
}

/* XENMEM_machine_memory_map for dom0: the host E820, at least one RAM
 * region, nr_entries updated (arch_memory_op()). */
GUEST_TEST(memory_op_machine_memory_map_dom0, 0)
{
    static struct e820entry map[128];
    struct xen_memory_map mm = { .nr_entries = 128 };
    unsigned ram = 0;
    long rc;

    TEST_SKIP_IF(!(boot_start_info.flags & SIF_INITDOMAIN), "not dom0");
    set_xen_guest_handle(mm.buffer, map);
    rc = hypercall_memory_op(XENMEM_machine_memory_map, &mm);
    TEST_ASSERT(rc == 0 && mm.nr_entries > 0 && mm.nr_entries <= 128,
                "memory_op(machine_memory_map, 128) = %ld, nr_entries %u, expected 0, 1..128",
                rc, mm.nr_entries);
    for (unsigned i = 0; i < mm.nr_entries; i++)
        ram += map[i].type == E820_RAM;
    TEST_ASSERT(ram > 0, "machine_memory_map: no RAM among %u entries", mm.nr_entries);
    return TEST_PASS;
}

/* ... and refused to a domU: -EPERM (xsm_machine_memory_map, XSM_PRIV). */
GUEST_TEST(memory_op_machine_memory_map_domu_refused, TEST_NEEDS("domu"))
{
    static struct e820entry map[16];
    struct xen_memory_map mm = { .nr_entries = 16 };
    long rc;

    set_xen_guest_handle(mm.buffer, map);
    rc = hypercall_memory_op(XENMEM_machine_memory_map, &mm);
    TEST_ASSERT(rc == -XEN_EPERM, "memory_op(machine_memory_map) as domU = %ld, expected -EPERM", rc);
    return TEST_PASS;
}

/* An unknown memory_op: -ENOSYS. */
GUEST_TEST(memory_op_unknown_cmd, 0)
{
    long rc = hypercall_memory_op(0x3f, NULL);

    TEST_ASSERT(rc == -XEN_ENOSYS, "memory_op(0x3f, NULL) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}
