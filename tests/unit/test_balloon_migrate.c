/*
 * Host tests of the balloon after a live migration (mm/balloon.c,
 * balloon_resync(), against the Xen model).  Pages ballooned out while the
 * tools were copying memory come back populated by the restore: a new
 * frame behind a pfn minnow has in its balloon, with that mfn in the p2m
 * (libxenguest's update_guest_p2m writes its own list over the guest's).
 * The resume must give those frames back, say so, and leave the world as
 * check_world() (balloon_fixture.h) wants it: Xen's count == minnow's.
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
#include <minnow/p2m.h>
#include <minnow/xen_mm.h>
#include "balloon_fixture.h"
#include "host_console.h"

/* What the restore of a live migration leaves for `every`-th ballooned
 * pfn (the ones the tools had sent before minnow let them go).  Returns
 * how many. */
static uint64_t repopulate_ballooned(unsigned int every)
{
    uint64_t n = 0, i = 0;

    for (xen_pfn_t pfn = balloon_next_ballooned(0); pfn != NO_FRAME;
         pfn = balloon_next_ballooned(pfn + 1), i++) {
        if (i % every)
            continue;
        sim_tools_write_p2m(pfn, sim_restore_populate(pfn));
        n++;
    }
    return n;
}

static void repopulated_frames_are_given_back(void **state)
{
    uint64_t own, n;

    (void)state;
    assert_int_equal(balloon_down(3000), 3000);
    own = stats().current_pages;
    n = repopulate_ballooned(3);
    assert_int_equal(n, 1000);
    assert_int_equal(sim.dom_pages, own + n);

    host_console_reset();
    assert_int_equal(balloon_resync(), 0);
    assert_true(host_console_contains("Xen counted"));
    assert_true(host_console_contains("(+1000); released 1000 frames"));
    assert_false(host_console_contains("still differs"));
    assert_int_equal(stats().repopulated, 1000);
    assert_int_equal(stats().current_pages, own);
    assert_int_equal(stats().ballooned_pages, 3000);
    assert_int_equal(sim.dom_pages, own);
    check_world();

    /* The next moves work from there: every ballooned pfn refills. */
    assert_int_equal(balloon_up(3000), 3000);
    assert_int_equal(stats().current_pages, sim.dom_pages);
    check_world();
    check_ownership();
}

/* A resume with nothing repopulated says nothing and changes nothing. */
static void quiet_when_nothing_diverges(void **state)
{
    (void)state;
    assert_int_equal(balloon_down(500), 500);
    host_console_reset();
    assert_int_equal(balloon_resync(), 0);
    assert_false(host_console_contains("Xen counted"));
    assert_int_equal(stats().repopulated, 0);
    check_world();
}

/*
 * A p2m entry of a ballooned pfn that names a frame Xen's m2p puts
 * elsewhere is not trusted: cleared, never handed to Xen; and the count
 * Xen reports (unchanged) is said to differ from nothing minnow lost.
 */
static void entry_with_foreign_m2p_is_cleared_not_released(void **state)
{
    xen_pfn_t pfn, other;

    (void)state;
    assert_int_equal(balloon_down(10), 10);
    pfn = balloon_next_ballooned(0);
    other = sim_stale_m2p_frame(pfn + 100000);
    sim_tools_write_p2m(pfn, other);
    host_console_reset();
    assert_int_equal(balloon_resync(), 0);
    assert_true(host_console_contains("which Xen's m2p does not place there"));
    assert_int_equal(p2m_get(pfn), INVALID_P2M_ENTRY);
    assert_int_equal(stats().repopulated, 0);
    assert_int_equal(sim_take_violations(), 0);
    check_world();
}

/*
 * A frame Xen refuses to take (m2p names our pfn, but it is not ours):
 * skipped, the rest of the batch still goes.  The model counts the
 * refusal as a violation, as it does every decrease_reservation of a
 * frame the domain does not own.
 */
static void refused_frame_is_skipped(void **state)
{
    xen_pfn_t first, second;
    uint64_t own, n;

    (void)state;
    assert_int_equal(balloon_down(600), 600);
    own = stats().current_pages;
    first = balloon_next_ballooned(0);
    second = balloon_next_ballooned(first + 1);
    n = repopulate_ballooned(2);            /* first, third, ... */
    sim_tools_write_p2m(second, sim_stale_m2p_frame(second));
    host_console_reset();
    assert_int_equal(balloon_resync(), 0);
    assert_int_equal(sim_take_violations(), 1);
    assert_true(host_console_contains("Xen keeps mfn"));
    assert_int_equal(stats().repopulated, n);
    assert_int_equal(sim.dom_pages, own);
    assert_int_equal(p2m_get(second), INVALID_P2M_ENTRY);
    check_world();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(repopulated_frames_are_given_back, setup, teardown),
        cmocka_unit_test_setup_teardown(quiet_when_nothing_diverges, setup, teardown),
        cmocka_unit_test_setup_teardown(entry_with_foreign_m2p_is_cleared_not_released,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(refused_frame_is_skipped, setup, teardown),
    };

    return cmocka_run_group_tests_name("balloon_migrate", tests, NULL, NULL);
}
