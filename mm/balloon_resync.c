/*
 * The balloon after a restore or a live migration: make minnow's count and
 * Xen's agree again.  The other half of mm/balloon.c (its state is in
 * mm/balloon_internal.h); docs/suspend.md, "Pages ballooned out during a
 * live migration", says why the two can differ.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/memory.h>
#include <minnow/balloon.h>
#include <minnow/console.h>
#include <minnow/p2m.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>
#include "balloon_internal.h"

/*
 * Give back frames [0, n) of the batch (their pfns are in the balloon and
 * their p2m entries ~0 already).  Xen checks each is ours: one it refuses
 * is skipped and stays where it is.  Returns how many went.
 */
static unsigned int release_repopulated(unsigned int n)
{
    unsigned int i = 0, gone = 0;

    while (i < n) {
        long rc = balloon_reservation_op(XENMEM_decrease_reservation, &balloon_batch_mfn[i], n - i);
        unsigned int done;

        balloon.st.down_calls++;
        done = balloon_extents_done("decrease_reservation (repopulated)", rc, n - i);
        gone += done;
        i += done;
        if (i < n) {
            printk("balloon: Xen keeps mfn %#lx behind ballooned pfn %#lx\n",
                   (unsigned long)balloon_batch_mfn[i], (unsigned long)balloon_batch_pfn[i]);
            i++;
        }
    }
    return gone;
}

/*
 * Ballooned pfns whose p2m entry names a frame: the restore wrote one there
 * (its own pfn -> mfn list replaces the guest's p2m).  Trusted only when
 * Xen's m2p says the frame is at that pfn, as populate_physmap leaves it;
 * either way the entry goes back to ~0, as every ballooned pfn's is.
 */
static uint64_t reclaim_from_p2m(void)
{
    xen_pfn_t from = 0, pfns[64];
    uint64_t gone = 0;
    unsigned int got, n = 0;

    while ((got = pfn_set_collect(&balloon_pfns, from, pfns, 64)) > 0) {
        for (unsigned int k = 0; k < got; k++) {
            xen_pfn_t pfn = pfns[k], e = p2m_get(pfn);

            if (e == INVALID_P2M_ENTRY)
                continue;
            if (!p2m_try_set(pfn, INVALID_P2M_ENTRY)) {
                printk("balloon: ballooned pfn %#lx holds %#lx and cannot be cleared\n",
                       (unsigned long)pfn, (unsigned long)e);
                continue;
            }
            if ((e & P2M_FRAME_BITS) || mfn_to_pfn(e) != pfn) {
                printk("balloon: ballooned pfn %#lx held %#lx, which Xen's m2p does not "
                       "place there: cleared, not released\n",
                       (unsigned long)pfn, (unsigned long)e);
                continue;
            }
            balloon_batch_pfn[n] = pfn;
            balloon_batch_mfn[n++] = e;
            if (n == BALLOON_MAX_BATCH) {
                gone += release_repopulated(n);
                n = 0;
            }
        }
        from = pfns[got - 1] + 1;
    }
    return gone + release_repopulated(n);
}

int balloon_resync(void)
{
    long xen = balloon_current_reservation();
    uint64_t own = balloon.st.current_pages, gone;

    if (xen < 0)
        return xen;
    /*
     * A live migration copies memory while minnow runs.  A page ballooned
     * out after the tools sent it was populated on the receiving side, and
     * 4.17's restore never frees a pfn that a later round marks absent:
     * Xen counts it, minnow does not (docs/suspend.md, "Live migration").
     */
    gone = reclaim_from_p2m();
    if ((uint64_t)xen != own || gone) {
        long now = balloon_current_reservation();

        printk("balloon: after the resume Xen counted %ld pages, minnow %lu (%+ld); "
               "released %lu frames the restore had populated behind ballooned-out "
               "pfns; Xen now counts %ld%s\n",
               xen, (unsigned long)own, xen - (long)own, (unsigned long)gone, now,
               now == (long)own ? "" : ": still differs");
        balloon.st.repopulated += gone;
        if (now >= 0)
            xen = now;
    }
    balloon.st.current_pages = xen;
    balloon_note_current();
    return 0;
}
