#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <minnow/cmdline.h>

static void test_keys_values_and_flags(void **state)
{
    assert_int_equal(cmdline_init("  tests=boot,traps p2m_dump\tmem=64M a=b=c "), 0);
    assert_string_equal(cmdline_get("tests"), "boot,traps");
    assert_string_equal(cmdline_get("p2m_dump"), "");
    assert_string_equal(cmdline_get("a"), "b=c");
    assert_null(cmdline_get("test"));
    assert_true(cmdline_has("mem"));
    assert_false(cmdline_has("boot"));
}

static void test_last_value_wins(void **state)
{
    cmdline_init("x=1 x=2");
    assert_string_equal(cmdline_get("x"), "2");
}

static void test_empty_and_null(void **state)
{
    assert_int_equal(cmdline_init(NULL), 0);
    assert_null(cmdline_get("x"));
    assert_int_equal(cmdline_init(""), 0);
    assert_null(cmdline_get(""));
}

/* The parsing itself is test_parse.c's: here only that the value is found. */
static void test_sizes(void **state)
{
    uint64_t v;
    cmdline_init("mem=1G bad=zz p=0x1000");
    assert_int_equal(cmdline_get_size("mem", &v), 0);
    assert_int_equal(v, 1ULL << 30);
    assert_int_equal(cmdline_get_size("p", &v), 0);
    assert_int_equal(v, 0x1000);
    assert_int_equal(cmdline_get_size("bad", &v), -EINVAL);
    assert_int_equal(cmdline_get_size("none", &v), -ENOENT);
}

static void test_numbers(void **state)
{
    uint64_t v;
    cmdline_init("batch=512 hex=0x20 junk=12k neg=-1 empty=");
    assert_int_equal(cmdline_get_u64("batch", &v), 0);
    assert_int_equal(v, 512);
    assert_int_equal(cmdline_get_u64("hex", &v), 0);
    assert_int_equal(v, 0x20);
    assert_int_equal(cmdline_get_u64("junk", &v), -EINVAL);
    assert_int_equal(cmdline_get_u64("neg", &v), -EINVAL);
    assert_int_equal(cmdline_get_u64("empty", &v), -EINVAL);
    assert_int_equal(cmdline_get_u64("none", &v), -ENOENT);
}

static void test_lists(void **state)
{
    cmdline_init("tests=boot,traps,p2m_self");
    const char *tests = cmdline_get("tests");
    assert_true(cmdline_list_contains(tests, "boot"));
    assert_true(cmdline_list_contains(tests, "traps"));
    assert_true(cmdline_list_contains(tests, "p2m_self"));
    assert_false(cmdline_list_contains(tests, "p2m"));
    assert_false(cmdline_list_contains(tests, "boo"));
    assert_false(cmdline_list_contains(tests, "traps,p2m_self"));
    assert_false(cmdline_list_contains(tests, ""));
    cmdline_init("tests=all");
    assert_true(cmdline_list_contains(cmdline_get("tests"), "all"));
    assert_false(cmdline_list_contains(cmdline_get("tests"), "anything"));
}

/* Every item in order, empty ones included: "a,,b," is a, "", b, "". */
static void test_list_items(void **state)
{
    static const struct {
        const char *list;
        const char *items;          /* each item in brackets */
    } cases[] = {
        { "boot,traps", "[boot][traps]" },
        { "one", "[one]" },
        { "", "[]" },
        { "a,,b,", "[a][][b][]" },
        { ",", "[][]" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *list = cases[i].list, *item;
        char joined[64] = "";
        size_t len;

        while (cmdline_list_next(&list, &item, &len)) {
            assert_true(strlen(joined) + len + 2 < sizeof(joined));
            strcat(joined, "[");
            strncat(joined, item, len);
            strcat(joined, "]");
        }
        assert_string_equal(joined, cases[i].items);
        assert_false(cmdline_list_next(&list, &item, &len));   /* stays used up */
    }
    assert_true(cmdline_list_contains("a,,b", ""));
}

static void test_too_many_words(void **state)
{
    char line[CMDLINE_MAX];
    size_t off = 0;
    for (int i = 0; i < CMDLINE_MAX_ARGS + 5; i++)
        off += snprintf(line + off, sizeof(line) - off, "w%d ", i);
    assert_int_equal(cmdline_init(line), -E2BIG);
    assert_true(cmdline_has("w0"));
    assert_true(cmdline_has("w63"));
    assert_false(cmdline_has("w64"));
}

static void test_overlong_line_is_truncated_not_overrun(void **state)
{
    char line[CMDLINE_MAX * 2];
    memset(line, 'a', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    assert_int_equal(cmdline_init(line), 0);
    assert_false(cmdline_has("a"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_values_and_flags),
        cmocka_unit_test(test_last_value_wins),
        cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_list_items),
        cmocka_unit_test(test_too_many_words),
        cmocka_unit_test(test_overlong_line_is_truncated_not_overrun),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
