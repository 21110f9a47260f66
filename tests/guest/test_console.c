/* Console and newlib printf: 64-bit values, C99 length modifiers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "test.h"
#include <minnow/console.h>

static char captured[256];
static size_t captured_len;

static void capture_write(const char *buf, size_t len)
{
    if (captured_len + len < sizeof(captured)) {
        memcpy(captured + captured_len, buf, len);
        captured_len += len;
        captured[captured_len] = '\0';
    }
}

GUEST_TEST(console_printk_backends, 0)
{
    static struct console_backend capture = { .name = "capture", .write = capture_write };

    console_register(&capture);
    printk("console test %d %s\n", 42, "ok");
    console_unregister(&capture);
    TEST_ASSERT(strcmp(captured, "console test 42 ok\n") == 0, "captured '%s'", captured);
    return TEST_PASS;
}

GUEST_TEST(newlib_printf_64bit, 0)
{
    char buf[128];

    snprintf(buf, sizeof(buf), "%llx %lu %" PRId64 " %zu %jd",
             0xfedcba9876543210ULL, 18446744073709551615UL, (int64_t)-9223372036854775807LL,
             (size_t)1 << 40, (intmax_t)-1);
    TEST_ASSERT(strcmp(buf, "fedcba9876543210 18446744073709551615 "
                            "-9223372036854775807 1099511627776 -1") == 0, "got '%s'", buf);
    snprintf(buf, sizeof(buf), "%#018lx|%-5d|%5s|%c", 0x1000UL, 7, "ab", 'z');
    TEST_ASSERT(strcmp(buf, "0x0000000000001000|7    |   ab|z") == 0, "got '%s'", buf);
    return TEST_PASS;
}
