/*
 * The p2m on the real hypervisor: built from start_info, readable the way
 * the toolstack reads it, published in shared_info.
 */
#include <stdlib.h>
#include <arch/layout.h>
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/xen_mm.h>
#include <minnow/e820_plan.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include "test.h"

/* Far above dom0's RAM, inside the default 512 GiB reserve. */
#define FAR_PFN   (300UL * P2M_PFNS_PER_PTE_PAGE)      /* 300 GiB */

GUEST_TEST(p2m_self_check, 0)
{
    struct p2m_stats st;
    int problems;

    TEST_ASSERT(p2m_ready(), "p2m not built");
    problems = p2m_self_check();
    TEST_ASSERT(problems == 0, "%d problems (see the p2m check lines)", problems);
    p2m_get_stats(&st);
    test_detail("%lu pfns, %lu pages (%lu leaves, %lu PTE, %lu PMD)",
                (unsigned long)p2m_max_pfn(), (unsigned long)st.total,
                (unsigned long)st.leaves, (unsigned long)st.pte_pages,
                (unsigned long)st.pmd_pages);
    return TEST_PASS;
}

/*
 * Where the frame Xen put at a booted pfn lives now: the same pfn, or the
 * destination of an E820 move, or nowhere (released to Xen).
 */
static bool frame_now_at(xen_pfn_t pfn, xen_pfn_t *now)
{
    const struct e820_plan *plan = mm_e820_plan();

    for (unsigned i = 0; i < plan->nr_moves; i++) {
        const struct e820_move *m = &plan->move[i];
        if (pfn >= m->src && pfn < m->src + m->nr) {
            *now = m->dst + (pfn - m->src);
            return true;
        }
    }
    for (unsigned i = 0; i < plan->nr_release; i++)
        if (pfn >= plan->release[i].start && pfn < plan->release[i].end)
            return false;
    *now = pfn;
    return true;
}

/*
 * Every frame Xen booted us with is in the p2m, at its pfn or where the
 * E820 code moved it, and maps back through the m2p.
 */
GUEST_TEST(p2m_matches_start_info, 0)
{
    const xen_pfn_t *xen_list = (const xen_pfn_t *)boot_start_info.mfn_list;
    unsigned long moved = 0, released = 0;

    for (xen_pfn_t src = 0; src < boot_start_info.nr_pages; src++) {
        xen_pfn_t mfn = xen_list[src], pfn;
        if (!frame_now_at(src, &pfn)) {
            TEST_ASSERT(mfn_to_local_pfn(mfn) == INVALID_P2M_ENTRY,
                        "released mfn %#lx still ours", (unsigned long)mfn);
            released++;
            continue;
        }
        moved += pfn != src;
        TEST_ASSERT(pfn_to_mfn(pfn) == mfn, "pfn %#lx (booted at %#lx): p2m %#lx, Xen %#lx",
                    (unsigned long)pfn, (unsigned long)src, (unsigned long)pfn_to_mfn(pfn),
                    (unsigned long)mfn);
        TEST_ASSERT(p2m_kind_of(pfn) == P2M_RAM, "pfn %#lx is %s", (unsigned long)pfn,
                    p2m_kind_name(p2m_kind_of(pfn)));
        TEST_ASSERT(mfn_to_pfn(mfn) == pfn, "m2p[%#lx] = %#lx", (unsigned long)mfn,
                    (unsigned long)mfn_to_pfn(mfn));
        TEST_ASSERT(mfn_to_local_pfn(mfn) == pfn, "mfn %#lx not local",
                    (unsigned long)mfn);
        if (pfn != src)
            TEST_ASSERT(p2m_kind_of(src) == P2M_IDENTITY, "moved-from pfn %#lx is %s",
                        (unsigned long)src, p2m_kind_name(p2m_kind_of(src)));
    }
    xen_pfn_t end = mm_e820_plan()->usable_end_pfn;
    TEST_ASSERT(p2m_kind_of(end) != P2M_RAM, "RAM past the usable end %#lx", (unsigned long)end);
    TEST_ASSERT(pfn_to_mfn(~0UL >> 2) == INVALID_P2M_ENTRY, "far out of range");
    TEST_ASSERT(mfn_to_pfn(~0UL >> 2) == INVALID_P2M_ENTRY, "m2p bounds");
    test_detail("%lu pfns (%lu moved by the E820 code, %lu released)",
                (unsigned long)boot_start_info.nr_pages, moved, released);
    return TEST_PASS;
}

GUEST_TEST(p2m_published, 0)
{
    const struct arch_shared_info *a = &shared_info->arch;
    bool tree = !(boot_start_info.flags & SIF_VIRT_P2M_4TOOLS);

    TEST_ASSERT(a->p2m_cr3 == xen_pfn_to_cr3(pt_root_mfn()), "p2m_cr3 %#lx, L4 mfn %#lx",
                (unsigned long)a->p2m_cr3, (unsigned long)pt_root_mfn());
    TEST_ASSERT(a->p2m_vaddr == P2M_VIRT_BASE, "p2m_vaddr %#lx", (unsigned long)a->p2m_vaddr);
    TEST_ASSERT(a->max_pfn == p2m_max_pfn() && a->max_pfn >= boot_start_info.nr_pages,
                "max_pfn %#lx", (unsigned long)a->max_pfn);
    TEST_ASSERT(!(a->p2m_generation & 1), "generation %lu is odd",
                (unsigned long)a->p2m_generation);
    if (tree)
        TEST_ASSERT(a->pfn_to_mfn_frame_list_list != 0 &&
                    a->pfn_to_mfn_frame_list_list != ~0UL, "no frame list list");
    else
        TEST_ASSERT(a->pfn_to_mfn_frame_list_list == ~0UL, "frame list list %#lx",
                    (unsigned long)a->pfn_to_mfn_frame_list_list);
    test_detail("max_pfn %#lx generation %lu frame list %s", (unsigned long)a->max_pfn,
                (unsigned long)a->p2m_generation, tree ? "built" : "~0");
    return TEST_PASS;
}

/* The 3-level tree (dom0 has no SIF_VIRT_P2M_4TOOLS), walked like xc does. */
GUEST_TEST(p2m_frame_list_walk, 0)
{
    const struct arch_shared_info *a = &shared_info->arch;
    const xen_pfn_t *top, *mid = NULL, *leaf;
    xen_pfn_t prev_empty = 0;
    uint64_t leaves = 0, empty = 0;

    TEST_SKIP_IF(boot_start_info.flags & SIF_VIRT_P2M_4TOOLS, "the tools use the linear p2m");
    top = mfn_to_local_page(a->pfn_to_mfn_frame_list_list);
    TEST_ASSERT(top, "frame list list mfn %#lx is not ours",
                (unsigned long)a->pfn_to_mfn_frame_list_list);
    for (xen_pfn_t first = 0; first < a->max_pfn; first += P2M_PER_PAGE, leaves++) {
        xen_pfn_t leaf_mfn;
        bool all_invalid = true;

        if (first % P2M_PFNS_PER_PTE_PAGE == 0) {
            mid = mfn_to_local_page(top[first / P2M_PFNS_PER_PTE_PAGE]);
            TEST_ASSERT(mid, "mid page for pfn %#lx", (unsigned long)first);
        }
        leaf_mfn = mid[(first / P2M_PER_PAGE) % 512];
        leaf = mfn_to_local_page(leaf_mfn);
        TEST_ASSERT(leaf, "leaf for pfn %#lx: mfn %#lx", (unsigned long)first,
                    (unsigned long)leaf_mfn);
        if (leaf_mfn != prev_empty)
            for (unsigned int i = 0; i < P2M_PER_PAGE && all_invalid; i++)
                all_invalid = leaf[i] == INVALID_P2M_ENTRY;
        if (all_invalid) {
            /* A shared all-~0 leaf: minnow must agree the chunk is a hole. */
            xen_pfn_t own = p2m_get(first);
            TEST_ASSERT(own == INVALID_P2M_ENTRY || own == IDENTITY_FRAME(first),
                        "pfn %#lx: tree has no frame, p2m %#lx", (unsigned long)first,
                        (unsigned long)own);
            prev_empty = leaf_mfn;
            empty++;
            continue;
        }
        for (unsigned int i = 0; i < P2M_PER_PAGE && first + i < a->max_pfn; i++) {
            xen_pfn_t own = p2m_get(first + i);
            TEST_ASSERT(leaf[i] == own ||
                        (leaf[i] == INVALID_P2M_ENTRY && own == IDENTITY_FRAME(first + i)),
                        "pfn %#lx: tree %#lx, p2m %#lx", (unsigned long)(first + i),
                        (unsigned long)leaf[i], (unsigned long)own);
        }
    }
    test_detail("%lu leaves (%lu all ~0) for max_pfn %#lx", (unsigned long)leaves,
                (unsigned long)empty, (unsigned long)a->max_pfn);
    return TEST_PASS;
}

/*
 * The E820 already made every hole 1:1, so look for pfns that are still
 * missing (RAM the map has but Xen did not populate) to change here.
 */
static xen_pfn_t find_missing_run(xen_pfn_t from, xen_pfn_t len, xen_pfn_t align)
{
    for (xen_pfn_t p = (from + align - 1) / align * align; p + len <= p2m_table_limit;
         p += align) {
        if (p2m_kind_of(p) == P2M_MISSING && p2m_kind_of(p + len - 1) == P2M_MISSING &&
            p2m_kind_of(p + len / 2) == P2M_MISSING && (p == 0 || p2m_kind_of(p - 1) == P2M_MISSING) &&
            p2m_kind_of(p + len) == P2M_MISSING)
            return p;
    }
    return 0;
}

GUEST_TEST(p2m_identity_ranges, 0)
{
    struct p2m_stats before, after;
    xen_pfn_t base = find_missing_run(mm_e820_plan()->usable_end_pfn, 4 * P2M_PER_PAGE,
                                      P2M_PER_PAGE);

    TEST_SKIP_IF(!base, "needs 8 MiB of map RAM above the populated pfns (maxmem "
                 "above memory) to make 1:1; there is less");
    TEST_SKIP_UNLESS_FREE(4, "two leaves and a PTE page");
    xen_pfn_t s = base + 100, e = base + 3 * P2M_PER_PAGE + 7;

    p2m_get_stats(&before);
    TEST_ASSERT(p2m_set_identity_range(s, e) == 0, "partial range");
    p2m_get_stats(&after);
    for (xen_pfn_t p = s; p < e; p++)
        TEST_ASSERT(p2m_get(p) == IDENTITY_FRAME(p) && pfn_to_mfn(p) == p,
                    "pfn %#lx: %#lx", (unsigned long)p, (unsigned long)p2m_get(p));
    TEST_ASSERT(p2m_get(s - 1) == INVALID_P2M_ENTRY, "before the range");
    TEST_ASSERT(p2m_get(e) == INVALID_P2M_ENTRY, "after the range");
    TEST_ASSERT(p2m_kind_of(s + P2M_PER_PAGE) == P2M_IDENTITY, "a whole 2 MiB chunk");
    /* mfn s+7 is its own pfn, unless that machine frame is our RAM elsewhere. */
    xen_pfn_t local = mfn_to_local_pfn(s + 7);
    TEST_ASSERT(local == s + 7 || (local != INVALID_P2M_ENTRY && pfn_to_mfn(local) == s + 7),
                "mfn %#lx: local pfn %#lx", (unsigned long)(s + 7), (unsigned long)local);
    /* Two partial leaves; the whole 2 MiB chunk between them costs no page. */
    TEST_ASSERT(after.leaves <= before.leaves + 2, "leaves %lu -> %lu",
                (unsigned long)before.leaves, (unsigned long)after.leaves);

    /* A whole missing GiB made 1:1 costs one PMD entry, no page (when one is left). */
    xen_pfn_t g = find_missing_run(e, P2M_PFNS_PER_PTE_PAGE, P2M_PFNS_PER_PTE_PAGE);
    if (g) {
        p2m_get_stats(&before);
        TEST_ASSERT(p2m_set_identity_range(g, g + P2M_PFNS_PER_PTE_PAGE) == 0, "whole GiB");
        p2m_get_stats(&after);
        TEST_ASSERT(p2m_kind_of(g + 12345) == P2M_IDENTITY, "inside the GiB");
        TEST_ASSERT(after.total == before.total, "pages %lu -> %lu",
                    (unsigned long)before.total, (unsigned long)after.total);
    }
    TEST_ASSERT(p2m_self_check() == 0, "self-check");
    test_detail("range at pfn %#lx%s", (unsigned long)s,
                g ? ", and a whole GiB" : "; no whole missing GiB left to test");
    return TEST_PASS;
}

/* A write into a shared chunk allocates; the non-allocating setter refuses. */
GUEST_TEST(p2m_set_allocates_and_grows, 0)
{
    xen_pfn_t pfn = FAR_PFN + 20 * P2M_PFNS_PER_PTE_PAGE + 3;
    uint64_t gen = shared_info->arch.p2m_generation;

    TEST_SKIP_UNLESS_FREE(4, "a leaf, a PTE page and a frame-list page");
    TEST_ASSERT(!p2m_try_set(pfn, FOREIGN_FRAME(1)), "shared leaf took a store");
    TEST_ASSERT(p2m_set(pfn, FOREIGN_FRAME(1)) == 0, "p2m_set");
    TEST_ASSERT(pfn_to_mfn(pfn) == 1 && p2m_kind_of(pfn) == P2M_FOREIGN, "read back");
    TEST_ASSERT(shared_info->arch.p2m_generation >= gen + 2 &&
                !(shared_info->arch.p2m_generation & 1), "generation %lu -> %lu",
                (unsigned long)gen, (unsigned long)shared_info->arch.p2m_generation);
    TEST_ASSERT(shared_info->arch.max_pfn == pfn + 1, "max_pfn %#lx",
                (unsigned long)shared_info->arch.max_pfn);
    TEST_ASSERT(p2m_try_set(pfn, INVALID_P2M_ENTRY), "private leaf refused a store");
    TEST_ASSERT(p2m_self_check() == 0, "self-check");
    return TEST_PASS;
}

/* Resume path: stale fields (as after a restore) are rewritten. */
GUEST_TEST(p2m_republish, 0)
{
    struct arch_shared_info *a = &shared_info->arch;

    a->p2m_cr3 = 0;
    a->pfn_to_mfn_frame_list_list = 0;
    TEST_ASSERT(p2m_republish() == 0, "republish");
    TEST_ASSERT(a->p2m_cr3 == xen_pfn_to_cr3(pt_root_mfn()), "p2m_cr3");
    TEST_ASSERT(p2m_self_check() == 0, "self-check");
    return TEST_PASS;
}
