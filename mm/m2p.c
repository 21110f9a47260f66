/*
 * Machine -> pseudo-physical lookups that only answer for frames of ours.
 *
 * Xen keeps one m2p table for the whole machine (mfn_to_pfn(), xen_mm.h):
 * m2p[mfn] is whatever pfn the owning domain last declared
 * (MMU_MACHPHYS_UPDATE) -- for a frame of another domain or an I/O frame
 * it means nothing to us.  So: the m2p first, then ask the p2m whether
 * the answer is really ours.
 *
 * A frame of another domain mapped here (drivers/xen/gntmap.c) has a pfn
 * of ours while mapped, which Xen's m2p cannot know: the m2p override
 * remembers it (Linux had the same idea, and the same name).  It is an
 * open-addressed hash table of (mfn, pfn) pairs, linear probing, spread
 * over pages from the p2m's frame source:
 *
 *   slot i  -->  page[i / 256], entry i % 256:  { mfn, pfn }   mfn ~0: empty
 *
 * It doubles when half full and holds at most OVERRIDE_MAX_SLOTS / 2
 * pairs.  One mfn may be mapped at several pfns (the same grant mapped
 * twice); a lookup answers one of them.  Entries are removed by pair,
 * with backward shifting so no tombstones build up.  Foreign mfns are the
 * only mfns minnow keeps: they do not change while mapped, and a save is
 * refused while anything is mapped (gntmap.h).
 */
#include <errno.h>
#include <stddef.h>
#include "p2m_internal.h"
#include <minnow/console.h>
#include <minnow/pt.h>
#include <minnow/xen_mm.h>

#define SLOTS_PER_PAGE      (PAGE_SIZE / sizeof(struct override_slot))
#define OVERRIDE_MAX_PAGES  1024u
#define OVERRIDE_MAX_SLOTS  (OVERRIDE_MAX_PAGES * SLOTS_PER_PAGE)   /* 256 Ki */

struct override_slot {
    xen_pfn_t mfn, pfn;
};

static struct {
    xen_pfn_t page[OVERRIDE_MAX_PAGES];
    unsigned int nr_pages;
    uint64_t slots;             /* nr_pages * SLOTS_PER_PAGE, a power of two */
    uint64_t count;
} ovr;

static struct override_slot *slot_at(uint64_t i)
{
    struct override_slot *page = xen_mm_page(ovr.page[i / SLOTS_PER_PAGE]);

    return &page[i % SLOTS_PER_PAGE];
}

static uint64_t hash_of(xen_pfn_t mfn)
{
    return (mfn * 0x9e3779b97f4a7c15UL) >> 17;
}

static void put_pages(const xen_pfn_t *pages, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        p2m.frames->free(pages[i]);
}

static void insert(xen_pfn_t mfn, xen_pfn_t pfn)
{
    uint64_t i = hash_of(mfn) & (ovr.slots - 1);

    while (slot_at(i)->mfn != NO_FRAME)
        i = (i + 1) & (ovr.slots - 1);
    *slot_at(i) = (struct override_slot){ mfn, pfn };
}

/* Twice the slots (or the first page): 0, or -ENOMEM with nothing changed. */
static int grow(void)
{
    unsigned int n = ovr.nr_pages ? ovr.nr_pages * 2 : 1;
    xen_pfn_t old[OVERRIDE_MAX_PAGES];
    unsigned int old_n = ovr.nr_pages;
    uint64_t old_slots = ovr.slots;

    if (n > OVERRIDE_MAX_PAGES) {
        printk("m2p: override full (%lu foreign frames mapped)\n",
               (unsigned long)ovr.count);
        return -ENOSPC;
    }
    for (unsigned int i = 0; i < old_n; i++)
        old[i] = ovr.page[i];
    for (unsigned int i = 0; i < n; i++) {
        if (p2m.frames->alloc(&ovr.page[i])) {
            printk("m2p: no frame to grow the override to %u pages\n", n);
            put_pages(ovr.page, i);
            for (unsigned int j = 0; j < old_n; j++)
                ovr.page[j] = old[j];
            return -ENOMEM;
        }
        struct override_slot *s = xen_mm_page(ovr.page[i]);
        for (unsigned int k = 0; k < SLOTS_PER_PAGE; k++)
            s[k].mfn = s[k].pfn = NO_FRAME;
    }
    ovr.nr_pages = n;
    ovr.slots = (uint64_t)n * SLOTS_PER_PAGE;
    for (uint64_t i = 0; i < old_slots; i++) {
        const struct override_slot *s =
            (const struct override_slot *)xen_mm_page(old[i / SLOTS_PER_PAGE]) +
            i % SLOTS_PER_PAGE;
        if (s->mfn != NO_FRAME)
            insert(s->mfn, s->pfn);
    }
    put_pages(old, old_n);
    return 0;
}

int m2p_override_add(xen_pfn_t mfn, xen_pfn_t pfn)
{
    int rc;

    if (mfn == NO_FRAME || pfn == NO_FRAME)
        return -EINVAL;
    if ((ovr.count + 1) * 2 > ovr.slots && (rc = grow()) != 0)
        return rc;
    insert(mfn, pfn);
    ovr.count++;
    return 0;
}

int m2p_override_remove(xen_pfn_t mfn, xen_pfn_t pfn)
{
    uint64_t mask = ovr.slots - 1, i, j;

    if (!ovr.slots)
        return -ENOENT;
    for (i = hash_of(mfn) & mask; slot_at(i)->mfn != NO_FRAME; i = (i + 1) & mask)
        if (slot_at(i)->mfn == mfn && slot_at(i)->pfn == pfn)
            break;
    if (slot_at(i)->mfn == NO_FRAME)
        return -ENOENT;
    /* Backward shift: pull later members of the probe run into the hole. */
    for (j = (i + 1) & mask; slot_at(j)->mfn != NO_FRAME; j = (j + 1) & mask) {
        uint64_t home = hash_of(slot_at(j)->mfn) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            *slot_at(i) = *slot_at(j);
            i = j;
        }
    }
    slot_at(i)->mfn = slot_at(i)->pfn = NO_FRAME;
    ovr.count--;
    if (ovr.count == 0) {           /* nothing mapped: give the pages back */
        put_pages(ovr.page, ovr.nr_pages);
        ovr.nr_pages = 0;
        ovr.slots = 0;
    }
    return 0;
}

xen_pfn_t m2p_override_lookup(xen_pfn_t mfn)
{
    uint64_t mask = ovr.slots - 1;

    if (!ovr.slots)
        return NO_FRAME;
    for (uint64_t i = hash_of(mfn) & mask; slot_at(i)->mfn != NO_FRAME; i = (i + 1) & mask)
        if (slot_at(i)->mfn == mfn)
            return slot_at(i)->pfn;
    return NO_FRAME;
}

void m2p_override_get_stats(struct m2p_override_stats *out)
{
    out->entries = ovr.count;
    out->pages = ovr.nr_pages;
}

void m2p_override_reset(void)
{
    ovr.nr_pages = 0;
    ovr.slots = 0;
    ovr.count = 0;
}

xen_pfn_t mfn_to_local_pfn(xen_pfn_t mfn)
{
    xen_pfn_t pfn = mfn_to_pfn(mfn);

    /* The raw entry must match: a foreign entry carries FOREIGN_FRAME_BIT. */
    if (pfn != NO_FRAME && p2m_get(pfn) == mfn)
        return pfn;
    /* Another domain's frame mapped here: Xen's m2p names the owner's pfn. */
    pfn = m2p_override_lookup(mfn);
    if (pfn != NO_FRAME && p2m_get(pfn) == FOREIGN_FRAME(mfn))
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

    if (pfn == NO_FRAME || p2m_get(pfn) != mfn)
        return NULL;
    if (pt_lookup(pt_directmap_va(pfn), &pte) || !(pte & PTE_PRESENT) ||
        pte_mfn(pte) != mfn)
        return NULL;
    return xen_mm_page(pfn);
}
