/*
 * The chunked pfn bitmap on its own: chunk pages given and taken back,
 * membership, and collecting members in order across chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>

#define PAGES 8                 /* fake frames for chunk bitmaps: pfns 0..7 */

static uint8_t *memory;
static struct pfn_set set;

/* The port's direct map, as far as the set needs it. */
void *xen_mm_page(xen_pfn_t pfn)
{
    assert_true(pfn < PAGES);
    return memory + pfn * PAGE_SIZE;
}

static int setup(void **state)
{
    (void)state;
    memory = malloc(PAGES * PAGE_SIZE);
    for (size_t i = 0; i < PAGES * PAGE_SIZE; i++)
        memory[i] = 0xa5;       /* a given page must be cleared */
    pfn_set_init(&set);
    return memory ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(memory);
    return 0;
}

static void members_need_a_chunk_page(void **state)
{
    const xen_pfn_t pfn = 3 * PFN_SET_CHUNK_PFNS + 77;

    (void)state;
    assert_false(pfn_set_has_page(&set, pfn));
    assert_false(pfn_set_contains(&set, pfn));
    pfn_set_give_page(&set, pfn, 2);
    assert_true(pfn_set_has_page(&set, pfn - 77));
    assert_false(pfn_set_has_page(&set, pfn + PFN_SET_CHUNK_PFNS));
    assert_false(pfn_set_contains(&set, pfn));      /* cleared, not 0xa5 */
    assert_true(pfn_set_add(&set, pfn));
    assert_false(pfn_set_add(&set, pfn));            /* already in */
    assert_true(pfn_set_contains(&set, pfn));
    assert_false(pfn_set_contains(&set, pfn + 1));
    assert_int_equal(set.members, 1);
    assert_int_equal(set.pages, 1);
}

static void a_page_comes_back_only_from_an_empty_chunk(void **state)
{
    const xen_pfn_t pfn = PFN_SET_CHUNK_PFNS + 5;

    (void)state;
    assert_int_equal(pfn_set_take_page(&set, pfn), NO_FRAME);   /* none given */
    pfn_set_give_page(&set, pfn, 4);
    assert_true(pfn_set_add(&set, pfn));
    assert_int_equal(pfn_set_take_page(&set, pfn), NO_FRAME);   /* not empty */
    assert_true(pfn_set_remove(&set, pfn));
    assert_false(pfn_set_remove(&set, pfn));                    /* not in */
    assert_true(pfn_set_has_page(&set, pfn));                   /* kept */
    assert_int_equal(pfn_set_take_page(&set, pfn), 4);
    assert_false(pfn_set_has_page(&set, pfn));
    assert_int_equal(set.pages, 0);
    assert_int_equal(set.members, 0);
}

static void collect_is_ordered_and_starts_at_from(void **state)
{
    const xen_pfn_t want[] = { 1, 63, 64, 130, PFN_SET_CHUNK_PFNS - 1,
                               5 * PFN_SET_CHUNK_PFNS, 5 * PFN_SET_CHUNK_PFNS + 4000 };
    const unsigned int n = sizeof(want) / sizeof(want[0]);
    xen_pfn_t got[16];

    (void)state;
    pfn_set_give_page(&set, 0, 0);
    pfn_set_give_page(&set, 5 * PFN_SET_CHUNK_PFNS, 1);
    for (unsigned int i = n; i-- > 0;)
        assert_true(pfn_set_add(&set, want[i]));
    assert_int_equal(pfn_set_collect(&set, 0, got, 16), n);
    for (unsigned int i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
    /* From the middle of a word, and in a chunk with no members. */
    assert_int_equal(pfn_set_collect(&set, 64, got, 2), 2);
    assert_int_equal(got[0], 64);
    assert_int_equal(got[1], 130);
    assert_int_equal(pfn_set_collect(&set, 2 * PFN_SET_CHUNK_PFNS, got, 1), 1);
    assert_int_equal(got[0], 5 * PFN_SET_CHUNK_PFNS);
    assert_int_equal(pfn_set_collect(&set, want[n - 1] + 1, got, 16), 0);
}

static void nothing_beyond_the_reach(void **state)
{
    (void)state;
    assert_false(pfn_set_has_page(&set, PFN_SET_MAX_PFNS));
    assert_false(pfn_set_contains(&set, PFN_SET_MAX_PFNS + 12345));
    assert_int_equal(pfn_set_take_page(&set, PFN_SET_MAX_PFNS), NO_FRAME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(members_need_a_chunk_page, setup, teardown),
        cmocka_unit_test_setup_teardown(a_page_comes_back_only_from_an_empty_chunk,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(collect_is_ordered_and_starts_at_from,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_beyond_the_reach, setup, teardown),
    };
    return cmocka_run_group_tests_name("pfn_set", tests, NULL, NULL);
}
