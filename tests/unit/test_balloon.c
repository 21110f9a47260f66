/*
 * Host tests of the balloon's accounting and batching (mm/balloon.c, its
 * pfn_set) against the Xen model: the real p2m, page tables and
 * frame allocator, with reservation hypercalls that can be made to do
 * part of the work, or none, at any position.
 *
 * Every test ends with check_world(), which compares minnow's view with
 * the model's:
 *   - every pfn below top_pfn is RAM (owned frame, m2p back to it) or in
 *     the balloon (p2m ~0, not mapped); nothing at or above top_pfn is RAM;
 *   - the domain's frames in the model == RAM pfns == balloon current_pages;
 *   - every free frame is mapped writable at its direct-map address;
 *   - no lost pages, no model violation, the p2m self-check passes and
 *     shared_info max_pfn is minnow's and covers top_pfn.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <minnow/balloon.h>
#include <minnow/frame.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>
#include "p2m_fixture.h"
#include "rng.h"

#define NR          (32768 + 100)   /* 128 MiB + a partial leaf */
#define POOL_KEEP   1024            /* model frames left for p2m/page tables */
#define PAT(pfn)    (0xb10000000000000ull ^ ((uint64_t)(pfn) * 0x9e3779b97f4a7c15ull))

static uint64_t free_at_boot;
static const struct balloon_config *booted;     /* the last boot()'s config */

static struct rng rng = { 0x1234567887654321UL };

/*
 * A booted domain of nr pages with max_pages, its free frames split
 * between the frame allocator (what the balloon takes) and the model's
 * pool (what the p2m and page tables allocate from, as in the guest).
 */
static void boot(xen_pfn_t nr, uint64_t max_pages, uint32_t sif,
                 const struct balloon_config *bc)
{
    static const struct balloon_config def = { .pfn_limit = 4 * PFN_SET_CHUNK_PFNS };
    xen_pfn_t pfn;

    if (!bc)
        bc = &def;
    booted = bc;
    assert_int_equal(p2m_boot(nr, sif, 0, 7), 0);
    sim.cfg.max_pages = max_pages;
    /* As in the guest, the allocator's limit covers the balloon's growth. */
    frame_allocator_init(bc->pfn_limit > nr ? bc->pfn_limit : nr);
    while (sim_pool_count() > POOL_KEEP && sim_pool_take(&pfn) == 0)
        frame_free(pfn);
    free_at_boot = frame_free_count();
    assert_int_equal(balloon_init(bc), 0);
    host_console_reset();
}

static int setup(void **state)
{
    (void)state;
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    balloon_fini();
    p2m_shutdown();
    return 0;
}

static struct balloon_stats stats(void)
{
    struct balloon_stats st;

    balloon_get_stats(&st);
    return st;
}

/* Is pfn RAM in the map the balloon was given (none given: all of it)? */
static bool map_ram(xen_pfn_t pfn)
{
    for (unsigned int r = 0; r < booted->nr_ram; r++)
        if (booted->ram[r].start <= pfn && pfn < booted->ram[r].end)
            return true;
    return booted->nr_ram == 0;
}

static void check_world(void)
{
    struct balloon_stats st = stats();
    xen_pfn_t end = st.top_pfn + 2048;
    uint64_t ram = 0, ballooned = 0;

    for (xen_pfn_t pfn = 0; pfn < end; pfn++) {
        enum p2m_kind kind = p2m_kind_of(pfn);
        uint64_t pte;
        xen_pfn_t mapped = sim_translate(pfn << 12, &pte);

        if (balloon_pfn_is_ballooned(pfn)) {
            ballooned++;
            assert_true(pfn < st.top_pfn);
            assert_int_equal(kind, P2M_MISSING);
            assert_int_equal(mapped, INVALID_MFN);
            continue;
        }
        if (kind == P2M_RAM) {
            xen_pfn_t m = pfn_to_mfn(pfn);
            ram++;
            assert_true(pfn < st.top_pfn);
            assert_int_equal(sim.frames[m].owner, SIM_DOMID);
            assert_int_equal(sim.m2p[m], pfn);
            if (frame_is_free(pfn)) {
                assert_int_equal(mapped, m);
                assert_true(pte & PTE_RW);
            }
        } else if (kind == P2M_MISSING && map_ram(pfn)) {
            /* Below top_pfn, a missing RAM pfn is a ballooned one. */
            assert_true(pfn >= st.top_pfn);
        }
    }
    assert_int_equal(ballooned, st.ballooned_pages);
    assert_int_equal(ram, sim.dom_pages);
    assert_int_equal(st.current_pages, sim.dom_pages);
    assert_int_equal(st.lost_pages, 0);
    assert_true(st.low_pages <= st.current_pages && st.current_pages <= st.high_pages);
    assert_int_equal(sim_take_violations(), 0);
    assert_int_equal(p2m_self_check(), 0);
    assert_int_equal(sim.shared.arch.max_pfn, p2m_max_pfn());
    assert_true(p2m_max_pfn() >= st.top_pfn);
}

/* Every domain frame in the model is one minnow knows at its m2p pfn. */
static void check_ownership(void)
{
    uint64_t owned = 0;

    for (xen_pfn_t m = 0; m < sim.cfg.machine_frames; m++) {
        if (sim.frames[m].owner != SIM_DOMID)
            continue;
        owned++;
        assert_int_equal(pfn_to_mfn(sim.m2p[m]), m);
    }
    assert_int_equal(owned, sim.dom_pages);
}

static void fill_free_frames(void)
{
    for (xen_pfn_t pfn = 0; pfn < stats().top_pfn; pfn++)
        if (frame_is_free(pfn))
            *(uint64_t *)xen_mm_page(pfn) = PAT(pfn);
}

/* ---- tests ------------------------------------------------------------------ */

static void init_reads_the_reservation(void **state)
{
    struct balloon_stats st = stats();

    (void)state;
    assert_int_equal(st.current_pages, NR);
    assert_int_equal(st.max_pages, NR + 8192);
    assert_int_equal(st.target_pages, NR);
    assert_int_equal(st.top_pfn, NR);
    assert_int_equal(st.batch, BALLOON_DEFAULT_BATCH);
    /* In use (not free) plus 4 MiB of headroom. */
    assert_int_equal(st.min_pages, NR - free_at_boot + BALLOON_MIN_HEADROOM);
    assert_int_equal(balloon_step(100000), 0);
    assert_int_equal(st.ballooned_pages, 0);
    check_world();
    check_ownership();
}

static void down_and_up_round_trip(void **state)
{
    static bool was_out[NR];
    struct balloon_stats st;
    uint64_t dom = sim.dom_pages, bitmap_pages, zeroed = 0;

    (void)state;
    fill_free_frames();
    assert_int_equal(balloon_down(4096), 4096);
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++)
        was_out[pfn] = balloon_pfn_is_ballooned(pfn);
    /* Walking the set visits exactly those pfns, in order. */
    {
        uint64_t n = 0;
        xen_pfn_t prev = 0;
        for (xen_pfn_t p = balloon_next_ballooned(0); p != ~0UL;
             p = balloon_next_ballooned(p + 1)) {
            assert_true(p < NR && was_out[p] && (n == 0 || p > prev));
            prev = p;
            n++;
        }
        assert_int_equal(n, 4096);
    }
    st = stats();
    bitmap_pages = st.bitmap_pages;
    assert_int_equal(sim.dom_pages, dom - 4096);
    assert_int_equal(st.current_pages, dom - 4096);
    assert_int_equal(st.ballooned_pages, 4096);
    /* 4096 pages in 8 full batches; frames gone from the allocator, plus
     * the set's bitmap pages (one per 128 MiB chunk touched). */
    assert_int_equal(st.down_calls, 8);
    assert_int_equal(st.max_extents_per_call, 512);
    assert_true(st.bitmap_pages >= 1);
    assert_int_equal(frame_free_count(), free_at_boot - 4096 - st.bitmap_pages);
    assert_int_equal(st.low_pages, dom - 4096);
    check_world();

    /* Up refills exactly the ballooned pfns; the bitmap pages go back. */
    assert_int_equal(balloon_up(4096), 4096);
    st = stats();
    assert_int_equal(st.ballooned_pages, 0);
    assert_int_equal(st.bitmap_pages, 0);
    assert_int_equal(st.top_pfn, NR);
    assert_int_equal(st.up_calls, 8);
    assert_int_equal(sim.dom_pages, dom);
    assert_int_equal(frame_free_count(), free_at_boot);
    check_world();
    check_ownership();

    /* Frames that never left kept their contents (no scrub by default),
     * except the set's bitmap pages (zeroed when taken); the ones that
     * came back are RAM again and take a pattern. */
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++) {
        uint64_t *p;
        if (!frame_is_free(pfn))
            continue;
        p = xen_mm_page(pfn);
        if (!was_out[pfn]) {
            if (*p == 0)
                zeroed++;
            else
                assert_int_equal(*p, PAT(pfn));
            continue;
        }
        for (unsigned int i = 0; i < 512; i++)
            p[i] = PAT(pfn) + i;
        for (unsigned int i = 0; i < 512; i++)
            assert_int_equal(p[i], PAT(pfn) + i);
    }
    assert_int_equal(zeroed, bitmap_pages);
    assert_int_equal(sim_take_violations(), 0);
}

static void batch_size_sets_extents_per_call(void **state)
{
    static const unsigned int sizes[] = { 1, 64, 512, 2048, BALLOON_MAX_BATCH };

    (void)state;
    for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct balloon_stats before, after;
        unsigned int b = sizes[i];
        uint64_t n = b == 1 ? 100 : 5000;

        balloon_set_batch(b);
        before = stats();
        assert_int_equal(balloon_down(n), n);
        after = stats();
        assert_int_equal(after.down_calls - before.down_calls, (n + b - 1) / b);
        assert_int_equal(balloon_up(n), n);
        assert_int_equal(stats().up_calls - after.up_calls, (n + b - 1) / b);
        /* Sizes grow, and every run is at least one full batch. */
        assert_int_equal(stats().max_extents_per_call, b);
    }
    assert_int_equal(stats().max_extents_per_call, BALLOON_MAX_BATCH);
    balloon_set_batch(BALLOON_MAX_BATCH + 1);
    assert_int_equal(stats().batch, BALLOON_MAX_BATCH);
    assert_true(host_console_contains("too large"));
    check_world();
}

/* Xen takes only the first k of a batch, for every k: the rest come back. */
static void partial_down_at_every_position(void **state)
{
    (void)state;
    balloon_set_batch(64);
    for (long k = 0; k <= 64; k++) {
        struct balloon_stats before = stats();
        uint64_t free_before = frame_free_count(), dom = sim.dom_pages;

        sim_inject_memop(XENMEM_decrease_reservation, k, 0);
        long got = balloon_down(64);
        struct balloon_stats after = stats();
        if (k == 0) {
            assert_int_equal(got, -EBUSY);
            assert_int_equal(after.block, BALLOON_XEN_REFUSED);
        } else {
            assert_int_equal(got, k);
        }
        assert_int_equal(sim.dom_pages, dom - k);
        assert_int_equal(after.current_pages, before.current_pages - k);
        assert_int_equal(after.ballooned_pages, before.ballooned_pages + k);
        assert_int_equal(frame_free_count() + (after.bitmap_pages - before.bitmap_pages),
                         free_before - k);
        if (k < 64)
            assert_int_equal(after.partial_results, before.partial_results + 1);
        if (k % 8 == 0)
            check_world();
    }
    check_world();
    check_ownership();
}

static void down_error_changes_nothing(void **state)
{
    uint64_t free_before = frame_free_count(), dom = sim.dom_pages;

    (void)state;
    sim_inject_memop(XENMEM_decrease_reservation, 0, -EINVAL);
    assert_int_equal(balloon_down(700), -EBUSY);
    assert_true(host_console_contains("decrease_reservation of 512 extents failed, rc -22"));
    assert_int_equal(stats().last_rc, -EINVAL);
    assert_int_equal(stats().block, BALLOON_XEN_REFUSED);
    assert_int_equal(frame_free_count(), free_before);
    assert_int_equal(sim.dom_pages, dom);
    assert_int_equal(stats().ballooned_pages, 0);
    assert_int_equal(stats().bitmap_pages, 0);
    check_world();
    /* The next attempt goes through. */
    assert_int_equal(balloon_down(700), 700);
    check_world();
}

static void partial_up_at_every_position(void **state)
{
    (void)state;
    balloon_set_batch(64);
    assert_int_equal(balloon_down(64 * 66), 64 * 66);
    for (long k = 0; k <= 64; k++) {
        struct balloon_stats before = stats();
        uint64_t dom = sim.dom_pages;

        sim_inject_memop(XENMEM_populate_physmap, k, 0);
        long got = balloon_up(64);
        struct balloon_stats after = stats();
        assert_int_equal(got, k ? k : -EBUSY);
        assert_int_equal(sim.dom_pages, dom + k);
        assert_int_equal(after.current_pages, before.current_pages + k);
        assert_int_equal(after.ballooned_pages, before.ballooned_pages - k);
        if (k % 8 == 0)
            check_world();
    }
    check_world();
    check_ownership();
}

/*
 * Xen takes 100 of 512 frames, then refuses to map the rest back after
 * 100 of them: the 100 it mapped are back in the allocator, the other 312
 * are lost -- still ours and in the p2m, but mapped nowhere and counted,
 * so Xen's tot_pages and current_pages still agree.
 */
static void down_remap_fails_part_way(void **state)
{
    uint64_t free_before = frame_free_count(), dom = sim.dom_pages, pte, unmapped = 0;
    struct balloon_stats st;

    (void)state;
    sim_inject_memop(XENMEM_decrease_reservation, 100, 0);
    sim_fail_pte_maps_after(100);
    assert_int_equal(balloon_down(512), 100);
    sim_fail_pte_maps_after(-1);
    st = stats();
    assert_int_equal(st.lost_pages, 312);
    assert_int_equal(st.ballooned_pages, 100);
    assert_int_equal(frame_free_count(), free_before - 512 - st.bitmap_pages + 100);
    assert_int_equal(sim.dom_pages, dom - 100);
    assert_int_equal(st.current_pages, sim.dom_pages);
    /* Every RAM pfn is mapped, except the lost ones. */
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++)
        if (p2m_kind_of(pfn) == P2M_RAM && sim_translate(pfn << 12, &pte) != pfn_to_mfn(pfn)) {
            assert_false(frame_is_free(pfn));
            unmapped++;
        }
    assert_int_equal(unmapped, 312);
    assert_int_equal(sim_take_violations(), 0);
    assert_int_equal(p2m_self_check(), 0);
}

static void up_error_changes_nothing(void **state)
{
    struct balloon_stats before;

    (void)state;
    assert_int_equal(balloon_down(1000), 1000);
    before = stats();
    sim_inject_memop(XENMEM_populate_physmap, 0, -ENOMEM);
    assert_int_equal(balloon_up(1000), -EBUSY);
    assert_int_equal(stats().current_pages, before.current_pages);
    assert_int_equal(stats().ballooned_pages, 1000);
    assert_true(host_console_contains("populate_physmap of 512 extents failed, rc -12"));
    check_world();
    assert_int_equal(balloon_up(1000), 1000);
    check_world();
}

/* Down never takes the allocator below keep_free, and says why it stops. */
static void down_stops_at_keep_free(void **state)
{
    long got;

    (void)state;
    got = balloon_down(1UL << 30);
    assert_true(got > 0);
    assert_int_equal(stats().block, BALLOON_NO_FREE_FRAMES);
    /* One more may be free if the last frame taken became a bitmap page
     * and went back unused. */
    assert_true(frame_free_count() <= BALLOON_DEFAULT_KEEP_FREE + 1);
    got = balloon_down(1);
    assert_true(got == 1 || got == -ENOMEM);
    assert_int_equal(balloon_down(1), -ENOMEM);
    assert_int_equal(frame_free_count(), BALLOON_DEFAULT_KEEP_FREE);
    check_world();
    check_ownership();
}

static void target_clamped_to_min_and_max(void **state)
{
    struct balloon_stats st = stats();
    uint64_t t;

    (void)state;
    t = balloon_set_target(1);
    assert_int_equal(t, st.min_pages);
    assert_true(host_console_contains("below the minimum"));
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, st.min_pages);
    assert_true(stats().current_pages >= st.min_pages);
    check_world();

    host_console_reset();
    t = balloon_set_target(NR + 1000000);
    assert_int_equal(t, NR + 8192);
    assert_true(host_console_contains("above the maximum"));
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 8192);
    assert_int_equal(balloon_step(10000), 0);
    check_world();

    /* The toolstack raises the maximum: the asked-for target is followed. */
    sim.cfg.max_pages = NR + 10000;
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 10000);
    /* ... and lowers it below what we hold: the balloon goes down to it. */
    sim.cfg.max_pages = NR - 3000;
    while (balloon_step(10000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR - 3000);
    check_world();
    check_ownership();
}

/* Xen refuses past its own maximum even if asked directly. */
static void up_refused_at_maximum(void **state)
{
    (void)state;
    sim.cfg.max_pages = NR;
    assert_int_equal(balloon_up(10), -EBUSY);
    assert_int_equal(stats().block, BALLOON_XEN_REFUSED);
    balloon_set_target(NR + 10);
    assert_int_equal(balloon_step(100), 0);    /* target clamped to max */
    check_world();
}

/* Growth past the boot max_pfn: the p2m grows, max_pfn is raised. */
static void grows_past_boot_max_pfn(void **state)
{
    struct balloon_stats st;
    struct p2m_stats ps0, ps1;
    uint64_t gen = sim.shared.arch.p2m_generation;
    uint64_t meta = frame_metadata_count(), not_free = 0;

    (void)state;
    p2m_get_stats(&ps0);
    assert_int_equal(balloon_up(8000), 8000);
    st = stats();
    assert_int_equal(st.top_pfn, NR + 8000);
    assert_int_equal(p2m_max_pfn(), NR + 8000);
    assert_int_equal(sim.shared.arch.max_pfn, NR + 8000);
    assert_true(sim.shared.arch.p2m_generation > gen);
    assert_int_equal(sim.shared.arch.p2m_generation % 2, 0);
    p2m_get_stats(&ps1);
    assert_true(ps1.leaves > ps0.leaves);
    for (xen_pfn_t pfn = NR; pfn < NR + 8000; pfn++) {
        assert_int_equal(p2m_kind_of(pfn), P2M_RAM);
        if (!frame_is_free(pfn))
            not_free++;
        else
            *(uint64_t *)xen_mm_page(pfn) = PAT(pfn);
    }
    /* All went to the allocator; it kept any it needed for its bitmaps. */
    assert_int_equal(not_free, frame_metadata_count() - meta);
    check_world();
    check_ownership();

    /* Down and up again: the grown pfns are refilled, not fresh ones. */
    assert_int_equal(balloon_down(6000), 6000);
    assert_int_equal(balloon_up(6000), 6000);
    assert_int_equal(stats().top_pfn, NR + 8000);
    check_world();
}

/* Domains with the frame list list (no SIF_VIRT_P2M_4TOOLS) across 1 GiB. */
static void grows_across_a_gib_with_frame_list(void **state)
{
    const xen_pfn_t nr = P2M_PFNS_PER_PTE_PAGE - 300;     /* just below 1 GiB */
    struct balloon_config bc = { .pfn_limit = 2 * P2M_PFNS_PER_PTE_PAGE, .batch = 512 };

    (void)state;
    p2m_shutdown();
    boot(nr, nr + 2000, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    assert_int_equal(balloon_up(2000), 2000);
    assert_int_equal(stats().top_pfn, nr + 2000);
    assert_int_equal(sim.shared.arch.max_pfn, nr + 2000);
    assert_true(sim.shared.arch.pfn_to_mfn_frame_list_list != ~0UL);
    check_world();
    check_ownership();
}

/*
 * No frame for a p2m leaf: what fits in the leaf that exists is placed,
 * the rest goes straight back to Xen.  NR's last leaf has room for
 * 512 - NR % 512 more pfns.
 */
static void up_without_memory_for_the_p2m(void **state)
{
    const unsigned int room = 512 - NR % 512;
    struct balloon_stats st;
    uint64_t dom = sim.dom_pages;

    (void)state;
    sim_fail_frame_alloc_after(0);
    assert_int_equal(balloon_up(512), room);
    st = stats();
    assert_int_equal(st.block, BALLOON_NO_MEMORY);
    assert_int_equal(st.given_back, 512 - room);
    assert_int_equal(st.current_pages, dom + room);
    assert_int_equal(sim.dom_pages, dom + room);
    assert_int_equal(st.top_pfn, NR + room);
    check_world();

    assert_int_equal(balloon_up(512), -ENOMEM);
    st = stats();
    assert_int_equal(st.given_back, 1024 - room);
    assert_int_equal(st.top_pfn, NR + room);
    assert_int_equal(sim.dom_pages, dom + room);
    assert_int_equal(st.lost_pages, 0);
    check_world();

    sim_fail_frame_alloc_after(-1);
    assert_int_equal(balloon_up(2048), 2048);
    assert_int_equal(stats().top_pfn, NR + room + 2048);
    check_world();
    check_ownership();
}

/*
 * The run NR.. crosses a 2 MiB boundary: the second chunk needs a p2m leaf
 * and an L1 table.  The leaf gets its frame, the table does not, so
 * pt_map_mfns() fails after mapping the first chunk.  That chunk's frames
 * are placed; the second chunk's go back to Xen, and none of them may be
 * mapped then: Xen keeps a frame that is still mapped (tot_pages drifts
 * from current_pages), and a stale entry refuses its pfn to later maps.
 */
static void up_map_fails_in_second_chunk(void **state)
{
    const xen_pfn_t boundary = (NR + P2M_PER_PAGE - 1) / P2M_PER_PAGE * P2M_PER_PAGE;
    struct balloon_stats st;
    uint64_t dom = sim.dom_pages, pte;

    (void)state;
    assert_true(boundary > NR && boundary < NR + 512);
    sim_fail_frame_alloc_after(1);
    assert_int_equal(balloon_up(512), boundary - NR);
    sim_fail_frame_alloc_after(-1);
    st = stats();
    assert_int_equal(st.block, BALLOON_NO_MEMORY);
    assert_int_equal(st.given_back, NR + 512 - boundary);
    assert_int_equal(st.top_pfn, boundary);
    assert_int_equal(sim.dom_pages, dom + (boundary - NR));
    assert_int_equal(st.current_pages, sim.dom_pages);
    for (xen_pfn_t pfn = boundary; pfn < NR + 512; pfn++)
        if (sim_translate(pfn << 12, &pte) != INVALID_MFN)
            fail_msg("pfn %#lx given back but still mapped", (unsigned long)pfn);
    check_world();
    check_ownership();
    /* Nothing stale is left in the way. */
    assert_int_equal(balloon_up(512), 512);
    assert_int_equal(stats().top_pfn, boundary + 512);
    check_world();
}

/* Fresh pfns skip what the p2m already uses (dom0's 1:1 ranges). */
static void fresh_pfns_skip_identity(void **state)
{
    (void)state;
    assert_int_equal(p2m_set_identity_range(NR + 10, NR + 20), 0);
    assert_int_equal(balloon_up(100), 100);
    for (xen_pfn_t pfn = NR + 10; pfn < NR + 20; pfn++)
        assert_int_equal(p2m_kind_of(pfn), P2M_IDENTITY);
    assert_int_equal(stats().top_pfn, NR + 110);
    check_world();
}

/*
 * Above the E820's RAM the p2m is 1:1 up to its limit (the plan's tail,
 * docs/e820.md).  Looking there for fresh pfns must cost per chunk, not
 * per pfn: the worker runs it on a cooperative scheduler, and the default
 * tail is 2^27 pfns.  Work = p2m entry loads + page reads in the model.
 */
static void fresh_search_skips_identity_tail(void **state)
{
    const xen_pfn_t ram_end = NR + 1000, limit = 2 * P2M_PFNS_PER_PTE_PAGE;
    struct balloon_config bc = { .pfn_limit = limit };
    uint64_t work;

    (void)state;
    p2m_shutdown();
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    assert_int_equal(p2m_set_identity_range(ram_end, limit), 0);
    assert_int_equal(balloon_up(2000), 1000);
    assert_int_equal(stats().block, BALLOON_NO_PFN_SPACE);
    work = sim.va_loads + sim.page_lookups;
    assert_int_equal(balloon_up(1), -ENOSPC);
    work = sim.va_loads + sim.page_lookups - work;
    if (work > (limit - ram_end) / 16)
        fail_msg("%lu loads and page reads to search %lu identity pfns",
                 (unsigned long)work, (unsigned long)(limit - ram_end));
    check_world();
}

/*
 * Fresh pfns come only from the E820's RAM (the plan's ram_above): pfns
 * the map does not call RAM stay missing even where the p2m has nothing
 * there, and the gap between two RAM ranges costs nothing to cross.
 */
static void fresh_pfns_only_from_e820_ram(void **state)
{
    static const struct e820_pfn_range ram[] = {
        { 0, NR + 10 }, { NR + 3 * P2M_PER_PAGE, NR + 3 * P2M_PER_PAGE + 100 },
        { 3 * PFN_SET_CHUNK_PFNS, 3 * PFN_SET_CHUNK_PFNS + 50 },
    };
    struct balloon_config bc = { .pfn_limit = 4 * PFN_SET_CHUNK_PFNS,
                                 .ram = ram, .nr_ram = 3 };
    uint64_t work;

    (void)state;
    p2m_shutdown();
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    work = sim.va_loads + sim.page_lookups;
    assert_int_equal(balloon_up(500), 160);
    work = sim.va_loads + sim.page_lookups - work;
    assert_int_equal(stats().block, BALLOON_NO_PFN_SPACE);
    for (xen_pfn_t pfn = NR; pfn < 4 * PFN_SET_CHUNK_PFNS; pfn++)
        if (p2m_kind_of(pfn) != (map_ram(pfn) ? P2M_RAM : P2M_MISSING))
            fail_msg("pfn %#lx is %s; the map says %s", (unsigned long)pfn,
                     p2m_kind_name(p2m_kind_of(pfn)), map_ram(pfn) ? "RAM" : "not RAM");
    assert_int_equal(stats().top_pfn, 3 * PFN_SET_CHUNK_PFNS + 50);
    /* 160 pages placed; the search itself is a handful of looks per range. */
    assert_true(work < 160 * 64);
    check_world();
}

/* The pfn space runs out before the reservation does. */
static void up_stops_at_pfn_limit(void **state)
{
    struct balloon_config bc = { .pfn_limit = NR + 50 };

    (void)state;
    p2m_shutdown();
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, &bc);
    assert_int_equal(balloon_up(100), 50);
    assert_int_equal(stats().block, BALLOON_NO_PFN_SPACE);
    assert_int_equal(balloon_up(1), -ENOSPC);
    assert_true(host_console_contains("no pfn left"));
    check_world();
}

/* Scrubbed pages that Xen did not take come back zeroed, others intact. */
static void scrub_zeroes_what_is_given(void **state)
{
    struct balloon_stats st;

    (void)state;
    fill_free_frames();
    balloon_set_scrub(true);
    sim_inject_memop(XENMEM_decrease_reservation, 100, 0);
    assert_int_equal(balloon_down(512), 100);
    st = stats();
    unsigned int zeroed = 0;
    for (xen_pfn_t pfn = 0; pfn < NR; pfn++) {
        if (!frame_is_free(pfn))
            continue;
        uint64_t v = *(uint64_t *)xen_mm_page(pfn);
        if (v == 0)
            zeroed++;
        else
            assert_int_equal(v, PAT(pfn));
    }
    /* 412 went out scrubbed and came back; maybe one became a bitmap page. */
    assert_int_equal(zeroed, 412);
    assert_int_equal(st.pages_down, 100);
    check_world();
}

static void released_pages_raise_the_boot_target(void **state)
{
    struct balloon_config bc = { .pfn_limit = 4 * PFN_SET_CHUNK_PFNS };

    (void)state;
    balloon_fini();
    p2m_shutdown();
    /* Noted before init, as the E820 code does at boot; a domU's flags. */
    balloon_note_released(300);
    boot(NR, NR + 8192, SIF_VIRT_P2M_4TOOLS, &bc);
    assert_int_equal(stats().released_at_boot, 300);
    assert_int_equal(stats().target_pages, NR + 300);
    while (balloon_step(1000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 300);
    assert_int_equal(stats().top_pfn, NR + 300);
    check_world();
    /* After the boot, a note raises the target only if nobody set one. */
    balloon_note_released(10);
    assert_int_equal(stats().requested_pages, NR + 310);
    balloon_set_target(NR);
    balloon_note_released(10);
    assert_int_equal(stats().requested_pages, NR);
}

static void restore_resync(void **state)
{
    (void)state;
    assert_int_equal(balloon_down(100), 100);
    assert_int_equal(balloon_resync(), 0);
    assert_int_equal(stats().current_pages, sim.dom_pages);
    check_world();
}

/* Random targets, batch sizes, partial and failed hypercalls, failed
 * allocations; the invariants hold after every step. */
static void random_sequences_keep_invariants(void **state)
{
    (void)state;
    for (int step = 0; step < 150; step++) {
        uint64_t r = rng_next(&rng);
        uint64_t lo = stats().min_pages, hi = NR + 8192;
        uint64_t target = lo + rng_next(&rng) % (hi - lo + 1);

        balloon_set_batch(1 + rng_next(&rng) % 1024);
        balloon_set_scrub(r & 1);
        switch ((r >> 1) % 8) {
        case 0:
            sim_inject_memop(XENMEM_decrease_reservation, rng_next(&rng) % 700, 0);
            break;
        case 1:
            sim_inject_memop(XENMEM_populate_physmap, rng_next(&rng) % 700, 0);
            break;
        case 2:
            sim_inject_memop((r >> 8) & 1 ? XENMEM_populate_physmap
                                          : XENMEM_decrease_reservation, 0, -EBUSY);
            break;
        case 3:
            sim_fail_frame_alloc_after(rng_next(&rng) % 4);
            break;
        default:
            break;
        }
        balloon_set_target(target);
        for (int i = 0; i < 4 && balloon_step(1 + rng_next(&rng) % 20000) > 0; i++)
            ;
        sim_fail_frame_alloc_after(-1);
        /* Disarm an injection not used up: re-arm it on an op the steps
         * never make. */
        sim_inject_memop(XENMEM_machphys_mapping, 0, 0);
        if (step % 10 == 0)
            check_world();
    }
    /* With nothing failing, every target is reached. */
    balloon_set_target(NR + 4000);
    while (balloon_step(100000) > 0)
        ;
    assert_int_equal(stats().current_pages, NR + 4000);
    check_world();
    check_ownership();
    assert_true(stats().partial_results > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(init_reads_the_reservation, setup, teardown),
        cmocka_unit_test_setup_teardown(down_and_up_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_size_sets_extents_per_call, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_down_at_every_position, setup, teardown),
        cmocka_unit_test_setup_teardown(down_error_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_up_at_every_position, setup, teardown),
        cmocka_unit_test_setup_teardown(down_remap_fails_part_way, setup, teardown),
        cmocka_unit_test_setup_teardown(up_error_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(down_stops_at_keep_free, setup, teardown),
        cmocka_unit_test_setup_teardown(target_clamped_to_min_and_max, setup, teardown),
        cmocka_unit_test_setup_teardown(up_refused_at_maximum, setup, teardown),
        cmocka_unit_test_setup_teardown(grows_past_boot_max_pfn, setup, teardown),
        cmocka_unit_test_setup_teardown(grows_across_a_gib_with_frame_list, setup, teardown),
        cmocka_unit_test_setup_teardown(up_without_memory_for_the_p2m, setup, teardown),
        cmocka_unit_test_setup_teardown(up_map_fails_in_second_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(fresh_pfns_skip_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(fresh_search_skips_identity_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(fresh_pfns_only_from_e820_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(up_stops_at_pfn_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(scrub_zeroes_what_is_given, setup, teardown),
        cmocka_unit_test_setup_teardown(released_pages_raise_the_boot_target, setup, teardown),
        cmocka_unit_test_setup_teardown(restore_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(random_sequences_keep_invariants, setup, teardown),
    };

    return cmocka_run_group_tests_name("balloon", tests, NULL, NULL);
}
