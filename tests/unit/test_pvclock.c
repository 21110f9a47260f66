#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <minnow/time.h>

/* Xen's parameters for a 2 GHz TSC: shift -1, mul = 2^32 (0.5 ns per tick * 2). */
static void test_two_ghz(void **state)
{
    /* delta >> 1, then * 2^32 >> 32: 2e9 ticks -> 1e9 ns */
    assert_int_equal(pvclock_scale_delta(2000000000ULL, 0xffffffffU, -1), 999999999ULL);
    assert_int_equal(pvclock_scale_delta(0, 0x80000000U, 0), 0);
}

static void test_positive_shift(void **state)
{
    /* 500 MHz: 2 ns per tick = delta << 1 * 2^31/2^32 ... i.e. mul 0x80000000, shift 2 */
    assert_int_equal(pvclock_scale_delta(1000, 0x80000000U, 2), 2000);
}

static void test_no_overflow_for_large_deltas(void **state)
{
    /* A day of 3 GHz ticks must not wrap in the 64-bit multiply. */
    uint64_t ticks = 3000000000ULL * 86400;
    uint64_t ns = pvclock_scale_delta(ticks, 0xaaaaaaabU, -1);   /* 1/3 ns per tick * 2 */
    assert_true(ns > 86399ULL * 1000000000ULL && ns < 86401ULL * 1000000000ULL);
}

/*
 * Review finding 4: a domain saved on a host up for 5 days and restored on
 * one up for 10 s.  Its clock and its deadlines must carry on from the
 * suspend, neither jumping back 5 days nor waiting them out.
 */
#define SEC 1000000000ULL
#define DAY (86400 * SEC)

static void test_restore_on_a_younger_host(void **state)
{
    int64_t offset = 0;
    stime_t at_suspend = pvclock_to_monotonic(5 * DAY, offset);
    stime_t sleeper_deadline = at_suspend + 2 * SEC;     /* a sleep begun before the save */

    offset = pvclock_restore_offset(at_suspend, 10 * SEC);
    assert_int_equal(pvclock_to_monotonic(10 * SEC, offset), at_suspend);
    assert_int_equal(pvclock_to_monotonic(11 * SEC, offset), at_suspend + SEC);
    /* The sleeper's timer fires 2 s into the new host's time, not in 5 days. */
    assert_int_equal(pvclock_to_system(sleeper_deadline, offset), 12 * SEC);
}

static void test_restore_on_an_older_host(void **state)
{
    int64_t offset = 0;
    stime_t at_suspend = pvclock_to_monotonic(10 * SEC, offset);

    offset = pvclock_restore_offset(at_suspend, 5 * DAY);
    assert_int_equal(pvclock_to_monotonic(5 * DAY + SEC, offset), at_suspend + SEC);
    /* A deadline 1 s after the suspend fires 1 s into the restored run, not at once. */
    assert_int_equal(pvclock_to_system(at_suspend + SEC, offset), 5 * DAY + SEC);
}

static void test_offsets_compose_over_restores(void **state)
{
    int64_t offset = 0;
    stime_t mono = 0;

    /* Three hosts, each up for a different time; 3 s of run time on each. */
    const stime_t boot_of_host[] = { 7 * DAY, 20 * SEC, 3 * DAY };
    for (unsigned i = 0; i < 3; i++) {
        offset = pvclock_restore_offset(mono, boot_of_host[i]);
        assert_int_equal(pvclock_to_monotonic(boot_of_host[i], offset), mono);
        mono = pvclock_to_monotonic(boot_of_host[i] + 3 * SEC, offset);
    }
    assert_int_equal(mono, 9 * SEC);
}

static void test_deadline_edges(void **state)
{
    int64_t offset = pvclock_restore_offset(5 * DAY, 10 * SEC);

    assert_int_equal(pvclock_to_system(0, offset), 0);                 /* cancel */
    /* Long past (before this host's time began): at once, but not "cancel". */
    assert_int_equal(pvclock_to_system(SEC, offset), 1);
    assert_int_equal(pvclock_to_system(UINT64_MAX, -(int64_t)DAY), UINT64_MAX);
    assert_int_equal(pvclock_to_monotonic(SEC, -(int64_t)DAY), 0);     /* never negative */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ghz),
        cmocka_unit_test(test_positive_shift),
        cmocka_unit_test(test_no_overflow_for_large_deltas),
        cmocka_unit_test(test_restore_on_a_younger_host),
        cmocka_unit_test(test_restore_on_an_older_host),
        cmocka_unit_test(test_offsets_compose_over_restores),
        cmocka_unit_test(test_deadline_edges),
    };
    return cmocka_run_group_tests_name("pvclock", tests, NULL, NULL);
}
