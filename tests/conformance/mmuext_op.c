/*
 * Conformance: __HYPERVISOR_mmuext_op (public/xen.h MMUEXT_*;
 * xen/arch/x86/mm.c:do_mmuext_op(), new_guest_cr3()).
 */
#include "conformance.h"

#define VA  CONF_SCRATCH_VA

static enum test_result pin_unpin(unsigned int pin_cmd, const char *level)
{
    struct conf_frame t;
    long rc, un;

    TEST_ERROR_IF(conf_table_get(&t), "no frame");
    rc = conf_mmuext1(pin_cmd, t.mfn);
    un = rc == 0 ? conf_mmuext1(MMUEXT_UNPIN_TABLE, t.mfn) : 0;
    conf_frame_put(&t);
    TEST_ASSERT(rc == 0, "mmuext_op(PIN_%s_TABLE, empty table mfn %#lx) = %ld, expected 0",
                level, (unsigned long)t.mfn, rc);
    TEST_ASSERT(un == 0, "mmuext_op(UNPIN_TABLE, %s mfn %#lx) = %ld, expected 0",
                level, (unsigned long)t.mfn, un);
    return TEST_PASS;
}

/* An empty (all zero), read-only-mapped page validates as a table of any
 * level: pin 0, unpin 0 (do_mmuext_op() pin_page / MMUEXT_UNPIN_TABLE). */
GUEST_TEST(mmuext_pin_unpin_l1, 0) { return pin_unpin(MMUEXT_PIN_L1_TABLE, "L1"); }
GUEST_TEST(mmuext_pin_unpin_l2, 0) { return pin_unpin(MMUEXT_PIN_L2_TABLE, "L2"); }
GUEST_TEST(mmuext_pin_unpin_l3, 0) { return pin_unpin(MMUEXT_PIN_L3_TABLE, "L3"); }
GUEST_TEST(mmuext_pin_unpin_l4, 0) { return pin_unpin(MMUEXT_PIN_L4_TABLE, "L4"); }

/* A page typed as L1 cannot be pinned as L2 (type conflict in
 * get_page_type()): -EINVAL; it stays an L1 (unpin works). */
GUEST_TEST(mmuext_pin_wrong_type, 0)
{
    struct conf_frame t;
    long rc;

    TEST_ERROR_IF(conf_table_get(&t), "no frame");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L1_TABLE, t.mfn) != 0, "pin L1");
    rc = conf_mmuext1(MMUEXT_PIN_L2_TABLE, t.mfn);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmuext_op(PIN_L2_TABLE, pinned-L1 mfn %#lx) = %ld, "
                "expected -EINVAL", (unsigned long)t.mfn, rc);
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, t.mfn) != 0, "unpin L1");
    conf_frame_put(&t);
    return TEST_PASS;
}

/* Pinning a pinned table again: -EINVAL ("already pinned"). */
GUEST_TEST(mmuext_pin_twice, 0)
{
    struct conf_frame t;
    long rc;

    TEST_ERROR_IF(conf_table_get(&t), "no frame");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L1_TABLE, t.mfn) != 0, "pin L1");
    rc = conf_mmuext1(MMUEXT_PIN_L1_TABLE, t.mfn);
    TEST_ASSERT(rc == -XEN_EINVAL, "second mmuext_op(PIN_L1_TABLE, mfn %#lx) = %ld, "
                "expected -EINVAL", (unsigned long)t.mfn, rc);
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, t.mfn) != 0, "unpin");
    conf_frame_put(&t);
    return TEST_PASS;
}

/* Unpinning a page that is not pinned: -EINVAL ("not pinned"). */
GUEST_TEST(mmuext_unpin_not_pinned, 0)
{
    struct conf_frame f;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = conf_mmuext1(MMUEXT_UNPIN_TABLE, f.mfn);
    conf_frame_put(&f);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmuext_op(UNPIN_TABLE, unpinned mfn %#lx) = %ld, "
                "expected -EINVAL", (unsigned long)f.mfn, rc);
    return TEST_PASS;
}

/* A page mapped writable is PGT_writable_page; it cannot become a page
 * table: pin -EINVAL. */
GUEST_TEST(mmuext_pin_writable_mapped, 0)
{
    struct conf_frame f;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = conf_mmuext1(MMUEXT_PIN_L1_TABLE, f.mfn);
    if (rc == 0)
        conf_mmuext1(MMUEXT_UNPIN_TABLE, f.mfn);
    conf_frame_put(&f);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmuext_op(PIN_L1_TABLE, writably mapped mfn %#lx) = %ld, "
                "expected -EINVAL", (unsigned long)f.mfn, rc);
    return TEST_PASS;
}

/*
 * MMUEXT_NEW_BASEPTR switches the kernel page table (the PV cr3): to a
 * pinned copy of the current L4, then back.  Xen's emulated `mov %cr3`
 * reports the new root each time.
 */
GUEST_TEST(mmuext_new_baseptr, 0)
{
    struct conf_frame l4;
    xen_pfn_t old = pt_root_mfn();
    const uint64_t *cur = pfn_to_virt(pt_root_pfn());
    uint64_t cr3_new, cr3_back;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&l4), "no frame");
    for (unsigned i = 0; i < 512; i++)          /* guest slots only */
        ((uint64_t *)l4.va)[i] = (i >= 256 && i < 272) ? 0 : cur[i];
    TEST_ERROR_IF(conf_frame_ro(&l4, true), "read-only");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L4_TABLE, l4.mfn) != 0, "pin the copy");
    rc = conf_mmuext1(MMUEXT_NEW_BASEPTR, l4.mfn);
    cr3_new = conf_read_cr3();
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_NEW_BASEPTR, old) != 0, "switch back");
    cr3_back = conf_read_cr3();
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, l4.mfn) != 0, "unpin");
    conf_frame_put(&l4);
    TEST_ASSERT(rc == 0 && cr3_new == (uint64_t)l4.mfn << PAGE_SHIFT,
                "mmuext_op(NEW_BASEPTR, mfn %#lx) = %ld, cr3 %#lx, expected 0 and %#lx",
                (unsigned long)l4.mfn, rc, (unsigned long)cr3_new,
                (unsigned long)l4.mfn << PAGE_SHIFT);
    TEST_ASSERT(cr3_back == (uint64_t)old << PAGE_SHIFT, "cr3 %#lx after switching back to %#lx",
                (unsigned long)cr3_back, (unsigned long)old);
    return TEST_PASS;
}

/* NEW_BASEPTR to a page that cannot be an L4 (mapped writable):
 * new_guest_cr3() fails to type it -> -EINVAL, cr3 unchanged. */
GUEST_TEST(mmuext_new_baseptr_not_l4, 0)
{
    struct conf_frame f;
    uint64_t before = conf_read_cr3();
    long rc;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = conf_mmuext1(MMUEXT_NEW_BASEPTR, f.mfn);
    conf_frame_put(&f);
    TEST_ASSERT(rc == -XEN_EINVAL && conf_read_cr3() == before,
                "mmuext_op(NEW_BASEPTR, writable mfn %#lx) = %ld, expected -EINVAL, cr3 kept",
                (unsigned long)f.mfn, rc);
    return TEST_PASS;
}

/*
 * Each TLB flush makes a changed mapping visible: VA maps frame A (and
 * is read, so the TLB holds it), its entry is rewritten to frame B
 * without a flush (an L1 update does not flush), then the flush; VA
 * must read B.
 */
GUEST_TEST(mmuext_tlb_flushes, 0)
{
    static const struct { unsigned int cmd; const char *name; } ops[] = {
        { MMUEXT_TLB_FLUSH_LOCAL, "TLB_FLUSH_LOCAL" }, { MMUEXT_INVLPG_LOCAL, "INVLPG_LOCAL" },
        { MMUEXT_TLB_FLUSH_ALL, "TLB_FLUSH_ALL" },     { MMUEXT_INVLPG_ALL, "INVLPG_ALL" },
        { MMUEXT_TLB_FLUSH_MULTI, "TLB_FLUSH_MULTI" }, { MMUEXT_INVLPG_MULTI, "INVLPG_MULTI" },
    };
    struct conf_frame a, b;
    unsigned long vcpus = 1;
    uint64_t l1e;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&a) || conf_frame_get(&b), "no frames");
    a.va[0] = 'A';
    b.va[0] = 'B';
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        struct mmuext_op op = { .cmd = ops[i].cmd, .arg1.linear_addr = VA };
        volatile char seen;
        long rc;

        set_xen_guest_handle(op.arg2.vcpumask, &vcpus);
        TEST_ERROR_IF(conf_scratch_set(VA, l1e, pte_make(a.mfn, PTE_KERNEL_RW)), "map A");
        seen = *(volatile char *)VA;
        TEST_ERROR_IF(seen != 'A', "VA reads %c, not A", seen);
        TEST_ERROR_IF(conf_mmu_update1(l1e, MMU_NORMAL_PT_UPDATE,
                                       pte_make(b.mfn, PTE_KERNEL_RW), NULL), "remap to B");
        rc = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
        seen = *(volatile char *)VA;
        TEST_ASSERT(rc == 0 && seen == 'B', "mmuext_op(%s, va %#lx) = %ld, then VA reads '%c', "
                    "expected 0 and 'B'", ops[i].name, VA, rc, seen);
    }
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, 0), "unmap");
    conf_frame_put(&a);
    conf_frame_put(&b);
    return TEST_PASS;
}

/* TLB_FLUSH_MULTI with a vcpumask Xen cannot read: -EINVAL
 * (vcpumask_to_pcpumask() fails). */
GUEST_TEST(mmuext_flush_multi_bad_mask, 0)
{
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_MULTI };
    long rc;

    set_xen_guest_handle(op.arg2.vcpumask, (void *)HYPERVISOR_VIRT_START);
    rc = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmuext_op(TLB_FLUSH_MULTI, vcpumask %#lx) = %ld, "
                "expected -EINVAL", (unsigned long)HYPERVISOR_VIRT_START, rc);
    return TEST_PASS;
}

/* SET_LDT: at most 8192 entries, a page-aligned guest address; else
 * -EINVAL.  (0, 0) is "no LDT": 0. */
GUEST_TEST(mmuext_set_ldt_bounds, 0)
{
    static const struct { unsigned long va; unsigned int ents; long want; } cases[] = {
        { CONF_SCRATCH_VA, 8193, -XEN_EINVAL },
        { CONF_SCRATCH_VA + 8, 1, -XEN_EINVAL },
        { HYPERVISOR_VIRT_START, 1, -XEN_EINVAL },
        { 0, 0, 0 },
    };

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mmuext_op op = { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = cases[i].va,
                                .arg2.nr_ents = cases[i].ents };
        long rc = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);

        TEST_ASSERT(rc == cases[i].want, "mmuext_op(SET_LDT, va %#lx, %u entries) = %ld, "
                    "expected %ld", cases[i].va, cases[i].ents, rc, cases[i].want);
    }
    return TEST_PASS;
}

/* CLEAR_PAGE zeroes a writable page of ours: 0. */
GUEST_TEST(mmuext_clear_page, 0)
{
    struct conf_frame f;
    long rc;
    unsigned i;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    memset(f.va, 0xa5, PAGE_SIZE);
    rc = conf_mmuext1(MMUEXT_CLEAR_PAGE, f.mfn);
    for (i = 0; i < PAGE_SIZE && f.va[i] == 0; i++)
        ;
    conf_frame_put(&f);
    TEST_ASSERT(rc == 0 && i == PAGE_SIZE, "mmuext_op(CLEAR_PAGE, mfn %#lx) = %ld, "
                "byte %u not zero", (unsigned long)f.mfn, rc, i);
    return TEST_PASS;
}

/* CLEAR_PAGE of a page table: it needs PGT_writable_page -> -EINVAL,
 * and the table is untouched. */
GUEST_TEST(mmuext_clear_page_table_refused, 0)
{
    struct conf_frame t;
    long rc;

    TEST_ERROR_IF(conf_table_get(&t), "no frame");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L1_TABLE, t.mfn) != 0, "pin");
    rc = conf_mmuext1(MMUEXT_CLEAR_PAGE, t.mfn);
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, t.mfn) != 0, "unpin");
    conf_frame_put(&t);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmuext_op(CLEAR_PAGE, pinned L1 mfn %#lx) = %ld, "
                "expected -EINVAL", (unsigned long)t.mfn, rc);
    return TEST_PASS;
}

/* COPY_PAGE copies src_mfn to mfn: 0, the pages are equal. */
GUEST_TEST(mmuext_copy_page, 0)
{
    struct conf_frame s, d;
    struct mmuext_op op = { .cmd = MMUEXT_COPY_PAGE };
    long rc;

    TEST_ERROR_IF(conf_frame_get(&s) || conf_frame_get(&d), "no frames");
    for (unsigned i = 0; i < PAGE_SIZE; i++)
        s.va[i] = (uint8_t)(i * 7 + 3);
    op.arg1.mfn = d.mfn;
    op.arg2.src_mfn = s.mfn;
    rc = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
    TEST_ASSERT(rc == 0 && memcmp(s.va, d.va, PAGE_SIZE) == 0,
                "mmuext_op(COPY_PAGE, dst %#lx, src %#lx) = %ld, pages %s", (unsigned long)d.mfn,
                (unsigned long)s.mfn, rc, memcmp(s.va, d.va, PAGE_SIZE) ? "differ" : "equal");
    conf_frame_put(&s);
    conf_frame_put(&d);
    return TEST_PASS;
}

/* COPY_PAGE into a page table: -EINVAL. */
GUEST_TEST(mmuext_copy_page_to_table_refused, 0)
{
    struct conf_frame s, t;
    struct mmuext_op op = { .cmd = MMUEXT_COPY_PAGE };
    long rc;

    TEST_ERROR_IF(conf_frame_get(&s) || conf_table_get(&t), "no frames");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L1_TABLE, t.mfn) != 0, "pin");
    memset(s.va, 0xff, PAGE_SIZE);
    op.arg1.mfn = t.mfn;
    op.arg2.src_mfn = s.mfn;
    rc = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, t.mfn) != 0, "unpin");
    conf_frame_put(&s);
    conf_frame_put(&t);
    TEST_ASSERT(rc == -XEN_EINVAL, "mmuext_op(COPY_PAGE, dst pinned L1 %#lx) = %ld, "
                "expected -EINVAL", (unsigned long)t.mfn, rc);
    return TEST_PASS;
}

/* MARK_SUPER / UNMARK_SUPER: PV superpages are gone, -EOPNOTSUPP; an
 * unknown command: -ENOSYS. */
GUEST_TEST(mmuext_unsupported_cmds, 0)
{
    long rc = conf_mmuext1(MMUEXT_MARK_SUPER, 0);
    long rc2 = conf_mmuext1(99, 0);

    TEST_ASSERT(rc == -XEN_EOPNOTSUPP, "mmuext_op(MARK_SUPER) = %ld, expected -EOPNOTSUPP", rc);
    TEST_ASSERT(rc2 == -XEN_ENOSYS, "mmuext_op(99) = %ld, expected -ENOSYS", rc2);
    return TEST_PASS;
}
