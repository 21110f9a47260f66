/* The heap's sbrk logic with fake page mapping (and injected failures). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <minnow/heap.h>
#include "host_console.h"

#define BASE 0x400000000000UL
#define PAGES 64
static bool mapped[PAGES];
static int map_budget;          /* pages that may still be mapped; -1 = unlimited */

static int fake_map(uint64_t va)
{
    uint64_t i = (va - BASE) / 4096;
    assert_true(va % 4096 == 0 && i < PAGES);
    assert_false(mapped[i]);
    if (map_budget == 0)
        return -ENOMEM;
    if (map_budget > 0)
        map_budget--;
    mapped[i] = true;
    return 0;
}

static void fake_unmap(uint64_t va)
{
    uint64_t i = (va - BASE) / 4096;
    assert_true(mapped[i]);
    mapped[i] = false;
}

static const struct heap_ops ops = { fake_map, fake_unmap };

static int count_mapped(void)
{
    int n = 0;
    for (int i = 0; i < PAGES; i++)
        n += mapped[i];
    return n;
}

static int setup(void **state)
{
    memset(mapped, 0, sizeof(mapped));
    map_budget = -1;
    heap_init(BASE, PAGES * 4096, &ops);
    return 0;
}

static void test_grow_maps_whole_pages(void **state)
{
    assert_ptr_equal(heap_sbrk(1), (void *)BASE);
    assert_int_equal(count_mapped(), 1);
    assert_ptr_equal(heap_sbrk(4095), (void *)(BASE + 1));
    assert_int_equal(count_mapped(), 1);
    assert_ptr_equal(heap_sbrk(1), (void *)(BASE + 4096));
    assert_int_equal(count_mapped(), 2);
    assert_int_equal(heap_mapped_bytes(), 8192);
}

static void test_shrink_unmaps(void **state)
{
    heap_sbrk(10 * 4096);
    assert_int_equal(count_mapped(), 10);
    assert_ptr_equal(heap_sbrk(-5 * 4096 - 100), (void *)(BASE + 10 * 4096));
    assert_int_equal(count_mapped(), 5);   /* brk at 4.97 pages: 5 stay */
    assert_ptr_equal(heap_sbrk(0), (void *)(BASE + 5 * 4096 - 100));
}

static void test_failed_grow_changes_nothing(void **state)
{
    heap_sbrk(3 * 4096);
    map_budget = 2;
    assert_null(heap_sbrk(5 * 4096));
    assert_int_equal(count_mapped(), 3);
    assert_ptr_equal(heap_sbrk(0), (void *)(BASE + 3 * 4096));
    map_budget = -1;
    assert_non_null(heap_sbrk(5 * 4096));
    assert_int_equal(count_mapped(), 8);
}

static void test_out_of_range_is_refused(void **state)
{
    assert_null(heap_sbrk(PAGES * 4096 + 1));
    assert_null(heap_sbrk(-1));
    assert_int_equal(count_mapped(), 0);
    assert_non_null(heap_sbrk(PAGES * 4096));
    assert_int_equal(count_mapped(), PAGES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_grow_maps_whole_pages, setup),
        cmocka_unit_test_setup(test_shrink_unmaps, setup),
        cmocka_unit_test_setup(test_failed_grow_changes_nothing, setup),
        cmocka_unit_test_setup(test_out_of_range_is_refused, setup),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
