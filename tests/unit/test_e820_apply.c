/*
 * Host tests of e820_fetch() and e820_apply() against the Xen model
 * (tests/unit/sim/): the model refuses what Xen would refuse (a frame
 * released while mapped, m2p updates of foreign frames, ...), and every
 * test ends by checking that
 *   - the model saw no violation and the p2m self-check passes,
 *   - every moved frame kept its contents and is consistent in p2m, m2p
 *     and the direct map at its new pfn, and its old pfn is unmapped 1:1,
 *   - every released frame left the domain; stuck ones are still RAM,
 *   - every identity pfn of the plan (minus stuck) is 1:1,
 *   - every usable pfn is RAM, mapped, with p2m[m2p[mfn]] == mfn,
 *   - the domain holds nr_pages - released frames: nothing lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <minnow/e820.h>
#include <minnow/e820_apply.h>
#include <minnow/e820_plan.h>
#include <minnow/xen_mm.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include "p2m_fixture.h"
#include "sim/xen_model.h"

#define E(a, s, t) { .addr = (a), .size = (s), .type = (t) }
#define N(arr)  (sizeof(arr) / sizeof((arr)[0]))
#define PAT(pfn) (0x5a5a000000000000ull ^ ((uint64_t)(pfn) * 0x9e3779b97f4a7c15ull))

static struct e820_map raw, san;
static struct e820_plan plan;
static struct e820_warnings warns;
static struct e820_apply_result res;

/* Old mfn of each move source, to follow the frames. */
#define MAX_SRC 0x100000
static xen_pfn_t src_mfn[MAX_SRC];

static int quiet(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}

static bool in_list(const struct e820_pfn_range *l, unsigned int n, xen_pfn_t p)
{
    for (unsigned int i = 0; i < n; i++)
        if (l[i].start <= p && p < l[i].end)
            return true;
    return false;
}

/*
 * Boot a model domain of nr pages, plan for map, feed the model's frame
 * pool only the plan's usable pfns (as boot must), then pt_init/p2m_init.
 */
static void boot(xen_pfn_t nr, const struct e820_entry *map, unsigned int n)
{
    struct sim_config cfg = {
        .nr_pages = nr, .map_all = true, .seed = 7, .max_pages = nr + 65536,
        .p2m_va = TEST_P2M_VA, .p2m_slots = TEST_P2M_SLOTS,
    };
    struct p2m_config pc = { .virt_base = TEST_P2M_VA, .virt_slots = TEST_P2M_SLOTS,
                             .frames = &sim_frames };
    struct e820_pfn_range keep;
    xen_pfn_t pfn;

    p2m_forget();
    sim_init(&cfg);
    host_console_reset();

    e820_warnings_init(&warns);
    e820_parse(&raw, map, n, &warns);
    e820_sanitize(&raw, &san, &warns);
    keep.start = 0;
    keep.end = sim.first_free_pfn;      /* kernel + Xen's boot data */
    assert_int_equal(e820_plan_build(&plan, &san, nr, P2M_DEFAULT_PFNS, &keep, 1,
                                     &warns), 0);

    while (sim_pool_take(&pfn) == 0)
        ;
    for (unsigned int i = 0; i < plan.nr_usable; i++) {
        xen_pfn_t s = plan.usable[i].start, e = plan.usable[i].end;

        if (s < sim.first_free_pfn)
            s = sim.first_free_pfn;
        if (e > nr)
            e = nr;
        if (s < e)
            sim_pool_add(s, e - s);
    }

    p2m_use_boot_list(&sim.start_info);
    pt_init(sim.start_info.pt_base >> 12, &sim_frames, pfn_to_mfn);
    assert_int_equal(p2m_init(&pc), 0);
    assert_int_equal(p2m_table_limit, P2M_DEFAULT_PFNS);

    /* Mark every populated page in a hole, and remember its frame. */
    for (pfn = 0; pfn < nr; pfn++) {
        if (!in_list(plan.identity, plan.nr_identity, pfn))
            continue;
        assert_true(pfn < MAX_SRC);
        src_mfn[pfn] = pfn_to_mfn(pfn);
        *(volatile uint64_t *)xen_mm_page(pfn) = PAT(pfn);
    }
    assert_int_equal(sim_take_violations(), 0);
}

static void check_after(void)
{
    uint64_t pte;
    unsigned int i;

    if (sim_take_violations())
        fail_msg("model violation: %s", sim.last_violation);
    assert_int_equal(p2m_self_check(), 0);
    assert_int_equal(res.moved_pages + res.fallback_pages, plan.moved_pages);
    assert_int_equal(res.released_pages + res.stuck_pages,
                     plan.released_pages + res.fallback_pages);
    /* Nothing lost: the domain holds what it had minus what went back. */
    assert_int_equal(sim.dom_pages, plan.nr_pages - res.released_pages);

    /* Moved frames: contents, p2m, m2p, direct map at the new pfn. */
    for (i = 0; i < res.nr_dst; i++)
        for (xen_pfn_t d = res.dst[i].start; d < res.dst[i].end; d++) {
            xen_pfn_t s = 0, mfn;
            unsigned int m;

            for (m = 0; m < plan.nr_moves; m++)
                if (plan.move[m].dst <= d && d < plan.move[m].dst + plan.move[m].nr)
                    s = plan.move[m].src + (d - plan.move[m].dst);
            mfn = pfn_to_mfn(d);
            if (mfn != src_mfn[s] || mfn_to_pfn(mfn) != d)
                fail_msg("pfn %#lx: mfn %#lx, m2p %#lx; want mfn %#lx of pfn %#lx",
                         (unsigned long)d, (unsigned long)mfn,
                         (unsigned long)mfn_to_pfn(mfn), (unsigned long)src_mfn[s],
                         (unsigned long)s);
            assert_int_equal(sim_translate((uint64_t)d << 12, &pte), mfn);
            assert_true(pte & PTE_RW);
            assert_int_equal(*(volatile uint64_t *)xen_mm_page(d), PAT(s));
            assert_int_equal(sim_translate((uint64_t)s << 12, &pte), INVALID_MFN);
        }

    /*
     * Every frame that sat in a hole, followed independently of what
     * e820_apply() says: it left the domain (its pfn is now 1:1), or it is
     * at a destination pfn (p2m and m2p agree), or it is still RAM at its
     * old pfn (stuck).  Nothing else.
     */
    uint64_t gone = 0, moved = 0, stuck = 0;
    for (xen_pfn_t p = 0; p < plan.nr_pages; p++) {
        xen_pfn_t mfn0 = src_mfn[p], at;

        if (!in_list(plan.identity, plan.nr_identity, p))
            continue;
        if (!mfn_to_local_page(mfn0)) {
            assert_int_equal(p2m_kind_of(p), P2M_IDENTITY);
            gone++;
            continue;
        }
        at = mfn_to_pfn(mfn0);
        if (at == p) {
            if (p2m_kind_of(p) != P2M_RAM || pfn_to_mfn(p) != mfn0)
                fail_msg("frame %#lx of pfn %#lx: still owned, p2m says %s",
                         (unsigned long)mfn0, (unsigned long)p,
                         p2m_kind_name(p2m_kind_of(p)));
            assert_int_equal(*(volatile uint64_t *)xen_mm_page(p), PAT(p));
            stuck++;
        } else {
            if (at < plan.nr_pages || pfn_to_mfn(at) != mfn0)
                fail_msg("frame %#lx of pfn %#lx lost: m2p %#lx", (unsigned long)mfn0,
                         (unsigned long)p, (unsigned long)at);
            moved++;
        }
    }
    assert_int_equal(gone, res.released_pages);
    assert_int_equal(moved, res.moved_pages);
    assert_int_equal(stuck, res.stuck_pages);
    /* Planned destinations that did not get a frame stay missing. */
    for (i = 0; i < plan.nr_moves; i++)
        for (xen_pfn_t d = plan.move[i].dst; d < plan.move[i].dst + plan.move[i].nr; d++)
            if (!in_list(res.dst, res.nr_dst, d) && p2m_kind_of(d) != P2M_MISSING)
                fail_msg("failed destination pfn %#lx is %s", (unsigned long)d,
                         p2m_kind_name(p2m_kind_of(d)));

    /* Identity: every planned identity pfn except stuck ones. */
    for (i = 0; i < plan.nr_identity; i++) {
        xen_pfn_t s = plan.identity[i].start, e = plan.identity[i].end;
        xen_pfn_t step = e - s > 4096 ? (e - s) / 997 + 1 : 1;

        for (xen_pfn_t p = s; p < e; p += step) {
            if (in_list(res.stuck, res.nr_stuck, p)) {
                assert_int_equal(p2m_kind_of(p), P2M_RAM);
                continue;
            }
            if (p2m_kind_of(p) != P2M_IDENTITY || pfn_to_mfn(p) != p)
                fail_msg("pfn %#lx: %s, want identity", (unsigned long)p,
                         p2m_kind_name(p2m_kind_of(p)));
        }
        assert_int_equal(p2m_kind_of(e - 1), in_list(res.stuck, res.nr_stuck, e - 1)
                                                  ? P2M_RAM : P2M_IDENTITY);
    }

    /* Usable below nr_pages, kept and stuck: RAM, mapped, consistent. */
    for (xen_pfn_t p = 0; p < plan.nr_pages; p++) {
        bool ram = in_list(plan.usable, plan.nr_usable, p) ||
                   in_list(res.stuck, res.nr_stuck, p);
        xen_pfn_t mfn = pfn_to_mfn(p);

        if (!ram)
            continue;
        if (p2m_kind_of(p) != P2M_RAM || mfn_to_pfn(mfn) != p)
            fail_msg("usable pfn %#lx: %s, m2p %#lx", (unsigned long)p,
                     p2m_kind_name(p2m_kind_of(p)), (unsigned long)mfn_to_pfn(mfn));
        if (p > 0)      /* page 0 may be unmapped by boot in the guest */
            assert_int_equal(sim_translate((uint64_t)p << 12, &pte), mfn);
    }
}

static void teardown(void)
{
    p2m_forget();
    sim_fini();
}

/*
 * What a restore does to the p2m (xg_sr_restore_x86_pv.c update_guest_p2m):
 * every entry below max_pfn is rewritten from what the saver could
 * translate, so a 1:1 entry stored in a private leaf comes back ~0.  Whole
 * 1:1 chunks survive: their mapping (the shared identity leaf) is kept.
 * Returns how many entries it wiped.
 */
static unsigned int restore_p2m_as_the_tools_do(void)
{
    unsigned int wiped = 0;

    for (xen_pfn_t pfn = 0; pfn < p2m_max_pfn(); pfn++) {
        uint64_t pte;
        xen_pfn_t leaf = sim_translate(TEST_P2M_VA + pfn * 8, &pte);

        if (!(raw_entry(pfn) & IDENTITY_FRAME_BIT))
            continue;
        *sim_machine_word(leaf, pfn % P2M_PER_PAGE) = INVALID_P2M_ENTRY;
        wiped++;
    }
    return wiped;
}

/* ---------------------------------------------------------------- tests */

/* QEMU -m 1024's machine map. */
static const struct e820_entry qemu_1g[] = {
    E(0x0, 0x9fc00, E820_RAM), E(0x9fc00, 0x400, E820_RESERVED),
    E(0xf0000, 0x10000, E820_RESERVED), E(0x100000, 0x3fee0000, E820_RAM),
    E(0x3ffe0000, 0x20000, E820_RESERVED),
    E(0xfd00000000, 0x10000000000 - 0xfd00000000, E820_RESERVED),
};

/* QEMU's low hole, dom0_mem=64M: 97 pages move to 0x4000. */
static void test_apply_low_hole(void **state)
{
    (void)state;
    boot(0x4000, qemu_1g, N(qemu_1g));
    assert_int_equal(plan.moved_pages, 97);
    assert_int_equal(e820_apply(&plan, &res), 0);
    assert_int_equal(res.moved_pages, 97);
    assert_int_equal(res.nr_dst, 1);
    check_after();
    teardown();
}

/* A PCI-hole shape: 16 Ki pages in a hole move above nr_pages (many chunks). */
static void test_apply_pci_hole(void **state)
{
    static const struct e820_entry map[] = {
        E(0x0, 0x9f000, E820_RAM), E(0x9f000, 0x61000, E820_RESERVED),
        E(0x100000, 0x18000000 - 0x100000, E820_RAM),
        E(0x18000000, 0x4000000, E820_RESERVED),          /* pfns 0x18000-0x1c000 */
        E(0x20000000, 0x8000000, E820_RAM),               /* room above 0x20000 */
    };

    (void)state;
    boot(0x20000, map, N(map));
    /* The model's boot page tables for 512 MiB run past pfn 0x100: the low
     * hole holds boot data and is kept; the hole at 0x18000 moves. */
    assert_true(sim.first_free_pfn > 0x100);
    assert_int_equal(plan.kept_pages, 0x61);
    assert_int_equal(plan.moved_pages, 0x8000);
    assert_int_equal(plan.released_pages, 0);
    assert_int_equal(e820_apply(&plan, &res), 0);
    check_after();
    teardown();
}

/*
 * The 3500 MiB dom0 of runs.conf's e820-4g-pci-hole at full size, with the
 * map Xen gave it in QEMU -m 4096 (docs/pictures/data/dom0-4g-pci-hole.txt).
 * GiB 3 held RAM at boot and ends wholly 1:1: its leaves, PTE page and
 * frame-list mid go back, and the p2m uses what docs/p2m.md's formula
 * gives for the final layout (RAM 0-0xbffe0 but the low hole, and
 * 0x100000-0x11ac81).
 */
static void test_apply_4g_pci_hole_releases_gib3(void **state)
{
    static const struct e820_entry map[] = {
        E(0x0, 0x9fc00, E820_RAM), E(0x9fc00, 0x400, E820_RESERVED),
        E(0xf0000, 0x10000, E820_RESERVED),
        E(0x100000, 0xbffe0000 - 0x100000, E820_RAM),
        E(0xbffe0000, 0x20000, E820_RESERVED),
        E(0xfec00000, 0x1000, E820_RESERVED), E(0xfee00000, 0x100000, E820_RESERVED),
        E(0xfffc0000, 0x40000, E820_RESERVED),
        E(0x100000000, 0x40000000, E820_RAM),
        E(0xfd00000000, 0x10000000000 - 0xfd00000000, E820_RESERVED),
    };
    xen_pfn_t gib3 = 3 * P2M_PFNS_PER_PTE_PAGE;
    struct p2m_stats st;

    (void)state;
    boot(0xdac00, map, N(map));
    assert_int_equal(e820_apply(&plan, &res), 0);
    assert_int_equal(res.moved_pages, plan.moved_pages);
    assert_int_equal(p2m_page_at(gib3, 2), P2M_PAGE_IDENTITY);
    assert_int_equal(p2m.fl_mid[3], NO_FRAME);
    p2m_get_stats(&st);
    /* Leaves: GiB 0-2 (3 * 512; chunks 0 and 0xbfe00 are partly 1:1),
     * GiB 4 up to pfn 0x11ac81; a PTE page and a mid for GiB 0, 1, 2, 4. */
    assert_int_equal(st.leaves, 3 * 512 + (0x1ac81 + 511) / 512);
    assert_int_equal(st.pte_pages, 4);
    assert_int_equal(st.pmd_pages, 1);
    assert_int_equal(st.fl_pages, 2 + 4);
    assert_int_equal(st.total, st.leaves + 4 + 1 + 1 + 5 + 6);
    check_after();
    teardown();
}

/* No RAM above nr_pages: everything in holes goes back to Xen. */
static void test_apply_release_only(void **state)
{
    static const struct e820_entry map[] = {
        E(0x0, 0x9f000, E820_RAM), E(0x9f000, 0x61000, E820_RESERVED),
        E(0x100000, 0x3000000, E820_RAM),                 /* RAM ends at pfn 0x3100 */
    };

    (void)state;
    boot(0x4000, map, N(map));
    assert_int_equal(plan.released_pages, 0x61 + 0x4000 - 0x3100);
    assert_int_equal(e820_apply(&plan, &res), 0);
    assert_int_equal(res.released_pages, plan.released_pages);
    check_after();
    teardown();
}

/* Xen takes only 10 pages of the first release: the rest stay RAM. */
static void test_apply_partial_release(void **state)
{
    static const struct e820_entry map[] = {
        E(0x0, 0x9f000, E820_RAM), E(0x9f000, 0x61000, E820_RESERVED),
        E(0x100000, 0x3000000, E820_RAM),
    };

    (void)state;
    boot(0x4000, map, N(map));
    sim_inject_memop(XENMEM_decrease_reservation, 10, 0);
    assert_int_not_equal(e820_apply(&plan, &res), 0);
    assert_int_equal(res.stuck_pages, 0x61 - 10);
    assert_int_equal(res.released_pages, plan.released_pages - (0x61 - 10));
    assert_true(host_console_contains("decrease_reservation took 10 of 97"));
    check_after();
    /* A restore, then resume: the 1:1 entries come back, stuck pfns stay RAM. */
    assert_true(restore_p2m_as_the_tools_do() > 0);
    assert_int_equal(e820_identity_reapply(&plan, &res), 0);
    check_after();
    teardown();
}

/*
 * The failure tests end RAM on a 1 GiB boundary: the identity tail then
 * needs no new p2m pages, so the injected allocation failure (which stays
 * armed) hits only the move.
 */
static const struct e820_entry aligned_map[] = {
    E(0x0, 0x9f000, E820_RAM), E(0x9f000, 0x61000, E820_RESERVED),
    E(0x100000, 0x3ff00000, E820_RAM),
};

/* No memory for the destination's p2m leaf: the move becomes a release. */
static void test_apply_move_fails_then_releases(void **state)
{
    const struct e820_entry *map = aligned_map;

    (void)state;
    boot(0x4000, map, N(aligned_map));
    sim_fail_frame_alloc_after(0);
    assert_int_not_equal(e820_apply(&plan, &res), 0);
    sim_fail_frame_alloc_after(-1);
    assert_int_equal(res.moved_pages, 0);
    assert_int_equal(res.fallback_pages, 97);
    assert_int_equal(res.released_pages, 97);
    assert_int_equal(res.rc, -ENOMEM);
    assert_true(host_console_contains("releasing instead"));
    check_after();
    teardown();
}

/* Page tables for the destination cannot be allocated: undone, released. */
static void test_apply_map_fails_then_releases(void **state)
{
    const struct e820_entry *map = aligned_map;

    (void)state;
    boot(0x4000, map, N(aligned_map));
    sim_fail_frame_alloc_after(1);      /* the p2m leaf yes, the page table no */
    assert_int_not_equal(e820_apply(&plan, &res), 0);
    sim_fail_frame_alloc_after(-1);
    assert_int_equal(res.moved_pages, 0);
    assert_int_equal(res.fallback_pages, 97);
    assert_int_equal(res.released_pages, 97);
    assert_true(host_console_contains("mapping pfns 0x4000+97 failed"));
    check_after();
    teardown();
}

/*
 * The identity pass fails (Xen refuses to point a p2m chunk at the shared
 * identity leaf) after the moves went through.  A moved frame's old pfn
 * must not still name it: two pfns with one mfn would be saved twice and
 * come back as two frames.  Each source becomes 1:1 in its move's step.
 */
static void test_apply_identity_fails_after_moves(void **state)
{
    static const struct e820_entry map[] = {
        E(0x0, 0x9f000, E820_RAM), E(0x9f000, 0x61000, E820_RESERVED),
        E(0x100000, 0x18000000 - 0x100000, E820_RAM),
        E(0x18000000, 0x4000000, E820_RESERVED),
        E(0x20000000, 0x8000000, E820_RAM),
    };

    (void)state;
    boot(0x20000, map, N(map));
    sim_refuse_maps_of(pfn_to_mfn(p2m.identity_leaf));
    assert_int_not_equal(e820_apply(&plan, &res), 0);
    sim_refuse_maps_of(INVALID_MFN);
    assert_int_equal(res.moved_pages, plan.moved_pages);
    for (unsigned int i = 0; i < plan.nr_moves; i++)
        for (xen_pfn_t k = 0; k < plan.move[i].nr; k++) {
            xen_pfn_t src = plan.move[i].src + k, dst = plan.move[i].dst + k;

            if (p2m_kind_of(src) != P2M_IDENTITY)
                fail_msg("moved-from pfn %#lx is %s (mfn %#lx, also at pfn %#lx)",
                         (unsigned long)src, p2m_kind_name(p2m_kind_of(src)),
                         (unsigned long)pfn_to_mfn(src), (unsigned long)dst);
            assert_int_equal(mfn_to_pfn(pfn_to_mfn(dst)), dst);
        }
    assert_int_equal(sim_take_violations(), 0);
    assert_int_equal(p2m_self_check(), 0);
    teardown();
}

/* A hole over the boot data: those pfns are kept, the rest move. */
static void test_apply_keep_boot_data(void **state)
{
    static const struct e820_entry map[] = {
        E(0x0, 0x40000, E820_RAM), E(0x40000, 0xc0000, E820_RESERVED),
        E(0x100000, 0x3fee0000, E820_RAM),
    };

    (void)state;
    boot(0x4000, map, N(map));
    assert_int_equal(plan.nr_kept, 1);
    assert_int_equal(plan.kept[0].start, 0x40);
    assert_int_equal(plan.kept[0].end, sim.first_free_pfn);
    assert_int_equal(e820_apply(&plan, &res), 0);
    check_after();
    teardown();
}

/* Resume puts the plan's 1:1 entries back (review finding 10). */
static void test_identity_survives_restore(void **state)
{
    struct p2m_stats before, after;

    (void)state;
    boot(0x4000, qemu_1g, N(qemu_1g));
    assert_int_equal(e820_apply(&plan, &res), 0);
    assert_int_equal(restore_p2m_as_the_tools_do(), 0x100 - 0x9f);
    assert_int_equal(p2m_kind_of(0xa0), P2M_MISSING);
    p2m_get_stats(&before);
    /* The resume path: drivers/xen/suspend.c, then boot's mm hook. */
    assert_int_equal(p2m_republish(), 0);
    assert_int_equal(e820_identity_reapply(&plan, &res), 0);
    p2m_get_stats(&after);
    assert_int_equal(after.total, before.total);        /* nothing allocated */
    check_after();
    teardown();
}

static void test_fetch_fallbacks(void **state)
{
    (void)state;
    boot(0x1000, (const struct e820_entry[]){ E(0, 0x1000000, E820_RAM) }, 1);
    /* The model answers XENMEM_memory_map with -ENOSYS, as Xen does for PV. */
    assert_int_equal(e820_fetch(&raw, false, 0x1000, quiet), 1);
    assert_int_equal(raw.nr, 1);
    assert_int_equal(raw.entry[0].size, 0x1000ull << 12);
    sim_inject_memop(XENMEM_memory_map, 0, -EFAULT);
    assert_int_equal(e820_fetch(&raw, false, 0x1000, quiet), -EFAULT);
    assert_int_equal(raw.nr, 1);
    assert_int_equal(sim_take_violations(), 0);
    teardown();
}

/*
 * dom0 has no map to fall back on: a one-region guess makes every MMIO pfn
 * alias a RAM frame.  A failure is returned, loudly, with nothing made up
 * (boot stops there).
 */
static char said[512];

static int capture(const char *fmt, ...)
{
    va_list ap;
    size_t len = strlen(said);

    va_start(ap, fmt);
    vsnprintf(said + len, sizeof(said) - len, fmt, ap);
    va_end(ap);
    return 0;
}

static void test_fetch_dom0_failure_is_loud(void **state)
{
    (void)state;
    boot(0x1000, (const struct e820_entry[]){ E(0, 0x1000000, E820_RAM) }, 1);
    said[0] = '\0';
    sim_inject_memop(XENMEM_machine_memory_map, 0, -EPERM);
    assert_int_equal(e820_fetch(&raw, true, 0x1000, capture), -EPERM);
    assert_int_equal(raw.nr, 0);
    assert_non_null(strstr(said, "XENMEM_machine_memory_map failed, rc -1"));
    assert_non_null(strstr(said, "the initial domain"));
    assert_int_equal(sim_take_violations(), 0);
    teardown();
}

/*
 * A machine map of more than 128 entries (Xen also adds I/O ranges): the
 * buffer's real capacity goes to Xen, which wants room for one entry more
 * than it returns; the sanitizer then keeps the first E820_MAX_RAW with
 * its warning.  A map larger than the buffer is refused by Xen: loud again.
 */
static void test_fetch_machine_map_over_128(void **state)
{
    static struct e820_entry big[E820_MAX_ENTRIES];
    struct e820_warnings w;
    unsigned int n = 200;

    (void)state;
    for (unsigned int i = 0; i < E820_MAX_ENTRIES; i++)
        big[i] = (struct e820_entry)E((uint64_t)i << 21, 1u << 20,
                                       i % 2 ? E820_RESERVED : E820_RAM);
    boot(0x1000, (const struct e820_entry[]){ E(0, 0x1000000, E820_RAM) }, 1);
    sim_set_machine_map(big, n);
    assert_int_equal(e820_fetch(&raw, true, 0x1000, quiet), 0);
    assert_int_equal(raw.nr, n);
    assert_memory_equal(raw.entry, big, n * sizeof(big[0]));
    e820_warnings_init(&w);
    e820_sanitize(&raw, &san, &w);
    assert_int_equal(w.nr, 1);
    assert_int_equal(w.w[0].code, E820_WARN_TOO_MANY);

    sim_set_machine_map(big, E820_MAX_ENTRIES);
    said[0] = '\0';
    assert_int_equal(e820_fetch(&raw, true, 0x1000, capture), -EINVAL);
    assert_int_equal(raw.nr, 0);
    assert_non_null(strstr(said, "the initial domain"));
    assert_int_equal(sim_take_violations(), 0);
    teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_low_hole),
        cmocka_unit_test(test_apply_pci_hole),
        cmocka_unit_test(test_apply_4g_pci_hole_releases_gib3),
        cmocka_unit_test(test_apply_release_only),
        cmocka_unit_test(test_apply_partial_release),
        cmocka_unit_test(test_apply_move_fails_then_releases),
        cmocka_unit_test(test_apply_map_fails_then_releases),
        cmocka_unit_test(test_apply_identity_fails_after_moves),
        cmocka_unit_test(test_apply_keep_boot_data),
        cmocka_unit_test(test_identity_survives_restore),
        cmocka_unit_test(test_fetch_fallbacks),
        cmocka_unit_test(test_fetch_dom0_failure_is_loud),
        cmocka_unit_test(test_fetch_machine_map_over_128),
    };

    return cmocka_run_group_tests_name("e820_apply", tests, NULL, NULL);
}
