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

/* ---- grants across a restore -------------------------------------------- */

static grant_entry_v1_t table[NR];

static int setup_table(void **state)
{
    memset(table, 0, sizeof(table));
    return setup(state);
}

/* What a restore does to the table: Xen's new one is empty. */
static void restore(void)
{
    memset(table, 0, sizeof(table));
    gnttab_refs_restored(&refs);
}

static void test_grant_publishes_and_end_clears(void **state)
{
    grant_ref_t a;

    assert_int_equal(gnttab_refs_grant(&refs, table, 5, 0x1234, true, &a), 0);
    assert_int_equal(table[a].domid, 5);
    assert_int_equal(table[a].frame, 0x1234);
    assert_int_equal(table[a].flags, GTF_permit_access | GTF_readonly);
    table[a].flags |= GTF_reading;                      /* the peer maps it */
    assert_int_equal(gnttab_refs_end(&refs, table, a), -EBUSY);
    assert_int_equal(refs.free, NR - GNTTAB_NR_RESERVED_ENTRIES - 1);
    table[a].flags &= ~GTF_reading;
    assert_int_equal(gnttab_refs_end(&refs, table, a), 0);
    assert_int_equal(table[a].flags, 0);
    assert_int_equal(refs.free, NR - GNTTAB_NR_RESERVED_ENTRIES);
}

/*
 * Review finding 2: owner A held a grant across a restore and ends it
 * late; owner B granted after the restore.  A's end must not revoke B's
 * grant, and the refs must come out right.
 */
static void test_stale_end_leaves_new_grants_alone(void **state)
{
    grant_ref_t a, b;

    assert_int_equal(gnttab_refs_grant(&refs, table, 0, 0x111, false, &a), 0);
    restore();
    assert_int_equal(gnttab_refs_grant(&refs, table, 0, 0x222, false, &b), 0);
    assert_int_not_equal(a, b);
    assert_int_equal(gnttab_refs_end(&refs, table, a), 0);
    assert_int_equal(table[b].flags, GTF_permit_access);
    assert_int_equal(table[b].frame, 0x222);
    assert_int_equal(refs.stale, 0);
    assert_int_equal(refs.free, NR - GNTTAB_NR_RESERVED_ENTRIES - 1);
    assert_int_equal(gnttab_refs_end(&refs, table, b), 0);
    assert_int_equal(refs.free, NR - GNTTAB_NR_RESERVED_ENTRIES);
}

/* A stale ref is given back without touching its entry (there may be no table at all). */
static void test_stale_end_needs_no_table(void **state)
{
    grant_ref_t a;

    assert_int_equal(gnttab_refs_grant(&refs, table, 0, 0x111, false, &a), 0);
    restore();
    restore();                                          /* still stale, counted once */
    assert_int_equal(refs.stale, 1);
    assert_true(gnttab_refs_is_stale(&refs, a));
    assert_int_equal(gnttab_refs_end(&refs, NULL, a), 0);
    assert_false(gnttab_refs_is_stale(&refs, a));
    if (HOST_EXPECT_PANIC()) {
        gnttab_refs_end(&refs, table, a);
        fail_msg("a stale ref given back twice");
    }
    HOST_END_EXPECT_PANIC();
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
        cmocka_unit_test_setup(test_grant_publishes_and_end_clears, setup_table),
        cmocka_unit_test_setup(test_stale_end_leaves_new_grants_alone, setup_table),
        cmocka_unit_test_setup(test_stale_end_needs_no_table, setup_table),
    };
    return cmocka_run_group_tests_name("gnttab_refs", tests, NULL, NULL);
}
