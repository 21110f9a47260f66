/*
 * Conformance: __HYPERVISOR_mmu_update (public/xen.h MMU_*; implemented
 * in xen/arch/x86/mm.c:do_mmu_update(), mod_l1_entry()..mod_l4_entry(),
 * get_page_from_l1e()).
 *
 * Requests run in order; the first failing one stops the batch, its
 * error is the return value and *done counts the requests before it.
 */
#include "conformance.h"

#define VA  CONF_SCRATCH_VA

/* A normal update of a level-1 entry maps a frame of ours: 0, done 1,
 * and the page is visible at the address. */
GUEST_TEST(mmu_update_map_l1e, 0)
{
    struct conf_frame f;
    uint64_t l1e;
    unsigned int done = 99;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    f.va[16] = 0x5c;
    rc = conf_mmu_update1(l1e, MMU_NORMAL_PT_UPDATE, pte_make(f.mfn, PTE_KERNEL_RW), &done);
    TEST_ASSERT(rc == 0 && done == 1,
                "mmu_update([ptr %#lx NORMAL, val mfn %#lx RW]) = %ld done %u, expected 0, 1",
                (unsigned long)l1e, (unsigned long)f.mfn, rc, done);
    TEST_ASSERT(((volatile uint8_t *)VA)[16] == 0x5c, "mapped page reads %#x, expected 0x5c",
                ((volatile uint8_t *)VA)[16]);
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, 0), "unmap");
    conf_frame_put(&f);
    return TEST_PASS;
}

/* A command in ptr's low bits other than 0..3: -ENOSYS. */
GUEST_TEST(mmu_update_unknown_cmd, 0)
{
    struct conf_frame f;
    unsigned int done = 99;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = conf_mmu_update1((uint64_t)f.mfn << PAGE_SHIFT, 5, 0, &done);
    conf_frame_put(&f);
    TEST_ASSERT(rc == -XEN_ENOSYS && done == 0,
                "mmu_update([ptr mfn %#lx | cmd 5]) = %ld done %u, expected -ENOSYS, 0",
                (unsigned long)f.mfn, rc, done);
    return TEST_PASS;
}

/* The batch stops at the first failure: [good, bad, good] returns the
 * bad one's error, done = 1, the first took effect, the third did not. */
GUEST_TEST(mmu_update_done_on_first_failure, 0)
{
    struct conf_frame f;
    uint64_t *w;
    unsigned int done = 99;
    mmu_update_t req[3];
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    /* Updates of an ordinary page are plain writes (see below). */
    req[0].ptr = (((uint64_t)f.mfn << PAGE_SHIFT) + 0) | MMU_NORMAL_PT_UPDATE;
    req[0].val = 0x1111;
    req[1].ptr = (((uint64_t)f.mfn << PAGE_SHIFT) + 8) | 6;
    req[1].val = 0x2222;
    req[2].ptr = (((uint64_t)f.mfn << PAGE_SHIFT) + 16) | MMU_NORMAL_PT_UPDATE;
    req[2].val = 0x3333;
    rc = hypercall_mmu_update(req, 3, &done, DOMID_SELF);
    w = (uint64_t *)f.va;
    TEST_ASSERT(rc == -XEN_ENOSYS && done == 1,
                "mmu_update([write, cmd 6, write]) = %ld done %u, expected -ENOSYS, 1", rc, done);
    TEST_ASSERT(w[0] == 0x1111 && w[1] == 0 && w[2] == 0,
                "after the batch: %#lx %#lx %#lx, expected 0x1111 0 0",
                (unsigned long)w[0], (unsigned long)w[1], (unsigned long)w[2]);
    conf_frame_put(&f);
    return TEST_PASS;
}

/* An update of a page that is no page table is a checked plain write
 * (do_mmu_update(): the PGT_writable_page case): 0, and the word is
 * written. */
GUEST_TEST(mmu_update_plain_page_write, 0)
{
    struct conf_frame f;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = conf_mmu_update1(((uint64_t)f.mfn << PAGE_SHIFT) + 24, MMU_NORMAL_PT_UPDATE,
                          0xfeedfacecafeUL, NULL);
    TEST_ASSERT(rc == 0 && ((uint64_t *)f.va)[3] == 0xfeedfacecafeUL,
                "mmu_update([ptr mfn %#lx+24 NORMAL, val 0xfeedfacecafe]) = %ld, word %#lx, "
                "expected 0 and the value written", (unsigned long)f.mfn, rc,
                (unsigned long)((uint64_t *)f.va)[3]);
    conf_frame_put(&f);
    return TEST_PASS;
}

/* ptr in a frame that is not the caller's: -EINVAL ("Could not get page
 * for normal update"), done 0. */
GUEST_TEST(mmu_update_ptr_not_ours, 0)
{
    unsigned int done = 99;
    uint64_t bad = (uint64_t)(xen_max_mfn() + 1) << PAGE_SHIFT;
    long rc = conf_mmu_update1(bad, MMU_NORMAL_PT_UPDATE, 0, &done);

    TEST_ASSERT(rc == -XEN_EINVAL && done == 0,
                "mmu_update([ptr %#lx NORMAL]) = %ld done %u, expected -EINVAL, 0",
                (unsigned long)bad, rc, done);
    return TEST_PASS;
}

/* A foreign domain that does not exist: -ESRCH before any request. */
GUEST_TEST(mmu_update_bad_foreigndom, 0)
{
    struct conf_frame f;
    unsigned int done = 99;
    mmu_update_t u;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    u.ptr = (uint64_t)f.mfn << PAGE_SHIFT;
    u.val = 7;
    rc = hypercall_mmu_update(&u, 1, &done, 0x7fef);
    TEST_ASSERT(rc == -XEN_ESRCH && done == 0 && ((uint64_t *)f.va)[0] == 0,
                "mmu_update(1 req, foreigndom 0x7fef) = %ld done %u word %#lx, "
                "expected -ESRCH, 0, untouched", rc, done, (unsigned long)((uint64_t *)f.va)[0]);
    conf_frame_put(&f);
    return TEST_PASS;
}

/* A writable mapping of a page table is refused: the page's type is
 * L1, a writable mapping needs PGT_writable_page, and
 * get_page_from_l1e() fails at could_not_pin, which answers -EBUSY.  A read-only mapping of it is fine. */
GUEST_TEST(mmu_update_writable_pagetable_refused, 0)
{
    struct conf_frame t;
    uint64_t l1e, pte;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_table_get(&t), "no frame");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L1_TABLE, t.mfn) != 0, "pin L1");
    rc = conf_mmu_update1(l1e, MMU_NORMAL_PT_UPDATE, pte_make(t.mfn, PTE_KERNEL_RW), NULL);
    TEST_ASSERT(rc == -XEN_EBUSY,
                "mmu_update(l1e -> pinned L1 mfn %#lx, RW) = %ld, expected -EBUSY",
                (unsigned long)t.mfn, rc);
    TEST_ASSERT(pt_lookup(VA, &pte) == 0 && !(pte & PTE_PRESENT),
                "refused update left the entry %#lx", (unsigned long)pte);
    rc = conf_mmu_update1(l1e, MMU_NORMAL_PT_UPDATE, pte_make(t.mfn, PTE_KERNEL_RO), NULL);
    TEST_ASSERT(rc == 0, "mmu_update(l1e -> pinned L1 mfn %#lx, RO) = %ld, expected 0",
                (unsigned long)t.mfn, rc);
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, 0), "unmap");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, t.mfn) != 0, "unpin");
    conf_frame_put(&t);
    return TEST_PASS;
}

/* Mapping a frame the caller gave back to Xen: the owner check in
 * get_page_from_l1e() fails (could_not_pin: -EBUSY), the entry stays
 * clear. */
GUEST_TEST(mmu_update_map_frame_not_owned, 0)
{
    struct conf_frame f;
    xen_pfn_t gone, fresh;
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };
    uint64_t l1e, pte;
    long rc, back;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    TEST_ERROR_IF(conf_frame_detach(&f), "detach");
    gone = f.mfn;
    set_xen_guest_handle(r.extent_start, &gone);
    TEST_ERROR_IF(hypercall_memory_op(XENMEM_decrease_reservation, &r) != 1, "give back");

    rc = conf_mmu_update1(l1e, MMU_NORMAL_PT_UPDATE, pte_make(gone, PTE_KERNEL_RO), NULL);
    if (rc == 0)
        conf_scratch_set(VA, l1e, 0);
    fresh = f.pfn;
    set_xen_guest_handle(r.extent_start, &fresh);
    back = hypercall_memory_op(XENMEM_populate_physmap, &r);
    TEST_ERROR_IF(back != 1, "populate_physmap to refill: %ld", back);
    TEST_ERROR_IF(conf_frame_attach(&f, fresh), "attach");
    conf_frame_put(&f);
    TEST_ASSERT(rc == -XEN_EBUSY,
                "mmu_update(l1e -> mfn %#lx given back, RO) = %ld, expected -EBUSY",
                (unsigned long)gone, rc);
    TEST_ASSERT(pt_lookup(VA, &pte) == 0 && !(pte & PTE_PRESENT), "entry %#lx", (unsigned long)pte);
    return TEST_PASS;
}

/* MMU_MACHPHYS_UPDATE sets the m2p entry of a frame the caller owns
 * (read back through Xen's read-only m2p)... */
GUEST_TEST(mmu_update_machphys_own, 0)
{
    struct conf_frame f;
    long rc;
    xen_pfn_t seen;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = conf_mmu_update1((uint64_t)f.mfn << PAGE_SHIFT, MMU_MACHPHYS_UPDATE, 0x123456, NULL);
    seen = mfn_to_pfn(f.mfn);
    TEST_ERROR_IF(conf_mmu_update1((uint64_t)f.mfn << PAGE_SHIFT, MMU_MACHPHYS_UPDATE,
                                   f.pfn, NULL) != 0, "restore m2p");
    conf_frame_put(&f);
    TEST_ASSERT(rc == 0 && seen == 0x123456,
                "mmu_update([mfn %#lx MACHPHYS, val 0x123456]) = %ld, m2p now %#lx, expected 0 "
                "and 0x123456", (unsigned long)f.mfn, rc, (unsigned long)seen);
    return TEST_PASS;
}

/* ... and refuses one it does not own: -EINVAL (get_page_from_mfn()). */
GUEST_TEST(mmu_update_machphys_not_owned, 0)
{
    unsigned int done = 99;
    xen_pfn_t bad = xen_max_mfn() + 1;
    long rc = conf_mmu_update1((uint64_t)bad << PAGE_SHIFT, MMU_MACHPHYS_UPDATE, 5, &done);

    TEST_ASSERT(rc == -XEN_EINVAL && done == 0,
                "mmu_update([mfn %#lx MACHPHYS]) = %ld done %u, expected -EINVAL, 0",
                (unsigned long)bad, rc, done);
    return TEST_PASS;
}

/*
 * MMU_PT_UPDATE_PRESERVE_AD: *ptr = val | (*ptr & (A|D)), atomically
 * (public/xen.h).  The CPU sets A and D when the page is written; an
 * update without them keeps them, a normal update drops them.
 */
GUEST_TEST(mmu_update_preserve_ad, 0)
{
    struct conf_frame f;
    uint64_t l1e, pte, base;
    const uint64_t ad = PTE_ACCESSED | PTE_DIRTY;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    base = pte_make(f.mfn, PTE_PRESENT | PTE_RW | PTE_USER);
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, base), "map without A/D");
    *(volatile uint64_t *)VA = 1;                   /* the CPU sets A and D */
    TEST_ERROR_IF(pt_lookup(VA, &pte) || (pte & ad) != ad,
                  "the CPU did not set A/D: pte %#lx", (unsigned long)pte);

    rc = conf_mmu_update1(l1e, MMU_PT_UPDATE_PRESERVE_AD, base, NULL);
    TEST_ERROR_IF(pt_lookup(VA, &pte), "lookup");
    TEST_ASSERT(rc == 0 && (pte & ad) == ad,
                "mmu_update([l1e PRESERVE_AD, val %#lx]) = %ld, pte %#lx, expected 0 and A|D kept",
                (unsigned long)base, rc, (unsigned long)pte);
    rc = conf_mmu_update1(l1e, MMU_NORMAL_PT_UPDATE, base, NULL);
    TEST_ERROR_IF(pt_lookup(VA, &pte), "lookup");
    TEST_ASSERT(rc == 0 && (pte & ad) == 0,
                "mmu_update([l1e NORMAL, val %#lx]) = %ld, pte %#lx, expected 0 and A|D clear",
                (unsigned long)base, rc, (unsigned long)pte);
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, 0), "unmap");
    conf_frame_put(&f);
    return TEST_PASS;
}

/* The L4 slots of Xen's own area (256..271) are not the guest's:
 * mod_l4_entry() refuses them -> -EINVAL.  Tried on a pinned spare L4,
 * not the live one. */
GUEST_TEST(mmu_update_l4_xen_slot_refused, 0)
{
    struct conf_frame l4, l3;
    long rc;

    TEST_ERROR_IF(conf_table_get(&l4) || conf_table_get(&l3), "no frames");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L4_TABLE, l4.mfn) != 0, "pin L4");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L3_TABLE, l3.mfn) != 0, "pin L3");
    rc = conf_mmu_update1(((uint64_t)l4.mfn << PAGE_SHIFT) + 256 * 8, MMU_NORMAL_PT_UPDATE,
                          pte_make(l3.mfn, PTE_TABLE), NULL);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmu_update(L4 mfn %#lx slot 256 -> L3) = %ld, expected -EINVAL",
                (unsigned long)l4.mfn, rc);
    rc = conf_mmu_update1(((uint64_t)l4.mfn << PAGE_SHIFT) + 1 * 8, MMU_NORMAL_PT_UPDATE,
                          pte_make(l3.mfn, PTE_TABLE), NULL);
    TEST_ASSERT(rc == 0, "mmu_update(L4 mfn %#lx slot 1 -> L3) = %ld, expected 0",
                (unsigned long)l4.mfn, rc);
    TEST_ERROR_IF(conf_mmu_update1(((uint64_t)l4.mfn << PAGE_SHIFT) + 8, 0, 0, NULL), "clear");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, l4.mfn) || conf_mmuext1(MMUEXT_UNPIN_TABLE, l3.mfn),
                  "unpin");
    conf_frame_put(&l4);
    conf_frame_put(&l3);
    return TEST_PASS;
}
