/*
 * Host tests for the E820 identity/remap planner (mm/e820_plan.c) on
 * sanitized maps: measured QEMU shapes, Linux's example, RAM past 1 TiB,
 * fragmented maps, kept boot data and refused input.  Each plan also goes
 * through e820_check_plan() (see test_e820.c for the sanitizer).
 */
#include <errno.h>
#include <stdlib.h>
#include "e820_fixture.h"

/* ---------------------------------------------------------------- helpers */

static void expect_ranges(const char *what, const struct e820_pfn_range *got,
                          unsigned int nr, const struct e820_pfn_range *want,
                          unsigned int n)
{
    if (nr != n)
        fail_msg("%s: %u ranges, want %u", what, nr, n);
    for (unsigned int i = 0; i < n; i++)
        if (got[i].start != want[i].start || got[i].end != want[i].end)
            fail_msg("%s[%u]: 0x%lx-0x%lx, want 0x%lx-0x%lx", what, i,
                     (unsigned long)got[i].start, (unsigned long)got[i].end,
                     (unsigned long)want[i].start, (unsigned long)want[i].end);
}

static void expect_move(unsigned int i, xen_pfn_t src, xen_pfn_t dst, xen_pfn_t nr)
{
    assert_true(i < plan.nr_moves);
    if (plan.move[i].src != src || plan.move[i].dst != dst || plan.move[i].nr != nr)
        fail_msg("move %u: 0x%lx->0x%lx x0x%lx, want 0x%lx->0x%lx x0x%lx", i,
                 (unsigned long)plan.move[i].src, (unsigned long)plan.move[i].dst,
                 (unsigned long)plan.move[i].nr, (unsigned long)src,
                 (unsigned long)dst, (unsigned long)nr);
}

/* ------------------------------------------------------------------ maps */

/*
 * The example in Linux's arch/x86/xen/p2m.c: RAM up to 1029 MiB, ACPI
 * right after, a reserved block in the hole, RAM again from 2001 MiB;
 * 3 GiB of RAM in all (dom0_mem=max:3GB,1GB).
 */
static const struct e820_entry linux_example[] = {
    E(0, MiB(1029), E820_RAM),
    E(MiB(1029), MiB(1), E820_ACPI),
    E(MiB(1792), MiB(128), E820_RESERVED),
    E(MiB(2001), MiB(3072 - 1029), E820_RAM),
};

/* -------------------------------------------------------- planner tests */

/* QEMU -m 1024, dom0_mem=64M: the low hole's 97 pages move above RAM's end. */
static void test_plan_qemu_dom0_64m(void **state)
{
    static const struct e820_pfn_range ident[] = { { 0x9f, 0x100 }, { 0x3ffe0, LIMIT_512G } };
    static const struct e820_pfn_range usable[] = { { 0, 0x9f }, { 0x100, 0x4061 } };

    (void)state;
    load(qemu_1g, N(qemu_1g));
    assert_int_equal(plan_checked(0x4000, LIMIT_512G, NULL, 0), 0);
    expect_ranges("identity", plan.identity, plan.nr_identity, ident, N(ident));
    assert_int_equal(plan.nr_moves, 1);
    expect_move(0, 0x9f, 0x4000, 97);
    assert_int_equal(plan.nr_release, 0);
    expect_ranges("usable", plan.usable, plan.nr_usable, usable, N(usable));
    assert_int_equal(plan.usable_pages, 0x4000);
    assert_int_equal(plan.map_end_pfn, 0x10000000);
    assert_int_equal(plan.unpopulated_ram_pages, 0x3ffe0 - 0x4000 - 97);
}

/* dom0 as big as the machine: no RAM above nr_pages, so everything is released. */
static void test_plan_no_room_releases(void **state)
{
    static const struct e820_pfn_range rel[] = { { 0x9f, 0x100 }, { 0x3ffe0, 0x40000 } };

    (void)state;
    load(qemu_1g, N(qemu_1g));
    assert_int_equal(plan_checked(0x40000, LIMIT_512G, NULL, 0), 0);
    assert_int_equal(plan.nr_moves, 0);
    expect_ranges("release", plan.release, plan.nr_release, rel, N(rel));
    assert_int_equal(plan.released_pages, 97 + 32);
    assert_int_equal(plan.usable_pages, 0x40000 - 129);
}

/* Linux's example: 1 GiB populated, all of it RAM; identity covers 1029..2001 MiB. */
static void test_plan_linux_example(void **state)
{
    static const struct e820_pfn_range ident[] = {
        { 0x40500, 0x7d100 }, { 0xfcc00, LIMIT_512G },
    };
    static const struct e820_pfn_range above[] = { { 0x40000, 0x40500 }, { 0x7d100, 0xfcc00 } };

    (void)state;
    load(linux_example, N(linux_example));
    assert_int_equal(san.nr, 4);
    assert_int_equal(plan_checked(0x40000, LIMIT_512G, NULL, 0), 0);
    expect_ranges("identity", plan.identity, plan.nr_identity, ident, N(ident));
    /* Where the domain may grow: the balloon's fresh pfns come from here. */
    expect_ranges("ram_above", plan.ram_above, plan.nr_ram_above, above, N(above));
    assert_int_equal(plan.identity[0].start, 263424);       /* 1029 MiB */
    assert_int_equal(plan.identity[0].end, 512256);         /* 2001 MiB */
    assert_int_equal(plan.nr_moves, 0);
    assert_int_equal(plan.nr_release, 0);
    assert_int_equal(plan.usable_pages, 0x40000);
    assert_int_equal(plan.unpopulated_ram_pages, 0x80000);  /* 2 GiB to balloon into */
}

/* Linux's example with 1280 MiB populated: 1029..1280 MiB moves to 2001 MiB up. */
static void test_plan_linux_example_1280m(void **state)
{
    (void)state;
    load(linux_example, N(linux_example));
    assert_int_equal(plan_checked(0x50000, LIMIT_512G, NULL, 0), 0);
    assert_int_equal(plan.nr_moves, 1);
    expect_move(0, 0x40500, 0x7d100, 0x50000 - 0x40500);
    assert_int_equal(plan.usable_end_pfn, 0x7d100 + 0xfb00);
    assert_int_equal(plan.usable_pages, 0x50000);
}

/* QEMU -m 4096, dom0_mem=3584M: the PCI hole part moves above 4 GiB. */
static void test_plan_qemu_4g_pci_hole(void **state)
{
    static const struct e820_pfn_range ident[] = {
        { 0x9f, 0x100 }, { 0xbffe0, 0x100000 }, { 0x140000, LIMIT_512G },
    };

    (void)state;
    load(qemu_4g, N(qemu_4g));
    assert_int_equal(plan_checked(0xe0000, LIMIT_512G, NULL, 0), 0);
    expect_ranges("identity", plan.identity, plan.nr_identity, ident, N(ident));
    assert_int_equal(plan.nr_moves, 2);
    expect_move(0, 0x9f, 0x100000, 97);
    expect_move(1, 0xbffe0, 0x100061, 0xe0000 - 0xbffe0);
    assert_int_equal(plan.nr_release, 0);
    assert_int_equal(plan.usable_pages, 0xe0000);
}

/* QEMU -m 4096, dom0 of 4 GiB: 97 pages more than the room above 4 GiB. */
static void test_plan_qemu_4g_overflow(void **state)
{
    /* 97 (low hole) + 0x40020 (PCI hole) populated non-RAM pages, 0x40000 of
     * room above 4 GiB: the last 129 are released. */
    static const struct e820_pfn_range rel[] = { { 0xfff7f, 0x100000 } };

    (void)state;
    load(qemu_4g, N(qemu_4g));
    assert_int_equal(plan_checked(0x100000, LIMIT_512G, NULL, 0), 0);
    assert_int_equal(plan.moved_pages, 0x40000);
    expect_ranges("release", plan.release, plan.nr_release, rel, N(rel));
    assert_int_equal(plan.usable_pages, 0x100000 - 129);
    assert_int_equal(plan.unpopulated_ram_pages, 0);
}

static void test_plan_fallback(void **state)
{
    static const struct e820_pfn_range ident[] = { { 0x4000, LIMIT_512G } };

    (void)state;
    e820_warnings_init(&warns);
    e820_fallback(&raw, 0x4000);
    sanitize_checked();
    assert_int_equal(san.nr, 1);
    assert_int_equal(san.entry[0].size, 0x4000ull << 12);
    assert_int_equal(plan_checked(0x4000, LIMIT_512G, NULL, 0), 0);
    expect_ranges("identity", plan.identity, plan.nr_identity, ident, N(ident));
    assert_int_equal(plan.nr_moves + plan.nr_release, 0);
    assert_int_equal(plan.usable_pages, 0x4000);
}

/*
 * RAM past 1 TiB and past the p2m limit.  The frame allocator holds pfns
 * below 1 TiB (PFN_SET_MAX_PFNS) whatever the p2m covers: a destination
 * at or above it would panic boot in frame_free_range(), so RAM up there
 * is unusable, like RAM past the p2m limit.
 */
static void test_plan_ram_past_1t(void **state)
{
    static const struct e820_entry in[] = {
        E(0, MiB(64), E820_RAM),
        E(MiB(64), MiB(64), E820_RESERVED),
        E(GiB(1023), GiB(3), E820_RAM),             /* 1 TiB - 1 GiB .. 1 TiB + 2 GiB */
        E(GiB(4096), GiB(1), E820_RAM),             /* 4 TiB */
    };

    (void)state;
    load(in, N(in));
    /* 128 MiB populated, limit 2 TiB: the reserved 64 MiB moves just below 1 TiB. */
    assert_int_equal(plan_checked(0x8000, LIMIT_512G * 4, NULL, 0), 0);
    assert_int_equal(plan.ram_limit, PFN_SET_MAX_PFNS);
    expect_move(0, 0x4000, GiB(1023) >> 12, 0x4000);
    for (unsigned int i = 0; i < plan.nr_usable; i++)
        assert_true(plan.usable[i].end <= PFN_SET_MAX_PFNS);
    assert_int_equal(plan.ram_above[plan.nr_ram_above - 1].end, PFN_SET_MAX_PFNS);
    assert_int_equal(plan.ram_above_limit_pages, GiB(3) >> 12);  /* 2 GiB + 1 GiB */
    assert_int_equal(count_warn(E820_WARN_RAM_ABOVE_LIMIT), 1);
    /* The largest p2m limit changes nothing: the allocator's limit holds. */
    assert_int_equal(plan_checked(0x8000, (xen_pfn_t)1 << 40, NULL, 0), 0);
    assert_int_equal(plan.ram_above_limit_pages, GiB(3) >> 12);
    /* With the limit below 1 TiB there is no room: released. */
    assert_int_equal(plan_checked(0x8000, LIMIT_512G, NULL, 0), 0);
    assert_int_equal(plan.released_pages, 0x4000);
}

/* No room below 1 TiB: a hole's pages are released, never moved up there. */
static void test_plan_no_destination_past_1t(void **state)
{
    static const struct e820_entry in[] = {
        E(0, MiB(64), E820_RAM),
        E(MiB(64), MiB(64), E820_RESERVED),
        E(GiB(1024), GiB(2), E820_RAM),             /* 1 TiB */
    };

    (void)state;
    load(in, N(in));
    assert_int_equal(plan_checked(0x8000, LIMIT_512G * 4, NULL, 0), 0);
    assert_int_equal(plan.nr_moves, 0);
    assert_int_equal(plan.released_pages, 0x4000);
    assert_int_equal(plan.nr_ram_above, 0);
}

/* A domain populated past 1 TiB: the pfns the allocator cannot hold go back. */
static void test_plan_populated_past_1t(void **state)
{
    static const struct e820_entry in[] = {
        E(0, (PFN_SET_MAX_PFNS + 0x2000) << 12, E820_RAM),
    };
    static const struct e820_pfn_range rel[] = {
        { PFN_SET_MAX_PFNS, PFN_SET_MAX_PFNS + 0x1000 },
    };

    (void)state;
    load(in, N(in));
    assert_int_equal(plan_checked(PFN_SET_MAX_PFNS + 0x1000, LIMIT_512G * 4, NULL, 0), 0);
    expect_ranges("release", plan.release, plan.nr_release, rel, N(rel));
    assert_int_equal(plan.usable_end_pfn, PFN_SET_MAX_PFNS);
    assert_int_equal(plan.usable_pages, PFN_SET_MAX_PFNS);
    assert_int_equal(plan.ram_above_limit_pages, 0x1000);
}

static void test_plan_tiny_and_huge_holes(void **state)
{
    static const struct e820_entry in[] = {
        E(0, MiB(32), E820_RAM),
        E(MiB(32), 0x1000, E820_RESERVED),          /* one page */
        E(MiB(32) + 0x1000, MiB(32) - 0x2000, E820_RAM),
        /* one page gap at 64 MiB - 4 KiB */
        E(MiB(64), GiB(256), E820_RAM),
        E(GiB(300), GiB(100), E820_RESERVED),       /* in a huge hole */
        E(GiB(400), GiB(1), E820_RAM),
    };

    (void)state;
    load(in, N(in));
    assert_int_equal(plan_checked(0x10000, LIMIT_512G, NULL, 0), 0);
    /* Two single populated pages in holes: separate sources, adjacent dsts. */
    assert_int_equal(plan.nr_moves, 2);
    expect_move(0, MiB(32) >> 12, 0x10000, 1);
    expect_move(1, (MiB(64) >> 12) - 1, 0x10001, 1);
    assert_int_equal(plan.nr_identity, 4);
    assert_int_equal(plan.identity[2].start, (MiB(64) + GiB(256)) >> 12);
    assert_int_equal(plan.identity[2].end, GiB(400) >> 12);
    assert_int_equal(plan.released_pages, 0);
}

static void test_plan_fragmented(void **state)
{
    /* A sanitized map built by hand: 150 one-page holes below nr_pages, and
     * above it 150 one-page RAM islands.  Every move is its own entry. */
    xen_pfn_t pfn = 0;
    unsigned int i;

    (void)state;
    e820_warnings_init(&warns);
    san.nr = 0;
    for (i = 0; i < 150; i++) {
        san.entry[san.nr++] = (struct e820_entry)E(pfn << 12, 0x1000, E820_RAM);
        san.entry[san.nr++] = (struct e820_entry)E((pfn + 1) << 12, 0x1000, E820_RESERVED);
        pfn += 2;
    }
    for (i = 0; i < 150; i++)
        san.entry[san.nr++] = (struct e820_entry)E((pfn + 2 * i) << 12, 0x1000, E820_RAM);
    assert_int_equal(plan_checked(300, 1000, NULL, 0), 0);
    assert_int_equal(plan.nr_moves, E820_PLAN_MAX_MOVES);
    assert_int_equal(plan.released_pages, 150 - E820_PLAN_MAX_MOVES);
    assert_int_equal(count_warn(E820_WARN_FRAGMENTED), 1);
    assert_int_equal(plan.usable_pages, 300 - (150 - E820_PLAN_MAX_MOVES));
}

/* Boot data sits in the low hole: those pfns stay RAM, with a warning. */
static void test_plan_keep(void **state)
{
    static const struct e820_pfn_range keep[] = { { 0x120, 0x130 }, { 1, 0xa8 } };
    static const struct e820_pfn_range kept[] = { { 0x9f, 0xa8 } };
    static const struct e820_pfn_range ident[] = { { 0xa8, 0x100 }, { 0x3ffe0, LIMIT_512G } };

    (void)state;
    load(qemu_1g, N(qemu_1g));
    assert_int_equal(plan_checked(0x4000, LIMIT_512G, keep, N(keep)), 0);
    expect_ranges("kept", plan.kept, plan.nr_kept, kept, N(kept));
    expect_ranges("identity", plan.identity, plan.nr_identity, ident, N(ident));
    expect_move(0, 0xa8, 0x4000, 0x100 - 0xa8);
    assert_int_equal(count_warn(E820_WARN_KEPT), 1);
    assert_int_equal(plan.usable_pages, 0x4000);
}

static void test_plan_refuses_bad_input(void **state)
{
    static const struct e820_pfn_range bad_keep[] = { { 0x10, 0x5000 } };

    (void)state;
    load(qemu_1g, N(qemu_1g));
    assert_int_equal(plan_checked(0x4000, 0x3000, NULL, 0), -EINVAL);      /* nr > limit */
    assert_int_equal(plan.nr_identity + plan.nr_moves + plan.nr_release, 0);
    assert_int_equal(plan_checked(0x4000, (xen_pfn_t)1 << 41, NULL, 0), -EINVAL);
    assert_int_equal(plan_checked(0x4000, LIMIT_512G, bad_keep, 1), -EINVAL);
    assert_int_equal(plan_checked(0x4000, LIMIT_512G, NULL, 1), -EINVAL);
    /* An unsanitized map: out of order, unaligned, empty. */
    raw.nr = 2;
    raw.entry[0] = (struct e820_entry)E(MiB(8), MiB(1), E820_RAM);
    raw.entry[1] = (struct e820_entry)E(0, MiB(1), E820_RAM);
    assert_int_equal(e820_plan_build(&plan, &raw, 16, 32, NULL, 0, &warns), -EINVAL);
    raw.entry[0] = (struct e820_entry)E(0x800, MiB(1), E820_RAM);
    assert_int_equal(e820_plan_build(&plan, &raw, 16, 32, NULL, 0, &warns), -EINVAL);
    raw.entry[0] = (struct e820_entry)E(MiB(8), 0, E820_RAM);
    assert_int_equal(e820_plan_build(&plan, &raw, 16, 32, NULL, 0, &warns), -EINVAL);
    assert_true(count_warn(E820_WARN_BAD_MAP) >= 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_qemu_dom0_64m),
        cmocka_unit_test(test_plan_no_room_releases),
        cmocka_unit_test(test_plan_linux_example),
        cmocka_unit_test(test_plan_linux_example_1280m),
        cmocka_unit_test(test_plan_qemu_4g_pci_hole),
        cmocka_unit_test(test_plan_qemu_4g_overflow),
        cmocka_unit_test(test_plan_fallback),
        cmocka_unit_test(test_plan_ram_past_1t),
        cmocka_unit_test(test_plan_no_destination_past_1t),
        cmocka_unit_test(test_plan_populated_past_1t),
        cmocka_unit_test(test_plan_tiny_and_huge_holes),
        cmocka_unit_test(test_plan_fragmented),
        cmocka_unit_test(test_plan_keep),
        cmocka_unit_test(test_plan_refuses_bad_input),
    };

    /* E820_TEST=pattern runs a subset (e.g. E820_TEST=test_plan_keep). */
    if (getenv("E820_TEST") && *getenv("E820_TEST"))
        cmocka_set_test_filter(getenv("E820_TEST"));
    return cmocka_run_group_tests_name("e820_plan", tests, NULL, NULL);
}
