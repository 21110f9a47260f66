/*
 * The E820 work, checked on the real machine map: every hole is 1:1, no
 * RAM page was lost (moved frames are consistent in p2m, m2p and the
 * direct map), and every free page can really hold data.  runs.conf boots
 * these on several machine shapes (the 640 KiB hole only, the PCI hole,
 * RAM above 4 GiB).
 */
#include <minnow/e820.h>
#include <minnow/e820_apply.h>
#include <minnow/e820_plan.h>
#include <minnow/frame.h>
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include "test.h"
#include <arch/layout.h>
#include <arch/traps.h>

static bool va_mapped(xen_pfn_t pfn)
{
    uint64_t v;
    return safe_read_u64((const uint64_t *)pfn_to_virt(pfn), &v) == 0;
}

/* Probe i of n over [s, e): all of a small range, an even spread of a big one. */
#define MAX_PROBES 4096u
static xen_pfn_t probe(xen_pfn_t s, xen_pfn_t e, unsigned i, unsigned n)
{
    return n == 1 ? s : s + (e - s - 1) * i / (n - 1);
}

GUEST_TEST(e820_holes_are_identity, 0)
{
    const struct e820_plan *plan = mm_e820_plan();
    unsigned long probes = 0;

    TEST_ASSERT(plan->nr_identity > 0 || !is_initial_domain(), "dom0 map without holes?");
    for (unsigned i = 0; i < plan->nr_identity; i++) {
        xen_pfn_t s = plan->identity[i].start, e = plan->identity[i].end;
        unsigned n = e - s < MAX_PROBES ? e - s : MAX_PROBES;
        for (unsigned k = 0; k < n; k++) {
            xen_pfn_t p = probe(s, e, k, n);
            TEST_ASSERT(p2m_kind_of(p) == P2M_IDENTITY && pfn_to_mfn(p) == p,
                        "hole pfn %#lx is %s (%#lx)", (unsigned long)p,
                        p2m_kind_name(p2m_kind_of(p)), (unsigned long)p2m_get(p));
            TEST_ASSERT(!va_mapped(p), "hole pfn %#lx still mapped as RAM", (unsigned long)p);
            probes++;
        }
    }
    test_detail("%u ranges, %lu pfns probed, %lu pfns 1:1", plan->nr_identity, probes,
                (unsigned long)plan->identity_pages);
    return TEST_PASS;
}

GUEST_TEST(e820_no_page_lost, 0)
{
    const struct e820_plan *plan = mm_e820_plan();
    const struct e820_apply_result *res = mm_e820_result();
    uint64_t usable = 0;

    TEST_ASSERT(res->rc == 0, "applying the plan failed: rc=%d", res->rc);
    for (unsigned i = 0; i < plan->nr_usable; i++) {
        for (xen_pfn_t p = plan->usable[i].start; p < plan->usable[i].end; p++) {
            xen_pfn_t mfn = pfn_to_mfn(p);
            TEST_ASSERT(p2m_kind_of(p) == P2M_RAM, "usable pfn %#lx is %s",
                        (unsigned long)p, p2m_kind_name(p2m_kind_of(p)));
            TEST_ASSERT(mfn_to_pfn(mfn) == p, "m2p[%#lx] = %#lx, want %#lx",
                        (unsigned long)mfn, (unsigned long)mfn_to_pfn(mfn), (unsigned long)p);
            TEST_ASSERT(p == 0 || va_mapped(p), "usable pfn %#lx not mapped", (unsigned long)p);
            usable++;
        }
    }
    TEST_ASSERT(usable == mm_boot.nr_pages - res->released_pages,
                "usable %lu != %lu booted - %lu released", (unsigned long)usable,
                (unsigned long)mm_boot.nr_pages, (unsigned long)res->released_pages);
    TEST_ASSERT(res->moved_pages + res->released_pages + res->stuck_pages ==
                plan->moved_pages + plan->released_pages,
                "moved %lu + released %lu + stuck %lu != planned %lu + %lu",
                (unsigned long)res->moved_pages, (unsigned long)res->released_pages,
                (unsigned long)res->stuck_pages, (unsigned long)plan->moved_pages,
                (unsigned long)plan->released_pages);
    test_detail("pages before %lu, after %lu usable + %lu released (moved %lu)",
                (unsigned long)mm_boot.nr_pages, (unsigned long)usable,
                (unsigned long)res->released_pages, (unsigned long)res->moved_pages);
    return TEST_PASS;
}

GUEST_TEST(e820_moves_consistent, 0)
{
    const struct e820_plan *plan = mm_e820_plan();

    for (unsigned i = 0; i < plan->nr_moves; i++) {
        const struct e820_move *m = &plan->move[i];
        for (xen_pfn_t k = 0; k < m->nr; k++) {
            xen_pfn_t src = m->src + k, dst = m->dst + k;
            xen_pfn_t mfn = pfn_to_mfn(dst);
            TEST_ASSERT(p2m_kind_of(dst) == P2M_RAM, "dst %#lx is %s", (unsigned long)dst,
                        p2m_kind_name(p2m_kind_of(dst)));
            TEST_ASSERT(mfn_to_local_pfn(mfn) == dst, "m2p of dst %#lx", (unsigned long)dst);
            TEST_ASSERT(p2m_kind_of(src) == P2M_IDENTITY, "src %#lx is %s", (unsigned long)src,
                        p2m_kind_name(p2m_kind_of(src)));
            TEST_ASSERT(va_mapped(dst), "dst %#lx not mapped", (unsigned long)dst);
            TEST_ASSERT(!va_mapped(src), "src %#lx still mapped", (unsigned long)src);
        }
    }
    test_detail("%u moves, %lu pages", plan->nr_moves, (unsigned long)plan->moved_pages);
    return TEST_PASS;
}

/*
 * Take every free frame, fill it with a pattern derived from its pfn
 * (chaining the frames through their first word, so no memory is needed),
 * read every pattern back, give them all back.
 */
GUEST_TEST(e820_all_free_ram_holds_data, 0)
{
    const uint64_t end_of_chain = ~0UL;
    uint64_t head = end_of_chain, n = 0, before = frame_free_count();
    xen_pfn_t pfn;

    while (frame_alloc(&pfn) == 0) {
        uint64_t *page = pfn_to_virt(pfn);
        page[0] = head;
        page[1] = pfn * 0x9e3779b97f4a7c15ULL;
        page[511] = ~pfn;
        head = pfn;
        n++;
    }
    uint64_t bad = 0, first_bad = 0;
    for (uint64_t p = head; p != end_of_chain;) {
        uint64_t *page = pfn_to_virt(p);
        uint64_t next = page[0];
        if (page[1] != p * 0x9e3779b97f4a7c15ULL || page[511] != ~p) {
            if (!bad++)
                first_bad = p;
        }
        frame_free(p);
        p = next;
    }
    TEST_ASSERT(bad == 0, "%lu pages lost their pattern, first pfn %#lx", (unsigned long)bad,
                (unsigned long)first_bad);
    TEST_ASSERT(n == before && frame_free_count() == before, "allocated %lu of %lu free",
                (unsigned long)n, (unsigned long)before);
    test_detail("%lu pages (%lu MiB) written and read back", (unsigned long)n,
                (unsigned long)(n >> 8));
    return TEST_PASS;
}
