/*
 * Publishing the p2m in shared_info for the toolstack (save, restore,
 * migration, dump-core), and the 3-level frame list for tools that cannot
 * read a linear p2m.
 *
 * shared_info->arch:
 *   max_pfn            a COUNT: the tools read ceil(max_pfn / 512) leaves
 *   p2m_vaddr          p2m_table_va
 *   p2m_generation     odd while the mappings change (mm/p2m.c)
 *   pfn_to_mfn_frame_list_list
 *                      ~0 with SIF_VIRT_P2M_4TOOLS, else the tree below
 *   p2m_cr3            mfn of the L4 << 12, written LAST: it says "the
 *                      other fields are valid"
 *
 * The frame list (only without SIF_VIRT_P2M_4TOOLS, i.e. dom0 or old tools):
 *
 *   fll_top  [512 mfns] --> mid page [512 mfns] --> leaf page [512 entries]
 *            1 entry = 1 GiB      1 entry = 2 MiB of pfn space
 *
 * A GiB with no private leaf points at one shared "missing mid" page whose
 * entries all name the missing leaf; identity chunks are also listed as
 * the missing leaf (both hold only ~0, which is all the tools see).  The
 * tree covers at most 512 GiB of pfns; beyond that the field becomes ~0.
 */
#include <errno.h>
#include <string.h>
#include <arch/barrier.h>
#include "p2m_internal.h"
#include <minnow/pt.h>
#include <minnow/console.h>

/* Entry i of the frame-list page at pfn `page` := mfn, in one store: the
 * tools may be reading it. */
static void store_mfn(xen_pfn_t page, xen_pfn_t i, xen_pfn_t mfn)
{
    xen_pfn_t *entries = xen_mm_page(page);

    __atomic_store_n(&entries[i], mfn, __ATOMIC_RELAXED);
}

/* What the frame list names for leaf k: its own page, or the missing leaf. */
static xen_pfn_t fl_leaf_mfn(xen_pfn_t k)
{
    uint64_t e;
    xen_pfn_t missing = pfn_to_mfn(p2m.missing_leaf);

    if (pt_get_entry(p2m_leaf_va(k * P2M_PER_PAGE), 1, &e) || !(e & PTE_PRESENT))
        return missing;
    if (pte_mfn(e) == pfn_to_mfn(p2m.identity_leaf))
        return missing;
    return pte_mfn(e);
}

static bool gib_has_private_leaf(xen_pfn_t gib)
{
    xen_pfn_t first = gib * P2M_PFNS_PER_PTE_PAGE;

    if (first >= p2m_table_limit || p2m_page_at(first, 2) != P2M_PAGE_PRIVATE)
        return false;
    for (xen_pfn_t k = 0; k < P2M_PER_PAGE; k++)
        if (p2m_page_at(first + k * P2M_PER_PAGE, 1) == P2M_PAGE_PRIVATE)
            return true;
    return false;
}

static int new_mid(xen_pfn_t gib)
{
    xen_pfn_t pfn, missing = pfn_to_mfn(p2m.missing_leaf), *entries;
    int rc = p2m.frames->alloc(&pfn);

    if (rc) {
        printk("p2m: no free frame for a frame-list page (rc %d)\n", rc);
        return rc;
    }
    entries = xen_mm_page(pfn);
    for (unsigned int i = 0; i < P2M_PER_PAGE; i++)
        entries[i] = missing;
    p2m.fl_mid[gib] = pfn;
    p2m.stats.fl_pages++;
    return 0;
}

int p2m_fll_reserve(xen_pfn_t leaf_index)
{
    xen_pfn_t gib = leaf_index / P2M_PER_PAGE;
    int rc;

    if (!p2m.fll_active || gib >= P2M_FL_TOP_ENTRIES ||
        p2m.fl_mid[gib] != NO_FRAME)
        return 0;
    rc = new_mid(gib);
    if (rc)
        return rc;
    smp_wmb();      /* the page is complete before the tools can find it */
    store_mfn(p2m.fll_top, gib, pfn_to_mfn(p2m.fl_mid[gib]));
    return 0;
}

void p2m_fll_leaf_changed(xen_pfn_t leaf_index)
{
    xen_pfn_t gib = leaf_index / P2M_PER_PAGE;

    if (!p2m.fll_active || gib >= P2M_FL_TOP_ENTRIES ||
        p2m.fl_mid[gib] == NO_FRAME)
        return;
    store_mfn(p2m.fl_mid[gib], leaf_index % P2M_PER_PAGE, fl_leaf_mfn(leaf_index));
}

/*
 * GiB gib has no private leaf any more (it became wholly 1:1): the top
 * names the missing mid again and its own mid is freed.  Both list only
 * the missing leaf by now, so a tool reading either sees the same.
 */
void p2m_fll_release(xen_pfn_t gib)
{
    xen_pfn_t mid;

    if (!p2m.fll_active || gib >= P2M_FL_TOP_ENTRIES || p2m.fl_mid[gib] == NO_FRAME)
        return;
    mid = p2m.fl_mid[gib];
    store_mfn(p2m.fll_top, gib, pfn_to_mfn(p2m.fll_missing_mid));
    p2m.fl_mid[gib] = NO_FRAME;
    smp_wmb();      /* unlinked before the page can be reused */
    p2m.frames->free(mid);
    p2m.stats.fl_pages--;
}

/* (Re)write the whole tree from the page tables; mids allocated as needed. */
int p2m_fll_build(void)
{
    xen_pfn_t missing;
    int rc;

    if (p2m.fll_top == NO_FRAME) {
        rc = p2m.frames->alloc(&p2m.fll_top);
        if (rc == 0) {
            rc = p2m.frames->alloc(&p2m.fll_missing_mid);
            if (rc)
                p2m.frames->free(p2m.fll_top);
        }
        if (rc) {
            p2m.fll_top = p2m.fll_missing_mid = NO_FRAME;
            printk("p2m: no free frame for the frame list list (rc %d)\n", rc);
            return rc;
        }
        p2m.stats.fl_pages += 2;
    }
    missing = pfn_to_mfn(p2m.missing_leaf);
    for (unsigned int i = 0; i < P2M_PER_PAGE; i++)
        store_mfn(p2m.fll_missing_mid, i, missing);
    for (xen_pfn_t gib = 0; gib < P2M_FL_TOP_ENTRIES; gib++) {
        if (p2m.fl_mid[gib] == NO_FRAME && gib_has_private_leaf(gib)) {
            rc = new_mid(gib);
            if (rc)
                return rc;
        }
        if (p2m.fl_mid[gib] != NO_FRAME)
            for (xen_pfn_t k = 0; k < P2M_PER_PAGE; k++)
                store_mfn(p2m.fl_mid[gib], k, fl_leaf_mfn(gib * P2M_PER_PAGE + k));
    }
    smp_wmb();
    for (xen_pfn_t gib = 0; gib < P2M_FL_TOP_ENTRIES; gib++) {
        xen_pfn_t mid = p2m.fl_mid[gib] != NO_FRAME ? p2m.fl_mid[gib]
                                                    : p2m.fll_missing_mid;
        store_mfn(p2m.fll_top, gib, pfn_to_mfn(mid));
    }
    return 0;
}

/* The frame-list-list field for the current max_pfn. */
static xen_pfn_t fll_field(void)
{
    if (!p2m.fll_active || p2m.fll_top == NO_FRAME ||
        p2m.max_pfn > P2M_FL_MAX_PFNS)
        return NO_FRAME;
    return pfn_to_mfn(p2m.fll_top);
}

void p2m_publish_max_pfn(void)
{
    struct arch_shared_info *a = xen_arch_shared_info();

    if (p2m.fll_active && p2m.max_pfn > P2M_FL_MAX_PFNS &&
        a->pfn_to_mfn_frame_list_list != NO_FRAME)
        printk("p2m: %#lx pfns exceed the 512 GiB frame list; tools without "
               "SIF_VIRT_P2M_4TOOLS cannot save this domain any more\n",
               (unsigned long)p2m.max_pfn);
    a->pfn_to_mfn_frame_list_list = fll_field();
    smp_wmb();
    a->max_pfn = p2m.max_pfn;
}

int p2m_publish(void)
{
    volatile struct arch_shared_info *a = xen_arch_shared_info();
    int rc = 0;

    /* A restored domain inherits a stale p2m_cr3: withdraw it first. */
    a->p2m_cr3 = 0;
    smp_wmb();
    a->max_pfn = p2m.max_pfn;
    a->p2m_vaddr = p2m_table_va;
    p2m.fll_active = !(p2m.start_info_flags & SIF_VIRT_P2M_4TOOLS);
    if (p2m.fll_active)
        rc = p2m_fll_build();
    a->pfn_to_mfn_frame_list_list = rc ? NO_FRAME : fll_field();
    smp_wmb();
    a->p2m_cr3 = xen_pfn_to_cr3(pt_root_mfn());
    return rc;
}

int p2m_republish(void)
{
    int rc;

    if (!p2m.ready) {
        printk("p2m: nothing to republish before p2m_init()\n");
        return -EINVAL;
    }
    p2m_gen_begin();
    rc = p2m_publish();
    p2m_gen_end();
    if (rc)
        printk("p2m: republishing failed (rc %d)\n", rc);
    return rc;
}
