/*
 * The memory side of grant mapping (docs/gntmap.md) against the Xen model:
 * what drivers/xen/gntmap.c does around each GNTTABOP_map_grant_ref, with
 * the model writing the granted PTE as Xen does (sim_grant_map()).
 *
 *   balloon_lend -> pt_grant_prepare -> [Xen maps] -> p2m_set_foreign
 *   p2m_clear_foreign <- [Xen unmaps] <- ... -> balloon_take_back
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <minnow/balloon.h>
#include <minnow/frame.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>
#include "balloon_fixture.h"

#define THEIR_PFN(i)    (0x40000 + (i))     /* the granter's pfns */

static int gsetup(void **state)
{
    m2p_override_reset();
    return setup(state);
}

static int gteardown(void **state)
{
    m2p_override_reset();
    return teardown(state);
}

/* Map foreign frame mfn at lent pfn, as gntmap.c does around Xen's map. */
static void map_at(xen_pfn_t pfn, xen_pfn_t mfn, bool readonly)
{
    assert_int_equal(pt_grant_prepare(pt_directmap_va(pfn)), 0);
    assert_int_equal(sim_grant_map(pt_directmap_va(pfn), mfn, readonly), 0);
    assert_int_equal(p2m_set_foreign(pfn, mfn), 0);
}

static void unmap_at(xen_pfn_t pfn)
{
    xen_pfn_t mfn = pfn_to_mfn(pfn);

    assert_int_equal(sim_grant_unmap(pt_directmap_va(pfn), mfn), 0);
    assert_int_equal(p2m_clear_foreign(pfn), 0);
    assert_int_equal(balloon_take_back(&pfn, 1), 0);
}

static void pool_whole(uint64_t ballooned)
{
    struct m2p_override_stats o;

    m2p_override_get_stats(&o);
    assert_int_equal(stats().lent_pages, 0);
    assert_int_equal(stats().ballooned_pages, ballooned);
    assert_int_equal(stats().lent_total, stats().returned_total);
    assert_int_equal(o.entries, 0);
    assert_int_equal(o.pages, 0);
    check_world();
}

static void foreign_entry_and_override(void **state)
{
    xen_pfn_t pfn[3], mfn[3];
    uint64_t gen;

    (void)state;
    xen_pfn_t max_before = p2m_max_pfn();
    assert_int_equal(balloon_lend(pfn, 3), 0);          /* balloons 3 down first */
    assert_int_equal(stats().lent_pages, 3);
    assert_int_equal(stats().ballooned_pages, 0);
    assert_int_equal(stats().pages_down, 3);
    gen = sim.shared.arch.p2m_generation;
    for (int i = 0; i < 3; i++) {
        mfn[i] = sim_foreign_frame(THEIR_PFN(i));
        map_at(pfn[i], mfn[i], i == 1);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p2m_kind_of(pfn[i]), P2M_FOREIGN);
        assert_int_equal(pfn_to_mfn(pfn[i]), mfn[i]);
        /* Published as the toolstack reads it: flagged, i.e. absent. */
        assert_int_equal(raw_entry(pfn[i]), FOREIGN_FRAME(mfn[i]));
        /* Xen's m2p still names the granter's pfn; minnow's answer is its own. */
        assert_int_equal(mfn_to_pfn(mfn[i]), THEIR_PFN(i));
        assert_int_equal(mfn_to_local_pfn(mfn[i]), pfn[i]);
        assert_int_equal(m2p_override_lookup(mfn[i]), pfn[i]);
        assert_null(mfn_to_local_page(mfn[i]));
        assert_true(pt_is_granted(pt_directmap_va(pfn[i])));
    }
    /* Entries of RAM pfns change by a store: the generation does not move. */
    assert_int_equal(sim.shared.arch.p2m_generation, gen);
    assert_int_equal(p2m_max_pfn(), max_before);
    assert_int_equal(p2m_self_check(), 0);
    assert_int_equal(sim_take_violations(), 0);

    for (int i = 0; i < 3; i++)
        unmap_at(pfn[i]);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p2m_kind_of(pfn[i]), P2M_MISSING);
        assert_int_equal(raw_entry(pfn[i]), INVALID_P2M_ENTRY);
        assert_int_equal(mfn_to_local_pfn(mfn[i]), NO_FRAME);
        assert_true(balloon_pfn_is_ballooned(pfn[i]));
    }
    pool_whole(3);
}

static void page_tables_refuse_granted_ptes(void **state)
{
    xen_pfn_t pfn, mfn = sim_foreign_frame(THEIR_PFN(0)), other;
    struct pt_stats before, after;
    uint64_t pte, va;

    (void)state;
    assert_int_equal(balloon_lend(&pfn, 1), 0);
    va = pt_directmap_va(pfn);
    map_at(pfn, mfn, false);
    assert_int_equal(pt_lookup(va, &pte), 0);
    assert_int_equal(frame_alloc(&other), 0);
    pt_get_stats(&before);

    assert_int_equal(pt_unmap_range(va, 1, 0), -EBUSY);
    /* A range around it, even one that would free the whole L1 table. */
    assert_int_equal(pt_unmap_range(va & ~0x1fffffUL, 512, PT_ALLOW_REMOVE_TABLE), -EBUSY);
    assert_int_equal(pt_set_entry(va, 1, 0, PT_ALLOW_CHANGE_LIVE), -EBUSY);
    assert_int_equal(pt_map_range(va, pfn_to_mfn(other), 1, PTE_KERNEL_RW,
                                  PT_ALLOW_CHANGE_LIVE), -EBUSY);
    assert_int_equal(pt_set_entry(va, 2, 0, PT_ALLOW_REMOVE_TABLE), -EBUSY);
    assert_int_equal(pt_set_page_ro(pfn, true), -EBUSY);
    assert_int_equal(pt_grant_prepare(va), -EEXIST);
    /* minnow's own mappings may not carry the bit. */
    assert_int_equal(pt_map_range(pt_directmap_va(other), pfn_to_mfn(other), 1,
                                  PTE_KERNEL_RW | PTE_GRANTED, PT_ALLOW_CHANGE_LIVE), -EINVAL);
    pt_get_stats(&after);
    assert_int_equal(after.refusals - before.refusals, 7);

    /* Nothing changed: the grant, its neighbours in the 2 MiB, the p2m. */
    uint64_t now;
    assert_int_equal(pt_lookup(va, &now), 0);
    assert_int_equal(now, pte);
    for (xen_pfn_t p = pfn & ~511UL; p < (pfn | 511UL); p++)
        if (p != pfn && p2m_kind_of(p) == P2M_RAM)
            assert_int_not_equal(sim_translate(pt_directmap_va(p), &now), INVALID_MFN);
    assert_int_equal(pfn_to_mfn(pfn), mfn);
    assert_int_equal(sim_take_violations(), 0);

    /* The model itself punishes a plain update, as a debug Xen does. */
    assert_int_not_equal(xen_update_va_mapping(va, 0), 0);
    assert_int_equal(sim_take_violations(), 1);

    frame_free(other);
    unmap_at(pfn);
    pool_whole(1);
}

static void bad_requests_change_nothing(void **state)
{
    xen_pfn_t pfn, ram = 0x100, mfn = sim_foreign_frame(THEIR_PFN(0));

    (void)state;
    assert_int_equal(p2m_kind_of(ram), P2M_RAM);
    xen_pfn_t ram_mfn = pfn_to_mfn(ram);
    assert_int_equal(p2m_set_foreign(ram, mfn), -EEXIST);
    assert_int_equal(pfn_to_mfn(ram), ram_mfn);
    assert_int_equal(p2m_clear_foreign(ram), -EINVAL);
    assert_int_equal(pfn_to_mfn(ram), ram_mfn);
    assert_int_equal(balloon_lend(&pfn, 1), 0);
    assert_int_equal(p2m_set_foreign(pfn, NO_FRAME), -EINVAL);
    assert_int_equal(p2m_set_foreign(pfn, FOREIGN_FRAME(mfn)), -EINVAL);
    assert_int_equal(p2m_clear_foreign(pfn), -EINVAL);         /* missing, not foreign */
    assert_int_equal(m2p_override_lookup(mfn), NO_FRAME);
    /* Giving back a pfn that is RAM, or one twice, is refused. */
    assert_int_equal(balloon_take_back(&ram, 1), -EINVAL);
    assert_int_equal(balloon_take_back(&pfn, 1), 0);
    assert_int_equal(balloon_take_back(&pfn, 1), -EINVAL);
    /* Lending more than the allocator can give leaves nothing lent. */
    assert_int_equal(balloon_lend(&pfn, 0), 0);
    static xen_pfn_t many[NR];
    assert_true(balloon_lend(many, NR) < 0);
    assert_int_equal(stats().lent_pages, 0);
    check_world();
}

/* The same mfn mapped twice (one grant mapped at two pfns). */
static void one_mfn_at_two_pfns(void **state)
{
    xen_pfn_t pfn[2], mfn = sim_foreign_frame(THEIR_PFN(7));

    (void)state;
    assert_int_equal(balloon_lend(pfn, 2), 0);
    map_at(pfn[0], mfn, true);
    map_at(pfn[1], mfn, true);
    xen_pfn_t local = mfn_to_local_pfn(mfn);
    assert_true(local == pfn[0] || local == pfn[1]);
    unmap_at(local);
    xen_pfn_t rest = local == pfn[0] ? pfn[1] : pfn[0];
    assert_int_equal(mfn_to_local_pfn(mfn), rest);
    unmap_at(rest);
    assert_int_equal(mfn_to_local_pfn(mfn), NO_FRAME);
    pool_whole(2);
}

/* Many mappings: every lookup right while mapped, the pool whole after. */
static void pool_at_scale(void **state)
{
    enum { N = 20000 };
    static xen_pfn_t pfn[N], mfn[N];
    static unsigned int order[N];
    struct m2p_override_stats o;

    (void)state;
    assert_int_equal(balloon_lend(pfn, N), 0);
    assert_int_equal(stats().lent_pages, N);
    for (unsigned int i = 0; i < N; i++) {
        mfn[i] = sim_foreign_frame(THEIR_PFN(i));
        map_at(pfn[i], mfn[i], i & 1);
        order[i] = i;
    }
    m2p_override_get_stats(&o);
    assert_int_equal(o.entries, N);
    assert_true(o.pages * 256 >= 2 * N && o.pages * 256 < 4 * N + 256);
    for (unsigned int i = 0; i < N; i++)
        assert_int_equal(mfn_to_local_pfn(mfn[i]), pfn[i]);
    assert_int_equal(p2m_self_check(), 0);
    /* Unmap in a shuffled order; the rest must still be found each step. */
    srand(15);
    for (unsigned int i = N - 1; i > 0; i--) {
        unsigned int j = rand() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (unsigned int k = 0; k < N; k++) {
        unmap_at(pfn[order[k]]);
        if (k == N / 2)
            for (unsigned int r = k + 1; r < N; r++)
                assert_int_equal(mfn_to_local_pfn(mfn[order[r]]), pfn[order[r]]);
    }
    assert_int_equal(stats().lent_total, N);
    pool_whole(N);
}

/* The override alone, past its growth steps and back to no pages. */
static void override_grows_and_shrinks(void **state)
{
    enum { N = 30000 };
    struct m2p_override_stats o;

    (void)state;
    for (xen_pfn_t i = 0; i < N; i++)
        assert_int_equal(m2p_override_add(0x900000 + i * 3, i), 0);
    for (xen_pfn_t i = 0; i < N; i++)
        assert_int_equal(m2p_override_lookup(0x900000 + i * 3), i);
    assert_int_equal(m2p_override_lookup(0x900001), NO_FRAME);
    assert_int_equal(m2p_override_remove(0x900000, 5), -ENOENT);    /* wrong pair */
    for (xen_pfn_t i = 0; i < N; i += 2)
        assert_int_equal(m2p_override_remove(0x900000 + i * 3, i), 0);
    for (xen_pfn_t i = 1; i < N; i += 2)
        assert_int_equal(m2p_override_lookup(0x900000 + i * 3), i);
    for (xen_pfn_t i = 1; i < N; i += 2)
        assert_int_equal(m2p_override_remove(0x900000 + i * 3, i), 0);
    m2p_override_get_stats(&o);
    assert_int_equal(o.entries, 0);
    assert_int_equal(o.pages, 0);
    /* Without a frame to grow into, the add fails and changes nothing. */
    sim_fail_frame_alloc_after(0);
    assert_int_equal(m2p_override_add(0x1234, 1), -ENOMEM);
    sim_fail_frame_alloc_after(-1);
    assert_int_equal(m2p_override_lookup(0x1234), NO_FRAME);
    check_world();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(foreign_entry_and_override, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(page_tables_refuse_granted_ptes, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(bad_requests_change_nothing, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(one_mfn_at_two_pfns, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(pool_at_scale, gsetup, gteardown),
        cmocka_unit_test_setup_teardown(override_grows_and_shrinks, gsetup, gteardown),
    };

    return cmocka_run_group_tests_name("gntmap_mm", tests, NULL, NULL);
}
