#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <minnow/byte_ring.h>

static char buf[16];
static uint32_t prod, cons;
static const struct byte_ring ring = { buf, sizeof(buf), &prod, &cons };

static int setup(void **state)
{
    prod = cons = 0;
    memset(buf, 0, sizeof(buf));
    return 0;
}

static void test_roundtrip_and_full(void **state)
{
    char out[32];
    assert_int_equal(byte_ring_write(&ring, "hello world, this is long", 25), 16);
    assert_int_equal(byte_ring_write(&ring, "x", 1), 0);          /* full */
    assert_int_equal(byte_ring_used(&ring), 16);
    assert_int_equal(byte_ring_read(&ring, out, 5), 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(byte_ring_write(&ring, "ABCDE", 5), 5);       /* wraps */
    assert_int_equal(byte_ring_read(&ring, out, 32), 16);
    assert_memory_equal(out, " world, this ABCDE" + 0, 11);
    assert_memory_equal(out + 11, "ABCDE", 5);
    assert_int_equal(byte_ring_read(&ring, out, 32), 0);
}

static void test_indexes_wrap_at_2_32(void **state)
{
    char out[8];
    prod = cons = 0xfffffffcU;
    assert_int_equal(byte_ring_write(&ring, "12345678", 8), 8);
    assert_int_equal(prod, 4);
    assert_int_equal(byte_ring_used(&ring), 8);
    assert_int_equal(byte_ring_read(&ring, out, 8), 8);
    assert_memory_equal(out, "12345678", 8);
}

static void test_corrupt_peer_index_is_refused(void **state)
{
    char out[8];
    prod = 100;               /* the peer claims 100 bytes in a 16-byte ring */
    cons = 0;
    assert_int_equal(byte_ring_read(&ring, out, 8), -EIO);
    assert_int_equal(cons, 0);
    assert_int_equal(byte_ring_write(&ring, "x", 1), -EIO);
    assert_int_equal(prod, 100);
    assert_int_equal(byte_ring_used(&ring), -EIO);
}

static void test_random_against_reference(void **state)
{
    char ref[1 << 16];
    size_t ref_w = 0, ref_r = 0;
    srand(3);
    for (int i = 0; i < 200000; i++) {
        char tmp[20];
        size_t len = rand() % 20;
        if (rand() & 1) {
            for (size_t k = 0; k < len; k++)
                tmp[k] = rand();
            int n = byte_ring_write(&ring, tmp, len);
            assert_true(n >= 0);
            assert_int_equal((size_t)n, len < 16 - (ref_w - ref_r) ? len : 16 - (ref_w - ref_r));
            for (int k = 0; k < n; k++)
                ref[(ref_w++) % sizeof(ref)] = tmp[k];
        } else {
            int n = byte_ring_read(&ring, tmp, len);
            assert_true(n >= 0);
            for (int k = 0; k < n; k++)
                assert_int_equal(tmp[k], ref[(ref_r++) % sizeof(ref)]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_roundtrip_and_full, setup),
        cmocka_unit_test_setup(test_indexes_wrap_at_2_32, setup),
        cmocka_unit_test_setup(test_corrupt_peer_index_is_refused, setup),
        cmocka_unit_test_setup(test_random_against_reference, setup),
    };
    return cmocka_run_group_tests_name("byte_ring", tests, NULL, NULL);
}
