/*
 * Machine -> pseudo-physical lookups through Xen's read-only m2p table.
 *
 * Xen keeps one table for the whole machine: m2p[mfn] is whatever pfn the
 * owning domain last declared (MMU_MACHPHYS_UPDATE) -- for a frame of
 * another domain or an I/O frame it means nothing to us, and past the
 * largest mfn Xen can look up the table is not even mapped.  So: bounds
 * first (mm_env_m2p), then ask the p2m whether the answer is really ours.
 */
#include <minnow/p2m.h>
#include <minnow/mm_env.h>

xen_pfn_t mfn_to_pfn(xen_pfn_t mfn)
{
    return mm_env_m2p(mfn);
}

xen_pfn_t mfn_to_local_pfn(xen_pfn_t mfn)
{
    xen_pfn_t pfn = mm_env_m2p(mfn);

    /* The raw entry must match: a foreign entry carries FOREIGN_FRAME_BIT. */
    if (pfn != INVALID_P2M_ENTRY && p2m_get(pfn) == mfn)
        return pfn;
    /* An I/O frame of a 1:1 region (dom0) is its own pfn. */
    if (p2m_get(mfn) == IDENTITY_FRAME(mfn))
        return mfn;
    return INVALID_P2M_ENTRY;
}
