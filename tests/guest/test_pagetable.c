/*
 * The page-table update routine on the real hypervisor: mappings work,
 * every refused case is refused (and changes nothing), Xen's own rules
 * come back as errors rather than crashes.
 */
#include <errno.h>
#include <arch/layout.h>
#include <minnow/frame.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include "test.h"

/* An otherwise unused part of the lower half (the heap is far below). */
#define PT_TEST_VA   0x0000700000000000UL
/* The most a test here takes: two pages, a spare table, and the L3, L2
 * and L1 tables a first mapping in the test area needs. */
#define PT_TEST_FRAMES  6u

GUEST_TEST(pt_map_write_unmap, 0)
{
    xen_pfn_t pfn;
    uint64_t pte;
    volatile uint64_t *alias = (volatile uint64_t *)PT_TEST_VA;

    TEST_SKIP_UNLESS_FREE(PT_TEST_FRAMES, "pages and page tables");

    TEST_ASSERT(frame_alloc(&pfn) == 0, "no frame");
    TEST_ASSERT(pt_map_range(PT_TEST_VA, pfn_to_mfn(pfn), 1, PTE_KERNEL_RW, 0) == 0,
                "map");
    *alias = 0x6d696e6e6f77UL;
    TEST_ASSERT(*(volatile uint64_t *)pfn_to_virt(pfn) == 0x6d696e6e6f77UL,
                "the alias and the direct map disagree");
    TEST_ASSERT(pt_unmap_range(PT_TEST_VA, 1, 0) == 0, "unmap");
    TEST_ASSERT(pt_lookup(PT_TEST_VA, &pte) == 0 && pte == 0,
                "entry after unmap %#lx (must be 0: L1TF)", (unsigned long)pte);
    frame_free(pfn);
    return TEST_PASS;
}

GUEST_TEST(pt_refused_cases, 0)
{
    xen_pfn_t a, b, table;
    uint64_t pte, l2e;
    struct pt_stats before, after;

    TEST_SKIP_UNLESS_FREE(PT_TEST_FRAMES, "pages and page tables");

    TEST_ASSERT(frame_alloc(&a) == 0 && frame_alloc(&b) == 0, "no frames");
    TEST_ASSERT(pt_map_range(PT_TEST_VA, pfn_to_mfn(a), 1, PTE_KERNEL_RW, 0) == 0,
                "map");
    pt_get_stats(&before);

    /* 1. changing a live mapping */
    TEST_ASSERT(pt_map_range(PT_TEST_VA, pfn_to_mfn(b), 1, PTE_KERNEL_RW, 0) ==
                -EEXIST, "live remap not refused");
    TEST_ASSERT(pt_lookup(PT_TEST_VA, &pte) == 0 && pte_mfn(pte) == pfn_to_mfn(a),
                "refused remap changed the entry");
    /* 2. replacing a table */
    TEST_ASSERT(pt_get_entry(PT_TEST_VA, 2, &l2e) == 0 && (l2e & PTE_PRESENT), "no L2e");
    TEST_ASSERT(pt_table_alloc(&table, 0) == 0, "table");
    TEST_ASSERT(pt_set_entry(PT_TEST_VA, 2, pte_make(pfn_to_mfn(table), PTE_TABLE),
                             0) == -EBUSY, "table replacement not refused");
    /* 3. removing a table */
    TEST_ASSERT(pt_set_entry(PT_TEST_VA, 2, 0, 0) == -EBUSY, "table removal not refused");
    TEST_ASSERT(pt_get_entry(PT_TEST_VA, 2, &pte) == 0 && pte == l2e, "L2e changed");
    /* 4. bad input (an error, not counted as a refusal) */
    TEST_ASSERT(pt_map_range(PT_TEST_VA + 1, 5, 1, PTE_KERNEL_RW, 0) == -EINVAL, "unaligned");
    TEST_ASSERT(pt_map_range(0xffff800000000000UL, 5, 1, PTE_KERNEL_RW, 0) == -EPERM,
                "Xen's area");
    TEST_ASSERT(pt_set_entry(PT_TEST_VA, 1, 0x1000, PT_ALLOW_CHANGE_LIVE) == -EINVAL,
                "non-present entry with address bits");
    pt_get_stats(&after);
    TEST_ASSERT(after.refusals == before.refusals + 3, "refusals %lu -> %lu",
                (unsigned long)before.refusals, (unsigned long)after.refusals);

    /* Asked for, each works. */
    TEST_ASSERT(pt_map_range(PT_TEST_VA, pfn_to_mfn(b), 1, PTE_KERNEL_RW,
                             PT_ALLOW_CHANGE_LIVE) == 0, "allowed remap");
    *(volatile uint64_t *)PT_TEST_VA = 77;
    TEST_ASSERT(*(volatile uint64_t *)pfn_to_virt(b) == 77, "remap not effective (TLB?)");
    TEST_ASSERT(pt_set_entry(PT_TEST_VA, 2, pte_make(pfn_to_mfn(table), PTE_TABLE),
                             PT_ALLOW_REPLACE_TABLE) == 0, "allowed replacement");
    TEST_ASSERT(pt_lookup(PT_TEST_VA, &pte) == 0 && pte == 0, "new table not empty");
    TEST_ASSERT(pt_set_entry(PT_TEST_VA, 2, 0, PT_ALLOW_REMOVE_TABLE) == 0, "removal");
    TEST_ASSERT(pt_table_free(table) == 0, "free the unlinked table");
    /* The first L1 table (mapping a) is unlinked now too: give it back. */
    TEST_ASSERT(pt_table_free(mfn_to_pfn(pte_mfn(l2e))) == 0, "free the old table");
    frame_free(a);
    frame_free(b);
    return TEST_PASS;
}

/* Xen refuses a writable mapping of a page table: an error, not a crash. */
GUEST_TEST(pt_xen_refuses_writable_table, 0)
{
    uint64_t pte;
    xen_pfn_t l4_mfn = pt_root_mfn();

    TEST_SKIP_UNLESS_FREE(PT_TEST_FRAMES, "pages and page tables");

    TEST_ASSERT(pt_map_range(PT_TEST_VA, l4_mfn, 1, PTE_KERNEL_RW, 0) != 0,
                "Xen let the L4 be mapped writable");
    TEST_ASSERT(pt_lookup(PT_TEST_VA, &pte) == 0 && pte == 0, "entry %#lx", (unsigned long)pte);
    TEST_ASSERT(pt_map_range(PT_TEST_VA, l4_mfn, 1, PTE_KERNEL_RO, 0) == 0, "read-only");
    TEST_ASSERT(*(volatile uint64_t *)(PT_TEST_VA + 8 * 320) ==
                *(volatile uint64_t *)(pt_directmap_va(pt_root_pfn()) + 8 * 320),
                "L4 alias differs");
    TEST_ASSERT(pt_unmap_range(PT_TEST_VA, 1, 0) == 0, "unmap");
    return TEST_PASS;
}

/* A whole 2 MiB unmapped with PT_ALLOW_REMOVE_TABLE gives its table back. */
GUEST_TEST(pt_unmap_frees_tables, 0)
{
    enum { N = 512 };
    static xen_pfn_t mfns[N];
    uint64_t va = PT_TEST_VA + (1UL << 30), free0;
    struct pt_stats before, after;
    xen_pfn_t pfn;

    TEST_SKIP_UNLESS_FREE(PT_TEST_FRAMES, "pages and page tables");

    TEST_ASSERT(frame_alloc(&pfn) == 0, "no frame");
    for (int i = 0; i < N; i++)
        mfns[i] = pfn_to_mfn(pfn);          /* 512 read-only aliases */
    free0 = frame_free_count();
    pt_get_stats(&before);
    TEST_ASSERT(pt_map_mfns(va, mfns, N, PTE_KERNEL_RO, 0) == 0, "map");
    TEST_ASSERT(pt_unmap_range(va, N, PT_ALLOW_REMOVE_TABLE) == 0, "unmap");
    pt_get_stats(&after);
    TEST_ASSERT(after.tables_freed == before.tables_freed + 1, "no table freed");
    TEST_ASSERT(frame_free_count() + (after.tables_allocated - before.tables_allocated) - 1
                == free0, "frames leaked");
    frame_free(pfn);
    return TEST_PASS;
}
