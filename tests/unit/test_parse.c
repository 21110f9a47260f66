/* kernel/parse.c: the one number parser, strict about what it accepts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <minnow/parse.h>

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Each of bad[] (and NULL) is -EINVAL, and *out is left alone. */
static void assert_refused(int (*parse)(const char *, uint64_t *), const char *name,
                           const char *const *bad, size_t n)
{
    uint64_t v = SENTINEL;

    assert_int_equal(parse(NULL, &v), -EINVAL);
    for (size_t i = 0; i < n; i++) {
        if (parse(bad[i], &v) != -EINVAL)
            fail_msg("%s(\"%s\") accepted", name, bad[i]);
        assert_true(v == SENTINEL);
    }
}

static void test_decimal_and_hex(void **state)
{
    uint64_t v;

    assert_int_equal(parse_u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(parse_u64("4096", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(parse_u64("007", &v), 0);      /* leading zeros: still decimal */
    assert_int_equal(v, 7);
    assert_int_equal(parse_u64("0x1000", &v), 0);
    assert_int_equal(v, 0x1000);
    assert_int_equal(parse_u64("0XaBcD", &v), 0);
    assert_int_equal(v, 0xabcd);
}

static void test_the_largest_value_and_one_more(void **state)
{
    uint64_t v;

    assert_int_equal(parse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(parse_u64("0xffffffffffffffff", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(parse_u64("18446744073709551616", &v), -EINVAL);
    assert_int_equal(parse_u64("18446744073709551620", &v), -EINVAL);
    assert_int_equal(parse_u64("99999999999999999999", &v), -EINVAL);
    assert_int_equal(parse_u64("0x10000000000000000", &v), -EINVAL);
}

static void test_refuses_everything_else(void **state)
{
    static const char *const bad[] = {
        "", " 1", "1 ", "+1", "-1", "1x", "12Q", "0x", "0x ", "0xg", "x10", "1.5", "1,2",
        "4096\n", "1K",
    };

    assert_refused(parse_u64, "parse_u64", bad, N(bad));
}

static void test_sizes(void **state)
{
    uint64_t v;

    assert_int_equal(parse_size("64M", &v), 0);
    assert_int_equal(v, 64ULL << 20);
    assert_int_equal(parse_size("0x1000", &v), 0);
    assert_int_equal(v, 0x1000);
    assert_int_equal(parse_size("0x10m", &v), 0);
    assert_int_equal(v, 16ULL << 20);
    assert_int_equal(parse_size("2T", &v), 0);
    assert_int_equal(v, 2ULL << 40);
    assert_int_equal(parse_size("512k", &v), 0);
    assert_int_equal(v, 512 << 10);
    assert_int_equal(parse_size("1g", &v), 0);
    assert_int_equal(v, 1ULL << 30);
    assert_int_equal(parse_size("4096", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(parse_size("16777215T", &v), 0);   /* 2^24 - 1 T: the largest */
    assert_true(v == 16777215ULL << 40);
}

static void test_bad_sizes(void **state)
{
    static const char *const bad[] = {
        "", "12Q", "0x", "M", "1MM", "1M ", " 1M", "-1M", "1KB",
        "99999999999999999999", "17179869184G", "16777216T",     /* overflow */
    };

    assert_refused(parse_size, "parse_size", bad, N(bad));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_and_hex),
        cmocka_unit_test(test_the_largest_value_and_one_more),
        cmocka_unit_test(test_refuses_everything_else),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_bad_sizes),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
