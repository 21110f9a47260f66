/* Reading xenstored's messages off the response ring (drivers/xen/xenstore_wire.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "drivers/xen/xenstore_wire.h"

static char buf[XENSTORE_RING_SIZE];
static uint32_t prod, cons;
static const struct byte_ring ring = { buf, sizeof(buf), &prod, &cons };
static struct xs_in in;

static int setup(void **state)
{
    prod = cons = 0;
    memset(buf, 0, sizeof(buf));
    xs_in_reset(&in);
    return 0;
}

/* The other end: put bytes on the ring (they must fit). */
static void produce(const void *data, size_t len)
{
    assert_int_equal(byte_ring_write(&ring, data, len), (int)len);
}

static void produce_msg(uint32_t type, uint32_t req_id, const void *body, uint32_t len)
{
    struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .len = len };
    produce(&hdr, sizeof(hdr));
    produce(body, len);
}

static void test_whole_message(void **state)
{
    size_t taken;

    produce_msg(XS_READ, 7, "value", 5);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_MESSAGE);
    assert_int_equal(taken, sizeof(struct xsd_sockmsg) + 5);
    assert_int_equal(in.hdr.req_id, 7);
    assert_string_equal(in.body, "value");     /* NUL-terminated */
    assert_int_equal(xs_in_classify(&in, true, 7), XS_IN_REPLY);
    assert_int_equal(xs_in_classify(&in, true, 8), XS_IN_UNEXPECTED);
    assert_int_equal(xs_in_classify(&in, false, 7), XS_IN_UNEXPECTED);
}

static void test_message_in_pieces_stops_at_its_end(void **state)
{
    struct xsd_sockmsg hdr = { .type = XS_WRITE, .req_id = 1, .len = 3 };
    size_t taken;

    produce(&hdr, 10);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_PARTIAL);
    assert_int_equal(taken, 10);
    produce((char *)&hdr + 10, sizeof(hdr) - 10);
    produce("OK", 2);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_PARTIAL);
    produce("\0", 1);
    produce_msg(XS_READ, 2, "next", 4);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_MESSAGE);
    assert_int_equal(taken, 1);
    assert_string_equal(in.body, "OK");
    xs_in_reset(&in);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_MESSAGE);
    assert_string_equal(in.body, "next");
    assert_int_equal(prod, cons);
}

static void test_empty_body_and_wrap(void **state)
{
    size_t taken;

    prod = cons = 0xfffffff8U;
    produce_msg(XS_RM, 3, "", 0);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_MESSAGE);
    assert_int_equal(in.hdr.len, 0);
    assert_string_equal(in.body, "");
}

static void test_too_long_before_reading_body(void **state)
{
    struct xsd_sockmsg hdr = { .type = XS_READ, .len = XENSTORE_PAYLOAD_MAX + 1 };
    size_t taken;

    produce(&hdr, sizeof(hdr));
    produce("xyz", 3);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_TOO_LONG);
    assert_int_equal(taken, sizeof(hdr));
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_TOO_LONG);
    assert_int_equal(taken, 0);
}

static void test_corrupt_indexes(void **state)
{
    size_t taken;

    prod = cons + XENSTORE_RING_SIZE + 1;
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_BAD_RING);
    assert_int_equal(taken, 0);
    prod = cons - 1;                            /* behind the consumer */
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_BAD_RING);
}

static void test_watch_event_layout(void **state)
{
    const char *path, *token;
    size_t taken;

    produce_msg(XS_WATCH_EVENT, 0, "a/b\0w12\0", 8);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_MESSAGE);
    assert_int_equal(xs_in_classify(&in, true, 0), XS_IN_WATCH_EVENT);
    assert_int_equal(xs_in_watch_event(&in, &path, &token), 0);
    assert_string_equal(path, "a/b");
    assert_string_equal(token, "w12");

    /* No NUL after the path: no token, refused. */
    xs_in_reset(&in);
    produce_msg(XS_WATCH_EVENT, 0, "a/b", 3);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_MESSAGE);
    assert_int_equal(xs_in_watch_event(&in, &path, &token), -EINVAL);

    /* A token without its NUL still ends inside the message (at body[len]). */
    xs_in_reset(&in);
    produce_msg(XS_WATCH_EVENT, 0, "p\0tok", 5);
    assert_int_equal(xs_in_take(&in, &ring, &taken), XS_IN_MESSAGE);
    assert_int_equal(xs_in_watch_event(&in, &path, &token), 0);
    assert_string_equal(token, "tok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_whole_message, setup),
        cmocka_unit_test_setup(test_message_in_pieces_stops_at_its_end, setup),
        cmocka_unit_test_setup(test_empty_body_and_wrap, setup),
        cmocka_unit_test_setup(test_too_long_before_reading_body, setup),
        cmocka_unit_test_setup(test_corrupt_indexes, setup),
        cmocka_unit_test_setup(test_watch_event_layout, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
