/*
 * Conformance: __HYPERVISOR_update_va_mapping (public/xen.h UVMF_*;
 * xen/arch/x86/mm.c:__do_update_va_mapping()): rewrite the level-1 entry
 * that maps va, then flush as flags say.
 */
#include "conformance.h"

#define VA  CONF_SCRATCH_VA

static enum test_result map_with(unsigned long flags, const char *name)
{
    struct conf_frame f;
    uint64_t l1e;
    unsigned long vcpus = 1;
    long rc;

    if (flags == UVMF_MULTI)
        flags = UVMF_INVLPG | (unsigned long)&vcpus;
    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    f.va[100] = 0x77;
    rc = hypercall_update_va_mapping(VA, pte_make(f.mfn, PTE_KERNEL_RW), flags);
    TEST_ASSERT(rc == 0 && ((volatile uint8_t *)VA)[100] == 0x77,
                "update_va_mapping(%#lx, mfn %#lx RW, %s) = %ld, expected 0 and the page mapped",
                VA, (unsigned long)f.mfn, name, rc);
    rc = hypercall_update_va_mapping(VA, 0, flags);
    TEST_ASSERT(rc == 0, "update_va_mapping(%#lx, 0, %s) = %ld, expected 0", VA, name, rc);
    conf_frame_put(&f);
    return TEST_PASS;
}

/* Each flush type with a successful update: 0 and the mapping in use. */
GUEST_TEST(uvm_invlpg_local, 0) { return map_with(UVMF_INVLPG | UVMF_LOCAL, "INVLPG|LOCAL"); }
GUEST_TEST(uvm_tlb_flush_all, 0) { return map_with(UVMF_TLB_FLUSH | UVMF_ALL, "TLB_FLUSH|ALL"); }
GUEST_TEST(uvm_invlpg_multi, 0) { return map_with(UVMF_MULTI, "INVLPG|MULTI(&{1})"); }

/* No flush (UVMF_NONE) is allowed too; the old translation may then stay
 * cached, so the test flushes by itself before reading. */
GUEST_TEST(uvm_no_flush, 0)
{
    struct conf_frame f;
    struct mmuext_op inv = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = VA };
    uint64_t l1e, pte;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = hypercall_update_va_mapping(VA, pte_make(f.mfn, PTE_KERNEL_RO), UVMF_NONE);
    TEST_ERROR_IF(pt_lookup(VA, &pte), "lookup");
    TEST_ASSERT(rc == 0 && pte_mfn(pte) == f.mfn && !(pte & PTE_RW),
                "update_va_mapping(%#lx, mfn %#lx RO, NONE) = %ld, entry %#lx", VA,
                (unsigned long)f.mfn, rc, (unsigned long)pte);
    TEST_ERROR_IF(hypercall_update_va_mapping(VA, 0, UVMF_NONE) ||
                  hypercall_mmuext_op(&inv, 1, NULL, DOMID_SELF), "unmap");
    conf_frame_put(&f);
    return TEST_PASS;
}

/* A va in Xen's part of the address space or not canonical has no guest
 * level-1 entry: map_guest_l1e() fails -> -EINVAL. */
GUEST_TEST(uvm_refused_addresses, 0)
{
    static const unsigned long vas[] = {
        HYPERVISOR_VIRT_START, HYPERVISOR_VIRT_START + 0x10000000000UL,
        0x0000800000000000UL, 0x8000000000000000UL,
    };
    struct conf_frame f;

    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    for (unsigned i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
        long rc = hypercall_update_va_mapping(vas[i], pte_make(f.mfn, PTE_KERNEL_RO),
                                              UVMF_INVLPG);
        TEST_ASSERT(rc == -XEN_EINVAL, "update_va_mapping(%#lx, mfn %#lx RO, INVLPG) = %ld, "
                    "expected -EINVAL", vas[i], (unsigned long)f.mfn, rc);
    }
    conf_frame_put(&f);
    return TEST_PASS;
}

/* A va whose level-2 entry is not present has no level-1 entry either:
 * -EINVAL. */
GUEST_TEST(uvm_no_l1_table, 0)
{
    const unsigned long va = 0x0000720000000000UL;
    uint64_t l2e;
    long rc;

    TEST_ERROR_IF(pt_get_entry(va, 2, &l2e) == 0 && (l2e & PTE_PRESENT),
                  "%#lx unexpectedly mapped", va);
    rc = hypercall_update_va_mapping(va, 0, UVMF_INVLPG);
    TEST_ASSERT(rc == -XEN_EINVAL, "update_va_mapping(%#lx (no L1), 0) = %ld, expected -EINVAL",
                va, rc);
    return TEST_PASS;
}

/* A writable mapping of a pinned page table: refused as in mmu_update
 * (get_page_from_l1e() could_not_pin: -EBUSY), the entry unchanged. */
GUEST_TEST(uvm_writable_pagetable_refused, 0)
{
    struct conf_frame t;
    uint64_t l1e, pte;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_table_get(&t), "no frame");
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_PIN_L1_TABLE, t.mfn) != 0, "pin");
    rc = hypercall_update_va_mapping(VA, pte_make(t.mfn, PTE_KERNEL_RW), UVMF_INVLPG);
    TEST_ERROR_IF(pt_lookup(VA, &pte), "lookup");
    if (rc == 0)
        hypercall_update_va_mapping(VA, 0, UVMF_INVLPG);
    TEST_ERROR_IF(conf_mmuext1(MMUEXT_UNPIN_TABLE, t.mfn) != 0, "unpin");
    conf_frame_put(&t);
    TEST_ASSERT(rc == -XEN_EBUSY && !(pte & PTE_PRESENT),
                "update_va_mapping(%#lx, pinned L1 mfn %#lx RW) = %ld entry %#lx, "
                "expected -EBUSY and no mapping", VA, (unsigned long)t.mfn, rc,
                (unsigned long)pte);
    return TEST_PASS;
}

/*
 * Bit 62 of a level-1 entry is Xen's marker for grant mappings
 * (_PAGE_GNTTAB, in L1_DISALLOW_MASK, xen/arch/x86/mm.c), but only in a
 * debug build: xen/arch/x86/include/asm/page.h defines it as 0 under
 * NDEBUG, so a release build lets the guest use bit 62 like the other
 * software bits.  Expected: debug -EINVAL ("Bad L1 flags"), release 0.
 */
GUEST_TEST(uvm_gnttab_bit, 0)
{
    struct conf_frame f;
    uint64_t l1e;
    bool debug = conf_xen_is_debug();
    long want = debug ? -XEN_EINVAL : 0;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = hypercall_update_va_mapping(VA, pte_make(f.mfn, PTE_KERNEL_RW) | (1UL << 62),
                                     UVMF_INVLPG);
    if (rc == 0)
        hypercall_update_va_mapping(VA, 0, UVMF_INVLPG);
    conf_frame_put(&f);
    TEST_ASSERT(rc == want, "update_va_mapping(%#lx, mfn %#lx | bit 62) = %ld, expected %ld "
                "(%s build)", VA, (unsigned long)f.mfn, rc, want, debug ? "debug" : "release");
    return TEST_PASS;
}

/* The update is made before the flush: with a vcpumask Xen cannot read,
 * the entry is changed and the call still answers -EFAULT
 * (vcpumask_to_pcpumask() after mod_l1_entry()). */
GUEST_TEST(uvm_bad_vcpumask_after_update, 0)
{
    struct conf_frame f;
    uint64_t l1e, pte;
    long rc;

    TEST_ERROR_IF(conf_scratch_l1e(VA, &l1e), "scratch VA tables");
    TEST_ERROR_IF(conf_frame_get(&f), "no frame");
    rc = hypercall_update_va_mapping(VA, pte_make(f.mfn, PTE_KERNEL_RO),
                                     UVMF_INVLPG | HYPERVISOR_VIRT_START);
    TEST_ERROR_IF(pt_lookup(VA, &pte), "lookup");
    TEST_ERROR_IF(conf_scratch_set(VA, l1e, 0), "unmap");
    conf_frame_put(&f);
    TEST_ASSERT(rc == -XEN_EFAULT && pte_mfn(pte) == f.mfn,
                "update_va_mapping(%#lx, mfn %#lx, INVLPG | mask %#lx) = %ld, entry %#lx, "
                "expected -EFAULT with the entry written", VA, (unsigned long)f.mfn,
                (unsigned long)HYPERVISOR_VIRT_START, rc, (unsigned long)pte);
    return TEST_PASS;
}
