/*
 * Regression tests for PV-relevant Xen security advisories.  Each one is
 * written from the advisory's description of the flaw and asserts the
 * behaviour of the fixed hypervisor; a vulnerable Xen fails the
 * assertion (or, for the crash-class advisories, dies -- which the
 * runner reports as a CRASH).  Advisory texts:
 * https://xenbits.xen.org/xsa/advisory-NNN.html
 */
#include "conformance.h"
#include <minnow/events.h>
#include <minnow/gnttab.h>
#include <xen/grant_table.h>
#include <arch/traps.h>

#define VA  CONF_SCRATCH_VA

static bool is_dom0(void)
{
    return boot_start_info.flags & SIF_INITDOMAIN;
}

/*
 * XSA-212 "broken check in memory_exchange() permits PV guest breakout":
 * the output extent list was written without checking that it lies in
 * guest memory.  Fixed: both lists are checked up front
 * (memory.c:memory_exchange(), guest_handle_okay()) -> -EFAULT, nothing
 * exchanged, nothing written.
 */
GUEST_TEST(xsa212_exchange_output_in_xen, 0)
{
    struct conf_frame f;
    xen_pfn_t in;
    struct xen_memory_exchange x = {
        .in = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF },
        .out = { .nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF },
    };
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    in = f.mfn;
    set_xen_guest_handle(x.in.extent_start, &in);
    set_xen_guest_handle(x.out.extent_start, (xen_pfn_t *)(HYPERVISOR_VIRT_START + 0x30000000000UL));
    rc = hypercall_memory_op(XENMEM_exchange, &x);
    TEST_ASSERT(rc == -XEN_EFAULT && x.nr_exchanged == 0 && pfn_to_mfn(f.pfn) == in,
                "memory_op(exchange, out.extent_start in Xen's area) = %ld nr_exchanged %lu, "
                "expected -EFAULT and 0", rc, (unsigned long)x.nr_exchanged);
    conf_frame_put(&f);
    return TEST_PASS;
}

/* A grant of one of our frames to ourselves (dom0 is domain 0), mapped
 * by the tests below. */
struct self_grant {
    struct conf_frame f;
    grant_ref_t ref;
};

static int self_grant(struct self_grant *g)
{
    int rc = conf_frame_get(&g->f);

    if (rc)
        return rc;
    rc = gnttab_grant_access(0, g->f.pfn, false, &g->ref);
    if (rc)
        conf_frame_put(&g->f);
    return rc;
}

static void self_grant_end(struct self_grant *g)
{
    gnttab_end_access(g->ref);
    conf_frame_put(&g->f);
}

/*
 * XSA-227 "x86: PV privilege escalation via map_grant_ref": with
 * GNTMAP_contains_pte, host_addr is the machine address of a PTE, and a
 * misaligned one let the grant's PTE straddle two entries.  Fixed:
 * create_grant_pte_mapping() refuses a misaligned address
 * (GNTST_general_error), the page table is not written.
 */
GUEST_TEST(xsa227_grant_pte_misaligned, 0)
{
    struct self_grant g;
    struct gnttab_map_grant_ref m, ok;
    uint64_t l1e, pte;
    long rc, rc_ok;

    TEST_SKIP_IF(!is_dom0() || !gnttab_ready(), "needs dom0 (a grant to itself) and a grant table");
    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(self_grant(&g), "grant");
    m = (struct gnttab_map_grant_ref){ .host_addr = l1e + 3, .ref = g.ref, .dom = 0,
                                       .flags = GNTMAP_host_map | GNTMAP_contains_pte };
    rc = hypercall_grant_table_op(GNTTABOP_map_grant_ref, &m, 1);
    TEST_ERROR_IF(pt_lookup(VA, &pte), "lookup");
    if (m.status == GNTST_okay) {
        struct gnttab_unmap_grant_ref u = { .host_addr = l1e + 3, .handle = m.handle };
        hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1);
    }
    /* The control: the same request, aligned, is granted. */
    ok = (struct gnttab_map_grant_ref){ .host_addr = l1e, .ref = g.ref, .dom = 0,
                                        .flags = GNTMAP_host_map | GNTMAP_contains_pte };
    rc_ok = hypercall_grant_table_op(GNTTABOP_map_grant_ref, &ok, 1);
    if (rc_ok == 0 && ok.status == GNTST_okay) {
        struct gnttab_unmap_grant_ref u = { .host_addr = l1e, .handle = ok.handle };
        TEST_ERROR_IF(hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1) != 0 ||
                      u.status != GNTST_okay, "unmap of the aligned mapping: status %d", u.status);
    }
    self_grant_end(&g);
    TEST_ERROR_IF(rc_ok != 0 || ok.status != GNTST_okay,
                  "aligned contains_pte map of own grant %u: %ld status %d", g.ref, rc_ok, ok.status);
    TEST_ASSERT(rc == 0 && m.status == GNTST_general_error && pte == 0,
                "grant_table_op(map_grant_ref, ref %u, host_addr PTE maddr %#lx+3, contains_pte) = "
                "%ld status %d, PTE %#lx; expected 0, general_error, PTE untouched", g.ref,
                (unsigned long)l1e, rc, m.status, (unsigned long)pte);
    return TEST_PASS;
}

/*
 * XSA-234 "insufficient grant unmapping checks for x86 PV guests": an
 * unmap naming an address that does not hold the grant's mapping must
 * not be honoured.  Fixed: replace_grant_pv_mapping() checks that the
 * PTE maps the granted frame -> GNTST_general_error, the real mapping
 * stays; the proper unmap then works.
 */
GUEST_TEST(xsa234_grant_unmap_wrong_address, 0)
{
    struct self_grant g;
    struct gnttab_map_grant_ref m;
    struct gnttab_unmap_grant_ref u;
    uint64_t l1e, pte;
    uint8_t seen;
    long rc;

    TEST_SKIP_IF(!is_dom0() || !gnttab_ready(), "needs dom0 (a grant to itself) and a grant table");
    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(self_grant(&g), "grant");
    g.f.va[5] = 0x5a;
    m = (struct gnttab_map_grant_ref){ .host_addr = VA, .ref = g.ref, .dom = 0,
                                       .flags = GNTMAP_host_map };
    rc = hypercall_grant_table_op(GNTTABOP_map_grant_ref, &m, 1);
    if (rc != 0 || m.status != GNTST_okay)
        self_grant_end(&g);
    TEST_ERROR_IF(rc != 0 || m.status != GNTST_okay, "map own grant at %#lx: %ld status %d", VA,
                  rc, m.status);
    u = (struct gnttab_unmap_grant_ref){ .host_addr = VA + PAGE_SIZE, .handle = m.handle };
    rc = hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1);
    seen = ((volatile uint8_t *)VA)[5];
    TEST_ERROR_IF(pt_lookup(VA, &pte), "lookup");
    {
        struct gnttab_unmap_grant_ref ok = { .host_addr = VA, .handle = m.handle };
        TEST_ERROR_IF(hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &ok, 1) != 0 ||
                      ok.status != GNTST_okay, "proper unmap: status %d", ok.status);
    }
    self_grant_end(&g);
    TEST_ASSERT(rc == 0 && u.status == GNTST_general_error && seen == 0x5a &&
                pte_mfn(pte) == g.f.mfn,
                "grant_table_op(unmap_grant_ref, handle %u, host_addr %#lx (not the mapping)) = "
                "%ld status %d; mapping now %#lx; expected general_error and the mapping kept",
                m.handle, VA + PAGE_SIZE, rc, u.status, (unsigned long)pte);
    return TEST_PASS;
}

/*
 * XSA-255 "grant table v2 -> v1 transition may crash Xen": the status
 * frames were freed while the guest still had them mapped.  Fixed:
 * gnttab_unpopulate_status_frames() refuses while a status frame is
 * mapped -> set_version(1) is -EBUSY; unmapped, it succeeds.
 */
GUEST_TEST(xsa255_v2_status_frame_mapped, 0)
{
    struct gnttab_set_version sv = { .version = 2 };
    uint64_t status = 0, l1e;
    struct gnttab_get_status_frames gs = { .dom = DOMID_SELF, .nr_frames = 1 };
    long rc, busy, back;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    rc = hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1);
    TEST_SKIP_IF(rc == -XEN_ENOSYS, "grant table v2 not available");
    TEST_ERROR_IF(rc != 0, "set_version 2: %ld", rc);
    set_xen_guest_handle(gs.frame_list, &status);
    rc = hypercall_grant_table_op(GNTTABOP_get_status_frames, &gs, 1);
    if (rc == 0 && gs.status == GNTST_okay)
        rc = hypercall_update_va_mapping(VA, pte_make(status, PTE_KERNEL_RO), UVMF_INVLPG);
    sv.version = 1;
    busy = rc == 0 ? hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1) : 0;
    hypercall_update_va_mapping(VA, 0, UVMF_INVLPG);
    sv.version = 1;                     /* Xen wrote the version in use back */
    back = hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1);
    TEST_ERROR_IF(rc != 0, "mapping status frame %#lx: %ld", (unsigned long)status, rc);
    TEST_ERROR_IF(back != 0 || sv.version != 1,
                  "set_version 1 after unmapping: %ld, version %u (grant table left at v2)", back,
                  sv.version);
    TEST_ASSERT(busy == -XEN_EBUSY, "grant_table_op(set_version 1) with status frame %#lx mapped "
                "= %ld, expected -EBUSY", (unsigned long)status, busy);
    return TEST_PASS;
}

/*
 * XSA-279 "x86: DoS from attempting to use INVPCID with a non-canonical
 * address": a PV guest's INVLPG request for a non-canonical address made
 * Xen's INVPCID fault.  Fixed: paging_invlpg() ignores non-canonical
 * addresses -> MMUEXT_INVLPG_LOCAL / INVLPG_ALL return 0.
 */
GUEST_TEST(xsa279_invlpg_noncanonical, 0)
{
    struct mmuext_op op[2] = {
        { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = 0x8000000000000000UL },
        { .cmd = MMUEXT_INVLPG_ALL, .arg1.linear_addr = 0x0000800000001000UL },
    };
    unsigned int done = 0;
    long rc = hypercall_mmuext_op(op, 2, &done, DOMID_SELF);

    TEST_ASSERT(rc == 0 && done == 2, "mmuext_op([INVLPG_LOCAL %#lx, INVLPG_ALL %#lx]) = %ld done "
                "%u, expected 0, 2", (unsigned long)op[0].arg1.linear_addr,
                (unsigned long)op[1].arg1.linear_addr, rc, done);
    return TEST_PASS;
}

/*
 * XSA-286 "x86 PV guest INVLPG-like flushes may leave stale TLB
 * entries": after a guest changed an upper-level entry, translations
 * through the old lower table could stay cached.  Fixed: do_mmu_update()
 * flushes the TLB after any L2..L4 update (flush_linear_pt).  Here: VA's
 * L2 entry is switched from one L1 table to another (mapping a different
 * frame) with mmu_update and no explicit flush; VA must show the new
 * frame.
 */
GUEST_TEST(xsa286_l2_update_flushes, 0)
{
    struct conf_frame a, b, l1b;
    uint64_t l1e, l2e_old, l2e_maddr, l3e;
    volatile char seen;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(pt_get_entry(VA, 2, &l2e_old) || pt_get_entry(VA, 3, &l3e), "walk");
    l2e_maddr = (pte_mfn(l3e) << PAGE_SHIFT) + pt_index(VA, 2) * 8;
    TEST_ERROR_IF(conf_frame_get(&a) || conf_frame_get(&b) || conf_frame_get(&l1b), "no frames");
    a.va[0] = 'A';
    b.va[0] = 'B';
    ((uint64_t *)l1b.va)[pt_index(VA, 1)] = pte_make(b.mfn, PTE_KERNEL_RW);
    TEST_ERROR_IF(conf_frame_ro(&l1b, true), "read-only");
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, pte_make(a.mfn, PTE_KERNEL_RW)), "map A");
    seen = *(volatile char *)VA;                    /* cache the translation */
    TEST_ERROR_IF(seen != 'A', "VA reads %c", seen);
    rc = conf_mmu_update1(l2e_maddr, MMU_NORMAL_PT_UPDATE, pte_make(l1b.mfn, PTE_TABLE), NULL);
    seen = *(volatile char *)VA;
    TEST_ERROR_IF(conf_mmu_update1(l2e_maddr, MMU_NORMAL_PT_UPDATE, l2e_old, NULL),
                  "restore the L2 entry");
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, 0), "unmap");
    conf_frame_put(&l1b);
    conf_frame_put(&a);
    conf_frame_put(&b);
    TEST_ASSERT(rc == 0 && seen == 'B', "mmu_update(L2e of %#lx -> other L1) = %ld, then VA reads "
                "'%c', expected 0 and 'B' without a flush of our own", VA, rc, seen);
    return TEST_PASS;
}

/*
 * XSA-182 "x86: Privilege escalation in PV guests": a fast path for L4
 * updates let a guest make a writable self-referencing ("linear") page
 * table entry, i.e. write its own page tables.  Fixed: a linear entry
 * must be read-only (get_linear_pagetable(): "Attempt to create linear
 * p.t. with write perms") -> -EINVAL for RW; RO is allowed.  Tried on a
 * spare pinned L4.
 */
GUEST_TEST(xsa182_l4_writable_selfmap_refused, 0)
{
    struct conf_frame l4;
    uint64_t slot = 0;
    long rw, ro;

    TEST_ERROR_IF(conf_table_get(&l4), "no frame");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L4_TABLE, l4.mfn) != 0, "pin L4");
    rw = conf_mmu_update1((uint64_t)l4.mfn << PAGE_SHIFT, MMU_NORMAL_PT_UPDATE,
                          pte_make(l4.mfn, PTE_TABLE), NULL);
    slot = ((uint64_t *)l4.va)[0];
    ro = conf_mmu_update1((uint64_t)l4.mfn << PAGE_SHIFT, MMU_NORMAL_PT_UPDATE,
                          pte_make(l4.mfn, PTE_TABLE & ~PTE_RW), NULL);
    TEST_ERROR_IF(conf_mmu_update1((uint64_t)l4.mfn << PAGE_SHIFT, MMU_NORMAL_PT_UPDATE, 0, NULL),
                  "clear slot 0");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, l4.mfn) != 0, "unpin");
    conf_frame_put(&l4);
    TEST_ASSERT(rw == -XEN_EINVAL && slot == 0,
                "mmu_update(L4 %#lx slot 0 -> itself, RW) = %ld, slot %#lx, expected -EINVAL, 0",
                (unsigned long)l4.mfn, rw, (unsigned long)slot);
    TEST_ASSERT(ro == 0, "mmu_update(L4 %#lx slot 0 -> itself, RO) = %ld, expected 0",
                (unsigned long)l4.mfn, ro);
    return TEST_PASS;
}

/*
 * XSA-148 "x86: Uncontrolled creation of large page mappings by PV
 * guests": a PSE bit in an L2 entry gave a guest a 2 MiB mapping of
 * memory it did not own.  Fixed (and PV superpages later removed): PSE
 * is in L2_DISALLOW_MASK -> -EINVAL.  Tried on a spare pinned L2.
 */
GUEST_TEST(xsa148_l2_superpage_refused, 0)
{
    struct conf_frame l2;
    long rc;

    TEST_ERROR_IF(conf_table_get(&l2), "no frame");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L2_TABLE, l2.mfn) != 0, "pin L2");
    rc = conf_mmu_update1((uint64_t)l2.mfn << PAGE_SHIFT, MMU_NORMAL_PT_UPDATE,
                          pte_make(pfn_to_mfn(0) & ~511UL, PTE_KERNEL_RO | PTE_PSE), NULL);
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, l2.mfn) != 0, "unpin");
    conf_frame_put(&l2);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmu_update(L2 %#lx slot 0 = PSE 2 MiB mapping) = %ld, "
                "expected -EINVAL", (unsigned long)l2.mfn, rc);
    return TEST_PASS;
}

/*
 * XSA-317 "Incorrect error handling in event channel port allocation":
 * a failed allocation could leave a port half set up.  The test uses up
 * every port (alloc_unbound until it fails), checks the failure is a
 * clean -ENOSPC, that a freed port is handed out again and the one after
 * the limit still is not, then closes them all.
 */
GUEST_TEST(xsa317_port_exhaustion, 0)
{
    static evtchn_port_t ports[4096];
    unsigned int n = 0;
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    long rc, again, after;
    evtchn_port_t reused = 0, freed;

    for (;;) {
        rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a);
        if (rc != 0 || n == 4096)
            break;
        ports[n++] = a.port;
    }
    TEST_ERROR_IF(n < 2, "only %u ports allocated (rc %ld)", n, rc);
    freed = ports[n / 2];
    {
        struct evtchn_close c = { .port = freed };
        TEST_ERROR_IF(hypercall_event_channel_op(EVTCHNOP_close, &c), "close");
    }
    again = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a);
    if (again == 0)
        reused = a.port;
    after = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a);
    if (after == 0) {
        struct evtchn_close c = { .port = a.port };
        hypercall_event_channel_op(EVTCHNOP_close, &c);
    }
    if (again == 0)
        ports[n / 2] = reused;
    for (unsigned i = 0; i < n; i++) {
        struct evtchn_close c = { .port = ports[i] };
        if (i != n / 2 || again == 0)
            hypercall_event_channel_op(EVTCHNOP_close, &c);
    }
    TEST_ASSERT(rc == -XEN_ENOSPC, "event_channel_op(alloc_unbound) after %u ports = %ld, "
                "expected -ENOSPC", n, rc);
    TEST_ASSERT(again == 0 && reused == freed, "alloc_unbound after closing port %u = %ld port %u, "
                "expected 0 and that port", freed, again, reused);
    TEST_ASSERT(after == -XEN_ENOSPC, "alloc_unbound when full again = %ld, expected -ENOSPC", after);
    return TEST_PASS;
}

/*
 * XSA-333 "x86 pv: Crash when handling guest access to MSR_MISC_ENABLE":
 * Xen read the real MSR without a fault handler while emulating a PV
 * guest's RDMSR, so where the MSR does not exist Xen crashed.  Fixed:
 * read_msr() uses rdmsr_safe(): the guest gets #GP where the MSR is
 * absent, else Xen's filtered value (guest_misc_enable(): BTS and PEBS
 * unavailable and xTPR disabled set, PERF_AVAIL and MONITOR clear).
 */
GUEST_TEST(xsa333_misc_enable_read, 0)
{
    uint32_t lo = 0, hi = 0;
    unsigned long traps = last_trap.count;
    uint64_t v;

    asm volatile("1: rdmsr\n2:\n" EXTABLE("1b", "2b")
                 : "=a"(lo), "=d"(hi) : "c"(0x1a0) : "memory");
    if (last_trap.count != traps) {
        TEST_ASSERT(last_trap.vector == 13, "rdmsr(MISC_ENABLE) raised vector %lu, expected #GP "
                    "(13) or a value", (unsigned long)last_trap.vector);
        return TEST_PASS;
    }
    v = ((uint64_t)hi << 32) | lo;
    TEST_ASSERT((v & ((1u << 11) | (1u << 12) | (1u << 23))) == ((1u << 11) | (1u << 12) | (1u << 23))
                && !(v & ((1u << 7) | (1u << 18))),
                "rdmsr(MISC_ENABLE) = %#lx, expected BTS_UNAVAIL|PEBS_UNAVAIL|XTPR_DISABLE set, "
                "PERF_AVAIL|MONITOR clear", (unsigned long)v);
    return TEST_PASS;
}
