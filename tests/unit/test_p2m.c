/*
 * Host tests of the linear p2m (mm/p2m.c) against the Xen model: the same
 * code the guest runs, with its page-table writes and hypercalls going to
 * tests/unit/sim.  Publication, the self-check and the dump are in
 * test_p2m_publish.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>
#include "p2m_fixture.h"
#include "rng.h"

#define NR      (32768 + 100)       /* 128 MiB + a partial last leaf */

static struct rng rng = { 88172645463325252UL };

static int setup(void **state)
{
    (void)state;
    assert_int_equal(p2m_boot(NR, SIF_PRIVILEGED | SIF_INITDOMAIN, 0, 3), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(sim_take_violations(), 0);
    p2m_shutdown();
    return 0;
}

static void built_from_start_info(void **state)
{
    struct p2m_stats st;

    (void)state;
    assert_true(p2m_ready());
    assert_true(p2m_table_limit >= P2M_DEFAULT_PFNS);      /* >= 512 GiB */
    for (xen_pfn_t p = 0; p < NR; p++) {
        assert_int_equal(pfn_to_mfn(p), sim.boot_mfn_list[p]);
        assert_int_equal(p2m_kind_of(p), P2M_RAM);
    }
    /* The partial last leaf: every entry past nr_pages is ~0 in memory. */
    for (xen_pfn_t p = NR; p < (NR + 511) / 512 * 512; p++)
        assert_int_equal(raw_entry(p), INVALID_P2M_ENTRY);
    assert_int_equal(pfn_to_mfn(NR), INVALID_P2M_ENTRY);
    assert_int_equal(p2m_kind_of(NR + 5000), P2M_MISSING);
    /* Beyond the p2m is 1:1 (nothing there can be RAM), never a fault;
     * beyond what x86 can address is missing. */
    assert_int_equal(p2m_get(p2m_table_limit), IDENTITY_FRAME(p2m_table_limit));
    assert_int_equal(pfn_to_mfn(p2m_table_limit), p2m_table_limit);
    assert_int_equal(p2m_kind_of(P2M_MAX_ARCH_PFN - 1), P2M_IDENTITY);
    assert_int_equal(pfn_to_mfn(~0UL >> 1), INVALID_P2M_ENTRY);

    /* Pages: one leaf per 2 MiB, one PTE page, one PMD page, one L3, the
     * five shared pages, and the frame list (top, missing mid, one mid). */
    p2m_get_stats(&st);
    assert_int_equal(st.leaves, (NR + 511) / 512);
    assert_int_equal(st.pte_pages, 1);
    assert_int_equal(st.pmd_pages, 1);
    assert_int_equal(st.l3_pages, 1);
    assert_int_equal(st.shared_pages, 5);
    assert_int_equal(st.fl_pages, 3);
    assert_int_equal(st.total, (NR + 511) / 512 + 1 + 1 + 1 + 5 + 3);
    assert_int_equal(p2m_self_check(), 0);
}

static void set_privatises_shared_pages(void **state)
{
    struct p2m_stats before, after;
    xen_pfn_t far = 3 * P2M_PFNS_PER_PTE_PAGE + 17;     /* GiB 3: all shared */
    uint64_t gen = sim.shared.arch.p2m_generation;

    (void)state;
    p2m_get_stats(&before);
    assert_false(p2m_try_set(far, 0x1234));       /* would need pages */
    p2m_get_stats(&after);
    assert_int_equal(after.total, before.total);
    assert_true(p2m_try_set(far, INVALID_P2M_ENTRY));   /* no change: fine */

    assert_int_equal(p2m_set(far, sim.boot_mfn_list[10]), 0);
    assert_int_equal(pfn_to_mfn(far), sim.boot_mfn_list[10]);
    assert_int_equal(pfn_to_mfn(far + 1), INVALID_P2M_ENTRY);
    p2m_get_stats(&after);
    assert_int_equal(after.leaves, before.leaves + 1);
    assert_int_equal(after.pte_pages, before.pte_pages + 1);
    assert_int_equal(after.pmd_pages, before.pmd_pages);   /* PMD 0 is private */
    assert_int_equal(after.fl_pages, before.fl_pages + 1);  /* a mid for GiB 3 */
    /* Mappings changed under a bumped generation, now even again. */
    assert_true(sim.shared.arch.p2m_generation > gen);
    assert_int_equal(sim.shared.arch.p2m_generation % 2, 0);
    assert_true(sim.p2m_table_writes > 0);
    /* Growth: max_pfn is a count and follows the highest frame. */
    assert_int_equal(sim.shared.arch.max_pfn, far + 1);
    assert_int_equal(p2m_max_pfn(), far + 1);

    /* Now the same leaf takes stores without allocating or bumping. */
    gen = sim.shared.arch.p2m_generation;
    assert_true(p2m_try_set(far - 1, FOREIGN_FRAME(0x42)));
    assert_int_equal(p2m_get(far - 1), FOREIGN_FRAME(0x42));
    assert_int_equal(pfn_to_mfn(far - 1), 0x42);
    assert_int_equal(p2m_kind_of(far - 1), P2M_FOREIGN);
    assert_int_equal(sim.shared.arch.p2m_generation, gen);
    assert_int_equal(p2m_self_check(), 0);
}

static void beyond_the_reserve(void **state)
{
    (void)state;
    host_console_reset();
    assert_int_equal(p2m_set(p2m_table_limit, 5), -ERANGE);
    assert_true(host_console_contains("beyond"));
    assert_int_equal(p2m_set(p2m_table_limit + 9, INVALID_P2M_ENTRY), 0);
    assert_false(p2m_try_set(p2m_table_limit, 5));
    assert_int_equal(p2m_set_identity_range(10, p2m_table_limit + 1), -ERANGE);
    assert_int_equal(p2m_kind_of(10), P2M_RAM);     /* nothing changed */
}

static void allocation_failures(void **state)
{
    /* A pfn in a fresh 512 GiB chunk needs: PMD, PTE page, mid, leaf. */
    xen_pfn_t pfn = 3 * P2M_PFNS_PER_PMD_PAGE + 5;
    struct p2m_config pc = { TEST_P2M_VA, TEST_P2M_SLOTS, 4 * P2M_PFNS_PER_PMD_PAGE, &sim_frames };

    (void)state;
    p2m_shutdown();
    assert_int_equal(p2m_boot(NR, 0, pc.reserve_pfns, 5), 0);
    /* Each failure keeps what was already privatised (valid copies of the
     * shared pages); the next attempt continues from there. */
    static const long fail_after[] = { 0, 1, 1 };
    static const uint64_t pmd[] = { 1, 2, 2 }, pte[] = { 1, 1, 2 };
    for (int k = 0; k < 3; k++) {
        struct p2m_stats st;
        sim_fail_frame_alloc_after(fail_after[k]);
        host_console_reset();
        assert_int_equal(p2m_set(pfn, sim.boot_mfn_list[7]), -ENOMEM);
        assert_true(host_console_contains("entry unchanged"));
        assert_int_equal(pfn_to_mfn(pfn), INVALID_P2M_ENTRY);
        assert_int_equal(sim.shared.arch.p2m_generation % 2, 0);
        p2m_get_stats(&st);
        assert_int_equal(st.pmd_pages, pmd[k]);
        assert_int_equal(st.pte_pages, pte[k]);
        assert_int_equal(st.leaves, (NR + 511) / 512);
        assert_int_equal(sim.shared.arch.max_pfn, NR);
        assert_int_equal(p2m_self_check(), 0);
    }
    sim_fail_frame_alloc_after(-1);
    assert_int_equal(p2m_set(pfn, sim.boot_mfn_list[7]), 0);
    assert_int_equal(pfn_to_mfn(pfn), sim.boot_mfn_list[7]);
    /* 3 * 512 GiB is past the frame list's reach: its field became ~0. */
    assert_int_equal(sim.shared.arch.pfn_to_mfn_frame_list_list, ~0UL);
    assert_int_equal(p2m_self_check(), 0);

    /* p2m_init itself: fails cleanly, the boot list stays in charge. */
    for (long k = 0; k < 12; k++) {
        struct sim_config cfg = { .nr_pages = NR, .map_all = true, .seed = 9,
                                  .p2m_va = TEST_P2M_VA, .p2m_slots = 32 };
        p2m_shutdown();
        sim_init(&cfg);
        p2m_use_boot_list(&sim.start_info);
        pt_init(sim.start_info.pt_base >> 12, &sim_frames, pfn_to_mfn);
        sim_fail_frame_alloc_after(k);
        assert_int_equal(p2m_init(&pc), -ENOMEM);
        assert_false(p2m_ready());
        assert_int_equal(pfn_to_mfn(5), sim.boot_mfn_list[5]);
        assert_int_equal(sim_take_violations(), 0);
    }
}

static void bad_config(void **state)
{
    struct p2m_config pc = { TEST_P2M_VA + 4096, 32, 0, &sim_frames };

    (void)state;
    p2m_forget();
    host_console_reset();
    assert_int_equal(p2m_init(&pc), -EINVAL);
    assert_true(host_console_contains("bad area"));
    pc.virt_base = 0xffff800000000000UL;        /* Xen's */
    host_console_reset();
    assert_int_equal(p2m_init(&pc), -EINVAL);
    assert_true(host_console_contains("bad area"));
    pc.virt_base = 0x0000800000000000UL;        /* not canonical */
    host_console_reset();
    assert_int_equal(p2m_init(&pc), -EINVAL);
    assert_true(host_console_contains("bad area"));
    pc.virt_base = TEST_P2M_VA;
    pc.virt_slots = 0;
    host_console_reset();
    assert_int_equal(p2m_init(&pc), -EINVAL);
    assert_true(host_console_contains("bad area"));
    pc.virt_slots = 32;
    pc.frames = NULL;                           /* nowhere to take pages from */
    host_console_reset();
    assert_int_equal(p2m_init(&pc), -EINVAL);
    assert_true(host_console_contains("needs"));
    assert_false(p2m_ready());
}

/* Reference model: what p2m_get() must return for each pfn. */
#define PROP_SPACE  (8UL << 20)     /* 32 GiB of pfn space */

static void property_against_reference_array(void **state)
{
    xen_pfn_t *ref = malloc(PROP_SPACE * sizeof(*ref));
    uint64_t ops = 0, lookups = 0;
    clock_t t0 = clock();

    (void)state;
    for (xen_pfn_t p = 0; p < PROP_SPACE; p++)
        ref[p] = p < NR ? sim.boot_mfn_list[p] : INVALID_P2M_ENTRY;

    /* Bounded by time as well as count: ~3 s of work at most. */
    while (ops < 4000000 && (clock() - t0) < 3 * CLOCKS_PER_SEC) {
        uint64_t r = rng_next(&rng);
        /* Changes stay above the booted RAM: below it live the pages the
         * p2m and the page tables are made of. */
        xen_pfn_t pfn = NR + r % (PROP_SPACE - NR);
        switch ((r >> 40) % 16) {
        case 0: case 1: {           /* set: RAM, foreign or missing */
            xen_pfn_t v = (r >> 50) % 3 == 0 ? INVALID_P2M_ENTRY
                        : (r >> 50) % 3 == 1 ? (rng_next(&rng) & 0xffffffffUL)
                                             : FOREIGN_FRAME(rng_next(&rng) & 0xfffffUL);
            /* Mostly near existing leaves, sometimes anywhere. */
            if ((r >> 58) & 1 && pfn >= P2M_PFNS_PER_PTE_PAGE)
                pfn = (pfn % (64 * 512)) + (pfn & ~(P2M_PFNS_PER_PTE_PAGE - 1));
            assert_int_equal(p2m_set(pfn, v), 0);
            ref[pfn] = v;
            break;
        }
        case 2: {                   /* try_set: must match its answer */
            xen_pfn_t v = rng_next(&rng) & 0xffffffUL;
            if (p2m_try_set(pfn, v))
                ref[pfn] = v;
            else
                assert_int_equal(ref[pfn] == INVALID_P2M_ENTRY ||
                                 ref[pfn] == IDENTITY_FRAME(pfn), 1);
            break;
        }
        case 3: {                   /* identity range, sometimes huge */
            if (ops % 8)
                break;
            xen_pfn_t len = (r >> 44) & 1 ? (rng_next(&rng) % (3 * P2M_PFNS_PER_PTE_PAGE))
                                          : (rng_next(&rng) % 2000);
            xen_pfn_t end = pfn + len > PROP_SPACE ? PROP_SPACE : pfn + len;
            assert_int_equal(p2m_set_identity_range(pfn, end), 0);
            for (xen_pfn_t p = pfn; p < end; p++)
                ref[p] = IDENTITY_FRAME(p);
            break;
        }
        case 4: {                   /* the search for missing pfns */
            xen_pfn_t end = pfn + (r >> 44) % (4 * P2M_PER_PAGE), run_end, want = pfn;
            xen_pfn_t got;

            if (end > PROP_SPACE)
                end = PROP_SPACE;
            got = p2m_find_missing(pfn, end, &run_end);
            while (want < end && ref[want] != INVALID_P2M_ENTRY)
                want++;
            assert_int_equal(got, want);
            assert_true(run_end <= end && (got == end || run_end > got));
            for (xen_pfn_t p = got; p < run_end; p++)
                assert_int_equal(ref[p], INVALID_P2M_ENTRY);
            break;
        }
        default:                    /* lookups */
            for (int i = 0; i < 8; i++, lookups++) {
                xen_pfn_t q = (pfn + i * 4099 + (r & 0xffff)) % PROP_SPACE;
                assert_int_equal(p2m_get(q), ref[q]);
            }
        }
        ops++;
    }
    print_message("property: %lu ops, %lu lookups in %.2f s\n", (unsigned long)ops,
                  (unsigned long)lookups, (double)(clock() - t0) / CLOCKS_PER_SEC);
    assert_true(ops > 100000);
    for (xen_pfn_t p = 0; p < PROP_SPACE; p += 1 + (p % 3))
        assert_int_equal(p2m_get(p), ref[p]);
    assert_int_equal(p2m_self_check(), 0);
    assert_int_equal(sim.shared.arch.p2m_generation % 2, 0);
    free(ref);
}

/* ---- 64 TiB of pfn space, sparse RAM, huge holes ------------------------- */

#define SPACE_64T   (1UL << 34)     /* pfns: 64 TiB */

struct set_entry { xen_pfn_t pfn, mfn; };

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t distinct(uint64_t *v, uint64_t n)
{
    uint64_t d = 0;

    qsort(v, n, sizeof(*v), cmp_u64);
    for (uint64_t i = 0; i < n; i++)
        if (i == 0 || v[i] != v[i - 1])
            d++;
    return d;
}

static void sparse_64_tib(void **state)
{
    enum { NSET = 3000 };
    static struct set_entry sets[NSET];
    static uint64_t chunks[NSET + 200], gibs[NSET + 200], pmds[NSET + 200];
    uint64_t nc = 0, ng = 0, np = 0;
    struct p2m_stats st;
    xen_pfn_t id_start = 3UL << 32, id_end = id_start + 7 * P2M_PFNS_PER_PTE_PAGE;
    uint64_t entries_before;

    (void)state;
    p2m_shutdown();
    assert_int_equal(p2m_boot(NR, SIF_VIRT_P2M_4TOOLS, SPACE_64T, 11), 0);
    assert_int_equal(p2m_table_limit, SPACE_64T);

    for (xen_pfn_t p = 0; p < NR; p += 512) {       /* boot RAM */
        chunks[nc++] = p / 512;
    }
    gibs[ng++] = 0;
    pmds[np++] = 0;
    for (int i = 0; i < NSET; i++) {
        /* Clustered: 60 islands of RAM spread over the 64 TiB. */
        xen_pfn_t island = (rng_next(&rng) % 60) * (SPACE_64T / 61) + P2M_PFNS_PER_PMD_PAGE;
        sets[i].pfn = island + rng_next(&rng) % (4 * P2M_PFNS_PER_PTE_PAGE);
        sets[i].mfn = rng_next(&rng) & 0xfffffffUL;
        assert_int_equal(p2m_set(sets[i].pfn, sets[i].mfn), 0);
        chunks[nc++] = sets[i].pfn / 512;
        gibs[ng++] = sets[i].pfn / P2M_PFNS_PER_PTE_PAGE;
        pmds[np++] = sets[i].pfn / P2M_PFNS_PER_PMD_PAGE;
    }
    /* A huge identity hole: 7 whole GiB, one PMD entry each, cheaply. */
    entries_before = sim.mmu_update_entries;
    assert_int_equal(p2m_set_identity_range(id_start, id_end), 0);
    assert_true(sim.mmu_update_entries - entries_before <= 7 + 8);
    pmds[np++] = id_start / P2M_PFNS_PER_PMD_PAGE;       /* its PMD goes private */
    /* One unaligned identity range: two partial leaves, 2 MiB chunks between. */
    xen_pfn_t u0 = (7UL << 31) + 100, u1 = u0 + 5000;
    assert_int_equal(p2m_set_identity_range(u0, u1), 0);
    chunks[nc++] = u0 / 512;
    chunks[nc++] = (u1 - 1) / 512;
    gibs[ng++] = u0 / P2M_PFNS_PER_PTE_PAGE;
    pmds[np++] = u0 / P2M_PFNS_PER_PMD_PAGE;

    for (int i = 0; i < NSET; i++) {
        /* Later sets may overwrite earlier ones at the same pfn. */
        xen_pfn_t want = sets[i].mfn;
        for (int j = i + 1; j < NSET; j++)
            if (sets[j].pfn == sets[i].pfn)
                want = sets[j].mfn;
        assert_int_equal(pfn_to_mfn(sets[i].pfn), want);
    }
    for (int i = 0; i < 20000; i++) {
        xen_pfn_t p = rng_next(&rng) % SPACE_64T;
        xen_pfn_t e = p2m_get(p);
        if (p >= id_start && p < id_end)
            assert_int_equal(e, IDENTITY_FRAME(p));
        else if ((p >= u0 && p < u1))
            assert_int_equal(e, IDENTITY_FRAME(p));
        else if (e != INVALID_P2M_ENTRY) {
            bool found = false;
            for (int j = 0; j < NSET && !found; j++)
                found = sets[j].pfn == p;
            assert_true(found || p < NR);
        }
    }
    assert_int_equal(p2m_get(id_start + 123456), IDENTITY_FRAME(id_start + 123456));
    assert_int_equal(pfn_to_mfn(u0 + 7), u0 + 7);
    assert_int_equal(p2m_get(u0 - 1), INVALID_P2M_ENTRY);
    assert_int_equal(p2m_get(u1), INVALID_P2M_ENTRY);

    /* Pages used == the formula: leaves for populated 2 MiB chunks, a PTE
     * page per touched GiB, a PMD page per touched 512 GiB, one L3 page for
     * 64 TiB, the 5 shared pages.  (No frame list: SIF_VIRT_P2M_4TOOLS.) */
    p2m_get_stats(&st);
    uint64_t leaves = distinct(chunks, nc), ptes = distinct(gibs, ng);
    uint64_t pmd = distinct(pmds, np);
    print_message("64 TiB: %lu leaves, %lu PTE, %lu PMD, %lu L3, total %lu pages\n",
                  (unsigned long)st.leaves, (unsigned long)st.pte_pages,
                  (unsigned long)st.pmd_pages, (unsigned long)st.l3_pages,
                  (unsigned long)st.total);
    assert_int_equal(st.leaves, leaves);
    assert_int_equal(st.pte_pages, ptes);
    assert_int_equal(st.pmd_pages, pmd);
    assert_int_equal(st.l3_pages, 1);
    assert_int_equal(st.shared_pages, 5);
    assert_int_equal(st.fl_pages, 0);
    assert_int_equal(st.total, leaves + ptes + pmd + 1 + 5);
    assert_int_equal(p2m_self_check(), 0);
}

/* Identity over RAM: whole chunks drop their private leaf (freed). */
static void identity_frees_leaves(void **state)
{
    struct p2m_stats a, b;
    uint64_t pool = sim_pool_count();

    (void)state;
    p2m_get_stats(&a);
    assert_int_equal(p2m_set_identity_range(1024, 1024 + 4 * 512 + 3), 0);
    p2m_get_stats(&b);
    assert_int_equal(b.leaves, a.leaves - 4);
    assert_int_equal(sim_pool_count(), pool + 4);
    for (xen_pfn_t p = 1024; p < 1024 + 4 * 512 + 3; p++)
        assert_int_equal(p2m_get(p), IDENTITY_FRAME(p));
    assert_int_equal(p2m_get(1024 + 4 * 512 + 3), sim.boot_mfn_list[1024 + 2051]);
    assert_int_equal(p2m_get(1023), sim.boot_mfn_list[1023]);
    /* Setting one pfn of an identity chunk gives it a private leaf again,
     * pre-filled with the identity pattern. */
    assert_int_equal(p2m_set(1030, sim.boot_mfn_list[1030]), 0);
    assert_int_equal(p2m_get(1029), IDENTITY_FRAME(1029));
    assert_int_equal(p2m_get(1030), sim.boot_mfn_list[1030]);
    assert_int_equal(p2m_self_check(), 0);
}

/*
 * A GiB of booted RAM turned wholly 1:1 (dom0's RAM moved out of the PCI
 * hole) keeps nothing of its own: leaves, PTE page and frame-list mid go
 * back to the allocator, and the pages equal docs/p2m.md's formula for
 * the final layout.
 */
#define NR_1G3  (P2M_PFNS_PER_PTE_PAGE + 300 * 256)      /* 1 GiB + 300 MiB */

static void identity_gib_releases_its_pages(void **state)
{
    xen_pfn_t gib1 = P2M_PFNS_PER_PTE_PAGE;
    struct p2m_stats a, b;
    uint64_t pool, gen;

    (void)state;
    p2m_shutdown();
    assert_int_equal(p2m_boot(NR_1G3, SIF_PRIVILEGED | SIF_INITDOMAIN, 0, 9), 0);
    p2m_get_stats(&a);
    assert_int_equal(a.leaves, NR_1G3 / 512);
    assert_int_equal(a.pte_pages, 2);
    assert_int_equal(a.fl_pages, 4);                    /* top, missing mid, 2 mids */
    pool = sim_pool_count();
    gen = sim.shared.arch.p2m_generation;

    assert_int_equal(p2m_set_identity_range(gib1, 2 * gib1), 0);
    p2m_get_stats(&b);
    assert_int_equal(b.leaves, 512);
    assert_int_equal(b.pte_pages, 1);
    assert_int_equal(b.fl_pages, 3);
    /* Formula: 512 leaves + PTE page of GiB 0 + PMD + L3 + 5 shared + top,
     * missing mid and GiB 0's mid. */
    assert_int_equal(b.total, 512 + 1 + 1 + 1 + 5 + 3);
    assert_int_equal(sim_pool_count(), pool + 300 / 2 + 1 + 1);
    assert_int_equal(p2m_page_at(gib1, 2), P2M_PAGE_IDENTITY);
    /* The frame list names the missing mid for GiB 1 again. */
    assert_int_equal(((xen_pfn_t *)xen_mm_page(p2m.fll_top))[1],
                     pfn_to_mfn(p2m.fll_missing_mid));
    assert_int_equal(p2m.fl_mid[1], NO_FRAME);
    assert_true(sim.shared.arch.p2m_generation > gen);
    assert_int_equal(sim.shared.arch.p2m_generation % 2, 0);
    for (xen_pfn_t p = gib1; p < 2 * gib1; p += 4099)
        assert_int_equal(p2m_get(p), IDENTITY_FRAME(p));
    assert_int_equal(p2m_get(gib1 - 1), sim.boot_mfn_list[gib1 - 1]);
    assert_int_equal(p2m_self_check(), 0);

    /* A frame stored there again privatises the GiB, pre-filled 1:1. */
    assert_int_equal(p2m_set(gib1 + 7, sim.boot_mfn_list[gib1 + 7]), 0);
    p2m_get_stats(&b);
    assert_int_equal(b.pte_pages, 2);
    assert_int_equal(b.fl_pages, 4);
    assert_int_equal(p2m_get(gib1 + 6), IDENTITY_FRAME(gib1 + 6));
    assert_int_equal(p2m_get(gib1 + 600), IDENTITY_FRAME(gib1 + 600));
    assert_int_equal(p2m_self_check(), 0);
}

/* Two ranges side by side complete a GiB (two E820 holes): the second
 * one releases it; a GiB with one pfn of RAM left keeps its pages. */
static void identity_gib_completed_by_two_ranges(void **state)
{
    xen_pfn_t gib1 = P2M_PFNS_PER_PTE_PAGE, mid = gib1 + 1000;
    struct p2m_stats a, b;

    (void)state;
    p2m_shutdown();
    assert_int_equal(p2m_boot(2 * gib1, SIF_PRIVILEGED | SIF_INITDOMAIN, 0, 11), 0);
    p2m_get_stats(&a);
    assert_int_equal(p2m_set_identity_range(mid, 2 * gib1), 0);
    assert_int_equal(p2m_set_identity_range(gib1 + 1, mid), 0);
    p2m_get_stats(&b);
    assert_int_equal(b.pte_pages, a.pte_pages);         /* pfn gib1 is RAM */
    assert_int_equal(b.leaves, a.leaves - 511);
    assert_int_equal(p2m_page_at(gib1, 2), P2M_PAGE_PRIVATE);
    assert_int_equal(p2m_get(gib1), sim.boot_mfn_list[gib1]);
    assert_int_equal(p2m_set_identity_range(gib1, gib1 + 1), 0);
    p2m_get_stats(&b);
    assert_int_equal(b.pte_pages, a.pte_pages - 1);
    assert_int_equal(b.leaves, a.leaves - 512);
    assert_int_equal(b.fl_pages, a.fl_pages - 1);
    assert_int_equal(p2m_page_at(gib1, 2), P2M_PAGE_IDENTITY);
    assert_int_equal(p2m_self_check(), 0);
}

static void m2p_lookups(void **state)
{
    xen_pfn_t free_mfn = sim.free_mfns[0];

    (void)state;
    assert_int_equal(mfn_to_pfn(sim.boot_mfn_list[77]), 77);
    assert_int_equal(mfn_to_local_pfn(sim.boot_mfn_list[77]), 77);
    assert_int_equal(mfn_to_pfn(sim.cfg.machine_frames + 5), INVALID_P2M_ENTRY);
    assert_int_equal(mfn_to_local_pfn(~0UL - 1), INVALID_P2M_ENTRY);
    assert_int_equal(mfn_to_local_pfn(free_mfn), INVALID_P2M_ENTRY);
    /* Another pfn claims the same mfn in m2p terms: not ours. */
    assert_int_equal(p2m_set(77, FOREIGN_FRAME(sim.boot_mfn_list[77])), 0);
    assert_int_equal(mfn_to_local_pfn(sim.boot_mfn_list[77]), INVALID_P2M_ENTRY);
    /* 1:1: an I/O frame is its own pfn. */
    assert_int_equal(p2m_set_identity_range(0xfee00, 0xfee01), 0);
    assert_int_equal(mfn_to_local_pfn(0xfee00), 0xfee00);
}

/*
 * Beyond the table every pfn reads 1:1 (Linux's rule), but that does not
 * make an unknown mfn "ours": only pfns the E820 plan (or anyone) made 1:1
 * in the table are.  Bad data in start_info (a store or console mfn past
 * the limit) must come back as "not one of our frames", not as an
 * address that faults.
 */
static void m2p_no_1to1_beyond_the_table(void **state)
{
    xen_pfn_t far = p2m_table_limit + 5;

    (void)state;
    assert_int_equal(p2m_get(far), IDENTITY_FRAME(far));
    assert_int_equal(mfn_to_pfn(far), INVALID_P2M_ENTRY);
    assert_int_equal(mfn_to_local_pfn(far), INVALID_P2M_ENTRY);
    assert_int_equal(mfn_to_local_pfn(P2M_MAX_ARCH_PFN - 1), INVALID_P2M_ENTRY);
    assert_null(mfn_to_local_page(far));
    /* Inside the table, a pfn set 1:1 still is its own mfn's pfn. */
    assert_int_equal(p2m_set_identity_range(p2m_table_limit - 8, p2m_table_limit), 0);
    assert_int_equal(mfn_to_local_pfn(p2m_table_limit - 3), p2m_table_limit - 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(built_from_start_info, setup, teardown),
        cmocka_unit_test_setup_teardown(set_privatises_shared_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(beyond_the_reserve, setup, teardown),
        cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_config, setup, teardown),
        cmocka_unit_test_setup_teardown(property_against_reference_array, setup, teardown),
        cmocka_unit_test_setup_teardown(sparse_64_tib, setup, teardown),
        cmocka_unit_test_setup_teardown(identity_frees_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(identity_gib_releases_its_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(identity_gib_completed_by_two_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(m2p_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(m2p_no_1to1_beyond_the_table, setup, teardown),
    };

    return cmocka_run_group_tests_name("p2m", tests, NULL, NULL);
}
