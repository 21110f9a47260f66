#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "drivers/xen/gnttab_refs.h"
#include "host_console.h"

#define NR 64
static grant_ref_t storage[NR];
static struct gnttab_refs refs;

static int setup(void **state)
{
    gnttab_refs_init(&refs, storage, NR);
    return 0;
}

static void test_reserved_refs_are_never_handed_out(void **state)
{
    grant_ref_t r;
    uint32_t n = 0;
    bool seen[NR] = { false };

    assert_int_equal(refs.free, NR - GNTTAB_NR_RESERVED_ENTRIES);
    while (gnttab_refs_get(&refs, &r) == 0) {
        assert_true(r >= GNTTAB_NR_RESERVED_ENTRIES && r < NR);
        assert_false(seen[r]);
        seen[r] = true;
        n++;
    }
    assert_int_equal(n, NR - GNTTAB_NR_RESERVED_ENTRIES);
    assert_int_equal(gnttab_refs_get(&refs, &r), -ENOSPC);
    assert_int_equal(refs.free, 0);
}

static void test_put_then_get_reuses(void **state)
{
    grant_ref_t a, b;
    assert_int_equal(gnttab_refs_get(&refs, &a), 0);
    gnttab_refs_put(&refs, a);
    assert_int_equal(gnttab_refs_get(&refs, &b), 0);
    assert_int_equal(a, b);
}

static void test_double_put_panics(void **state)
{
    grant_ref_t a;
    assert_int_equal(gnttab_refs_get(&refs, &a), 0);
    gnttab_refs_put(&refs, a);
    if (HOST_EXPECT_PANIC()) {
        gnttab_refs_put(&refs, a);
        fail_msg("double put accepted");
    }
    HOST_END_EXPECT_PANIC();
    assert_non_null(strstr(host_last_panic, "twice"));
}

static void test_double_put_of_the_last_free_ref_panics(void **state)
{
    grant_ref_t r;
    volatile grant_ref_t last = 0;
    while (gnttab_refs_get(&refs, &r) == 0)
        last = r;
    gnttab_refs_put(&refs, last);      /* now the only (and last) free ref */
    if (HOST_EXPECT_PANIC()) {
        gnttab_refs_put(&refs, last);
        fail_msg("double put of the list's tail accepted");
    }
    HOST_END_EXPECT_PANIC();
}

static void test_reserved_and_out_of_range_put_panic(void **state)
{
    if (HOST_EXPECT_PANIC()) {
        gnttab_refs_put(&refs, 3);
        fail_msg("reserved ref accepted");
    }
    HOST_END_EXPECT_PANIC();
    if (HOST_EXPECT_PANIC()) {
        gnttab_refs_put(&refs, NR);
        fail_msg("out-of-range ref accepted");
    }
    HOST_END_EXPECT_PANIC();
}

static void test_random_get_put_keeps_count(void **state)
{
    grant_ref_t held[NR];
    unsigned nheld = 0;
    srand(11);
    for (int i = 0; i < 100000; i++) {
        if (rand() % 2 && gnttab_refs_get(&refs, &held[nheld]) == 0) {
            nheld++;
        } else if (nheld) {
            unsigned k = rand() % nheld;
            gnttab_refs_put(&refs, held[k]);
            held[k] = held[--nheld];
        }
        assert_int_equal(refs.free + nheld, NR - GNTTAB_NR_RESERVED_ENTRIES);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reserved_refs_are_never_handed_out, setup),
        cmocka_unit_test_setup(test_put_then_get_reuses, setup),
        cmocka_unit_test_setup(test_double_put_panics, setup),
        cmocka_unit_test_setup(test_double_put_of_the_last_free_ref_panics, setup),
        cmocka_unit_test_setup(test_reserved_and_out_of_range_put_panic, setup),
        cmocka_unit_test_setup(test_random_get_put_keeps_count, setup),
    };
    return cmocka_run_group_tests_name("gnttab_refs", tests, NULL, NULL);
}
