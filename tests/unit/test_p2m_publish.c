/*
 * Host tests of the p2m's publication (mm/p2m_publish.c), the toolstack-
 * style self-check and the dump (mm/p2m_check.c), with the Xen model.
 * The self-check must pass on a good p2m and catch each injected fault.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <xen/memory.h>
#include "p2m_fixture.h"

#define NR      (16384 + 300)

static int setup_dom0(void **state)
{
    (void)state;
    assert_int_equal(p2m_boot(NR, SIF_PRIVILEGED | SIF_INITDOMAIN, 0, 21), 0);
    return 0;
}

static int setup_domu(void **state)
{
    (void)state;
    assert_int_equal(p2m_boot(NR, SIF_VIRT_P2M_4TOOLS, 0, 22), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(sim_take_violations(), 0);
    p2m_shutdown();
    return 0;
}

static const xen_pfn_t *machine_page(xen_pfn_t mfn)
{
    return (const xen_pfn_t *)sim_machine_word(mfn, 0);
}

/* The test's own walk of the frame list list, as map_p2m_tree() does. */
static xen_pfn_t tree_entry(xen_pfn_t pfn)
{
    const xen_pfn_t *top = machine_page(sim.shared.arch.pfn_to_mfn_frame_list_list);
    const xen_pfn_t *mid = machine_page(top[pfn / P2M_PFNS_PER_PTE_PAGE]);
    const xen_pfn_t *leaf = machine_page(mid[(pfn / P2M_PER_PAGE) % 512]);

    return leaf[pfn % P2M_PER_PAGE];
}

static void published_fields_dom0(void **state)
{
    struct arch_shared_info *a = &sim.shared.arch;

    (void)state;
    assert_int_equal(a->max_pfn, NR);
    assert_int_equal(a->p2m_vaddr, TEST_P2M_VA);
    assert_int_equal(a->p2m_cr3, sim.root_mfn << 12);
    assert_int_equal(a->p2m_generation % 2, 0);
    assert_int_not_equal(a->pfn_to_mfn_frame_list_list, ~0UL);
    assert_int_equal(sim.frames[a->pfn_to_mfn_frame_list_list].owner, SIM_DOMID);
    for (xen_pfn_t p = 0; p < NR; p++)
        assert_int_equal(tree_entry(p), sim.boot_mfn_list[p]);
    for (xen_pfn_t p = NR; p < (NR + 511) / 512 * 512; p++)
        assert_int_equal(tree_entry(p), INVALID_P2M_ENTRY);
    /* Missing GiBs are listed via the shared all-~0 pages. */
    assert_int_equal(tree_entry(7 * P2M_PFNS_PER_PTE_PAGE + 3), INVALID_P2M_ENTRY);
    assert_int_equal(p2m_self_check(), 0);
}

static void published_fields_domu(void **state)
{
    (void)state;
    assert_int_equal(sim.shared.arch.pfn_to_mfn_frame_list_list, ~0UL);
    assert_int_equal(sim.shared.arch.p2m_cr3, sim.root_mfn << 12);
    assert_int_equal(p2m_self_check(), 0);
}

/* Growth keeps the frame list right: a new GiB gets its own mid page. */
static void growth_keeps_frame_list(void **state)
{
    xen_pfn_t pfn = 9 * P2M_PFNS_PER_PTE_PAGE + 1000;
    xen_pfn_t mfn = sim.boot_mfn_list[NR - 1];

    (void)state;
    assert_int_equal(p2m_set(pfn, mfn), 0);
    assert_int_equal(sim.shared.arch.max_pfn, pfn + 1);
    assert_int_equal(tree_entry(pfn), mfn);
    assert_int_equal(p2m_set_identity_range(pfn + 1, pfn + 3000), 0);
    /* In a private leaf a 1:1 entry is stored flagged (the tools skip it). */
    assert_int_equal(tree_entry(pfn + 2), IDENTITY_FRAME(pfn + 2));
    assert_int_equal(p2m_self_check(), 0);
}

/* Inject one fault, expect the self-check to see it, undo, expect a pass. */
static void check_detects(uint64_t *word, uint64_t bad, const char *what)
{
    uint64_t good = *word;

    *word = bad;
    host_console_reset();
    int problems = p2m_self_check();
    if (problems == 0)
        fail_msg("self-check missed: %s", what);
    assert_true(host_console_contains("p2m check:"));
    *word = good;
    assert_int_equal(p2m_self_check(), 0);
}

static void self_check_detects_corruption(void **state)
{
    struct arch_shared_info *a = &sim.shared.arch;
    xen_pfn_t missing_mfn = sim.boot_mfn_list[p2m.missing_leaf];
    xen_pfn_t identity_mfn = sim.boot_mfn_list[p2m.identity_leaf];
    uint64_t l1e, pte_page_mfn;
    xen_pfn_t leaf3_mfn, leaf5_mfn;

    (void)state;
    /* Make the toolstack's range span shared leaves: RAM in GiB 4, a 1:1
     * range with whole identity chunks below it. */
    assert_int_equal(p2m_set(4 * P2M_PFNS_PER_PTE_PAGE, sim.boot_mfn_list[NR - 1]), 0);
    assert_int_equal(p2m_set_identity_range(NR + 1024, NR + 4096), 0);
    assert_int_equal(p2m_self_check(), 0);

    check_detects(sim_machine_word(missing_mfn, 17), 0x1234, "shared leaf written");
    check_detects(sim_machine_word(identity_mfn, 0), 5, "identity leaf written");
    check_detects(&a->max_pfn, NR + 1, "max_pfn off by one");
    check_detects(&a->p2m_cr3, (sim.root_mfn + 1) << 12, "wrong p2m_cr3");
    check_detects(&a->p2m_vaddr, TEST_P2M_VA + (1UL << 39), "wrong p2m_vaddr");
    check_detects(&a->p2m_generation, a->p2m_generation + 1, "odd generation");
    check_detects(&a->pfn_to_mfn_frame_list_list, 0, "frame list list 0");

    /* Leaf 3's and leaf 5's frames, from the p2m's own PTE page. */
    assert_int_equal(pt_get_entry(TEST_P2M_VA, 2, &l1e), 0);
    pte_page_mfn = pte_mfn(l1e);
    leaf3_mfn = pte_mfn(*sim_machine_word(pte_page_mfn, 3));
    leaf5_mfn = pte_mfn(*sim_machine_word(pte_page_mfn, 5));
    check_detects(&sim.m2p[leaf3_mfn], NR + 77, "leaf's m2p points elsewhere");
    check_detects(&sim.m2p[leaf3_mfn], 12, "leaf's m2p points at another pfn");
    check_detects(sim_machine_word(pte_page_mfn, 5),
                  *sim_machine_word(pte_page_mfn, 3), "a writable leaf mapped twice");
    check_detects(sim_machine_word(pte_page_mfn, 5),
                  (*sim_machine_word(pte_page_mfn, 5) & 0xfff), "leaf mfn 0");
    /* The frame list names a wrong leaf / a wrong mid page. */
    {
        const xen_pfn_t *top = machine_page(a->pfn_to_mfn_frame_list_list);
        uint64_t *mid = sim_machine_word(top[0], 0);
        check_detects(&mid[3], leaf5_mfn, "frame list names leaf 5 for leaf 3");
        check_detects(&mid[3], sim.boot_mfn_list[100], "frame list names a data page");
        check_detects(sim_machine_word(a->pfn_to_mfn_frame_list_list, 0), 0,
                      "frame list list entry 0");
    }
}

/* After a restore the arch fields are stale and start_info.flags is 0. */
static void republish_after_restore(void **state)
{
    struct arch_shared_info *a = &sim.shared.arch;
    uint64_t gen = a->p2m_generation;

    (void)state;
    a->p2m_cr3 = 0x123456000UL;
    a->pfn_to_mfn_frame_list_list = 0;
    a->max_pfn = 1;
    sim.start_info.flags = 0;
    assert_true(p2m_self_check() > 0);
    assert_int_equal(p2m_republish(), 0);
    assert_int_equal(a->p2m_cr3, sim.root_mfn << 12);
    assert_int_equal(a->max_pfn, NR);
    assert_true(a->p2m_generation >= gen + 2);
    assert_int_equal(a->p2m_generation % 2, 0);
    assert_int_not_equal(a->pfn_to_mfn_frame_list_list, 0);
    assert_int_equal(p2m_self_check(), 0);
}

/* The model enforces the generation protocol: a p2m mapping change with
 * an even generation is a violation. */
static void model_catches_even_generation(void **state)
{
    uint64_t e;
    xen_pfn_t far = 20 * P2M_PFNS_PER_PTE_PAGE;

    (void)state;
    assert_int_equal(pt_get_entry(TEST_P2M_VA + far / 512 * 4096, 2, &e), 0);
    assert_int_equal(pt_set_entry(TEST_P2M_VA + far / 512 * 4096, 2,
                                  pte_make(sim.boot_mfn_list[p2m.identity_pte],
                                           PTE_TABLE), PT_ALLOW_REPLACE_TABLE), 0);
    assert_int_equal(sim_take_violations(), 1);
    assert_true(strstr(sim.last_violation, "even p2m_generation") != NULL);
    /* The same change through the p2m's API is clean. */
    assert_int_equal(p2m_set_identity_range(far + P2M_PFNS_PER_PTE_PAGE,
                                            far + 2 * P2M_PFNS_PER_PTE_PAGE), 0);
}

static void dump_lists_ram_identity_foreign(void **state)
{
    const char *out;
    unsigned long ram = 0, pfn, mfn, s, e, end_count = ~0UL;
    char kind[16];

    (void)state;
    /* A domain whose whole dump fits the console capture buffer. */
    p2m_shutdown();
#undef NR
#define NR 2000
    assert_int_equal(p2m_boot(NR, SIF_INITDOMAIN, 0, 23), 0);
    assert_int_equal(p2m_set_identity_range(NR + 700, NR + 1700), 0);
    assert_int_equal(p2m_set_identity_range(NR + 3000, NR + 3001), 0);
    assert_int_equal(p2m_set(NR + 3100, FOREIGN_FRAME(0xabc)), 0);
    host_console_reset();
    p2m_dump();
    out = host_console_output();
    for (const char *l = out; (l = strstr(l, "P2M ")); l++) {
        if (sscanf(l, "P2M %lx-%lx identity", &s, &e) == 2) {
            assert_int_equal(s, NR + 700);
            assert_int_equal(e, NR + 1699);
        } else if (sscanf(l, "P2M END %lu", &end_count) == 1) {
            break;
        } else if (sscanf(l, "P2M %lx %lx %15s", &pfn, &mfn, kind) == 3) {
            if (!strcmp(kind, "ram")) {
                assert_int_equal(pfn, ram);
                assert_int_equal(mfn, sim.boot_mfn_list[pfn]);
                ram++;
            } else if (!strcmp(kind, "identity")) {
                assert_int_equal(pfn, NR + 3000);
                assert_int_equal(mfn, NR + 3000);
            } else {
                assert_string_equal(kind, "foreign");
                assert_int_equal(pfn, NR + 3100);
                assert_int_equal(mfn, 0xabc);
            }
        } else {
            fail_msg("unexpected dump line: %.60s", l);
        }
    }
    assert_int_equal(ram, NR);
    assert_int_equal(end_count, NR + 1);
}
#undef NR
#define NR      (16384 + 300)

/* What the balloon driver will do: populate new pfns above max_pfn. */
static void balloon_growth_with_memory_op(void **state)
{
    xen_pfn_t list[16];
    struct xen_memory_reservation r = { .nr_extents = 16, .domid = DOMID_SELF };
    xen_pfn_t base = NR + 2 * P2M_PFNS_PER_PTE_PAGE;
    long done;

    (void)state;
    for (int i = 0; i < 16; i++)
        list[i] = base + i;
    set_xen_guest_handle(r.extent_start, list);
    sim_inject_memop(XENMEM_populate_physmap, 5, 0);   /* partial answer */
    done = xen_memory_op(XENMEM_populate_physmap, &r);
    assert_int_equal(done, 5);
    for (int i = 0; i < done; i++) {
        assert_int_equal(mfn_to_pfn(list[i]), base + i);   /* Xen set m2p */
        assert_int_equal(p2m_set(base + i, list[i]), 0);
        assert_int_equal(mfn_to_local_pfn(list[i]), base + i);
    }
    assert_int_equal(sim.shared.arch.max_pfn, base + 5);
    assert_int_equal(p2m_self_check(), 0);

    /* Giving back a frame that is still mapped is refused, loudly. */
    xen_pfn_t mapped = sim.boot_mfn_list[500];
    set_xen_guest_handle(r.extent_start, &mapped);
    r.nr_extents = 1;
    assert_int_equal(xen_memory_op(XENMEM_decrease_reservation, &r), 0);
    assert_int_equal(sim_take_violations(), 1);
    sim_inject_memop(XENMEM_decrease_reservation, 0, -EFAULT);
    assert_int_equal(xen_memory_op(XENMEM_decrease_reservation, &r), -EFAULT);
    /* Unmapped and released: accepted. */
    set_xen_guest_handle(r.extent_start, &list[0]);
    assert_int_equal(p2m_set(base, INVALID_P2M_ENTRY), 0);
    assert_int_equal(xen_memory_op(XENMEM_decrease_reservation, &r), 1);
    assert_int_equal(mfn_to_local_pfn(list[0]), INVALID_P2M_ENTRY);
    assert_int_equal(p2m_self_check(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(published_fields_dom0, setup_dom0, teardown),
        cmocka_unit_test_setup_teardown(published_fields_domu, setup_domu, teardown),
        cmocka_unit_test_setup_teardown(growth_keeps_frame_list, setup_dom0, teardown),
        cmocka_unit_test_setup_teardown(self_check_detects_corruption, setup_dom0,
                                        teardown),
        cmocka_unit_test_setup_teardown(republish_after_restore, setup_dom0, teardown),
        cmocka_unit_test_setup_teardown(model_catches_even_generation, setup_dom0,
                                        teardown),
        cmocka_unit_test_setup_teardown(dump_lists_ram_identity_foreign, setup_dom0,
                                        teardown),
        cmocka_unit_test_setup_teardown(balloon_growth_with_memory_op, setup_domu,
                                        teardown),
    };

    return cmocka_run_group_tests_name("p2m_publish", tests, NULL, NULL);
}
