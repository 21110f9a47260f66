/*
 * State shared by the p2m's files (mm/p2m.c, mm/p2m_publish.c,
 * mm/p2m_check.c).  Not for other users: include <minnow/p2m.h>.
 *
 * Only pfns are kept: mfns are looked up when needed, because a restore
 * gives every page a new machine frame.
 */
#ifndef MINNOW_P2M_INTERNAL_H
#define MINNOW_P2M_INTERNAL_H

#include <arch/page.h>
#include <minnow/frame.h>
#include <minnow/p2m.h>

#define P2M_FL_TOP_ENTRIES  512UL   /* frame list list: 512 x 1 GiB */
#define P2M_FL_MAX_PFNS     (P2M_FL_TOP_ENTRIES * P2M_PFNS_PER_PTE_PAGE)

/* What one page-table entry of the p2m area points at. */
enum p2m_page {
    P2M_PAGE_NONE,              /* not present */
    P2M_PAGE_MISSING,           /* shared: missing leaf / PTE / PMD page */
    P2M_PAGE_IDENTITY,          /* shared: identity leaf / PTE page */
    P2M_PAGE_PRIVATE,           /* a page of this chunk alone */
};

struct p2m_state {
    bool ready;
    const struct frame_source *frames;  /* leaves, tables, frame list pages */
    uint32_t start_info_flags;  /* kept from boot: 0 in start_info after a restore */
    xen_pfn_t max_pfn;          /* published count */
    xen_pfn_t nr_l3;            /* L4 slots in use */

    /* Shared pages. */
    xen_pfn_t missing_leaf, identity_leaf;
    xen_pfn_t missing_pte, identity_pte;
    xen_pfn_t missing_pmd;

    /* Frame list list (only without SIF_VIRT_P2M_4TOOLS). */
    bool fll_active;
    xen_pfn_t fll_top, fll_missing_mid;
    xen_pfn_t fl_mid[P2M_FL_TOP_ENTRIES];   /* NO_FRAME: uses missing mid */

    unsigned int gen_depth;     /* nesting of p2m_gen_begin() */
    struct p2m_stats stats;
};

extern struct p2m_state p2m;

/* Virtual address of the leaf page holding pfn's entry. */
static inline uint64_t p2m_leaf_va(xen_pfn_t pfn)
{
    return p2m_table_va + (pfn / P2M_PER_PAGE) * PAGE_SIZE;
}

/* What pfn's level-`level` entry points at (p2m.h names the levels). */
enum p2m_page p2m_page_at(xen_pfn_t pfn, unsigned int level);

/* Odd while the p2m's mappings change (nestable). */
void p2m_gen_begin(void);
void p2m_gen_end(void);

/* Frame list list maintenance (mm/p2m_publish.c). */
int p2m_fll_build(void);
/* Before a leaf becomes private: make sure its frame-list page exists. */
int p2m_fll_reserve(xen_pfn_t leaf_index);
/* After a leaf changed: write its mfn into the frame list. */
void p2m_fll_leaf_changed(xen_pfn_t leaf_index);
/* A GiB with no private leaf left: back to the missing mid, its own freed. */
void p2m_fll_release(xen_pfn_t gib);
int p2m_publish(void);
void p2m_publish_max_pfn(void);

#endif
