/*
 * Host tests of the balloon's down and up accounting and batching
 * (mm/balloon.c, its pfn_set) within the boot reservation, against the Xen
 * model: the real p2m, page tables and frame allocator, with reservation
 * hypercalls that can be made to do part of the work, or none, at any
 * position.  Growth past the boot pfns is test_balloon_growth.c's; the
 * fixture and check_world()'s invariants are in balloon_fixture.h.
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

/* ---- tests ------------------------------------------------------------------ */

static void init_reads_the_reservation(void **state)
{
    struct balloon_stats st = stats();

    (void)state;
    assert_int_equal(st.current_pages, NR);
    assert_int_equal(st.max_pages, NR + 8192);
    assert_int_equal(st.target_pages, NR);
    assert_int_equal(st.top_pfn, NR);
    assert_int_equal(st.batch, BALLOON_DEFAULT_BATCH);
    /* In use (not free) plus 4 MiB of headroom. */
    assert_int_equal(st.min_pages, NR - free_at_boot + BALLOON_MIN_HEADROOM);
    assert_int_equal(balloon_step(100000), 0);
    assert_int_equal(st.ballooned_pages, 0);
    check_world();
    check_ownership();
}

static void down_and_up_round_trip(void **state)
{
    static bool was_out[NR];
    struct balloon_stats st;
    uint64_t dom = sim.dom_pages, bitmap_pages, zeroed = 0;

    (void)state;
    fill_free_frames();
    assert_int_equal(balloon_down(4096), 4096);
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++)
        was_out[pfn] = balloon_pfn_is_ballooned(pfn);
    /* Walking the set visits exactly those pfns, in order. */
    {
        uint64_t n = 0;
        xen_pfn_t prev = 0;
        for (xen_pfn_t p = balloon_next_ballooned(0); p != ~0UL;
             p = balloon_next_ballooned(p + 1)) {
            assert_true(p < NR && was_out[p] && (n == 0 || p > prev));
            prev = p;
            n++;
        }
        assert_int_equal(n, 4096);
    }
    st = stats();
    bitmap_pages = st.bitmap_pages;
    assert_int_equal(sim.dom_pages, dom - 4096);
    assert_int_equal(st.current_pages, dom - 4096);
    assert_int_equal(st.ballooned_pages, 4096);
    /* 4096 pages in 8 full batches; frames gone from the allocator, plus
     * the set's bitmap pages (one per 128 MiB chunk touched). */
    assert_int_equal(st.down_calls, 8);
    assert_int_equal(st.max_extents_per_call, 512);
    assert_true(st.bitmap_pages >= 1);
    assert_int_equal(frame_free_count(), free_at_boot - 4096 - st.bitmap_pages);
    assert_int_equal(st.low_pages, dom - 4096);
    check_world();

    /* Up refills exactly the ballooned pfns; the bitmap pages go back. */
    assert_int_equal(balloon_up(4096), 4096);
    st = stats();
    assert_int_equal(st.ballooned_pages, 0);
    assert_int_equal(st.bitmap_pages, 0);
    assert_int_equal(st.top_pfn, NR);
    assert_int_equal(st.up_calls, 8);
    assert_int_equal(sim.dom_pages, dom);
    assert_int_equal(frame_free_count(), free_at_boot);
    check_world();
    check_ownership();

    /* Frames that never left kept their contents (no scrub by default),
     * except the set's bitmap pages (zeroed when taken); the ones that
     * came back are RAM again and take a pattern. */
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++) {
        uint64_t *p;
        if (!frame_is_free(pfn))
            continue;
        p = xen_mm_page(pfn);
        if (!was_out[pfn]) {
            if (*p == 0)
                zeroed++;
            else
                assert_int_equal(*p, PAT(pfn));
            continue;
        }
        for (unsigned int i = 0; i < 512; i++)
            p[i] = PAT(pfn) + i;
        for (unsigned int i = 0; i < 512; i++)
            assert_int_equal(p[i], PAT(pfn) + i);
    }
    assert_int_equal(zeroed, bitmap_pages);
    assert_int_equal(sim_take_violations(), 0);
}

static void batch_size_sets_extents_per_call(void **state)
{
    static const unsigned int sizes[] = { 1, 64, 512, 2048, BALLOON_MAX_BATCH };

    (void)state;
    for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct balloon_stats before, after;
        unsigned int b = sizes[i];
        uint64_t n = b == 1 ? 100 : 5000;

        balloon_set_batch(b);
        before = stats();
        assert_int_equal(balloon_down(n), n);
        after = stats();
        assert_int_equal(after.down_calls - before.down_calls, (n + b - 1) / b);
        assert_int_equal(balloon_up(n), n);
        assert_int_equal(stats().up_calls - after.up_calls, (n + b - 1) / b);
        /* Sizes grow, and every run is at least one full batch. */
        assert_int_equal(stats().max_extents_per_call, b);
    }
    assert_int_equal(stats().max_extents_per_call, BALLOON_MAX_BATCH);
    balloon_set_batch(BALLOON_MAX_BATCH + 1);
    assert_int_equal(stats().batch, BALLOON_MAX_BATCH);
    assert_true(host_console_contains("too large"));
    check_world();
}

/* Xen takes only the first k of a batch, for every k: the rest come back. */
static void partial_down_at_every_position(void **state)
{
    (void)state;
    balloon_set_batch(64);
    for (long k = 0; k <= 64; k++) {
        struct balloon_stats before = stats();
        uint64_t free_before = frame_free_count(), dom = sim.dom_pages;

        sim_inject_memop(XENMEM_decrease_reservation, k, 0);
        long got = balloon_down(64);
        struct balloon_stats after = stats();
        if (k == 0) {
            assert_int_equal(got, -EBUSY);
            assert_int_equal(after.block, BALLOON_XEN_REFUSED);
        } else {
            assert_int_equal(got, k);
        }
        assert_int_equal(sim.dom_pages, dom - k);
        assert_int_equal(after.current_pages, before.current_pages - k);
        assert_int_equal(after.ballooned_pages, before.ballooned_pages + k);
        assert_int_equal(frame_free_count() + (after.bitmap_pages - before.bitmap_pages),
                         free_before - k);
        if (k < 64)
            assert_int_equal(after.partial_results, before.partial_results + 1);
        if (k % 8 == 0)
            check_world();
    }
    check_world();
    check_ownership();
}

static void down_error_changes_nothing(void **state)
{
    uint64_t free_before = frame_free_count(), dom = sim.dom_pages;

    (void)state;
    sim_inject_memop(XENMEM_decrease_reservation, 0, -EINVAL);
    assert_int_equal(balloon_down(700), -EBUSY);
    assert_true(host_console_contains("decrease_reservation of 512 extents failed, rc -22"));
    assert_int_equal(stats().last_rc, -EINVAL);
    assert_int_equal(stats().block, BALLOON_XEN_REFUSED);
    assert_int_equal(frame_free_count(), free_before);
    assert_int_equal(sim.dom_pages, dom);
    assert_int_equal(stats().ballooned_pages, 0);
    assert_int_equal(stats().bitmap_pages, 0);
    check_world();
    /* The next attempt goes through. */
    assert_int_equal(balloon_down(700), 700);
    check_world();
}

static void partial_up_at_every_position(void **state)
{
    (void)state;
    balloon_set_batch(64);
    assert_int_equal(balloon_down(64 * 66), 64 * 66);
    for (long k = 0; k <= 64; k++) {
        struct balloon_stats before = stats();
        uint64_t dom = sim.dom_pages;

        sim_inject_memop(XENMEM_populate_physmap, k, 0);
        long got = balloon_up(64);
        struct balloon_stats after = stats();
        assert_int_equal(got, k ? k : -EBUSY);
        assert_int_equal(sim.dom_pages, dom + k);
        assert_int_equal(after.current_pages, before.current_pages + k);
        assert_int_equal(after.ballooned_pages, before.ballooned_pages - k);
        if (k % 8 == 0)
            check_world();
    }
    check_world();
    check_ownership();
}

/*
 * Xen takes 100 of 512 frames, then refuses to map the rest back after
 * 100 of them: the 100 it mapped are back in the allocator, the other 312
 * are lost -- still ours and in the p2m, but mapped nowhere and counted,
 * so Xen's tot_pages and current_pages still agree.
 */
static void down_remap_fails_part_way(void **state)
{
    uint64_t free_before = frame_free_count(), dom = sim.dom_pages, pte, unmapped = 0;
    struct balloon_stats st;

    (void)state;
    sim_inject_memop(XENMEM_decrease_reservation, 100, 0);
    sim_fail_pte_maps_after(100);
    assert_int_equal(balloon_down(512), 100);
    sim_fail_pte_maps_after(-1);
    st = stats();
    assert_int_equal(st.lost_pages, 312);
    assert_int_equal(st.ballooned_pages, 100);
    assert_int_equal(frame_free_count(), free_before - 512 - st.bitmap_pages + 100);
    assert_int_equal(sim.dom_pages, dom - 100);
    assert_int_equal(st.current_pages, sim.dom_pages);
    /* Every RAM pfn is mapped, except the lost ones. */
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++)
        if (p2m_kind_of(pfn) == P2M_RAM && sim_translate(pfn << 12, &pte) != pfn_to_mfn(pfn)) {
            assert_false(frame_is_free(pfn));
            unmapped++;
        }
    assert_int_equal(unmapped, 312);
    assert_int_equal(sim_take_violations(), 0);
    assert_int_equal(p2m_self_check(), 0);
}

static void up_error_changes_nothing(void **state)
{
    struct balloon_stats before;

    (void)state;
    assert_int_equal(balloon_down(1000), 1000);
    before = stats();
    sim_inject_memop(XENMEM_populate_physmap, 0, -ENOMEM);
    assert_int_equal(balloon_up(1000), -EBUSY);
    assert_int_equal(stats().current_pages, before.current_pages);
    assert_int_equal(stats().ballooned_pages, 1000);
    assert_true(host_console_contains("populate_physmap of 512 extents failed, rc -12"));
    check_world();
    assert_int_equal(balloon_up(1000), 1000);
    check_world();
}

/* Down never takes the allocator below keep_free, and says why it stops. */
static void down_stops_at_keep_free(void **state)
{
    long got;

    (void)state;
    got = balloon_down(1UL << 30);
    assert_true(got > 0);
    assert_int_equal(stats().block, BALLOON_NO_FREE_FRAMES);
    /* One more may be free if the last frame taken became a bitmap page
     * and went back unused. */
    assert_true(frame_free_count() <= BALLOON_DEFAULT_KEEP_FREE + 1);
    got = balloon_down(1);
    assert_true(got == 1 || got == -ENOMEM);
    assert_int_equal(balloon_down(1), -ENOMEM);
    assert_int_equal(frame_free_count(), BALLOON_DEFAULT_KEEP_FREE);
    check_world();
    check_ownership();
}

static void target_clamped_to_min_and_max(void **state)
{
    struct balloon_stats st = stats();
    uint64_t t;

    (void)state;
    t = balloon_set_target(1);
    assert_int_equal(t, st.min_pages);
    assert_true(host_console_contains("below the minimum"));
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, st.min_pages);
    assert_true(stats().current_pages >= st.min_pages);
    check_world();

    host_console_reset();
    t = balloon_set_target(NR + 1000000);
    assert_int_equal(t, NR + 8192);
    assert_true(host_console_contains("above the maximum"));
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 8192);
    assert_int_equal(balloon_step(10000), 0);
    check_world();

    /* The toolstack raises the maximum: the asked-for target is followed. */
    sim.cfg.max_pages = NR + 10000;
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 10000);
    /* ... and lowers it below what we hold: the balloon goes down to it. */
    sim.cfg.max_pages = NR - 3000;
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR - 3000);
    check_world();
    check_ownership();
}

/* Xen refuses past its own maximum even if asked directly. */
static void up_refused_at_maximum(void **state)
{
    (void)state;
    sim.cfg.max_pages = NR;
    assert_int_equal(balloon_up(10), -EBUSY);
    assert_int_equal(stats().block, BALLOON_XEN_REFUSED);
    balloon_set_target(NR + 10);
    assert_int_equal(balloon_step(100), 0);    /* target clamped to max */
    check_world();
}

/* Scrubbed pages that Xen did not take come back zeroed, others intact. */
static void scrub_zeroes_what_is_given(void **state)
{
    struct balloon_stats st;

    (void)state;
    fill_free_frames();
    balloon_set_scrub(true);
    sim_inject_memop(XENMEM_decrease_reservation, 100, 0);
    assert_int_equal(balloon_down(512), 100);
    st = stats();
    unsigned int zeroed = 0;
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++) {
        if (!frame_is_free(pfn))
            continue;
        uint64_t v = *(uint64_t *)xen_mm_page(pfn);
        if (v == 0)
            zeroed++;
        else
            assert_int_equal(v, PAT(pfn));
    }
    /* 412 went out scrubbed and came back; maybe one became a bitmap page. */
    assert_int_equal(zeroed, 412);
    assert_int_equal(st.pages_down, 100);
    check_world();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(init_reads_the_reservation, setup, teardown),
        cmocka_unit_test_setup_teardown(down_and_up_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_size_sets_extents_per_call, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_down_at_every_position, setup, teardown),
        cmocka_unit_test_setup_teardown(down_error_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_up_at_every_position, setup, teardown),
        cmocka_unit_test_setup_teardown(down_remap_fails_part_way, setup, teardown),
        cmocka_unit_test_setup_teardown(up_error_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(down_stops_at_keep_free, setup, teardown),
        cmocka_unit_test_setup_teardown(target_clamped_to_min_and_max, setup, teardown),
        cmocka_unit_test_setup_teardown(up_refused_at_maximum, setup, teardown),
        cmocka_unit_test_setup_teardown(scrub_zeroes_what_is_given, setup, teardown),
    };

    return cmocka_run_group_tests_name("balloon", tests, NULL, NULL);
}
