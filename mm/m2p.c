/*
 * Machine -> pseudo-physical lookups that only answer for frames of ours.
 *
 * Xen keeps one m2p table for the whole machine (mfn_to_pfn(), xen_mm.h):
 * m2p[mfn] is whatever pfn the owning domain last declared
 * (MMU_MACHPHYS_UPDATE) -- for a frame of another domain or an I/O frame
 * it means nothing to us.  So: the m2p first, then ask the p2m whether
 * the answer is really ours.
 */
#include <stddef.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include <minnow/xen_mm.h>

xen_pfn_t mfn_to_local_pfn(xen_pfn_t mfn)
{
    xen_pfn_t pfn = mfn_to_pfn(mfn);

    /* The raw entry must match: a foreign entry carries FOREIGN_FRAME_BIT. */
    if (pfn != NO_FRAME && p2m_get(pfn) == mfn)
        return pfn;
    /*
     * An I/O frame of a 1:1 region (dom0's E820 holes) is its own pfn --
     * only inside the table, where 1:1 was set on purpose.  Beyond it
     * every pfn reads 1:1 by rule, which says nothing about an mfn.
     */
    if (mfn < p2m_table_limit && p2m_get(mfn) == IDENTITY_FRAME(mfn))
        return mfn;
    return NO_FRAME;
}

/*
 * A frame of ours is one whose m2p pfn maps back to it in the p2m and
 * whose direct-map page is present and is that frame: then the page is
 * what a toolstack reads when it maps the mfn.
 */
const void *mfn_to_local_page(xen_pfn_t mfn)
{
    xen_pfn_t pfn = mfn_to_pfn(mfn);
    uint64_t pte;

    if (pfn == NO_FRAME || pfn_to_mfn(pfn) != mfn)
        return NULL;
    if (pt_lookup(pt_directmap_va(pfn), &pte) || !(pte & PTE_PRESENT) ||
        pte_mfn(pte) != mfn)
        return NULL;
    return xen_mm_page(pfn);
}
