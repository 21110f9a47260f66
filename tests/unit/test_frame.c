/* The frame allocator on the host: bitmaps, chunk metadata, stress, misuse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <minnow/frame.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>
#include "host_console.h"

#define TEST_PFNS (3 * PFN_SET_CHUNK_PFNS + 1000)

static uint8_t *memory;   /* fake RAM: page i backs pfn i */

/* The port's direct map, as far as the allocator's bitmaps need it. */
void *xen_mm_page(xen_pfn_t pfn)
{
    assert_true(pfn < TEST_PFNS);
    return memory + pfn * PAGE_SIZE;
}

static int setup(void **state)
{
    memory = calloc(TEST_PFNS, PAGE_SIZE);
    frame_allocator_init(TEST_PFNS);
    return memory ? 0 : -1;
}

static int teardown(void **state)
{
    free(memory);
    return 0;
}

static void test_empty_allocator_says_enomem(void **state)
{
    xen_pfn_t pfn;
    assert_int_equal(frame_alloc(&pfn), -ENOMEM);
    assert_int_equal(frame_free_count(), 0);
}

static void test_first_frame_of_a_chunk_becomes_its_bitmap(void **state)
{
    frame_free_range(100, 10);
    assert_int_equal(frame_metadata_count(), 1);
    assert_int_equal(frame_free_count(), 9);
    assert_false(frame_is_free(100));          /* the bitmap page */
    for (xen_pfn_t p = 101; p < 110; p++)
        assert_true(frame_is_free(p));
}

static void test_alloc_returns_each_free_frame_once(void **state)
{
    frame_free_range(5, 2 * PFN_SET_CHUNK_PFNS);  /* spans three chunks */
    uint64_t n = frame_free_count();
    uint8_t *seen = calloc(TEST_PFNS, 1);

    assert_int_equal(n, 2 * PFN_SET_CHUNK_PFNS - 3);
    for (uint64_t i = 0; i < n; i++) {
        xen_pfn_t pfn;
        assert_int_equal(frame_alloc(&pfn), 0);
        assert_true(pfn >= 5 && pfn < 5 + 2 * PFN_SET_CHUNK_PFNS);
        assert_false(seen[pfn]);
        seen[pfn] = 1;
    }
    xen_pfn_t pfn;
    assert_int_equal(frame_alloc(&pfn), -ENOMEM);
    free(seen);
}

static void test_random_alloc_free_keeps_counts(void **state)
{
    enum { N = 20000 };
    xen_pfn_t *held = calloc(N, sizeof(*held));
    unsigned nheld = 0;
    uint64_t total;

    frame_free_range(0, TEST_PFNS);
    total = frame_free_count();
    srand(7);
    for (int i = 0; i < 400000; i++) {
        if (nheld < N && (rand() % 3 != 0 || nheld == 0)) {
            if (frame_alloc(&held[nheld]) == 0) {
                assert_false(frame_is_free(held[nheld]));
                nheld++;
            }
        } else {
            unsigned k = rand() % nheld;
            frame_free(held[k]);
            held[k] = held[--nheld];
        }
        assert_int_equal(frame_free_count() + nheld, total);
    }
    free(held);
}

static void test_double_free_panics(void **state)
{
    frame_free_range(200, 5);
    if (HOST_EXPECT_PANIC()) {
        frame_free(202);
        fail_msg("double free did not panic");
    }
    HOST_END_EXPECT_PANIC();
    assert_non_null(strstr(host_last_panic, "double free"));
}

static void test_free_beyond_limit_panics(void **state)
{
    if (HOST_EXPECT_PANIC()) {
        frame_free_range(TEST_PFNS - 1, 2);
        fail_msg("free beyond the limit did not panic");
    }
    HOST_END_EXPECT_PANIC();
    assert_non_null(strstr(host_last_panic, "beyond limit"));
}

static void test_limit_is_clamped(void **state)
{
    host_console_reset();
    frame_allocator_init(PFN_SET_MAX_PFNS * 4);
    assert_true(host_console_contains("clamped"));
    frame_allocator_init(TEST_PFNS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_allocator_says_enomem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_frame_of_a_chunk_becomes_its_bitmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_returns_each_free_frame_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_alloc_free_keeps_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_double_free_panics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_beyond_limit_panics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_is_clamped, setup, teardown),
    };
    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
