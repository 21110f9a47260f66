/*
 * The linear p2m: build, lookups, updates (docs/p2m.md has the picture).
 *
 *   p2m_table_va + pfn * 8 --(4 KiB pages)--> entry for pfn
 *
 * (include/minnow/p2m.h draws the pages that map it and names their
 * levels.)  Uniform chunks point at shared read-only pages instead of
 * pages of their own: a missing 2 MiB chunk is one level-1 entry -> the
 * missing leaf, a missing 1 GiB chunk one level-2 entry -> the missing PTE
 * page (all of whose entries point at the missing leaf), a missing
 * 512 GiB chunk one level-3 entry -> the missing PMD page.  The identity leaf and identity PTE page do the same for 1:1
 * chunks.  Writing into a shared chunk first gives it private copies
 * ("privatising"), top-down, each a copy of what it replaces, so a reader
 * walking the tables concurrently always sees a consistent p2m.
 */
#include <errno.h>
#include <string.h>
#include <arch/barrier.h>
#include "p2m_internal.h"
#include <minnow/pt.h>
#include <minnow/console.h>

#define LEAF_RO     PTE_KERNEL_RO
#define LEAF_RW     PTE_KERNEL_RW
#define L4_SPAN     (1UL << 39)         /* va one L4 slot maps */

struct p2m_state p2m;
uint64_t p2m_table_va;
xen_pfn_t p2m_table_limit;

static inline void entry_store(xen_pfn_t pfn, xen_pfn_t val)
{
#ifdef MINNOW_HOST_TEST
    xen_mm_store64(p2m_table_va + pfn * sizeof(xen_pfn_t), val);
#else
    __atomic_store_n((xen_pfn_t *)p2m_table_va + pfn, val, __ATOMIC_RELAXED);
#endif
}

/*
 * Xen's list (start_info mfn_list, nr_pages) answers lookups until
 * p2m_init() has built minnow's own p2m from it.  Its flags are kept for
 * publishing: start_info's flags read 0 after a restore.
 */
static struct {
    const xen_pfn_t *mfns;
    xen_pfn_t nr;
    uint32_t start_info_flags;
} xen_list;

void p2m_use_boot_list(const start_info_t *si)
{
    xen_list.mfns = (const xen_pfn_t *)si->mfn_list;
    xen_list.nr = si->nr_pages;
    xen_list.start_info_flags = si->flags;
}

bool p2m_ready(void)
{
    return p2m.ready;
}

xen_pfn_t p2m_max_pfn(void)
{
    return p2m.max_pfn;
}

/* ---- generation counter --------------------------------------------------- */

/*
 * The toolstack reads the p2m while the guest runs (live migration) and
 * must know when the mappings moved under it: +1 before a change (odd =
 * in progress), +1 after.  Entry values themselves change by atomic
 * stores and need no bump.
 */
void p2m_gen_begin(void)
{
    if (p2m.gen_depth++ == 0) {
        volatile unsigned long *gen = &xen_arch_shared_info()->p2m_generation;
        *gen = *gen + 1;
        smp_wmb();
    }
}

void p2m_gen_end(void)
{
    if (--p2m.gen_depth == 0) {
        volatile unsigned long *gen = &xen_arch_shared_info()->p2m_generation;
        smp_wmb();
        *gen = *gen + 1;
    }
}

/* ---- pages ------------------------------------------------------------------- */

/* A data page (leaf, frame list page): allocated, still writable. */
static int data_page_alloc(xen_pfn_t *pfn, const char *what)
{
    int rc = p2m.frames->alloc(pfn);

    if (rc)
        printk("p2m: no free frame for a %s (rc %d)\n", what, rc);
    return rc;
}

static void fill_invalid(xen_pfn_t pfn)
{
    xen_pfn_t *page = xen_mm_page(pfn);

    for (unsigned int i = 0; i < P2M_PER_PAGE; i++)
        page[i] = INVALID_P2M_ENTRY;
}

static void fill_identity(xen_pfn_t pfn, xen_pfn_t first)
{
    xen_pfn_t *page = xen_mm_page(pfn);

    for (unsigned int i = 0; i < P2M_PER_PAGE; i++)
        page[i] = IDENTITY_FRAME(first + i);
}

enum p2m_page p2m_page_at(xen_pfn_t pfn, unsigned int level)
{
    uint64_t e;
    xen_pfn_t m;

    if (pt_get_entry(p2m_leaf_va(pfn), level, &e) || !(e & PTE_PRESENT))
        return P2M_PAGE_NONE;
    m = pte_mfn(e);
    switch (level) {
    case 1:
        if (m == pfn_to_mfn(p2m.missing_leaf))
            return P2M_PAGE_MISSING;
        if (m == pfn_to_mfn(p2m.identity_leaf))
            return P2M_PAGE_IDENTITY;
        break;
    case 2:
        if (m == pfn_to_mfn(p2m.missing_pte))
            return P2M_PAGE_MISSING;
        if (m == pfn_to_mfn(p2m.identity_pte))
            return P2M_PAGE_IDENTITY;
        break;
    case 3:
        if (m == pfn_to_mfn(p2m.missing_pmd))
            return P2M_PAGE_MISSING;
        break;
    }
    return P2M_PAGE_PRIVATE;
}

/*
 * Give pfn's chunk a page of its own where its level-`level` entry points,
 * a copy of the shared page it replaces.  Upper levels must be private.
 */
static int make_private(xen_pfn_t pfn, unsigned int level)
{
    enum p2m_page kind = p2m_page_at(pfn, level);
    uint64_t va = p2m_leaf_va(pfn);
    xen_pfn_t fresh;
    int rc;

    if (kind == P2M_PAGE_PRIVATE)
        return 0;
    if (kind == P2M_PAGE_NONE) {
        printk("p2m: no level %u mapping for pfn %#lx\n", level, (unsigned long)pfn);
        return -EFAULT;
    }
    switch (level) {
    case 3:
        rc = pt_table_alloc(&fresh, pte_make(pfn_to_mfn(p2m.missing_pte), PTE_TABLE));
        if (rc)
            return rc;
        rc = pt_set_entry(va, 3, pte_make(pfn_to_mfn(fresh), PTE_TABLE),
                          PT_ALLOW_REPLACE_TABLE);
        if (rc) {
            pt_table_free(fresh);
            return rc;
        }
        p2m.stats.pmd_pages++;
        return 0;
    case 2: {
        xen_pfn_t leaf = kind == P2M_PAGE_IDENTITY ? p2m.identity_leaf
                                                   : p2m.missing_leaf;
        rc = pt_table_alloc(&fresh, pte_make(pfn_to_mfn(leaf), LEAF_RO));
        if (rc)
            return rc;
        rc = pt_set_entry(va, 2, pte_make(pfn_to_mfn(fresh), PTE_TABLE),
                          PT_ALLOW_REPLACE_TABLE);
        if (rc) {
            pt_table_free(fresh);
            return rc;
        }
        p2m.stats.pte_pages++;
        return 0;
    }
    default:
        rc = p2m_fll_reserve(pfn / P2M_PER_PAGE);
        if (rc)
            return rc;
        rc = data_page_alloc(&fresh, "p2m leaf");
        if (rc)
            return rc;
        if (kind == P2M_PAGE_IDENTITY)
            fill_identity(fresh, pfn & ~(P2M_PER_PAGE - 1));
        else
            fill_invalid(fresh);
        smp_wmb();
        rc = pt_set_entry(va, 1, pte_make(pfn_to_mfn(fresh), LEAF_RW),
                          PT_ALLOW_CHANGE_LIVE);
        if (rc) {
            p2m.frames->free(fresh);
            return rc;
        }
        p2m.stats.leaves++;
        p2m_fll_leaf_changed(pfn / P2M_PER_PAGE);
        return 0;
    }
}

static int alloc_leaf(xen_pfn_t pfn)
{
    int rc;

    p2m_gen_begin();
    rc = make_private(pfn, 3);
    if (rc == 0)
        rc = make_private(pfn, 2);
    if (rc == 0)
        rc = make_private(pfn, 1);
    p2m_gen_end();
    return rc;
}

/* ---- lookups ---------------------------------------------------------------- */

xen_pfn_t p2m_lookup_slow(xen_pfn_t pfn)
{
    xen_pfn_t e;

    if (!p2m.ready)
        return pfn < xen_list.nr ? xen_list.mfns[pfn] : INVALID_P2M_ENTRY;
    if (pfn >= p2m_table_limit) {
        /*
         * Beyond what the p2m covers nothing can be RAM: treat it as 1:1 (as
         * Linux does), up to the largest pfn x86 can address.
         */
        return pfn < P2M_MAX_ARCH_PFN ? IDENTITY_FRAME(pfn) : INVALID_P2M_ENTRY;
    }
    e = p2m_entry_load(pfn);
    if (e != INVALID_P2M_ENTRY)
        return e;
    return p2m_page_at(pfn, 1) == P2M_PAGE_IDENTITY ? IDENTITY_FRAME(pfn)
                                                    : INVALID_P2M_ENTRY;
}

enum p2m_kind p2m_kind_of(xen_pfn_t pfn)
{
    xen_pfn_t e = p2m_get(pfn);

    if (e == INVALID_P2M_ENTRY)
        return P2M_MISSING;
    if (e & IDENTITY_FRAME_BIT)
        return P2M_IDENTITY;
    if (e & FOREIGN_FRAME_BIT)
        return P2M_FOREIGN;
    return P2M_RAM;
}

const char *p2m_kind_name(enum p2m_kind kind)
{
    static const char *const names[] = { "missing", "ram", "identity", "foreign" };

    return kind <= P2M_FOREIGN ? names[kind] : "?";
}

/* The pfns pfn's shared leaf stands for: its 2 MiB, or the whole 1 GiB
 * or 512 GiB chunk when the pages above are shared of the same kind. */
static xen_pfn_t shared_span(xen_pfn_t pfn, enum p2m_page kind)
{
    if (p2m_page_at(pfn, 2) != kind)
        return P2M_PER_PAGE;
    if (kind == P2M_PAGE_MISSING && p2m_page_at(pfn, 3) == P2M_PAGE_MISSING)
        return P2M_PFNS_PER_PMD_PAGE;
    return P2M_PFNS_PER_PTE_PAGE;
}

xen_pfn_t p2m_find_missing(xen_pfn_t pfn, xen_pfn_t end, xen_pfn_t *run_end)
{
    if (!p2m.ready)
        end = pfn;                  /* no p2m, nothing to search */
    else if (end > p2m_table_limit)
        end = p2m_table_limit;      /* beyond the table everything is 1:1 */
    while (pfn < end) {
        enum p2m_page kind = p2m_page_at(pfn, 1);
        xen_pfn_t span = kind == P2M_PAGE_MISSING || kind == P2M_PAGE_IDENTITY
                         ? shared_span(pfn, kind) : P2M_PER_PAGE;
        xen_pfn_t chunk_end = pfn - pfn % span + span;

        if (chunk_end > end)
            chunk_end = end;
        if (kind == P2M_PAGE_MISSING) {
            *run_end = chunk_end;
            return pfn;
        }
        if (kind == P2M_PAGE_PRIVATE) {
            /* A private leaf stores 1:1 as IDENTITY_FRAME(pfn): ~0 is missing. */
            while (pfn < chunk_end && p2m_entry_load(pfn) != INVALID_P2M_ENTRY)
                pfn++;
            if (pfn < chunk_end) {
                xen_pfn_t e = pfn + 1;

                while (e < chunk_end && p2m_entry_load(e) == INVALID_P2M_ENTRY)
                    e++;
                *run_end = e;
                return pfn;
            }
        }
        pfn = chunk_end;
    }
    *run_end = end;
    return end;
}

/* ---- updates ----------------------------------------------------------------- */

/* A frame stored at or above max_pfn makes the p2m longer. */
static void grow(xen_pfn_t pfn, xen_pfn_t mfn)
{
    if (pfn < p2m.max_pfn || mfn == INVALID_P2M_ENTRY || (mfn & IDENTITY_FRAME_BIT))
        return;
    p2m_gen_begin();
    p2m.max_pfn = pfn + 1;
    p2m_publish_max_pfn();
    p2m_gen_end();
}

bool p2m_try_set(xen_pfn_t pfn, xen_pfn_t mfn)
{
    if (!p2m.ready)
        return false;
    if (pfn >= p2m_table_limit)
        return mfn == INVALID_P2M_ENTRY;
    if (p2m_entry_load(pfn) == INVALID_P2M_ENTRY) {
        switch (p2m_page_at(pfn, 1)) {
        case P2M_PAGE_PRIVATE:
            break;
        case P2M_PAGE_MISSING:
            return mfn == INVALID_P2M_ENTRY;
        case P2M_PAGE_IDENTITY:
            return mfn == IDENTITY_FRAME(pfn);
        default:
            return false;
        }
    }
    entry_store(pfn, mfn);
    grow(pfn, mfn);
    return true;
}

int p2m_set(xen_pfn_t pfn, xen_pfn_t mfn)
{
    int rc;

    if (!p2m.ready) {
        printk("p2m: p2m_set(%#lx) before p2m_init()\n", (unsigned long)pfn);
        return -EINVAL;
    }
    if (pfn >= p2m_table_limit) {
        if (mfn == INVALID_P2M_ENTRY)
            return 0;
        printk("p2m: pfn %#lx is beyond the p2m's %#lx pfns (raise the reserve)\n",
               (unsigned long)pfn, (unsigned long)p2m_table_limit);
        return -ERANGE;
    }
    if (p2m_try_set(pfn, mfn))
        return 0;
    rc = alloc_leaf(pfn);
    if (rc) {
        printk("p2m: cannot set pfn %#lx -> %#lx: no page for it (rc %d); "
               "entry unchanged\n", (unsigned long)pfn, (unsigned long)mfn, rc);
        return rc;
    }
    if (!p2m_try_set(pfn, mfn)) {
        printk("p2m: pfn %#lx still shared after privatising\n", (unsigned long)pfn);
        return -EFAULT;
    }
    return 0;
}

int p2m_set_foreign(xen_pfn_t pfn, xen_pfn_t mfn)
{
    int rc;

    if (mfn == INVALID_P2M_ENTRY || (mfn & P2M_FRAME_BITS) || mfn >= P2M_MAX_ARCH_PFN) {
        printk("p2m: %#lx is no foreign mfn\n", (unsigned long)mfn);
        return -EINVAL;
    }
    if (p2m_kind_of(pfn) != P2M_MISSING) {
        printk("p2m: pfn %#lx is %s, not missing: no foreign frame there\n",
               (unsigned long)pfn, p2m_kind_name(p2m_kind_of(pfn)));
        return -EEXIST;
    }
    /* Override first: a reader that finds the entry finds the override too. */
    rc = m2p_override_add(mfn, pfn);
    if (rc)
        return rc;
    rc = p2m_set(pfn, FOREIGN_FRAME(mfn));
    if (rc)
        m2p_override_remove(mfn, pfn);
    return rc;
}

int p2m_clear_foreign(xen_pfn_t pfn)
{
    xen_pfn_t e = p2m_get(pfn);

    if (e == INVALID_P2M_ENTRY || (e & P2M_FRAME_BITS) != FOREIGN_FRAME_BIT) {
        printk("p2m: pfn %#lx holds no foreign frame (%#lx)\n", (unsigned long)pfn,
               (unsigned long)e);
        return -EINVAL;
    }
    /* A foreign entry sits in a private leaf: storing ~0 never allocates. */
    if (!p2m_try_set(pfn, INVALID_P2M_ENTRY))
        return -EFAULT;
    m2p_override_remove(e & ~P2M_FRAME_BITS, pfn);
    return 0;
}

/* Point a whole 2 MiB chunk at the identity leaf; free a private leaf. */
static int identity_leaf_chunk(xen_pfn_t pfn)
{
    uint64_t va = p2m_leaf_va(pfn), old;
    enum p2m_page kind = p2m_page_at(pfn, 1);
    int rc;

    if (kind == P2M_PAGE_IDENTITY)
        return 0;
    rc = make_private(pfn, 3);
    if (rc == 0)
        rc = make_private(pfn, 2);
    if (rc == 0)
        rc = pt_get_entry(va, 1, &old);
    if (rc == 0)
        rc = pt_set_entry(va, 1, pte_make(pfn_to_mfn(p2m.identity_leaf), LEAF_RO),
                          PT_ALLOW_CHANGE_LIVE);
    if (rc)
        return rc;
    if (kind == P2M_PAGE_PRIVATE) {
        /* Unmapped from the p2m and flushed by pt_set_entry(): free it. */
        p2m.frames->free(mfn_to_pfn(pte_mfn(old)));
        p2m.stats.leaves--;
    }
    p2m_fll_leaf_changed(pfn / P2M_PER_PAGE);
    return 0;
}

/*
 * The GiB at pfn is wholly 1:1 once its 512 level-1 entries all point at
 * the identity leaf: then its PTE page gives way to the shared identity
 * PTE page and goes back to the frame allocator, with its frame-list mid
 * (the 1 GiB twin of identity_leaf_chunk() freeing a leaf).  Nothing
 * else refers to the page: entries are read through the mapping, which
 * looks the same before and after (every walk ends in the identity leaf).
 */
static int identity_gib_release(xen_pfn_t pfn)
{
    uint64_t va = p2m_leaf_va(pfn), old;
    int rc;

    if (p2m_page_at(pfn, 2) != P2M_PAGE_PRIVATE)
        return 0;
    for (xen_pfn_t c = 0; c < P2M_PFNS_PER_PTE_PAGE; c += P2M_PER_PAGE)
        if (p2m_page_at(pfn + c, 1) != P2M_PAGE_IDENTITY)
            return 0;
    rc = pt_get_entry(va, 2, &old);
    if (rc == 0)
        rc = pt_set_entry(va, 2, pte_make(pfn_to_mfn(p2m.identity_pte), PTE_TABLE),
                          PT_ALLOW_REPLACE_TABLE);
    if (rc)
        return rc;
    /* Unlinked and flushed by pt_set_entry(); a failure here is printed
     * and costs the page, not the p2m. */
    pt_table_free(mfn_to_pfn(pte_mfn(old)));
    p2m.stats.pte_pages--;
    p2m_fll_release(pfn / P2M_PFNS_PER_PTE_PAGE);
    return 0;
}

/* A private leaf holding only 1:1 entries gives way to the identity
 * leaf, and then perhaps its GiB's PTE page to the identity PTE page. */
static int identity_edge_release(xen_pfn_t pfn)
{
    xen_pfn_t first = pfn - pfn % P2M_PER_PAGE;
    int rc = 0;

    if (p2m_page_at(first, 1) == P2M_PAGE_PRIVATE) {
        for (xen_pfn_t p = first; p < first + P2M_PER_PAGE; p++)
            if (p2m_entry_load(p) != IDENTITY_FRAME(p))
                return 0;
        rc = identity_leaf_chunk(first);
    }
    return rc ? rc : identity_gib_release(pfn - pfn % P2M_PFNS_PER_PTE_PAGE);
}

/* Point a whole 1 GiB chunk at the identity PTE page: one entry when it
 * was shared, else every 2 MiB chunk first (private leaves freed). */
static int identity_gib_chunk(xen_pfn_t pfn)
{
    enum p2m_page kind = p2m_page_at(pfn, 2);
    int rc = 0;

    if (kind == P2M_PAGE_IDENTITY)
        return 0;
    if (kind == P2M_PAGE_PRIVATE) {
        for (xen_pfn_t c = 0; c < P2M_PFNS_PER_PTE_PAGE && rc == 0; c += P2M_PER_PAGE)
            rc = identity_leaf_chunk(pfn + c);
        return rc ? rc : identity_gib_release(pfn);
    }
    rc = make_private(pfn, 3);
    if (rc == 0)
        rc = pt_set_entry(p2m_leaf_va(pfn), 2,
                          pte_make(pfn_to_mfn(p2m.identity_pte), PTE_TABLE),
                          PT_ALLOW_REPLACE_TABLE);
    return rc;
}

int p2m_set_identity_range(xen_pfn_t start, xen_pfn_t end)
{
    xen_pfn_t pfn = start;
    int rc = 0;

    if (!p2m.ready) {
        printk("p2m: identity range before p2m_init()\n");
        return -EINVAL;
    }
    if (start >= end)
        return 0;
    if (end > p2m_table_limit) {
        printk("p2m: identity range %#lx-%#lx is beyond the p2m's %#lx pfns\n",
               (unsigned long)start, (unsigned long)end,
               (unsigned long)p2m_table_limit);
        return -ERANGE;
    }
    p2m_gen_begin();
    while (pfn < end && rc == 0) {
        if (pfn % P2M_PFNS_PER_PTE_PAGE == 0 && end - pfn >= P2M_PFNS_PER_PTE_PAGE) {
            rc = identity_gib_chunk(pfn);
            pfn += P2M_PFNS_PER_PTE_PAGE;
        } else if (pfn % P2M_PER_PAGE == 0 && end - pfn >= P2M_PER_PAGE) {
            rc = identity_leaf_chunk(pfn);
            pfn += P2M_PER_PAGE;
        } else {
            rc = p2m_set(pfn, IDENTITY_FRAME(pfn));
            pfn++;
        }
    }
    /* The range may have completed a chunk or a GiB an earlier range
     * began (two E820 holes side by side): its edges may now go. */
    if (rc == 0)
        rc = identity_edge_release(start);
    if (rc == 0)
        rc = identity_edge_release(end - 1);
    p2m_gen_end();
    if (rc)
        printk("p2m: identity range %#lx-%#lx stopped near pfn %#lx, rc %d\n",
               (unsigned long)start, (unsigned long)end, (unsigned long)pfn, rc);
    return rc;
}

/* ---- building it at boot ----------------------------------------------------- */

struct boot_list {
    const xen_pfn_t *mfns;      /* Xen's list */
    xen_pfn_t nr;
    xen_pfn_t limit;            /* the pfn space the new p2m covers */
};

/* Leaf k of the boot p2m: Xen's entries, ~0 past the last pfn. */
static int build_leaf(const struct boot_list *bl, xen_pfn_t k, xen_pfn_t *out)
{
    xen_pfn_t *page, first = k * P2M_PER_PAGE;
    int rc = data_page_alloc(out, "p2m leaf");

    if (rc)
        return rc;
    page = xen_mm_page(*out);
    for (unsigned int i = 0; i < P2M_PER_PAGE; i++)
        page[i] = first + i < bl->nr ? bl->mfns[first + i] : INVALID_P2M_ENTRY;
    p2m.stats.leaves++;
    return 0;
}

/*
 * A table page filled before it becomes a table: written through the
 * direct map while still writable, then made read-only; Xen validates it
 * when it is linked.  `level` is that of the entries it holds (p2m.h):
 * 1, a PTE page of leaves; 2, a PMD page of PTE pages; 3, an L3 page of
 * PMD pages.  base is the first pfn covered.
 */
static int build_table(xen_pfn_t *out, const struct boot_list *bl, xen_pfn_t base,
                       unsigned int level)
{
    uint64_t *table;
    int rc = data_page_alloc(out, "p2m table");

    if (rc)
        return rc;
    table = xen_mm_page(*out);
    for (unsigned int i = 0; i < PT_ENTRIES && rc == 0; i++) {
        xen_pfn_t child;
        if (level == 1) {                    /* PTE page: leaf k */
            xen_pfn_t k = base / P2M_PER_PAGE + i;
            if (k * P2M_PER_PAGE < bl->nr) {
                rc = build_leaf(bl, k, &child);
                table[i] = pte_make(pfn_to_mfn(child), LEAF_RW);
            } else {
                table[i] = pte_make(pfn_to_mfn(p2m.missing_leaf), LEAF_RO);
            }
        } else if (level == 2) {             /* PMD page: 1 GiB chunks */
            xen_pfn_t first = base + i * P2M_PFNS_PER_PTE_PAGE;
            if (first < bl->nr) {
                rc = build_table(&child, bl, first, 1);
                table[i] = pte_make(pfn_to_mfn(child), PTE_TABLE);
            } else {
                table[i] = pte_make(pfn_to_mfn(p2m.missing_pte), PTE_TABLE);
            }
        } else {                             /* L3 page: 512 GiB chunks */
            xen_pfn_t first = base + i * P2M_PFNS_PER_PMD_PAGE;
            if (first >= bl->limit) {
                table[i] = 0;
            } else if (first < bl->nr) {
                rc = build_table(&child, bl, first, 2);
                table[i] = pte_make(pfn_to_mfn(child), PTE_TABLE);
            } else {
                table[i] = pte_make(pfn_to_mfn(p2m.missing_pmd), PTE_TABLE);
            }
        }
    }
    if (rc == 0)
        rc = pt_set_page_ro(*out, true);
    if (rc)
        return rc;
    if (level == 1)
        p2m.stats.pte_pages++;
    else if (level == 2)
        p2m.stats.pmd_pages++;
    else
        p2m.stats.l3_pages++;
    return 0;
}

static int make_shared_pages(void)
{
    int rc = data_page_alloc(&p2m.missing_leaf, "shared leaf");

    if (rc == 0) {
        fill_invalid(p2m.missing_leaf);
        rc = pt_set_page_ro(p2m.missing_leaf, true);
    }
    if (rc == 0)
        rc = data_page_alloc(&p2m.identity_leaf, "shared leaf");
    if (rc == 0) {
        fill_invalid(p2m.identity_leaf);
        rc = pt_set_page_ro(p2m.identity_leaf, true);
    }
    if (rc == 0)
        rc = pt_table_alloc(&p2m.missing_pte,
                            pte_make(pfn_to_mfn(p2m.missing_leaf), LEAF_RO));
    if (rc == 0)
        rc = pt_table_alloc(&p2m.identity_pte,
                            pte_make(pfn_to_mfn(p2m.identity_leaf), LEAF_RO));
    if (rc == 0)
        rc = pt_table_alloc(&p2m.missing_pmd,
                            pte_make(pfn_to_mfn(p2m.missing_pte), PTE_TABLE));
    if (rc == 0)
        p2m.stats.shared_pages = 5;
    return rc;
}

int p2m_limit_for(const struct p2m_config *cfg, xen_pfn_t nr, xen_pfn_t *limit)
{
    uint64_t base = cfg->virt_base, last = base + cfg->virt_slots * L4_SPAN - 1;
    xen_pfn_t want = cfg->reserve_pfns ? cfg->reserve_pfns : P2M_DEFAULT_PFNS;
    xen_pfn_t most = cfg->virt_slots * P2M_PFNS_PER_L3_PAGE;

    if (base & (L4_SPAN - 1) || cfg->virt_slots == 0 || cfg->virt_slots > 256 ||
        last < base || !pt_canonical(base) || !pt_canonical(last) ||
        pt_touches_xen(base, last)) {
        printk("p2m: bad area %#lx + %lu L4 slots (must be 512 GiB aligned, "
               "canonical, outside Xen's)\n", (unsigned long)base,
               (unsigned long)cfg->virt_slots);
        return -EINVAL;
    }
    if (nr > most) {
        printk("p2m: %#lx pfns do not fit in %lu L4 slots\n", (unsigned long)nr,
               (unsigned long)cfg->virt_slots);
        return -EINVAL;
    }
    if (want < nr)
        want = nr;
    if (want > most) {
        printk("p2m: reserve of %#lx pfns clamped to %#lx (the p2m area)\n",
               (unsigned long)want, (unsigned long)most);
        want = most;
    }
    *limit = (want + P2M_PFNS_PER_PMD_PAGE - 1) / P2M_PFNS_PER_PMD_PAGE * P2M_PFNS_PER_PMD_PAGE;
    return 0;
}

int p2m_init(const struct p2m_config *cfg)
{
    struct boot_list bl = { xen_list.mfns, xen_list.nr, 0 };
    xen_pfn_t l3;
    int rc;

    if (p2m.ready) {
        printk("p2m: already initialised\n");
        return -EBUSY;
    }
    if (!bl.mfns || !cfg->frames) {
        printk("p2m: p2m_init() needs Xen's list (p2m_use_boot_list()) and frames\n");
        return -EINVAL;
    }
    rc = p2m_limit_for(cfg, bl.nr, &bl.limit);
    if (rc)
        return rc;
    memset(&p2m, 0, sizeof(p2m));
    p2m.frames = cfg->frames;
    p2m.start_info_flags = xen_list.start_info_flags;
    p2m.fll_top = p2m.fll_missing_mid = NO_FRAME;
    for (unsigned int i = 0; i < P2M_FL_TOP_ENTRIES; i++)
        p2m.fl_mid[i] = NO_FRAME;
    p2m.nr_l3 = (bl.limit + P2M_PFNS_PER_L3_PAGE - 1) / P2M_PFNS_PER_L3_PAGE;

    rc = make_shared_pages();
    for (xen_pfn_t s = 0; s < p2m.nr_l3 && rc == 0; s++) {
        rc = build_table(&l3, &bl, s * P2M_PFNS_PER_L3_PAGE, 3);
        if (rc == 0)
            rc = pt_set_entry(cfg->virt_base + s * L4_SPAN, 4,
                              pte_make(pfn_to_mfn(l3), PTE_TABLE), 0);
    }
    if (rc) {
        printk("p2m: building the p2m failed (rc %d); staying on Xen's list\n", rc);
        return rc;
    }
    p2m_table_va = cfg->virt_base;
    p2m_table_limit = bl.limit;
    p2m.max_pfn = bl.nr;
    p2m.ready = true;
    rc = p2m_publish();
    if (rc)
        printk("p2m: publishing failed (rc %d)\n", rc);
    return rc;
}

void p2m_get_stats(struct p2m_stats *out)
{
    *out = p2m.stats;
    out->total = out->leaves + out->pte_pages + out->pmd_pages + out->l3_pages +
                 out->shared_pages + out->fl_pages;
    out->generation = xen_arch_shared_info()->p2m_generation;
}
