/* Console and newlib printf: 64-bit values, C99 length modifiers. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "test.h"
#include <minnow/console.h>
#include <minnow/events.h>
#include <arch/hypercall.h>

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

    captured_len = 0;
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

/*
 * An event that arrives while a thread is inside a console backend: its
 * handler's printk must not land in the middle of the thread's message
 * (a ring backend would lose or garble output).  The backend below lets
 * an event arrive half-way through its first write, through Xen's real
 * delivery path (a loopback channel).
 */
static evtchn_port_t kick_port;
static bool kicked;

static void upcall_printk(evtchn_port_t port, void *data)
{
    printk("[upcall]");
}

static void write_with_an_event_midway(const char *buf, size_t len)
{
    size_t half = len / 2;

    capture_write(buf, half);
    if (!kicked) {
        kicked = true;
        evtchn_notify(kick_port);
    }
    capture_write(buf + half, len - half);
}

GUEST_TEST(console_write_not_split_by_upcall, 0)
{
    static struct console_backend midway = { .name = "midway",
                                             .write = write_with_an_event_midway };
    evtchn_port_t a, b;

    TEST_ASSERT(evtchn_alloc_unbound(DOMID_SELF, NULL, NULL, &a) == 0, "alloc_unbound");
    evtchn_unbind(a);
    struct evtchn_bind_interdomain bind = { .remote_dom = DOMID_SELF, .remote_port = a };
    long lrc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
    TEST_ASSERT(lrc == 0, "bind_interdomain rc=%ld", lrc);
    b = bind.local_port;
    TEST_ASSERT(evtchn_bind(b, upcall_printk, NULL) == 0, "bind");
    evtchn_unmask(b);

    kick_port = a;
    kicked = false;
    captured_len = 0;
    captured[0] = '\0';
    console_register(&midway);
    printk("a thread's message\n");
    console_unregister(&midway);
    evtchn_close(b);
    evtchn_close(a);
    TEST_ASSERT(kicked, "the backend was not called");
    TEST_ASSERT(strcmp(captured, "a thread's message\n[upcall]") == 0, "captured '%s'",
                captured);
    return TEST_PASS;
}
