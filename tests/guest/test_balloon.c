/*
 * The balloon on the real hypervisor (as dom0): down and back up through
 * the worker thread, the p2m self-check after every step, Xen's own count
 * agreeing with minnow's, and every frame that came back usable.
 *
 * The tests that move memory change which pfns hold which machine frames
 * (a refilled pfn gets a new mfn) and may leave boot pfns in the balloon,
 * which tests of the boot state (p2m_matches_start_info,
 * boot_memory_mapped) rightly refuse: so they need dom0-balloon-headroom,
 * are not part of tests=all, and run by name in their own boot
 * (tests/guest/runs.conf, line dom0-balloon).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/memory.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include <minnow/balloon.h>
#include <minnow/balloon_worker.h>
#include <minnow/cmdline.h>
#include <minnow/console.h>
#include <minnow/frame.h>
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include "test.h"
#include <minnow/time.h>

#define STEP_PAGES   4096u           /* 16 MiB */
#define WAIT_MS      60000u
#define PAT(pfn, i)  (0xba11000000000000ul ^ ((uint64_t)(pfn) << 12) ^ (i))

static struct balloon_stats stats(void)
{
    struct balloon_stats st;

    balloon_get_stats(&st);
    return st;
}

static long xen_current_reservation(void)
{
    domid_t self = DOMID_SELF;

    return hypercall_memory_op(XENMEM_current_reservation, &self);
}

static bool mapped_rw(xen_pfn_t pfn)
{
    uint64_t pte;

    return pt_lookup(pt_directmap_va(pfn), &pte) == 0 && (pte & PTE_PRESENT) &&
           (pte & PTE_RW) && pte_mfn(pte) == pfn_to_mfn(pfn);
}

/* Set a target, wait for the worker; "" or what went wrong. */
static const char *move_to(uint64_t pages, uint64_t *ms)
{
    stime_t t0 = monotonic_ns();
    int rc;

    balloon_worker_set_target(pages);
    rc = balloon_worker_wait(WAIT_MS);
    *ms = (monotonic_ns() - t0) / NSEC_PER_MSEC;
    if (rc == -ETIMEDOUT)
        return "timed out";
    if (rc)
        return balloon_block_name(stats().block);
    return "";
}

/*
 * Take every free frame but `keep`, chained through their first word, fill
 * each with a pattern, check it, give them all back.  Returns the number of
 * frames checked, or -1 on a mismatch.
 */
static long pattern_all_free_frames(uint64_t keep, xen_pfn_t *bad)
{
    xen_pfn_t head = ~0UL, pfn;
    long n = 0, result;

    while (frame_free_count() > keep && frame_alloc(&pfn) == 0) {
        uint64_t *p = pfn_to_virt(pfn);
        p[0] = head;
        for (unsigned int i = 1; i < 512; i++)
            p[i] = PAT(pfn, i);
        head = pfn;
        n++;
    }
    result = n;
    while (head != ~0UL) {
        uint64_t *p = pfn_to_virt(head);
        xen_pfn_t next = p[0];
        for (unsigned int i = 1; i < 512 && result >= 0; i++)
            if (p[i] != PAT(head, i)) {
                *bad = head;
                result = -1;
            }
        frame_free(head);
        head = next;
    }
    return result;
}

static enum test_result start_balloon(void)
{
    int rc = balloon_ready() ? 0 : balloon_worker_start(&mm_boot.balloon);

    TEST_SKIP_IF(rc == -ENODEV, "balloon=off");
    TEST_ASSERT(rc == 0, "balloon_worker_start: rc %d", rc);
    /* Start from a settled balloon (a boot-time target may be in flight). */
    rc = balloon_worker_wait(WAIT_MS);
    TEST_ASSERT(rc == 0, "balloon not settled before the test: rc %d (%s)", rc,
                balloon_block_name(stats().block));
    return TEST_PASS;
}

/* balloon_target=SIZE on the command line (dom0's target source): the
 * worker gets there on its own; this waits for it and checks. */
GUEST_TEST(balloon_cmdline_target, 0)
{
    struct balloon_stats st;
    uint64_t bytes, want;
    int rc;

    TEST_SKIP_IF(cmdline_get_size("balloon_target", &bytes) != 0, "no balloon_target=");
    TEST_ASSERT(balloon_ready(), "balloon not running");
    rc = balloon_worker_wait(WAIT_MS);
    st = stats();
    want = bytes >> PAGE_SHIFT;
    if (want > st.max_pages)
        want = st.max_pages;
    if (want < st.min_pages)
        want = st.min_pages;
    TEST_ASSERT(rc == 0, "balloon_worker_wait: rc %d (%s)", rc, balloon_block_name(st.block));
    TEST_ASSERT(st.target_pages == want && st.current_pages == want,
                "target %lu, current %lu, expected %lu pages", (unsigned long)st.target_pages,
                (unsigned long)st.current_pages, (unsigned long)want);
    TEST_ASSERT(xen_current_reservation() == (long)want, "Xen says %ld pages",
                xen_current_reservation());
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check");
    test_detail("%lu KiB asked, %lu KiB held (%lu ballooned, top_pfn %#lx)",
                (unsigned long)(bytes >> 10), (unsigned long)st.current_pages * 4,
                (unsigned long)st.ballooned_pages, (unsigned long)st.top_pfn);
    return TEST_PASS;
}

GUEST_TEST(balloon_down_up, TEST_NEEDS("dom0-balloon-headroom"))
{
    static xen_pfn_t went[2 * STEP_PAGES];
    struct balloon_stats st0, st;
    uint64_t n, got = 0, total = 0, back = 0, ms_down, ms_up;
    enum test_result r = start_balloon();
    const char *err;
    xen_pfn_t bad = 0;
    long checked;

    if (r != TEST_PASS)
        return r;
    st0 = stats();
    TEST_ASSERT(st0.current_pages == st0.target_pages, "not settled at start: %lu vs %lu",
                (unsigned long)st0.current_pages, (unsigned long)st0.target_pages);
    TEST_ASSERT(xen_current_reservation() == (long)st0.current_pages,
                "Xen says %ld pages, minnow %lu", xen_current_reservation(),
                (unsigned long)st0.current_pages);
    n = st0.current_pages - st0.min_pages < STEP_PAGES ? st0.current_pages - st0.min_pages
                                                        : STEP_PAGES;
    TEST_SKIP_IF(n < 256, "only %lu pages above the minimum", (unsigned long)n);

    /* Down. */
    err = move_to(st0.current_pages - n, &ms_down);
    TEST_ASSERT(!*err, "down by %lu pages: %s", (unsigned long)n, err);
    st = stats();
    TEST_ASSERT(st.current_pages == st0.current_pages - n, "current %lu",
                (unsigned long)st.current_pages);
    TEST_ASSERT(xen_current_reservation() == (long)st.current_pages,
                "Xen says %ld pages after down", xen_current_reservation());
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check after down");
    for (xen_pfn_t pfn = 0; pfn < st.top_pfn; pfn++) {
        uint64_t pte;
        if (!balloon_pfn_is_ballooned(pfn))
            continue;
        TEST_ASSERT(p2m_kind_of(pfn) == P2M_MISSING, "ballooned pfn %#lx is %s",
                    (unsigned long)pfn, p2m_kind_name(p2m_kind_of(pfn)));
        TEST_ASSERT(pt_lookup(pt_directmap_va(pfn), &pte) != 0 || !(pte & PTE_PRESENT),
                    "ballooned pfn %#lx still mapped", (unsigned long)pfn);
        if (got < sizeof(went) / sizeof(went[0]))
            went[got++] = pfn;
        total++;
    }
    TEST_ASSERT(total == st.ballooned_pages && total == st0.ballooned_pages + n,
                "%lu pfns in the balloon, stats say %lu, expected %lu",
                (unsigned long)total, (unsigned long)st.ballooned_pages,
                (unsigned long)(st0.ballooned_pages + n));

    /* Up: ballooned pfns (lowest first) come back. */
    err = move_to(st0.current_pages, &ms_up);
    TEST_ASSERT(!*err, "up by %lu pages: %s", (unsigned long)n, err);
    st = stats();
    TEST_ASSERT(st.current_pages == st0.current_pages, "current %lu after up",
                (unsigned long)st.current_pages);
    TEST_ASSERT(xen_current_reservation() == (long)st.current_pages,
                "Xen says %ld pages after up", xen_current_reservation());
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check after up");
    TEST_ASSERT(st.ballooned_pages == st0.ballooned_pages, "%lu pfns still ballooned",
                (unsigned long)st.ballooned_pages);
    for (uint64_t i = 0; i < got; i++) {
        xen_pfn_t pfn = went[i], mfn = pfn_to_mfn(pfn);
        if (balloon_pfn_is_ballooned(pfn))
            continue;
        TEST_ASSERT(p2m_kind_of(pfn) == P2M_RAM && mfn_to_pfn(mfn) == pfn,
                    "pfn %#lx: %s, m2p %#lx", (unsigned long)pfn,
                    p2m_kind_name(p2m_kind_of(pfn)), (unsigned long)mfn_to_pfn(mfn));
        TEST_ASSERT(mapped_rw(pfn), "pfn %#lx not mapped writable", (unsigned long)pfn);
        TEST_ASSERT(frame_is_free(pfn), "refilled pfn %#lx not in the allocator",
                    (unsigned long)pfn);
        back++;
    }
    /* went[] holds the lowest ballooned pfns, and up refills lowest first. */
    TEST_ASSERT(back == (got < n ? got : n), "%lu of the %lu lowest ballooned pfns came back",
                (unsigned long)back, (unsigned long)got);
    checked = pattern_all_free_frames(64, &bad);
    TEST_ASSERT(checked >= 0, "pattern mismatch at pfn %#lx", (unsigned long)bad);
    TEST_ASSERT((uint64_t)checked >= n, "only %ld frames free after up", checked);
    test_detail("%lu pages down in %lu ms, up in %lu ms; %ld free frames pattern-checked; "
                "%lu calls, <= %lu extents each", (unsigned long)n,
                (unsigned long)ms_down, (unsigned long)ms_up, checked,
                (unsigned long)(st.down_calls + st.up_calls),
                (unsigned long)st.max_extents_per_call);
    return TEST_PASS;
}

/* Past the boot max_pfn, if Xen's maximum reservation leaves room. */
GUEST_TEST(balloon_grow, TEST_NEEDS("dom0-balloon-headroom"))
{
    struct balloon_stats st0, st;
    enum test_result r = start_balloon();
    uint64_t max, n, ms;
    xen_pfn_t top0, bad = 0;
    const char *err;
    long checked;

    if (r != TEST_PASS)
        return r;
    st0 = stats();
    max = balloon_max_pages();
    TEST_SKIP_IF(max <= st0.current_pages + st0.ballooned_pages,
                 "Xen's maximum reservation is %lu pages, no room above the %lu "
                 "held (+%lu ballooned)", (unsigned long)max,
                 (unsigned long)st0.current_pages, (unsigned long)st0.ballooned_pages);
    /* Up to 64 MiB: many new p2m leaves and page tables. */
    n = max - st0.current_pages - st0.ballooned_pages;
    if (n > 4 * STEP_PAGES)
        n = 4 * STEP_PAGES;
    top0 = st0.top_pfn;

    err = move_to(st0.current_pages + st0.ballooned_pages + n, &ms);
    TEST_ASSERT(!*err, "up by %lu pages: %s", (unsigned long)n, err);
    st = stats();
    TEST_ASSERT(st.top_pfn == top0 + n, "top_pfn %#lx, expected %#lx",
                (unsigned long)st.top_pfn, (unsigned long)(top0 + n));
    TEST_ASSERT(p2m_max_pfn() >= st.top_pfn && shared_info->arch.max_pfn == p2m_max_pfn(),
                "max_pfn %#lx / published %#lx", (unsigned long)p2m_max_pfn(),
                (unsigned long)shared_info->arch.max_pfn);
    TEST_ASSERT(xen_current_reservation() == (long)st.current_pages,
                "Xen says %ld pages", xen_current_reservation());
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check after growing");
    for (xen_pfn_t pfn = top0; pfn < st.top_pfn; pfn++)
        TEST_ASSERT(p2m_kind_of(pfn) == P2M_RAM && mapped_rw(pfn),
                    "new pfn %#lx: %s", (unsigned long)pfn, p2m_kind_name(p2m_kind_of(pfn)));
    checked = pattern_all_free_frames(64, &bad);
    TEST_ASSERT(checked >= 0, "pattern mismatch at pfn %#lx", (unsigned long)bad);

    err = move_to(st0.current_pages, &ms);
    TEST_ASSERT(!*err, "back down: %s", err);
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check after shrinking");
    TEST_ASSERT(xen_current_reservation() == (long)st0.current_pages,
                "Xen says %ld pages", xen_current_reservation());
    test_detail("grew %lu pages past pfn %#lx (max_pfn now %#lx, Xen max %lu pages) "
                "in %lu ms; %ld frames pattern-checked", (unsigned long)n,
                (unsigned long)top0, (unsigned long)p2m_max_pfn(), (unsigned long)max,
                (unsigned long)ms, checked);
    return TEST_PASS;
}

/* A target below the minimum is clamped; the balloon never crosses it. */
GUEST_TEST(balloon_min_clamp, TEST_NEEDS("dom0-balloon-headroom"))
{
    struct balloon_stats st0, st;
    enum test_result r = start_balloon();
    uint64_t t, ms;
    const char *err;

    if (r != TEST_PASS)
        return r;
    st0 = stats();
    t = balloon_worker_set_target(1);
    TEST_ASSERT(t == st0.min_pages, "target 1 page clamped to %lu, min %lu",
                (unsigned long)t, (unsigned long)st0.min_pages);
    (void)balloon_worker_wait(WAIT_MS);
    st = stats();
    /* Reached, or stopped by keep_free: never below the minimum. */
    TEST_ASSERT(st.current_pages >= st0.min_pages, "current %lu < min %lu",
                (unsigned long)st.current_pages, (unsigned long)st0.min_pages);
    TEST_ASSERT(st.current_pages == st0.min_pages || st.block == BALLOON_NO_FREE_FRAMES,
                "stopped at %lu pages: %s", (unsigned long)st.current_pages,
                balloon_block_name(st.block));
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check at the minimum");
    err = move_to(st0.current_pages, &ms);
    TEST_ASSERT(!*err, "back up: %s", err);
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check after coming back");
    test_detail("min %lu pages, went down to %lu (%s) and back in %lu ms",
                (unsigned long)st0.min_pages, (unsigned long)st.current_pages,
                st.current_pages == st0.min_pages ? "the minimum" : "keep_free",
                (unsigned long)ms);
    return TEST_PASS;
}

/*
 * Throughput under Xen (QEMU TCG here: slow in absolute terms, comparable
 * between batch sizes), through the worker as a target change would go.
 * Best of 3 per setting; `BENCH balloon ...` lines.  Off by default.
 */
static uint64_t move_us(uint64_t pages, const char **err)
{
    stime_t t0 = monotonic_ns();
    uint64_t ms;

    *err = move_to(pages, &ms);
    return (monotonic_ns() - t0) / NSEC_PER_USEC;
}

GUEST_TEST(balloon_bench, TEST_NEEDS("dom0-balloon-headroom"))
{
    static const unsigned int batches[] = { 64, 512, 2048 };
    struct balloon_stats st0, a, b, c;
    enum test_result r = start_balloon();
    uint64_t n, down_us, up_us;
    const char *err;

    if (r != TEST_PASS)
        return r;
    st0 = stats();
    n = st0.current_pages - st0.min_pages;
    n = n > 12288 + 512 ? 12288 : (n > 512 ? n - 512 : 0);
    TEST_SKIP_IF(n < 1024, "only %lu pages above the minimum", (unsigned long)n);
    for (unsigned int s = 0; s < 2; s++) {
        balloon_set_scrub(s);
        for (unsigned int i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
            balloon_set_batch(batches[i]);
            down_us = up_us = ~0UL;
            for (int rep = 0; rep < 3; rep++) {
                uint64_t d, u;
                a = stats();
                d = move_us(st0.current_pages - n, &err);
                TEST_ASSERT(!*err, "down: %s", err);
                b = stats();
                u = move_us(st0.current_pages, &err);
                TEST_ASSERT(!*err, "up: %s", err);
                c = stats();
                down_us = d < down_us ? d : down_us;
                up_us = u < up_us ? u : up_us;
            }
            printk("BENCH balloon where=xen-tcg batch=%u scrub=%s pages=%lu "
                   "down_us=%lu up_us=%lu down_pages_per_s=%lu up_pages_per_s=%lu "
                   "down_calls=%lu up_calls=%lu pages_per_call=%lu\n",
                   batches[i], s ? "on" : "off", (unsigned long)n,
                   (unsigned long)down_us, (unsigned long)up_us,
                   (unsigned long)(n * 1000000 / (down_us ? down_us : 1)),
                   (unsigned long)(n * 1000000 / (up_us ? up_us : 1)),
                   (unsigned long)(b.down_calls - a.down_calls),
                   (unsigned long)(c.up_calls - b.up_calls),
                   (unsigned long)(2 * n / (c.down_calls - a.down_calls + c.up_calls - b.up_calls)));
        }
    }
    balloon_set_batch(BALLOON_DEFAULT_BATCH);
    balloon_set_scrub(true);
    TEST_ASSERT(stats().current_pages == st0.current_pages, "ended at %lu pages",
                (unsigned long)stats().current_pages);
    TEST_ASSERT(p2m_self_check() == 0, "p2m self-check after the bench");
    test_detail("%lu pages each way, batches 64/512/2048, scrub off/on, best of 3",
                (unsigned long)n);
    return TEST_PASS;
}
