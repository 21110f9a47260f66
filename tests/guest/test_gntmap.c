/*
 * Grant mapping against the real Xen (docs/gntmap.md).  minnow grants its
 * own pages to its own domid, which Xen allows, and maps them back through
 * gntmap as a backend in another domain would: the granting page and the
 * mapping show the same bytes at two addresses, and the mapping sits at a
 * ballooned pfn whose p2m entry is foreign while mapped.  Mapping
 * balloons boot memory out, so those tests need "balloon-pool" (test.h);
 * copying borrows nothing and is part of tests=all.
 */
#include <errno.h>
#include <string.h>
#include <minnow/balloon.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/gntmap.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include <minnow/suspend.h>
#include <minnow/xenstore.h>
#include <arch/layout.h>
#include <arch/traps.h>
#include "test.h"

#define BAD_REF     0xfffffu        /* beyond any grant table: GNTST_bad_gntref */
#define WORD(i, k)  (0x676e746d61700000ULL + ((uint64_t)(i) << 12) + (k))

static int self_domid(domid_t *id)
{
    uint64_t v;

    if (is_initial_domain()) {
        *id = 0;
        return 0;
    }
    if (!xenstore_available() || xs_read_u64(XS_NO_TX, "domid", &v))
        return -ENOENT;
    *id = v;
    return 0;
}

/* A store that may fault (a read-only mapping): 0, or -EFAULT with the trap recorded. */
static int try_write_u64(volatile uint64_t *addr, uint64_t val)
{
    unsigned long before = last_trap.count;

    asm volatile("1: movq %[v], (%[a])\n"
                 "2:\n"
                 EXTABLE("1b", "2b")
                 : : [a] "r"(addr), [v] "r"(val) : "memory");
    return last_trap.count != before ? -EFAULT : 0;
}

struct granted {
    xen_pfn_t pfn;
    grant_ref_t ref;
};

/* n pages of ours, page i filled with WORD(first + i, k), granted to ourselves. */
static int grant_pages(domid_t self, struct granted *g, unsigned int first, unsigned int n,
                       bool readonly)
{
    for (unsigned int i = 0; i < n; i++) {
        if (frame_alloc(&g[i].pfn))
            return -ENOMEM;
        uint64_t *p = pfn_to_virt(g[i].pfn);
        for (int k = 0; k < 512; k++)
            p[k] = WORD(first + i, k);
        int rc = gnttab_grant_access(self, g[i].pfn, readonly, &g[i].ref);
        if (rc)
            return rc;
    }
    return 0;
}

static int end_pages(struct granted *g, unsigned int n)
{
    int bad = 0;

    for (unsigned int i = 0; i < n; i++) {
        bad += gnttab_end_access(g[i].ref) != 0;
        frame_free(g[i].pfn);
    }
    return bad;
}

/* Ballooning down for the pool moved RAM out; take it back so later tests see boot's. */
static void refill(uint64_t pages_before)
{
    struct balloon_stats b;

    balloon_get_stats(&b);
    if (b.current_pages < pages_before)
        balloon_up(pages_before - b.current_pages);
}

GUEST_TEST(gntmap_self_map_batch, TEST_NEEDS("balloon-pool"))
{
    struct granted g[3];
    struct gntmap_page pg[4];
    struct gntmap_stats s0, s1, s2;
    struct balloon_stats b0, b2;
    domid_t self;

    TEST_SKIP_IF(!gnttab_ready(), "no grant table");
    TEST_SKIP_IF(!balloon_ready(), "no balloon: no pool to map at");
    TEST_SKIP_IF(self_domid(&self), "own domid unknown");
    gntmap_get_stats(&s0);
    balloon_get_stats(&b0);
    TEST_ERROR_IF(grant_pages(self, g, 0, 2, false) || grant_pages(self, &g[2], 2, 1, true),
                  "cannot grant pages to ourselves");

    /* rw, read-only, a bad ref, and the read-only grant mapped read-only. */
    memset(pg, 0, sizeof(pg));
    pg[0] = (struct gntmap_page){ .domid = self, .ref = g[0].ref };
    pg[1] = (struct gntmap_page){ .domid = self, .ref = g[1].ref, .readonly = true };
    pg[2] = (struct gntmap_page){ .domid = self, .ref = BAD_REF };
    pg[3] = (struct gntmap_page){ .domid = self, .ref = g[2].ref, .readonly = true };
    int n = gntmap_map(pg, 4);
    TEST_ASSERT(n == 3, "mapped %d of 4", n);
    TEST_ASSERT(pg[2].status == GNTST_bad_gntref && pg[2].pfn == NO_FRAME && !pg[2].addr,
                "bad ref: status %d pfn %#lx", pg[2].status, (unsigned long)pg[2].pfn);
    for (int i = 0; i < 4; i++) {
        if (i == 2)
            continue;
        int gi = i == 3 ? 2 : i;
        xen_pfn_t mfn = pfn_to_mfn(g[gi].pfn);
        const volatile uint64_t *seen = pg[i].addr;

        TEST_ASSERT(pg[i].status == GNTST_okay, "page %d: status %d", i, pg[i].status);
        /* The pool's pfn, not RAM; its address shows the granted page. */
        TEST_ASSERT(p2m_kind_of(pg[i].pfn) == P2M_FOREIGN, "page %d: pfn %#lx is %s", i,
                    (unsigned long)pg[i].pfn, p2m_kind_name(p2m_kind_of(pg[i].pfn)));
        TEST_ASSERT(pfn_to_mfn(pg[i].pfn) == mfn, "page %d: p2m %#lx, granted mfn %#lx", i,
                    (unsigned long)pfn_to_mfn(pg[i].pfn), (unsigned long)mfn);
        TEST_ASSERT(m2p_override_lookup(mfn) == pg[i].pfn, "page %d: override %#lx", i,
                    (unsigned long)m2p_override_lookup(mfn));
        /* A self-grant: the frame is ours, so the m2p's own answer wins. */
        TEST_ASSERT(mfn_to_local_pfn(mfn) == g[gi].pfn, "page %d: mfn_to_local_pfn %#lx", i,
                    (unsigned long)mfn_to_local_pfn(mfn));
        TEST_ASSERT(pt_is_granted((uint64_t)pg[i].addr), "page %d: PTE not granted", i);
        for (int k = 0; k < 512; k++)
            TEST_ASSERT(seen[k] == WORD(gi, k), "page %d word %d: %#lx", i, k,
                        (unsigned long)seen[k]);
    }
    /* Both ways through the read-write mapping. */
    volatile uint64_t *rw = pg[0].addr, *own = pfn_to_virt(g[0].pfn);
    rw[7] = 0x1111;
    own[8] = 0x2222;
    TEST_ASSERT(own[7] == 0x1111 && rw[8] == 0x2222, "rw: own %#lx, mapped %#lx",
                (unsigned long)own[7], (unsigned long)rw[8]);
    /* A read-only mapping refuses writes; the granting page can still change. */
    int wrc = try_write_u64((volatile uint64_t *)pg[1].addr + 3, 0xbad);
    TEST_ASSERT(wrc == -EFAULT && last_trap.vector == 14 &&
                last_trap.cr2 == (uint64_t)pg[1].addr + 24, "write to ro: rc %d vector %lu "
                "cr2 %#lx", wrc, (unsigned long)last_trap.vector, (unsigned long)last_trap.cr2);
    ((volatile uint64_t *)pfn_to_virt(g[1].pfn))[3] = 0x3333;
    TEST_ASSERT(((volatile uint64_t *)pg[1].addr)[3] == 0x3333, "ro mapping is stale");
    /* The page tables will not tear a granted PTE down; ending a mapped grant fails. */
    TEST_ASSERT(pt_unmap_range((uint64_t)pg[0].addr, 1, 0) == -EBUSY, "pt_unmap_range");
    TEST_ASSERT(pt_set_entry((uint64_t)pg[0].addr, 1, 0, PT_ALLOW_CHANGE_LIVE) == -EBUSY,
                "pt_set_entry");
    TEST_ASSERT(gnttab_end_access(g[0].ref) == -EBUSY, "ended a mapped grant");
    gntmap_get_stats(&s1);
    TEST_ASSERT(s1.mapped == s0.mapped + 3 && s1.pool_in_use == s0.pool_in_use + 3,
                "mapped %lu, pool in use %lu", (unsigned long)s1.mapped,
                (unsigned long)s1.pool_in_use);
    TEST_ASSERT(s1.map_failures == s0.map_failures + 1, "failures %lu",
                (unsigned long)s1.map_failures);

    xen_pfn_t at[4];
    for (int i = 0; i < 4; i++)
        at[i] = pg[i].pfn;
    int urc = gntmap_unmap(pg, 4);
    TEST_ASSERT(urc == 0, "unmap: %d failed", urc);
    for (int i = 0; i < 4; i++) {
        if (i == 2)
            continue;
        TEST_ASSERT(pg[i].pfn == NO_FRAME && !pg[i].addr, "page %d still held", i);
        TEST_ASSERT(p2m_kind_of(at[i]) == P2M_MISSING && balloon_pfn_is_ballooned(at[i]),
                    "pfn %#lx after unmap: %s", (unsigned long)at[i],
                    p2m_kind_name(p2m_kind_of(at[i])));
        TEST_ASSERT(!pt_is_granted(pt_directmap_va(at[i])), "PTE left at %#lx",
                    (unsigned long)at[i]);
        TEST_ASSERT(m2p_override_lookup(pfn_to_mfn(g[i == 3 ? 2 : i].pfn)) == NO_FRAME,
                    "override left for page %d", i);
    }
    TEST_ASSERT(end_pages(g, 3) == 0, "ending the grants after unmap");
    gntmap_get_stats(&s2);
    balloon_get_stats(&b2);
    TEST_ASSERT(s2.mapped == s0.mapped && s2.pool_in_use == s0.pool_in_use,
                "pool not whole: mapped %lu, in use %lu", (unsigned long)s2.mapped,
                (unsigned long)s2.pool_in_use);
    TEST_ASSERT(b2.ballooned_pages == b0.ballooned_pages + (b0.current_pages - b2.current_pages),
                "ballooned %lu -> %lu, current %lu -> %lu", (unsigned long)b0.ballooned_pages,
                (unsigned long)b2.ballooned_pages, (unsigned long)b0.current_pages,
                (unsigned long)b2.current_pages);
    refill(b0.current_pages);
    test_detail("3 of 4 mapped at pfns %#lx %#lx %#lx, bad ref GNTST_%s; pool whole "
                "(%lu pfns in the balloon)", (unsigned long)at[0], (unsigned long)at[1],
                (unsigned long)at[3], gntmap_status_name(GNTST_bad_gntref),
                (unsigned long)s2.pool_free);
    return TEST_PASS;
}

GUEST_TEST(gntmap_copy_per_entry_status, 0)
{
    struct granted g[2];
    xen_pfn_t local;
    gnttab_copy_t op[3];
    struct gnttab_copy_ptr src, dst;
    domid_t self;

    TEST_SKIP_IF(!gnttab_ready(), "no grant table");
    TEST_SKIP_IF(self_domid(&self), "own domid unknown");
    TEST_ERROR_IF(grant_pages(self, g, 0, 2, false), "cannot grant pages to ourselves");
    TEST_ERROR_IF(frame_alloc(&local), "no frame");
    uint64_t *mine = pfn_to_virt(local);
    memset(mine, 0, PAGE_SIZE);
    mine[100] = 0x5151;

    /* grant 0 -> local[0..2048); bad grant -> local; local[800..] -> grant 1 at 64. */
    gntmap_copy_grant(&src, self, g[0].ref, 0);
    gntmap_copy_local(&dst, local, 0);
    gntmap_copy_op(&op[0], &src, true, &dst, false, 2048);
    gntmap_copy_grant(&src, self, BAD_REF, 0);
    gntmap_copy_local(&dst, local, 3000);
    gntmap_copy_op(&op[1], &src, true, &dst, false, 8);
    gntmap_copy_local(&src, local, 800);
    gntmap_copy_grant(&dst, self, g[1].ref, 64);
    gntmap_copy_op(&op[2], &src, false, &dst, true, 8);
    int ok = gntmap_copy(op, 3);
    TEST_ASSERT(ok == 2, "%d of 3 copies succeeded", ok);
    TEST_ASSERT(op[0].status == GNTST_okay && op[2].status == GNTST_okay, "statuses %d %d",
                op[0].status, op[2].status);
    TEST_ASSERT(op[1].status == GNTST_bad_gntref, "bad ref: status %d", op[1].status);
    for (int k = 0; k < 256; k++)
        TEST_ASSERT(mine[k] == WORD(0, k), "word %d: %#lx", k, (unsigned long)mine[k]);
    TEST_ASSERT(mine[256] == 0 && mine[375] == 0, "copied beyond 2048 bytes");
    const uint64_t *second = pfn_to_virt(g[1].pfn);
    TEST_ASSERT(second[8] == WORD(0, 100) && second[7] == WORD(1, 7) && second[9] == WORD(1, 9),
                "grant 1 words 7..9: %#lx %#lx %#lx", (unsigned long)second[7],
                (unsigned long)second[8], (unsigned long)second[9]);
    TEST_ASSERT(end_pages(g, 2) == 0, "ending the grants");
    frame_free(local);
    return TEST_PASS;
}

GUEST_TEST(gntmap_refuses_bad_input, TEST_NEEDS("balloon-pool"))
{
    struct gntmap_page pg = { .domid = DOMID_SELF, .ref = BAD_REF, .pfn = NO_FRAME };
    struct gntmap_stats s0, s1;

    TEST_SKIP_IF(!balloon_ready(), "no balloon");
    gntmap_get_stats(&s0);
    TEST_ASSERT(gntmap_map(NULL, 1) == -EINVAL, "NULL pages");
    TEST_ASSERT(gntmap_map(&pg, 0) == 0, "an empty batch");
    TEST_ASSERT(gntmap_unmap(&pg, 1) == 0, "unmapping a page never mapped");
    /* A domain that does not exist: its status, nothing held. */
    pg = (struct gntmap_page){ .domid = 0x7ff0, .ref = 8 };
    TEST_ASSERT(gntmap_map(&pg, 1) == 0, "mapped from no domain");
    TEST_ASSERT(pg.status < 0 && pg.pfn == NO_FRAME, "status %d pfn %#lx", pg.status,
                (unsigned long)pg.pfn);
    gntmap_get_stats(&s1);
    TEST_ASSERT(s1.pool_in_use == s0.pool_in_use && s1.mapped == s0.mapped,
                "pool in use %lu, mapped %lu", (unsigned long)s1.pool_in_use,
                (unsigned long)s1.mapped);
    test_detail("no domain 0x7ff0: GNTST_%s", gntmap_status_name(pg.status));
    return TEST_PASS;
}

/*
 * Suspending with a page mapped is refused before anything changes.  As
 * dom0 domain_suspend() refuses anyway (-EPERM), so only a domU can tell.
 */
GUEST_TEST(gntmap_suspend_refused_while_mapped, TEST_NEEDS("balloon-pool"))
{
    struct granted g;
    struct gntmap_page pg;
    struct balloon_stats b0;
    domid_t self;

    TEST_SKIP_IF(is_initial_domain(), "dom0 never suspends");
    TEST_SKIP_IF(!gnttab_ready() || !balloon_ready(), "no grant table or balloon");
    TEST_SKIP_IF(self_domid(&self), "own domid unknown");
    balloon_get_stats(&b0);
    TEST_ERROR_IF(grant_pages(self, &g, 0, 1, false), "cannot grant a page to ourselves");
    pg = (struct gntmap_page){ .domid = self, .ref = g.ref };
    TEST_ASSERT(gntmap_map(&pg, 1) == 1, "map: status %d", pg.status);
    unsigned long suspends = suspend_count();
    int rc = domain_suspend();
    TEST_ASSERT(rc == -EBUSY, "domain_suspend with a page mapped: %d", rc);
    TEST_ASSERT(suspend_count() == suspends, "suspended anyway");
    TEST_ASSERT(gnttab_ready(), "the grant table went away");
    TEST_ASSERT(((volatile uint64_t *)pg.addr)[5] == WORD(0, 5), "mapping lost");
    TEST_ASSERT(gntmap_unmap(&pg, 1) == 0, "unmap");
    TEST_ASSERT(end_pages(&g, 1) == 0, "end access");
    refill(b0.current_pages);
    return TEST_PASS;
}
