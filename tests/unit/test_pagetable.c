/*
 * Host tests of mm/pagetable.c against the Xen model (tests/unit/sim).
 * Every test ends by asserting the model saw no refused request unless
 * the test provoked one on purpose and took it back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <minnow/pt.h>
#include <minnow/xen_mm.h>
#include "sim/xen_model.h"
#include "host_console.h"

#define SPARE_VA   0x0000100000000000UL     /* nothing mapped there at boot */
#define NR_PAGES   (64 * 1024)              /* 256 MiB domain */

static int setup(void **state)
{
    struct sim_config cfg = { .nr_pages = NR_PAGES, .seed = 42 };

    (void)state;
    sim_init(&cfg);
    host_console_reset();
    pt_init(sim.start_info.pt_base >> 12, &sim_frames, sim_boot_pfn_to_mfn);
    return 0;
}

static int setup_mapped(void **state)
{
    struct sim_config cfg = { .nr_pages = NR_PAGES, .seed = 7, .map_all = true };

    (void)state;
    sim_init(&cfg);
    host_console_reset();
    pt_init(sim.start_info.pt_base >> 12, &sim_frames, sim_boot_pfn_to_mfn);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(sim_take_violations(), 0);
    sim_fini();
    return 0;
}

static xen_pfn_t mfn(xen_pfn_t pfn)
{
    return sim.boot_mfn_list[pfn];
}

static void boot_tables_read_back(void **state)
{
    uint64_t pte;

    (void)state;
    assert_int_equal(pt_root_mfn(), sim.root_mfn);
    assert_int_equal(pt_lookup(0x1000, &pte), 0);
    assert_true(pte & PTE_PRESENT);
    assert_int_equal(pte_mfn(pte), mfn(1));
    /* Beyond Xen's initial mapping the tables simply end. */
    assert_int_equal(pt_lookup(SPARE_VA, &pte), -ENOENT);
    assert_int_equal(pte, 0);
}

/* What boot does: map all RAM over Xen's initial mapping, drop page 0. */
static void map_all_ram_like_boot(void **state)
{
    struct pt_stats st;
    uint64_t pte;
    xen_pfn_t first = sim.mapped_pfns;

    (void)state;
    assert_int_equal(pt_map_mfns(0, sim.boot_mfn_list, NR_PAGES, PTE_KERNEL_RW,
                                 PT_SKIP_PRESENT), 0);
    for (xen_pfn_t p = 0; p < NR_PAGES; p++) {
        xen_pfn_t m = sim_translate(p << 12, &pte);
        assert_int_equal(m, mfn(p));
    }
    /* Xen's boot tables stayed read-only (PT_SKIP_PRESENT left them). */
    sim_translate(sim.start_info.pt_base, &pte);
    assert_false(pte & PTE_RW);
    pt_get_stats(&st);
    /* 512 entries per hypercall: batches ~ pages / 512 (+ table links). */
    assert_true(st.hypercalls <= (NR_PAGES - first) / 512 + 2 * st.tables_allocated + 2);
    assert_int_equal(st.tables_allocated, (NR_PAGES - first + 511) / 512);

    assert_int_equal(pt_unmap_range(0, 1, 0), 0);
    assert_int_equal(sim_translate(0, &pte), INVALID_MFN);
    assert_int_equal(pte, 0);                   /* L1TF: no address bits */
    assert_int_equal(pt_lookup(0, &pte), 0);
    assert_int_equal(pte, 0);
}

static void map_range_and_read_back(void **state)
{
    uint64_t pte;

    (void)state;
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RW, 0), 0);
    assert_int_equal(pt_map_mfns(SPARE_VA + 0x1000, &sim.boot_mfn_list[301], 700,
                                 PTE_KERNEL_RO, 0), 0);
    for (unsigned int i = 0; i < 701; i++) {
        assert_int_equal(sim_translate(SPARE_VA + i * 0x1000UL, &pte), mfn(300 + i));
        assert_int_equal(!!(pte & PTE_RW), i == 0);
    }
    assert_int_equal(pt_lookup(SPARE_VA + 0x5000, &pte), 0);
    assert_int_equal(pte_mfn(pte), mfn(305));
    /* Mapping the same thing again is not a change. */
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RW, 0), 0);
}

static void refuses_changing_live_mapping(void **state)
{
    uint64_t pte;
    struct pt_stats st;

    (void)state;
    xen_pfn_t *list = sim.boot_mfn_list;

    assert_int_equal(pt_map_mfns(SPARE_VA, &list[300], 4, PTE_KERNEL_RW, 0), 0);
    /* Pages 2..5: 2 and 3 are live -> refused, and nothing is written. */
    host_console_reset();
    assert_int_equal(pt_map_mfns(SPARE_VA + 0x2000, &list[500], 4, PTE_KERNEL_RW, 0),
                     -EEXIST);
    assert_true(host_console_contains("PT_ALLOW_CHANGE_LIVE"));
    assert_int_equal(sim_translate(SPARE_VA + 0x2000, &pte), mfn(302));
    assert_int_equal(sim_translate(SPARE_VA + 0x4000, &pte), INVALID_MFN);
    pt_get_stats(&st);
    assert_int_equal(st.refusals, 1);
    /* Read-only -> read-write of the same frame is a change too. */
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RO, 0), -EEXIST);
    /* Asked for: done, and the TLB is flushed. */
    uint64_t flushes = sim.tlb_flushes;
    assert_int_equal(pt_map_mfns(SPARE_VA + 0x2000, &list[500], 4, PTE_KERNEL_RW,
                                 PT_ALLOW_CHANGE_LIVE), 0);
    assert_int_equal(sim_translate(SPARE_VA + 0x2000, &pte), mfn(500));
    assert_int_equal(sim_translate(SPARE_VA + 0x5000, &pte), mfn(503));
    assert_true(sim.tlb_flushes > flushes);
    /* pt_set_entry on a live L1 entry needs the same bit. */
    assert_int_equal(pt_set_entry(SPARE_VA, 1, pte_make(mfn(600), PTE_KERNEL_RW), 0),
                     -EEXIST);
    assert_int_equal(pt_set_entry(SPARE_VA, 1, 0, 0), -EEXIST);
    assert_int_equal(pt_set_entry(SPARE_VA, 1, 0, PT_ALLOW_CHANGE_LIVE), 0);
    assert_int_equal(sim_translate(SPARE_VA, &pte), INVALID_MFN);
}

static void refuses_replacing_and_removing_tables(void **state)
{
    uint64_t l2e, pte;
    xen_pfn_t other;

    (void)state;
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RW, 0), 0);
    assert_int_equal(pt_get_entry(SPARE_VA, 2, &l2e), 0);
    assert_true(l2e & PTE_PRESENT);
    assert_int_equal(pt_table_alloc(&other, 0), 0);

    host_console_reset();
    assert_int_equal(pt_set_entry(SPARE_VA, 2, pte_make(mfn(other), PTE_TABLE), 0),
                     -EBUSY);
    assert_true(host_console_contains("PT_ALLOW_REPLACE_TABLE"));
    assert_int_equal(pt_set_entry(SPARE_VA, 2, 0, 0), -EBUSY);
    assert_true(host_console_contains("PT_ALLOW_REMOVE_TABLE"));
    assert_int_equal(pt_set_entry(SPARE_VA, 3, 0, PT_ALLOW_REPLACE_TABLE), -EBUSY);
    assert_int_equal(pt_set_entry(SPARE_VA, 4, 0, 0), -EBUSY);
    assert_int_equal(sim_translate(SPARE_VA, &pte), mfn(300));   /* untouched */

    assert_int_equal(pt_set_entry(SPARE_VA, 2, pte_make(mfn(other), PTE_TABLE),
                                  PT_ALLOW_REPLACE_TABLE), 0);
    assert_int_equal(sim_translate(SPARE_VA, &pte), INVALID_MFN);  /* empty table */
    assert_int_equal(pt_set_entry(SPARE_VA, 2, 0, PT_ALLOW_REMOVE_TABLE), 0);
    assert_int_equal(pt_get_entry(SPARE_VA, 2, &l2e), 0);
    assert_int_equal(l2e, 0);
    /* Both tables are unlinked now: they can be freed. */
    assert_int_equal(pt_table_free(other), 0);
    assert_int_equal(pte_mfn(pte), 0);
}

static void refuses_bad_input(void **state)
{
    xen_pfn_t pfn;

    (void)state;
    assert_int_equal(pt_map_range(SPARE_VA + 8, mfn(300), 1, PTE_KERNEL_RW, 0), -EINVAL);
    assert_int_equal(pt_map_range(0x0000800000000000UL, mfn(300), 1, PTE_KERNEL_RW, 0),
                     -EINVAL);
    assert_int_equal(pt_map_range(0x00007ffffffff000UL, mfn(300), 2, PTE_KERNEL_RW, 0),
                     -EINVAL);
    assert_int_equal(pt_map_range(0xffff800000000000UL, mfn(300), 1, PTE_KERNEL_RW, 0),
                     -EPERM);
    assert_int_equal(pt_unmap_range(0xffff87fffffff000UL, 1, 0), -EPERM);
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, 0, 0), -EINVAL);
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RW | PTE_PSE, 0),
                     -EINVAL);
    assert_int_equal(pt_map_range(SPARE_VA, ~0UL, 1, PTE_KERNEL_RW, 0), -EINVAL);
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RW,
                                  PT_ALLOW_REMOVE_TABLE), -EINVAL);
    assert_int_equal(pt_set_entry(SPARE_VA, 1, 0x5000, PT_ALLOW_CHANGE_LIVE), -EINVAL);
    assert_int_equal(pt_set_entry(SPARE_VA, 5, 0, 0), -EINVAL);
    assert_int_equal(pt_table_alloc(&pfn, 0x1000), -EINVAL);
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 0, PTE_KERNEL_RW, 0), 0);
}

/* The model stands in for Xen: a page table mapped writable is refused. */
static void xen_refuses_writable_table(void **state)
{
    xen_pfn_t l4 = sim.start_info.pt_base >> 12;

    (void)state;
    host_console_reset();
    assert_int_not_equal(pt_map_range(SPARE_VA, mfn(l4), 1, PTE_KERNEL_RW, 0), 0);
    assert_true(host_console_contains("mmu_update"));
    assert_int_equal(sim_take_violations(), 1);
    /* Read-only is fine. */
    assert_int_equal(pt_map_range(SPARE_VA, mfn(l4), 1, PTE_KERNEL_RO, 0), 0);
}

static void table_allocation_failure(void **state)
{
    uint64_t pte;
    uint64_t pool = sim_pool_count();

    (void)state;
    sim_fail_frame_alloc_after(1);          /* the L3 comes, the L2 does not */
    host_console_reset();
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RW, 0), -ENOMEM);
    assert_true(host_console_contains("no free frame"));
    assert_int_equal(sim_translate(SPARE_VA, &pte), INVALID_MFN);
    sim_fail_frame_alloc_after(-1);
    assert_int_equal(pt_map_range(SPARE_VA, mfn(300), 1, PTE_KERNEL_RW, 0), 0);
    assert_int_equal(sim_translate(SPARE_VA, &pte), mfn(300));
    assert_int_equal(sim_pool_count(), pool - 3);   /* L3 + L2 + L1 */
}

static void unmap_and_free_tables(void **state)
{
    struct pt_stats st;
    uint64_t pte, pool = sim_pool_count();

    (void)state;
    /* 2 MiB + 2 pages, from a 2 MiB boundary: one whole L1, one partial.
     * (Frames well above the allocator's: its pages become tables.) */
    assert_int_equal(pt_map_mfns(SPARE_VA, &sim.boot_mfn_list[30000], 514,
                                 PTE_KERNEL_RW, 0), 0);
    assert_int_equal(sim_pool_count(), pool - 4);
    assert_int_equal(pt_unmap_range(SPARE_VA, 514, PT_ALLOW_REMOVE_TABLE), 0);
    pt_get_stats(&st);
    assert_int_equal(st.tables_freed, 1);
    assert_int_equal(sim_pool_count(), pool - 3);
    for (unsigned int i = 0; i < 514; i++)
        assert_int_equal(sim_translate(SPARE_VA + i * 0x1000UL, &pte), INVALID_MFN);
    assert_int_equal(pt_get_entry(SPARE_VA, 2, &pte), 0);
    assert_int_equal(pte, 0);
    /* Unmapping what is not mapped is fine, and unmapping keeps tables. */
    assert_int_equal(pt_unmap_range(SPARE_VA + (1UL << 30), 10, 0), 0);
    assert_int_equal(pt_get_entry(SPARE_VA + (512UL << 12), 2, &pte), 0);
    assert_true(pte & PTE_PRESENT);
}

static void page_ro_rw_round_trip(void **state)
{
    uint64_t pte;
    xen_pfn_t pfn = 5000;

    (void)state;
    assert_int_equal(pt_set_page_ro(pfn, true), 0);
    sim_translate(pfn << 12, &pte);
    assert_false(pte & PTE_RW);
    assert_int_equal(pt_set_page_ro(pfn, false), 0);
    sim_translate(pfn << 12, &pte);
    assert_true(pte & PTE_RW);
    assert_int_equal(pt_set_page_ro(NR_PAGES + 5, true), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(boot_tables_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(map_all_ram_like_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(map_range_and_read_back, setup_mapped, teardown),
        cmocka_unit_test_setup_teardown(refuses_changing_live_mapping, setup_mapped, teardown),
        cmocka_unit_test_setup_teardown(refuses_replacing_and_removing_tables, setup_mapped,
                                        teardown),
        cmocka_unit_test_setup_teardown(refuses_bad_input, setup_mapped, teardown),
        cmocka_unit_test_setup_teardown(xen_refuses_writable_table, setup_mapped, teardown),
        cmocka_unit_test_setup_teardown(table_allocation_failure, setup_mapped, teardown),
        cmocka_unit_test_setup_teardown(unmap_and_free_tables, setup_mapped, teardown),
        cmocka_unit_test_setup_teardown(page_ro_rw_round_trip, setup_mapped, teardown),
    };

    return cmocka_run_group_tests_name("pagetable", tests, NULL, NULL);
}
