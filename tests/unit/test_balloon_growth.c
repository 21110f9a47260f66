/*
 * Host tests of the balloon growing past what the domain booted with
 * (mm/balloon.c against the Xen model): the p2m and max_pfn grow, fresh
 * pfns come only from the E820's RAM and skip 1:1 ranges, allocation and
 * mapping failures while growing, the boot target raised by released
 * pages, the resync after a restore, and random sequences of it all.
 * The fixture and check_world()'s invariants are in balloon_fixture.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <minnow/balloon.h>
#include <minnow/frame.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>
#include "balloon_fixture.h"
#include "rng.h"

static struct rng rng = { 0x1234567887654321UL };

/* Growth past the boot max_pfn: the p2m grows, max_pfn is raised. */
static void grows_past_boot_max_pfn(void **state)
{
    struct balloon_stats st;
    struct p2m_stats ps0, ps1;
    uint64_t gen = sim.shared.arch.p2m_generation;
    uint64_t meta = frame_metadata_count(), not_free = 0;

    (void)state;
    p2m_get_stats(&ps0);
    assert_int_equal(balloon_up(8000), 8000);
    st = stats();
    assert_int_equal(st.top_pfn, NR + 8000);
    assert_int_equal(p2m_max_pfn(), NR + 8000);
    assert_int_equal(sim.shared.arch.max_pfn, NR + 8000);
    assert_true(sim.shared.arch.p2m_generation > gen);
    assert_int_equal(sim.shared.arch.p2m_generation % 2, 0);
    p2m_get_stats(&ps1);
    assert_true(ps1.leaves > ps0.leaves);
    for (xen_pfn_t pfn = NR; pfn < NR + 8000; pfn++) {
        assert_int_equal(p2m_kind_of(pfn), P2M_RAM);
        if (!frame_is_free(pfn))
            not_free++;
        else
            *(uint64_t *)xen_mm_page(pfn) = PAT(pfn);
    }
    /* All went to the allocator; it kept any it needed for its bitmaps. */
    assert_int_equal(not_free, frame_metadata_count() - meta);
    check_world();
    check_ownership();

    /* Down and up again: the grown pfns are refilled, not fresh ones. */
    assert_int_equal(balloon_down(6000), 6000);
    assert_int_equal(balloon_up(6000), 6000);
    assert_int_equal(stats().top_pfn, NR + 8000);
    check_world();
}

/* Domains with the frame list list (no SIF_VIRT_P2M_4TOOLS) across 1 GiB. */
static void grows_across_a_gib_with_frame_list(void **state)
{
    const xen_pfn_t nr = P2M_PFNS_PER_PTE_PAGE - 300;     /* just below 1 GiB */
    struct balloon_config bc = { .pfn_limit = 2 * P2M_PFNS_PER_PTE_PAGE, .batch = 512 };

    (void)state;
    p2m_shutdown();
    boot(nr, nr + 2000, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    assert_int_equal(balloon_up(2000), 2000);
    assert_int_equal(stats().top_pfn, nr + 2000);
    assert_int_equal(sim.shared.arch.max_pfn, nr + 2000);
    assert_true(sim.shared.arch.pfn_to_mfn_frame_list_list != ~0UL);
    check_world();
    check_ownership();
}

/*
 * No frame for a p2m leaf: what fits in the leaf that exists is placed,
 * the rest goes straight back to Xen.  NR's last leaf has room for
 * 512 - NR % 512 more pfns.
 */
static void up_without_memory_for_the_p2m(void **state)
{
    const unsigned int room = 512 - NR % 512;
    struct balloon_stats st;
    uint64_t dom = sim.dom_pages;

    (void)state;
    sim_fail_frame_alloc_after(0);
    assert_int_equal(balloon_up(512), room);
    st = stats();
    assert_int_equal(st.block, BALLOON_NO_MEMORY);
    assert_int_equal(st.given_back, 512 - room);
    assert_int_equal(st.current_pages, dom + room);
    assert_int_equal(sim.dom_pages, dom + room);
    assert_int_equal(st.top_pfn, NR + room);
    check_world();

    assert_int_equal(balloon_up(512), -ENOMEM);
    st = stats();
    assert_int_equal(st.given_back, 1024 - room);
    assert_int_equal(st.top_pfn, NR + room);
    assert_int_equal(sim.dom_pages, dom + room);
    assert_int_equal(st.lost_pages, 0);
    check_world();

    sim_fail_frame_alloc_after(-1);
    assert_int_equal(balloon_up(2048), 2048);
    assert_int_equal(stats().top_pfn, NR + room + 2048);
    check_world();
    check_ownership();
}

/*
 * The run NR.. crosses a 2 MiB boundary: the second chunk needs a p2m leaf
 * and an L1 table.  The leaf gets its frame, the table does not, so
 * pt_map_mfns() fails after mapping the first chunk.  That chunk's frames
 * are placed; the second chunk's go back to Xen, and none of them may be
 * mapped then: Xen keeps a frame that is still mapped (tot_pages drifts
 * from current_pages), and a stale entry refuses its pfn to later maps.
 */
static void up_map_fails_in_second_chunk(void **state)
{
    const xen_pfn_t boundary = (NR + P2M_PER_PAGE - 1) / P2M_PER_PAGE * P2M_PER_PAGE;
    struct balloon_stats st;
    uint64_t dom = sim.dom_pages, pte;

    (void)state;
    assert_true(boundary > NR && boundary < NR + 512);
    sim_fail_frame_alloc_after(1);
    assert_int_equal(balloon_up(512), boundary - NR);
    sim_fail_frame_alloc_after(-1);
    st = stats();
    assert_int_equal(st.block, BALLOON_NO_MEMORY);
    assert_int_equal(st.given_back, NR + 512 - boundary);
    assert_int_equal(st.top_pfn, boundary);
    assert_int_equal(sim.dom_pages, dom + (boundary - NR));
    assert_int_equal(st.current_pages, sim.dom_pages);
    for (xen_pfn_t pfn = boundary; pfn < NR + 512; pfn++)
        if (sim_translate(pfn << 12, &pte) != INVALID_MFN)
            fail_msg("pfn %#lx given back but still mapped", (unsigned long)pfn);
    check_world();
    check_ownership();
    /* Nothing stale is left in the way. */
    assert_int_equal(balloon_up(512), 512);
    assert_int_equal(stats().top_pfn, boundary + 512);
    check_world();
}

/* Fresh pfns skip what the p2m already uses (dom0's 1:1 ranges). */
static void fresh_pfns_skip_identity(void **state)
{
    (void)state;
    assert_int_equal(p2m_set_identity_range(NR + 10, NR + 20), 0);
    assert_int_equal(balloon_up(100), 100);
    for (xen_pfn_t pfn = NR + 10; pfn < NR + 20; pfn++)
        assert_int_equal(p2m_kind_of(pfn), P2M_IDENTITY);
    assert_int_equal(stats().top_pfn, NR + 110);
    check_world();
}

/*
 * Above the E820's RAM the p2m is 1:1 up to its limit (the plan's tail,
 * docs/e820.md).  Looking there for fresh pfns must cost per chunk, not
 * per pfn: the worker runs it on a cooperative scheduler, and the default
 * tail is 2^27 pfns.  Work = p2m entry loads + page reads in the model.
 */
static void fresh_search_skips_identity_tail(void **state)
{
    const xen_pfn_t ram_end = NR + 1000, limit = 2 * P2M_PFNS_PER_PTE_PAGE;
    struct balloon_config bc = { .pfn_limit = limit };
    uint64_t work;

    (void)state;
    p2m_shutdown();
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    assert_int_equal(p2m_set_identity_range(ram_end, limit), 0);
    assert_int_equal(balloon_up(2000), 1000);
    assert_int_equal(stats().block, BALLOON_NO_PFN_SPACE);
    work = sim.va_loads + sim.page_lookups;
    assert_int_equal(balloon_up(1), -ENOSPC);
    work = sim.va_loads + sim.page_lookups - work;
    if (work > (limit - ram_end) / 16)
        fail_msg("%lu loads and page reads to search %lu identity pfns",
                 (unsigned long)work, (unsigned long)(limit - ram_end));
    check_world();
}

/*
 * Fresh pfns come only from the E820's RAM (the plan's ram_above): pfns
 * the map does not call RAM stay missing even where the p2m has nothing
 * there, and the gap between two RAM ranges costs nothing to cross.
 */
static void fresh_pfns_only_from_e820_ram(void **state)
{
    static const struct e820_pfn_range ram[] = {
        { 0, NR + 10 }, { NR + 3 * P2M_PER_PAGE, NR + 3 * P2M_PER_PAGE + 100 },
        { 3 * PFN_SET_CHUNK_PFNS, 3 * PFN_SET_CHUNK_PFNS + 50 },
    };
    struct balloon_config bc = { .pfn_limit = 4 * PFN_SET_CHUNK_PFNS,
                                 .ram = ram, .nr_ram = 3 };
    uint64_t work;

    (void)state;
    p2m_shutdown();
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    work = sim.va_loads + sim.page_lookups;
    assert_int_equal(balloon_up(500), 160);
    work = sim.va_loads + sim.page_lookups - work;
    assert_int_equal(stats().block, BALLOON_NO_PFN_SPACE);
    for (xen_pfn_t pfn = NR; pfn < 4 * PFN_SET_CHUNK_PFNS; pfn++)
        if (p2m_kind_of(pfn) != (map_ram(pfn) ? P2M_RAM : P2M_MISSING))
            fail_msg("pfn %#lx is %s; the map says %s", (unsigned long)pfn,
                     p2m_kind_name(p2m_kind_of(pfn)), map_ram(pfn) ? "RAM" : "not RAM");
    assert_int_equal(stats().top_pfn, 3 * PFN_SET_CHUNK_PFNS + 50);
    /* 160 pages placed; the search itself is a handful of looks per range. */
    assert_true(work < 160 * 64);
    check_world();
}

/* The pfn space runs out before the reservation does. */
static void up_stops_at_pfn_limit(void **state)
{
    struct balloon_config bc = { .pfn_limit = NR + 50 };

    (void)state;
    p2m_shutdown();
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    assert_int_equal(balloon_up(100), 50);
    assert_int_equal(stats().block, BALLOON_NO_PFN_SPACE);
    assert_int_equal(balloon_up(1), -ENOSPC);
    assert_true(host_console_contains("no pfn left"));
    check_world();
}

static void released_pages_raise_the_boot_target(void **state)
{
    struct balloon_config bc = { .pfn_limit = 4 * PFN_SET_CHUNK_PFNS };

    (void)state;
    balloon_fini();
    p2m_shutdown();
    /* Noted before init, as the E820 code does at boot; a domU's flags. */
    balloon_note_released(300);
    boot(NR, NR + 8192, SIF_VIRT_P2M_4TOOLS, &bc);
    assert_int_equal(stats().released_at_boot, 300);
    assert_int_equal(stats().target_pages, NR + 300);
    while (balloon_step(1000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 300);
    assert_int_equal(stats().top_pfn, NR + 300);
    check_world();
    /* After the boot, a note raises the target only if nobody set one. */
    balloon_note_released(10);
    assert_int_equal(stats().requested_pages, NR + 310);
    balloon_set_target(NR);
    balloon_note_released(10);
    assert_int_equal(stats().requested_pages, NR);
}

static void restore_resync(void **state)
{
    (void)state;
    assert_int_equal(balloon_down(100), 100);
    assert_int_equal(balloon_resync(), 0);
    assert_int_equal(stats().current_pages, sim.dom_pages);
    check_world();
}

/* Random targets, batch sizes, partial and failed hypercalls, failed
 * allocations; the invariants hold after every step. */
static void random_sequences_keep_invariants(void **state)
{
    (void)state;
    for (int step = 0; step < 150; step++) {
        uint64_t r = rng_next(&rng);
        uint64_t lo = stats().min_pages, hi = NR + 8192;
        uint64_t target = lo + rng_next(&rng) % (hi - lo + 1);

        balloon_set_batch(1 + rng_next(&rng) % 1024);
        balloon_set_scrub(r & 1);
        switch ((r >> 1) % 8) {
        case 0:
            sim_inject_memop(XENMEM_decrease_reservation, rng_next(&rng) % 700, 0);
            break;
        case 1:
            sim_inject_memop(XENMEM_populate_physmap, rng_next(&rng) % 700, 0);
            break;
        case 2:
            sim_inject_memop((r >> 8) & 1 ? XENMEM_populate_physmap
                                          : XENMEM_decrease_reservation, 0, -EBUSY);
            break;
        case 3:
            sim_fail_frame_alloc_after(rng_next(&rng) % 4);
            break;
        default:
            break;
        }
        balloon_set_target(target);
        for (int i = 0; i < 4 && balloon_step(1 + rng_next(&rng) % 20000) > 0; i++)
            ;
        sim_fail_frame_alloc_after(-1);
        /* Disarm an injection not used up: re-arm it on an op the steps
         * never make. */
        sim_inject_memop(XENMEM_machphys_mapping, 0, 0);
        if (step % 10 == 0)
            check_world();
    }
    /* With nothing failing, every target is reached. */
    balloon_set_target(NR + 4000);
    while (balloon_step(100000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 4000);
    check_world();
    check_ownership();
    assert_true(stats().partial_results > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(grows_past_boot_max_pfn, setup, teardown),
        cmocka_unit_test_setup_teardown(grows_across_a_gib_with_frame_list, setup, teardown),
        cmocka_unit_test_setup_teardown(up_without_memory_for_the_p2m, setup, teardown),
        cmocka_unit_test_setup_teardown(up_map_fails_in_second_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(fresh_pfns_skip_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(fresh_search_skips_identity_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(fresh_pfns_only_from_e820_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(up_stops_at_pfn_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(released_pages_raise_the_boot_target, setup, teardown),
        cmocka_unit_test_setup_teardown(restore_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(random_sequences_keep_invariants, setup, teardown),
    };

    return cmocka_run_group_tests_name("balloon_growth", tests, NULL, NULL);
}
