/*
 * Host tests for the E820 sanitizer (mm/e820.c) and the identity/remap
 * planner (mm/e820_plan.c).
 *
 * Every case runs the generic checkers of e820_check.c on top of its own
 * exact expectations, so a map checked here is checked twice: once by
 * hand-derived numbers, once by the invariants (no page lost or duplicated,
 * identity == exactly the non-RAM pfns, moves only into unpopulated map
 * RAM, counts add up).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <minnow/e820.h>
#include <minnow/e820_plan.h>
#include <minnow/pfn_set.h>
#include "e820_check.h"
#include "rng.h"

#define KiB(x)  ((uint64_t)(x) << 10)
#define MiB(x)  ((uint64_t)(x) << 20)
#define GiB(x)  ((uint64_t)(x) << 30)
#define E(a, s, t) { .addr = (a), .size = (s), .type = (t) }
#define N(arr)  (sizeof(arr) / sizeof((arr)[0]))

#define LIMIT_512G  ((xen_pfn_t)GiB(512) >> 12)

static struct e820_map raw, san;
static struct e820_plan plan;
static struct e820_warnings warns;

/* ---------------------------------------------------------------- helpers */

static void sanitize_checked(void)
{
    char msg[256];

    e820_sanitize(&raw, &san, &warns);
    if (e820_check_sanitized(&raw, &san, msg, sizeof(msg)))
        fail_msg("sanitizer invariant: %s", msg);
}

static void load(const struct e820_entry *e, unsigned long n)
{
    e820_warnings_init(&warns);
    e820_parse(&raw, e, n, &warns);
    sanitize_checked();
}

static void expect_map(const struct e820_entry *e, unsigned int n)
{
    assert_int_equal(san.nr, n);
    for (unsigned int i = 0; i < n; i++) {
        if (san.entry[i].addr != e[i].addr || san.entry[i].size != e[i].size ||
            san.entry[i].type != e[i].type)
            fail_msg("entry %u: got 0x%lx+0x%lx type %u, want 0x%lx+0x%lx type %u", i,
                     (unsigned long)san.entry[i].addr, (unsigned long)san.entry[i].size,
                     san.entry[i].type, (unsigned long)e[i].addr,
                     (unsigned long)e[i].size, e[i].type);
    }
}

static int plan_checked(xen_pfn_t nr_pages, xen_pfn_t limit,
                        const struct e820_pfn_range *keep, unsigned int nr_keep)
{
    char msg[256];
    int rc = e820_plan_build(&plan, &san, nr_pages, limit, keep, nr_keep, &warns);

    if (rc == 0 && e820_check_plan(&san, nr_pages, limit, keep, nr_keep, &plan,
                                   msg, sizeof(msg)))
        fail_msg("planner invariant: %s", msg);
    return rc;
}

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

static unsigned int count_warn(enum e820_warn_code code)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < warns.nr; i++)
        n += warns.w[i].code == code;
    return n;
}

/* Captured print output. */
static char out[1 << 16];
static size_t out_len;

static int capture(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out + out_len, sizeof(out) - out_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        out_len += (size_t)n < sizeof(out) - out_len ? (size_t)n : sizeof(out) - out_len - 1;
    return n;
}

/* ------------------------------------------------------------------ maps */

/* XENMEM_machine_memory_map as measured (Xen 4.17 in QEMU -m 1024). */
static const struct e820_entry qemu_1g[] = {
    E(0x0, 0x9fc00, E820_RAM),
    E(0x9fc00, 0x400, E820_RESERVED),
    E(0xf0000, 0x10000, E820_RESERVED),
    E(0x100000, 0x3fee0000, E820_RAM),
    E(0x3ffe0000, 0x20000, E820_RESERVED),
    E(0xfec00000, 0x1000, E820_RESERVED),
    E(0xfee00000, 0x100000, E820_RESERVED),
    E(0xfffc0000, 0x40000, E820_RESERVED),
    E(0xfd00000000, 0x10000000000 - 0xfd00000000, E820_RESERVED),
};

static const struct e820_entry qemu_1g_sanitized[] = {
    E(0x0, 0x9f000, E820_RAM),
    E(0x9f000, 0x1000, E820_RESERVED),
    E(0xf0000, 0x10000, E820_RESERVED),
    E(0x100000, 0x3fee0000, E820_RAM),
    E(0x3ffe0000, 0x20000, E820_RESERVED),
    E(0xfec00000, 0x1000, E820_RESERVED),
    E(0xfee00000, 0x100000, E820_RESERVED),
    E(0xfffc0000, 0x40000, E820_RESERVED),
    E(0xfd00000000, 0x10000000000 - 0xfd00000000, E820_RESERVED),
};

/* The same QEMU machine with -m 4096: RAM split around the PCI hole. */
static const struct e820_entry qemu_4g[] = {
    E(0x0, 0x9fc00, E820_RAM),
    E(0x9fc00, 0x400, E820_RESERVED),
    E(0xf0000, 0x10000, E820_RESERVED),
    E(0x100000, 0xbfee0000, E820_RAM),
    E(0xbffe0000, 0x20000, E820_RESERVED),
    E(0xfec00000, 0x1000, E820_RESERVED),
    E(0xfee00000, 0x100000, E820_RESERVED),
    E(0xfffc0000, 0x40000, E820_RESERVED),
    E(0x100000000, 0x40000000, E820_RAM),
    E(0xfd00000000, 0x10000000000 - 0xfd00000000, E820_RESERVED),
};

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

/* ------------------------------------------------------ sanitizer tests */

static void test_qemu_1g_sanitize(void **state)
{
    (void)state;
    load(qemu_1g, N(qemu_1g));
    expect_map(qemu_1g_sanitized, N(qemu_1g_sanitized));
    assert_int_equal(warns.nr, 0);
}

static void test_unsorted_same_result(void **state)
{
    struct e820_entry shuffled[N(qemu_1g)];
    static const unsigned int order[] = { 8, 3, 0, 6, 1, 7, 4, 2, 5 };

    (void)state;
    for (unsigned int i = 0; i < N(qemu_1g); i++)
        shuffled[i] = qemu_1g[order[i]];
    load(shuffled, N(shuffled));
    expect_map(qemu_1g_sanitized, N(qemu_1g_sanitized));
}

static void test_idempotent(void **state)
{
    static struct e820_map again;

    (void)state;
    load(qemu_4g, N(qemu_4g));
    e820_sanitize(&san, &again, &warns);
    assert_int_equal(again.nr, san.nr);
    assert_memory_equal(again.entry, san.entry, san.nr * sizeof(san.entry[0]));
}

static void test_overlaps_restrictive_wins(void **state)
{
    static const struct e820_entry in[] = {
        E(0, MiB(16), E820_RAM),
        E(MiB(4), MiB(1), E820_RESERVED),           /* inside RAM */
        E(MiB(8), MiB(2), E820_ACPI),
        E(MiB(9), MiB(2), E820_NVS),                /* overlaps ACPI, and RAM */
        E(MiB(15), MiB(2), E820_UNUSABLE),          /* straddles the end of RAM */
        E(MiB(2), MiB(1), E820_RAM),                /* duplicate RAM: fine */
    };
    static const struct e820_entry want[] = {
        E(0, MiB(4), E820_RAM),
        E(MiB(4), MiB(1), E820_RESERVED),
        E(MiB(5), MiB(3), E820_RAM),
        E(MiB(8), MiB(1), E820_ACPI),
        E(MiB(9), MiB(2), E820_NVS),
        E(MiB(11), MiB(4), E820_RAM),
        E(MiB(15), MiB(2), E820_UNUSABLE),
    };

    (void)state;
    load(in, N(in));
    expect_map(want, N(want));
    /* RAM/reserved, RAM/ACPI, RAM/NVS, ACPI/NVS, RAM/unusable */
    assert_int_equal(count_warn(E820_WARN_OVERLAP), 5);
}

static void test_precedence_pairs(void **state)
{
    /* From the least to the most restrictive, as documented in e820.h. */
    static const uint32_t order[] = {
        E820_RAM, E820_ACPI, E820_NVS, E820_PRAM, E820_PMEM,
        E820_RESERVED, E820_DISABLED, E820_UNUSABLE,
    };

    (void)state;
    for (unsigned int i = 0; i < N(order); i++) {
        for (unsigned int j = 0; j < N(order); j++) {
            struct e820_entry in[] = {
                E(0, MiB(2), order[i]),
                E(MiB(1), MiB(2), order[j]),
            };
            uint32_t win = i > j ? order[i] : order[j];

            load(in, N(in));
            /* The shared MiB takes the winner's type. */
            for (unsigned int k = 0; k < san.nr; k++)
                if (san.entry[k].addr <= MiB(1) &&
                    MiB(1) < san.entry[k].addr + san.entry[k].size)
                    assert_int_equal(san.entry[k].type, win);
            assert_int_equal(e820_type_rank(order[i]) < e820_type_rank(order[j]), i < j);
        }
    }
}

static void test_alignment(void **state)
{
    static const struct e820_entry in[] = {
        E(0x1000, 0x800, E820_RAM),                 /* RAM split mid-page ... */
        E(0x1800, 0x3800, E820_RAM),                /* ... is still whole pages */
        E(0x10100, 0x3e00, E820_RAM),               /* ragged: rounds inward */
        E(0x20000, 0x800, E820_RAM),                /* sub-page RAM vanishes */
        E(0x30010, 1, E820_RESERVED),               /* 1 byte reserves a page */
        E(0x40000, 0x4000, E820_RAM),
        E(0x43fff, 2, E820_ACPI),                   /* straddles two pages */
    };
    static const struct e820_entry want[] = {
        E(0x1000, 0x4000, E820_RAM),
        E(0x11000, 0x2000, E820_RAM),
        E(0x30000, 0x1000, E820_RESERVED),
        E(0x40000, 0x3000, E820_RAM),
        E(0x43000, 0x2000, E820_ACPI),
    };

    (void)state;
    load(in, N(in));
    expect_map(want, N(want));
}

static void test_adjacent_merge(void **state)
{
    static const struct e820_entry in[] = {
        E(MiB(1), MiB(1), E820_RAM),
        E(MiB(2), MiB(1), E820_RAM),
        E(MiB(3), MiB(1), E820_RESERVED),
        E(MiB(4), MiB(1), E820_RESERVED),
        E(MiB(5), MiB(1), E820_RAM),
    };
    static const struct e820_entry want[] = {
        E(MiB(1), MiB(2), E820_RAM),
        E(MiB(3), MiB(2), E820_RESERVED),
        E(MiB(5), MiB(1), E820_RAM),
    };

    (void)state;
    load(in, N(in));
    expect_map(want, N(want));
}

static void test_garbage(void **state)
{
    static const struct e820_entry in[] = {
        E(MiB(1), 0, E820_RAM),                                 /* zero size */
        E(0xfffffffffffff000ull, 0x2000, E820_RAM),             /* beyond 2^52 */
        E(0x000ffffffffff000ull, 0xffff000000000000ull, E820_RESERVED), /* wraps */
        E(0x000ff00000000000ull, 0x0001000000000000ull, E820_RAM), /* ends past 2^52 */
        E(MiB(2), MiB(1), 0),                                   /* type 0 */
        E(MiB(4), MiB(1), 99),                                  /* type 99 */
        E(0, MiB(8), E820_RAM),
    };
    static const struct e820_entry want[] = {
        E(0, MiB(2), E820_RAM),
        E(MiB(2), MiB(1), E820_RESERVED),
        E(MiB(3), MiB(1), E820_RAM),
        E(MiB(4), MiB(1), E820_RESERVED),
        E(MiB(5), MiB(3), E820_RAM),
        E(0x000ff00000000000ull, 0x000ffffffffff000ull - 0x000ff00000000000ull, E820_RAM),
        E(0x000ffffffffff000ull, 0x1000, E820_RESERVED),
    };

    (void)state;
    load(in, N(in));
    expect_map(want, N(want));
    assert_int_equal(count_warn(E820_WARN_ZERO_SIZE), 1);
    assert_int_equal(count_warn(E820_WARN_BEYOND_LIMIT), 1);
    assert_int_equal(count_warn(E820_WARN_WRAPS), 1);
    assert_int_equal(count_warn(E820_WARN_CLIPPED), 1);
    assert_int_equal(count_warn(E820_WARN_UNKNOWN_TYPE), 2);
    /* And the planner copes with what is left (p2m limit = 2^40 pfns). */
    assert_int_equal(plan_checked(0x800, (xen_pfn_t)1 << 40, NULL, 0), 0);
}

static void test_too_many_entries(void **state)
{
    static struct e820_entry in[300];

    (void)state;
    for (unsigned int i = 0; i < N(in); i++) {
        in[i].addr = MiB(2) * i;
        in[i].size = MiB(1);
        in[i].type = i % 2 ? E820_RAM : E820_RESERVED;
    }
    load(in, N(in));
    assert_int_equal(count_warn(E820_WARN_TOO_MANY), 1);
    assert_int_equal(raw.nr, E820_MAX_RAW);
    assert_int_equal(san.nr, E820_MAX_RAW);
    assert_int_equal(san.entry[san.nr - 1].addr, MiB(2) * (E820_MAX_RAW - 1));
    /* Warnings past the capacity are counted, not stored. */
    raw.nr = E820_MAX_RAW;
    for (unsigned int i = 0; i < E820_MAX_RAW; i++)
        raw.entry[i].size = 0;
    e820_warnings_init(&warns);
    sanitize_checked();
    assert_int_equal(san.nr, 0);
    assert_int_equal(warns.nr, E820_MAX_WARNINGS);
    assert_int_equal(warns.missed, E820_MAX_RAW - E820_MAX_WARNINGS);
}

static void test_print(void **state)
{
    (void)state;
    load(qemu_1g, N(qemu_1g));
    out_len = 0;
    e820_print(&san, "E820 sanitized", capture);
    assert_non_null(strstr(out, "E820 sanitized (9 entries):"));
    assert_non_null(strstr(out, "[0x0000000000000000-0x000000000009f000) RAM"));
    assert_non_null(strstr(out, "[0x000000fd00000000-0x0000010000000000) reserved"));

    raw.nr = 1;
    raw.entry[0] = (struct e820_entry)E(0, 0, 77);
    e820_warnings_init(&warns);
    sanitize_checked();
    out_len = 0;
    e820_warnings_print(&warns, capture);
    assert_non_null(strstr(out, "size 0"));

    load(qemu_1g, N(qemu_1g));
    assert_int_equal(plan_checked(0x4000, LIMIT_512G, NULL, 0), 0);
    out_len = 0;
    e820_plan_print(&plan, capture);
    assert_non_null(strstr(out, "usable 16384 pages = 16384 populated - 0 released"));
}

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

/* ---------------------------------------------------- randomized property */

static struct rng rng;         /* seeded per run: failures reproduce */

static uint32_t random_type(void)
{
    static const uint32_t t[] = { 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 12, 0, 99 };

    return t[rng_next(&rng) % N(t)];
}

static void random_map(void)
{
    unsigned int n = 1 + rng_next(&rng) % 40;
    /* Small spaces exercise the byte level, 4 TiB the 1 TiB RAM limit
     * (E820_PLAN_RAM_LIMIT), large ones the 2^52 edges. */
    uint64_t space = (uint64_t[]){ KiB(64), MiB(16), GiB(64), GiB(4096), 1ull << 52,
                                   ~0ull }[rng_next(&rng) % 6];
    bool aligned = rng_next(&rng) % 2;

    raw.nr = n;
    for (unsigned int i = 0; i < n; i++) {
        uint64_t a = rng_next(&rng) % space, s = rng_next(&rng) % (space / 4 + 1);

        if (aligned) {
            a &= ~0xfffull;
            s &= ~0xfffull;
        }
        if (rng_next(&rng) % 20 == 0)
            s = rng_next(&rng);                  /* garbage size */
        raw.entry[i] = (struct e820_entry)E(a, s, random_type());
    }
}

static void test_random_property(void **state)
{
    const char *env = getenv("E820_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed0e820ull;
    clock_t t0 = clock();
    unsigned int iter, plans = 0, with_moves = 0, with_release = 0, with_kept = 0;
    unsigned int with_overlap = 0;

    (void)state;
    rng.state = seed;
    for (iter = 0; iter < 30000; iter++) {
        struct e820_pfn_range keep[3];
        unsigned int nr_keep = 0;
        xen_pfn_t max_end = 0, limit, nr_pages;
        char msg[256];

        e820_warnings_init(&warns);
        random_map();
        e820_sanitize(&raw, &san, &warns);
        if (e820_check_sanitized(&raw, &san, msg, sizeof(msg)))
            fail_msg("seed 0x%lx iteration %u: %s", (unsigned long)seed, iter, msg);

        for (unsigned int i = 0; i < san.nr; i++) {
            xen_pfn_t e = (san.entry[i].addr + san.entry[i].size) >> 12;
            if (e > max_end)
                max_end = e;
        }
        /* Limits around the map's end, capped at the planner's 2^40. */
        limit = max_end + rng_next(&rng) % 64;
        if (rng_next(&rng) % 4 == 0 || limit > ((xen_pfn_t)1 << 40))
            limit = rng_next(&rng) % (((xen_pfn_t)1 << 40) + 1);
        nr_pages = limit ? rng_next(&rng) % (limit + 1) : 0;
        /* Moves go below the RAM limit only: leave room there most times. */
        if (nr_pages > E820_PLAN_RAM_LIMIT && rng_next(&rng) % 4)
            nr_pages %= E820_PLAN_RAM_LIMIT;
        if (rng_next(&rng) % 3 == 0 && nr_pages > 2) {
            nr_keep = 1 + rng_next(&rng) % 3;
            for (unsigned int k = 0; k < nr_keep; k++) {
                xen_pfn_t s = rng_next(&rng) % (nr_pages - 1);
                keep[k].start = s;
                keep[k].end = s + 1 + rng_next(&rng) % (nr_pages - s);
            }
        }
        if (e820_plan_build(&plan, &san, nr_pages, limit, keep, nr_keep, &warns))
            fail_msg("seed 0x%lx iteration %u: planner refused a sanitized map",
                     (unsigned long)seed, iter);
        if (e820_check_plan(&san, nr_pages, limit, keep, nr_keep, &plan, msg, sizeof(msg)))
            fail_msg("seed 0x%lx iteration %u: %s", (unsigned long)seed, iter, msg);
        plans++;
        with_moves += plan.nr_moves > 0;
        with_release += plan.nr_release > 0;
        with_kept += plan.nr_kept > 0;
        with_overlap += count_warn(E820_WARN_OVERLAP) > 0;
    }
    print_message("random: %u maps and plans checked in %.2f s (seed 0x%lx): "
                  "%u with overlaps, %u with moves, %u with releases, %u with kept\n",
                  plans, (double)(clock() - t0) / CLOCKS_PER_SEC, (unsigned long)seed,
                  with_overlap, with_moves, with_release, with_kept);
    /* The generator must keep producing the interesting cases. */
    assert_true(with_overlap > plans / 10 && with_moves > plans / 10);
    assert_true(with_release > plans / 20 && with_kept > plans / 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_1g_sanitize),
        cmocka_unit_test(test_unsorted_same_result),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_overlaps_restrictive_wins),
        cmocka_unit_test(test_precedence_pairs),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_adjacent_merge),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_too_many_entries),
        cmocka_unit_test(test_print),
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
        cmocka_unit_test(test_random_property),
    };

    /* E820_TEST=pattern runs a subset (e.g. E820_TEST=test_random_property). */
    if (getenv("E820_TEST") && *getenv("E820_TEST"))
        cmocka_set_test_filter(getenv("E820_TEST"));
    return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
