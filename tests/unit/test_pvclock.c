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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ghz),
        cmocka_unit_test(test_positive_shift),
        cmocka_unit_test(test_no_overflow_for_large_deltas),
    };
    return cmocka_run_group_tests_name("pvclock", tests, NULL, NULL);
}
