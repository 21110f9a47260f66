/*
 * Host tests for the E820 sanitizer (mm/e820.c), its printing, and a
 * randomized property over sanitizer and planner together; the planner's
 * own cases are in test_e820_plan.c.
 *
 * Every case runs the generic checkers of e820_check.c on top of its own
 * exact expectations, so a map checked here is checked twice: once by
 * hand-derived numbers, once by the invariants (no page lost or duplicated,
 * identity == exactly the non-RAM pfns, moves only into unpopulated map
 * RAM, counts add up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "e820_fixture.h"
#include "rng.h"

/* ---------------------------------------------------------------- helpers */

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
        cmocka_unit_test(test_random_property),
    };

    /* E820_TEST=pattern runs a subset (e.g. E820_TEST=test_random_property). */
    if (getenv("E820_TEST") && *getenv("E820_TEST"))
        cmocka_set_test_filter(getenv("E820_TEST"));
    return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
