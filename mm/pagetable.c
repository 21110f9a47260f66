/*
 * The page-table update routine (see include/minnow/pt.h, docs/pagetable.md).
 *
 * A PV guest reads its page tables directly (they are mapped read-only in
 * the direct map) but writes them only through Xen.  Writes are queued and
 * sent in batches of PT_BATCH mmu_updates; the queue is pushed before any
 * table is read again, so a walk never sees stale entries.
 *
 * The walk goes L4 -> L3 -> L2 -> L1 through the m2p: an entry holds an
 * mfn, Xen's machine_to_phys table turns it into the pfn whose direct-map
 * address we can read.  Every mfn is asked for afresh (no mfn is cached:
 * a restore changes them all).
 */
#include <errno.h>
#include <string.h>
#include <minnow/pt.h>
#include <minnow/xen_mm.h>
#include <minnow/console.h>

#define LARGE_CHUNK      (1UL << 21)           /* what one L1 table maps */
#define PAGES_PER_TABLE  ((uint64_t)PT_ENTRIES)
#define MAX_INVLPG       16u

static xen_pfn_t root_pfn = NO_FRAME;
static const struct frame_source *frames;
static xen_pfn_t (*mfn_of)(xen_pfn_t pfn);
static mmu_update_t queue[PT_BATCH];
static unsigned int queued;
static struct pt_stats stats;

/* VAs whose live mappings changed since the last TLB flush. */
static uint64_t stale_va[MAX_INVLPG];
static unsigned int nr_stale;
static bool stale_all;

void pt_init(xen_pfn_t l4_pfn, const struct frame_source *frame_source,
             xen_pfn_t (*pfn_to_mfn)(xen_pfn_t pfn))
{
    root_pfn = l4_pfn;
    frames = frame_source;
    mfn_of = pfn_to_mfn;
    queued = 0;
    nr_stale = 0;
    stale_all = false;
    memset(&stats, 0, sizeof(stats));
}

xen_pfn_t pt_root_pfn(void)
{
    return root_pfn;
}

xen_pfn_t pt_root_mfn(void)
{
    return mfn_of(root_pfn);
}

void pt_get_stats(struct pt_stats *out)
{
    *out = stats;
}

int pt_flush(void)
{
    int rc;

    if (!queued)
        return 0;
    rc = xen_mmu_update(queue, queued);
    stats.hypercalls++;
    if (rc == 0)
        stats.entries_written += queued;
    else
        printk("pt: mmu_update batch of %u entries failed, rc %d\n", queued, rc);
    queued = 0;
    return rc;
}

static int queue_write(xen_pfn_t table_mfn, unsigned int idx, uint64_t val)
{
    queue[queued].ptr = ((uint64_t)table_mfn << PAGE_SHIFT) + idx * 8u +
                        MMU_NORMAL_PT_UPDATE;
    queue[queued].val = val;
    if (++queued == PT_BATCH)
        return pt_flush();
    return 0;
}

static void note_stale(uint64_t va, bool whole_tlb)
{
    if (whole_tlb || nr_stale == MAX_INVLPG)
        stale_all = true;
    else
        stale_va[nr_stale++] = va;
}

/* Drop translations of mappings we changed (single vCPU: local flush). */
static int flush_tlb(void)
{
    int rc = 0;

    if (stale_all)
        rc = xen_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
    else
        for (unsigned int i = 0; i < nr_stale && rc == 0; i++)
            rc = xen_mmuext(MMUEXT_INVLPG_LOCAL, stale_va[i]);
    nr_stale = 0;
    stale_all = false;
    return rc;
}

/* A range of nr pages at va that minnow may touch; prints why not. */
static int check_range(const char *who, uint64_t va, uint64_t nr)
{
    uint64_t last;

    if (root_pfn == NO_FRAME) {
        printk("pt: %s before pt_init()\n", who);
        return -EINVAL;
    }
    if (va & (PAGE_SIZE - 1)) {
        printk("pt: %s: va %#lx is not page aligned\n", who, (unsigned long)va);
        return -EINVAL;
    }
    if (nr == 0)
        return 0;
    if (nr > (1UL << 36)) {
        printk("pt: %s: %#lx pages is more than an address space\n", who,
               (unsigned long)nr);
        return -EINVAL;
    }
    last = va + ((nr - 1) << PAGE_SHIFT);
    if (last < va || !pt_canonical(va) || !pt_canonical(last) ||
        (va >> 63) != (last >> 63)) {
        printk("pt: %s: range %#lx + %#lx pages is not canonical\n", who,
               (unsigned long)va, (unsigned long)nr);
        return -EINVAL;
    }
    if (pt_touches_xen(va, last)) {
        printk("pt: %s: range %#lx-%#lx overlaps Xen's area\n", who,
               (unsigned long)va, (unsigned long)last);
        return -EPERM;
    }
    return 0;
}

/* A granted PTE is Xen's to take down (pt.h): one refusal message for all. */
static int refuse_granted(const char *what, uint64_t va, unsigned int level, uint64_t old)
{
    stats.refusals++;
    printk("pt: refused to %s at va %#lx level %u: it holds a grant mapping (%#lx); "
           "unmap the grant first\n", what, (unsigned long)va, level, (unsigned long)old);
    return -EBUSY;
}

static bool is_granted(uint64_t e)
{
    return (e & (PTE_PRESENT | PTE_GRANTED)) == (PTE_PRESENT | PTE_GRANTED);
}

/* The pfn of the table an entry links to, checked to be minnow's. */
static int entry_table_pfn(uint64_t va, unsigned int level, uint64_t e,
                           xen_pfn_t *pfn)
{
    xen_pfn_t mfn = pte_mfn(e), p;

    if (e & PTE_PSE) {
        printk("pt: level %u entry for va %#lx is a superpage (%#lx); "
               "minnow never makes them\n", level, (unsigned long)va,
               (unsigned long)e);
        return -EEXIST;
    }
    p = mfn_to_pfn(mfn);
    if (p == NO_FRAME || mfn_of(p) != mfn) {
        printk("pt: level %u entry for va %#lx links mfn %#lx, which is "
               "not a frame of minnow's\n", level, (unsigned long)va,
               (unsigned long)mfn);
        return -EFAULT;
    }
    *pfn = p;
    return 0;
}

/*
 * Find the table that holds va's level-`level` entry.  With create, absent
 * tables above it are allocated and linked; otherwise -ENOENT.
 */
static int walk(uint64_t va, unsigned int level, bool create, xen_pfn_t *out)
{
    xen_pfn_t pfn = root_pfn;
    int rc = pt_flush();

    if (rc)
        return rc;
    for (unsigned int l = 4; l > level; l--) {
        const uint64_t *table = xen_mm_page(pfn);
        unsigned int idx = pt_index(va, l);
        uint64_t e = table[idx];

        if (e & PTE_PRESENT) {
            rc = entry_table_pfn(va, l, e, &pfn);
            if (rc)
                return rc;
            continue;
        }
        if (!create)
            return -ENOENT;

        xen_pfn_t fresh;
        rc = pt_table_alloc(&fresh, 0);
        if (rc)
            return rc;
        rc = queue_write(mfn_of(pfn), idx,
                         pte_make(mfn_of(fresh), PTE_TABLE));
        if (rc == 0)
            rc = pt_flush();
        if (rc) {
            printk("pt: linking a new level %u table for va %#lx failed, rc %d\n",
                   l - 1, (unsigned long)va, rc);
            pt_table_free(fresh);
            return rc;
        }
        pfn = fresh;
    }
    *out = pfn;
    return 0;
}

int pt_table_alloc(xen_pfn_t *pfn, uint64_t fill)
{
    uint64_t *table;
    int rc;

    if (!(fill & PTE_PRESENT) && fill != 0) {
        printk("pt: a non-present fill entry must be 0, not %#lx\n",
               (unsigned long)fill);
        return -EINVAL;
    }
    rc = frames->alloc(pfn);
    if (rc) {
        printk("pt: no free frame for a page table (rc %d)\n", rc);
        return rc;
    }
    table = xen_mm_page(*pfn);
    for (unsigned int i = 0; i < PT_ENTRIES; i++)
        table[i] = fill;
    rc = pt_set_page_ro(*pfn, true);
    if (rc) {
        frames->free(*pfn);
        return rc;
    }
    stats.tables_allocated++;
    return 0;
}

int pt_table_free(xen_pfn_t pfn)
{
    int rc = flush_tlb();

    if (rc == 0)
        rc = pt_set_page_ro(pfn, false);
    if (rc) {
        printk("pt: table pfn %#lx stays allocated (still in use? rc %d)\n",
               (unsigned long)pfn, rc);
        return rc;
    }
    frames->free(pfn);
    stats.tables_freed++;
    return 0;
}

int pt_set_page_ro(xen_pfn_t pfn, bool ro)
{
    uint64_t va = pt_directmap_va(pfn), pte, want;
    int rc = pt_lookup(va, &pte);

    if (rc || !(pte & PTE_PRESENT)) {
        printk("pt: pfn %#lx is not in the direct map\n", (unsigned long)pfn);
        return -ENOENT;
    }
    if (is_granted(pte))
        return refuse_granted(ro ? "make read-only" : "make writable", va, 1, pte);
    want = ro ? (pte & ~PTE_RW) : (pte | PTE_RW);
    if (want == pte)
        return 0;
    rc = xen_update_va_mapping(va, want);
    if (rc)
        printk("pt: making pfn %#lx %s failed, rc %d\n", (unsigned long)pfn,
               ro ? "read-only" : "writable", rc);
    return rc;
}

int pt_get_entry(uint64_t va, unsigned int level, uint64_t *entry)
{
    xen_pfn_t table;
    int rc;

    *entry = 0;
    if (level < 1 || level > 4 || !pt_canonical(va))
        return -EINVAL;
    if (root_pfn == NO_FRAME)
        return -EINVAL;
    rc = walk(va, level, false, &table);
    if (rc)
        return rc;
    *entry = ((const uint64_t *)xen_mm_page(table))[pt_index(va, level)];
    return 0;
}

int pt_lookup(uint64_t va, uint64_t *pte)
{
    return pt_get_entry(va, 1, pte);
}

/* Two entries are the same mapping if they differ only in A/D bits. */
static bool same_mapping(uint64_t a, uint64_t b)
{
    return ((a ^ b) & ~(PTE_ACCESSED | PTE_DIRTY)) == 0;
}

static int refuse(const char *what, const char *bit, uint64_t va,
                  unsigned int level, uint64_t old, uint64_t new, int err)
{
    stats.refusals++;
    printk("pt: refused to %s at va %#lx level %u (%#lx -> %#lx) without %s\n",
           what, (unsigned long)va, level, (unsigned long)old,
           (unsigned long)new, bit);
    return err;
}

/*
 * Does the table at pfn, whose entries are level `level`, lead to a
 * granted PTE?  Runs of equal entries (the p2m's shared tables) are looked
 * into once.
 */
static bool table_holds_grant(xen_pfn_t pfn, unsigned int level)
{
    const uint64_t *t = xen_mm_page(pfn);
    uint64_t prev = 0;

    for (unsigned int i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = t[i];
        xen_pfn_t child;

        if (!(e & PTE_PRESENT) || e == prev)
            continue;
        prev = e;
        if (level == 1) {
            if (is_granted(e))
                return true;
            continue;
        }
        child = mfn_to_pfn(pte_mfn(e));
        if (child != NO_FRAME && mfn_of(child) == pte_mfn(e) &&
            table_holds_grant(child, level - 1))
            return true;
    }
    return false;
}

int pt_set_entry(uint64_t va, unsigned int level, uint64_t entry,
                 unsigned int opts)
{
    xen_pfn_t table;
    uint64_t old;
    unsigned int idx = pt_index(va, level);
    int rc;

    if (level < 1 || level > 4) {
        printk("pt: pt_set_entry: no level %u\n", level);
        return -EINVAL;
    }
    rc = check_range("pt_set_entry", va & ~(PAGE_SIZE - 1), 1);
    if (rc)
        return rc;
    if (!(entry & PTE_PRESENT) && entry != 0) {
        printk("pt: non-present entry %#lx carries bits (L1TF); write 0\n",
               (unsigned long)entry);
        return -EINVAL;
    }
    if (level > 1 && (entry & PTE_PSE)) {
        printk("pt: superpage entries are not allowed for PV guests\n");
        return -EINVAL;
    }
    rc = walk(va, level, entry & PTE_PRESENT, &table);
    if (rc == -ENOENT && entry == 0)
        return 0;
    if (rc)
        return rc;
    old = ((const uint64_t *)xen_mm_page(table))[idx];
    if (level == 1 ? same_mapping(old, entry) : old == entry)
        return 0;
    if (level == 1 && is_granted(old))
        return refuse_granted("change an entry", va, level, old);
    if (level > 1 && (old & PTE_PRESENT) && (entry & PTE_GRANTED) == 0) {
        xen_pfn_t child = mfn_to_pfn(pte_mfn(old));
        if (child != NO_FRAME && mfn_of(child) == pte_mfn(old) &&
            table_holds_grant(child, level - 1))
            return refuse_granted("replace a table", va, level, old);
    }
    if (old & PTE_PRESENT) {
        if (level == 1 && !(opts & PT_ALLOW_CHANGE_LIVE))
            return refuse("change a live mapping", "PT_ALLOW_CHANGE_LIVE",
                          va, level, old, entry, -EEXIST);
        if (level > 1 && (entry & PTE_PRESENT) &&
            !(opts & PT_ALLOW_REPLACE_TABLE))
            return refuse("replace a table", "PT_ALLOW_REPLACE_TABLE",
                          va, level, old, entry, -EBUSY);
        if (level > 1 && !(entry & PTE_PRESENT) &&
            !(opts & PT_ALLOW_REMOVE_TABLE))
            return refuse("remove a table", "PT_ALLOW_REMOVE_TABLE",
                          va, level, old, entry, -EBUSY);
    }
    rc = queue_write(mfn_of(table), idx, entry);
    if (rc == 0)
        rc = pt_flush();
    if (rc)
        return rc;
    if (old & PTE_PRESENT) {
        note_stale(va, level > 1);
        rc = flush_tlb();
    }
    return rc;
}

/* The mfn the i-th page of a map request goes to. */
static xen_pfn_t nth_mfn(xen_pfn_t mfn, const xen_pfn_t *mfns, uint64_t i)
{
    return mfns ? mfns[i] : mfn + i;
}

static uint64_t pages_to_chunk_end(uint64_t va, uint64_t left)
{
    uint64_t n = (LARGE_CHUNK - (va & (LARGE_CHUNK - 1))) >> PAGE_SHIFT;

    return n < left ? n : left;
}

/* Pass 1 of a map: refuse before anything is written. */
static int map_check(uint64_t va, xen_pfn_t mfn, const xen_pfn_t *mfns,
                     uint64_t nr, uint64_t flags, unsigned int opts)
{
    for (uint64_t i = 0; i < nr;) {
        uint64_t at = va + (i << PAGE_SHIFT);
        uint64_t n = pages_to_chunk_end(at, nr - i);
        xen_pfn_t table;
        int rc;

        for (uint64_t j = 0; j < n; j++) {
            xen_pfn_t m = nth_mfn(mfn, mfns, i + j);
            if (m == NO_FRAME || (m >> 40)) {
                printk("pt: no valid mfn for va %#lx (%#lx)\n",
                       (unsigned long)(at + (j << PAGE_SHIFT)), (unsigned long)m);
                return -EINVAL;
            }
        }
        rc = walk(at, 1, false, &table);
        if (rc == -ENOENT) {
            i += n;
            continue;
        }
        if (rc)
            return rc;
        const uint64_t *l1 = xen_mm_page(table);
        for (uint64_t j = 0; j < n; j++) {
            uint64_t cur = at + (j << PAGE_SHIFT);
            uint64_t old = l1[pt_index(cur, 1)];
            uint64_t new = pte_make(nth_mfn(mfn, mfns, i + j), flags);

            if (!(old & PTE_PRESENT) || same_mapping(old, new) ||
                (opts & PT_SKIP_PRESENT))
                continue;
            if (is_granted(old))
                return refuse_granted("map over an entry", cur, 1, old);
            if (opts & PT_ALLOW_CHANGE_LIVE)
                continue;
            return refuse("change a live mapping", "PT_ALLOW_CHANGE_LIVE",
                          cur, 1, old, new, -EEXIST);
        }
        i += n;
    }
    return 0;
}

/* Pass 2 for one 2 MiB chunk: n pages from page `first` of the request. */
static int map_chunk(uint64_t at, xen_pfn_t mfn, const xen_pfn_t *mfns,
                     uint64_t first, uint64_t n, uint64_t flags, unsigned int opts)
{
    xen_pfn_t table, table_mfn;
    const uint64_t *l1;
    int rc = walk(at, 1, true, &table);

    if (rc)
        return rc;
    table_mfn = mfn_of(table);
    l1 = xen_mm_page(table);
    for (uint64_t j = 0; j < n && rc == 0; j++) {
        uint64_t cur = at + (j << PAGE_SHIFT);
        unsigned int idx = pt_index(cur, 1);
        uint64_t old = l1[idx];
        uint64_t new = pte_make(nth_mfn(mfn, mfns, first + j), flags);

        if (old & PTE_PRESENT) {
            if (same_mapping(old, new) || (opts & PT_SKIP_PRESENT))
                continue;
            note_stale(cur, false);
        }
        rc = queue_write(table_mfn, idx, new);
    }
    return rc;
}

static int map_common(const char *who, uint64_t va, xen_pfn_t mfn,
                      const xen_pfn_t *mfns, uint64_t nr, uint64_t flags,
                      unsigned int opts)
{
    int rc = check_range(who, va, nr);

    if (rc || nr == 0)
        return rc;
    if (!(flags & PTE_PRESENT) || (flags & (PTE_ADDR_MASK | PTE_PSE | PTE_GRANTED))) {
        printk("pt: %s: bad flags %#lx\n", who, (unsigned long)flags);
        return -EINVAL;
    }
    if (opts & ~(PT_ALLOW_CHANGE_LIVE | PT_SKIP_PRESENT)) {
        printk("pt: %s: options %#x make no sense for a map\n", who, opts);
        return -EINVAL;
    }
    rc = map_check(va, mfn, mfns, nr, flags, opts);
    if (rc)
        return rc;

    for (uint64_t i = 0; i < nr && rc == 0;) {
        uint64_t at = va + (i << PAGE_SHIFT);
        uint64_t n = pages_to_chunk_end(at, nr - i);

        rc = map_chunk(at, mfn, mfns, i, n, flags, opts);
        if (rc) {
            printk("pt: %s stopped at va %#lx after %#lx of %#lx pages, rc %d\n",
                   who, (unsigned long)at, (unsigned long)i, (unsigned long)nr, rc);
            flush_tlb();
            return rc;
        }
        i += n;
    }
    rc = pt_flush();
    if (rc == 0)
        rc = flush_tlb();
    return rc;
}

int pt_map_range(uint64_t va, xen_pfn_t mfn, uint64_t nr, uint64_t flags,
                 unsigned int opts)
{
    return map_common("pt_map_range", va, mfn, NULL, nr, flags, opts);
}

int pt_map_mfns(uint64_t va, const xen_pfn_t *mfns, uint64_t nr,
                uint64_t flags, unsigned int opts)
{
    return map_common("pt_map_mfns", va, 0, mfns, nr, flags, opts);
}

/* Unlink the L1 table that maps the whole 2 MiB chunk at va, and free it. */
static int remove_l1_table(uint64_t va, xen_pfn_t l1)
{
    xen_pfn_t l2;
    int rc = walk(va, 2, false, &l2);

    if (rc == 0)
        rc = queue_write(mfn_of(l2), pt_index(va, 2), 0);
    if (rc == 0)
        rc = pt_flush();
    if (rc)
        return rc;
    note_stale(va, true);
    return pt_table_free(l1);
}

/* Pass 1 of an unmap: refuse a range holding a grant before clearing anything. */
static int unmap_check(uint64_t va, uint64_t nr)
{
    for (uint64_t i = 0; i < nr;) {
        uint64_t at = va + (i << PAGE_SHIFT);
        uint64_t n = pages_to_chunk_end(at, nr - i);
        xen_pfn_t table;
        int rc = walk(at, 1, false, &table);

        if (rc == -ENOENT) {
            i += n;
            continue;
        }
        if (rc)
            return rc;
        const uint64_t *l1 = xen_mm_page(table);
        for (uint64_t j = 0; j < n; j++) {
            uint64_t cur = at + (j << PAGE_SHIFT);
            if (is_granted(l1[pt_index(cur, 1)]))
                return refuse_granted("unmap", cur, 1, l1[pt_index(cur, 1)]);
        }
        i += n;
    }
    return 0;
}

int pt_unmap_range(uint64_t va, uint64_t nr, unsigned int opts)
{
    int rc = check_range("pt_unmap_range", va, nr);

    if (rc || nr == 0)
        return rc;
    /* Unmapping live pages is what unmap is for: CHANGE_LIVE is implied. */
    if (opts & ~(PT_ALLOW_REMOVE_TABLE | PT_ALLOW_CHANGE_LIVE)) {
        printk("pt: pt_unmap_range: options %#x make no sense\n", opts);
        return -EINVAL;
    }
    rc = unmap_check(va, nr);     /* a table removed whole lies inside it */
    if (rc)
        return rc;
    for (uint64_t i = 0; i < nr;) {
        uint64_t at = va + (i << PAGE_SHIFT);
        uint64_t n = pages_to_chunk_end(at, nr - i);
        xen_pfn_t table, table_mfn;

        rc = walk(at, 1, false, &table);
        if (rc == -ENOENT) {            /* no table: nothing mapped there */
            rc = 0;
            i += n;
            continue;
        }
        if (rc)
            break;
        if ((opts & PT_ALLOW_REMOVE_TABLE) && n == PAGES_PER_TABLE) {
            rc = remove_l1_table(at, table);
            if (rc)
                break;
            i += n;
            continue;
        }
        table_mfn = mfn_of(table);
        const uint64_t *l1 = xen_mm_page(table);
        for (uint64_t j = 0; j < n && rc == 0; j++) {
            uint64_t cur = at + (j << PAGE_SHIFT);
            if (!(l1[pt_index(cur, 1)] & PTE_PRESENT))
                continue;
            note_stale(cur, false);
            rc = queue_write(table_mfn, pt_index(cur, 1), 0);
        }
        if (rc)
            break;
        i += n;
    }
    if (rc == 0)
        rc = pt_flush();
    else
        printk("pt: pt_unmap_range of %#lx + %#lx pages failed, rc %d\n",
               (unsigned long)va, (unsigned long)nr, rc);
    int frc = flush_tlb();
    return rc ? rc : frc;
}

int pt_grant_prepare(uint64_t va)
{
    xen_pfn_t table;
    uint64_t old;
    int rc = check_range("pt_grant_prepare", va, 1);

    if (rc)
        return rc;
    rc = walk(va, 1, true, &table);
    if (rc)
        return rc;
    old = ((const uint64_t *)xen_mm_page(table))[pt_index(va, 1)];
    if (old & PTE_PRESENT) {
        stats.refusals++;
        printk("pt: no grant at va %#lx: a page is mapped there (%#lx)\n",
               (unsigned long)va, (unsigned long)old);
        return -EEXIST;
    }
    return 0;
}

bool pt_is_granted(uint64_t va)
{
    uint64_t pte;

    return pt_lookup(va, &pte) == 0 && is_granted(pte);
}
