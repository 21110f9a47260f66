/*
 * Reading the p2m the way the toolstack does, and the p2m_dump listing.
 *
 * p2m_self_check() trusts nothing but shared_info and machine frames, like
 * libxenguest's map_p2m_list()/map_p2m_tree(): start from p2m_cr3, walk
 * L4 -> L1 for [p2m_vaddr, p2m_vaddr + ceil(max_pfn / 512) pages), and
 * require of every leaf what save/restore requires:
 *   - the mfn is non-zero, <= Xen's max_mfn, a frame of this domain;
 *   - it is in the "pseudophysmap": m2p[mfn] < max_pfn and the p2m (as the
 *     tools read it) maps m2p[mfn] back to mfn;
 *   - a leaf mapped read-only (shared) holds only ~0; a writable one
 *     appears once;
 *   - every entry equals what minnow's own lookups say.
 * Then the same for the frame list list when it is published.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "p2m_internal.h"
#include <minnow/pt.h>
#include <minnow/console.h>

#define MAX_REPORTS 20

struct reader {
    xen_pfn_t root, max_mfn, count;     /* count = shared_info max_pfn */
    uint64_t vaddr;
    unsigned int problems;
    /* Writable leaves seen (open addressing). */
    xen_pfn_t *seen;
    uint64_t seen_size;
};

static void problem(struct reader *r, const char *fmt, ...)
{
    va_list ap;

    if (++r->problems > MAX_REPORTS)
        return;
    printk("p2m check: ");
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n");
}

static const xen_pfn_t *tool_map(struct reader *r, xen_pfn_t mfn, const char *what)
{
    const xen_pfn_t *page;

    if (mfn == 0 || mfn > r->max_mfn) {
        problem(r, "bad mfn %#lx for %s", (unsigned long)mfn, what);
        return NULL;
    }
    page = mfn_to_local_page(mfn);
    if (!page)
        problem(r, "mfn %#lx (%s) is not a frame of this domain",
                (unsigned long)mfn, what);
    return page;
}

/* Walk from the root down to the table at `stop` (0: the leaf page). */
static xen_pfn_t tool_walk(struct reader *r, uint64_t va, unsigned int stop)
{
    xen_pfn_t mfn = r->root;

    for (unsigned int level = 4; level > stop; level--) {
        const xen_pfn_t *t = tool_map(r, mfn, "p2m page table");
        if (!t)
            return 0;
        mfn = pte_mfn(t[pt_index(va, level)]);
        if (mfn == 0 || mfn > r->max_mfn) {
            problem(r, "bad mfn %#lx at level %u of the walk for va %#lx",
                    (unsigned long)mfn, level, (unsigned long)va);
            return 0;
        }
    }
    return mfn;
}

/* The entry for pfn as the tools see it. */
static xen_pfn_t tool_entry(struct reader *r, xen_pfn_t pfn)
{
    xen_pfn_t leaf = tool_walk(r, r->vaddr + (pfn / P2M_PER_PAGE) * PAGE_SIZE, 0);
    const xen_pfn_t *page = leaf ? tool_map(r, leaf, "p2m leaf") : NULL;

    return page ? page[pfn % P2M_PER_PAGE] : INVALID_P2M_ENTRY;
}

/* libxenguest's mfn_in_pseudophysmap(). */
static bool in_pseudophysmap(struct reader *r, xen_pfn_t mfn)
{
    xen_pfn_t pfn = mfn_to_pfn(mfn);

    return mfn <= r->max_mfn && pfn < r->count && tool_entry(r, pfn) == mfn;
}

static bool all_invalid(const xen_pfn_t *page)
{
    for (unsigned int i = 0; i < P2M_PER_PAGE; i++)
        if (page[i] != INVALID_P2M_ENTRY)
            return false;
    return true;
}

/* Remember a writable leaf; false if it was seen before. */
static bool seen_once(struct reader *r, xen_pfn_t mfn)
{
    if (!r->seen)
        return true;
    for (uint64_t h = (mfn * 0x9e3779b97f4a7c15UL) % r->seen_size;;
         h = (h + 1) % r->seen_size) {
        if (r->seen[h] == mfn)
            return false;
        if (r->seen[h] == 0) {
            r->seen[h] = mfn;
            return true;
        }
    }
}

/* Entries of leaf k (read by the tools) against minnow's lookups. */
static void check_leaf(struct reader *r, xen_pfn_t k, uint64_t pte)
{
    xen_pfn_t mfn = pte_mfn(pte), first = k * P2M_PER_PAGE;
    const xen_pfn_t *page = tool_map(r, mfn, "p2m leaf");

    if (!page)
        return;
    if (!in_pseudophysmap(r, mfn))
        problem(r, "leaf %#lx: mfn %#lx is not in the pseudophysmap (m2p %#lx)",
                (unsigned long)k, (unsigned long)mfn,
                (unsigned long)mfn_to_pfn(mfn));
    if (!(pte & PTE_RW)) {
        xen_pfn_t own = p2m_get(first);
        if (!all_invalid(page))
            problem(r, "shared leaf mfn %#lx (leaf %#lx) holds entries",
                    (unsigned long)mfn, (unsigned long)k);
        if (own != INVALID_P2M_ENTRY && own != IDENTITY_FRAME(first))
            problem(r, "pfn %#lx: shared leaf, but minnow says %#lx",
                    (unsigned long)first, (unsigned long)own);
        return;
    }
    if (!seen_once(r, mfn))
        problem(r, "writable leaf mfn %#lx mapped twice (again at leaf %#lx)",
                (unsigned long)mfn, (unsigned long)k);
    for (unsigned int i = 0; i < P2M_PER_PAGE && first + i < r->count; i++) {
        xen_pfn_t own = p2m_get(first + i);
        if (page[i] != own)
            problem(r, "pfn %#lx: toolstack reads %#lx, minnow %#lx",
                    (unsigned long)(first + i), (unsigned long)page[i],
                    (unsigned long)own);
    }
}

static bool has_writable(const uint64_t *l1)
{
    for (unsigned int i = 0; i < PT_ENTRIES; i++)
        if (l1[i] & PTE_RW)
            return true;
    return false;
}

static void check_linear(struct reader *r)
{
    xen_pfn_t frames = (r->count - 1) / P2M_PER_PAGE + 1, prev_l1 = 0, prev_leaf = 0;
    uint64_t end = r->vaddr + frames * PAGE_SIZE - 1;

    if (!pt_canonical(r->vaddr) || !pt_canonical(end) || end < r->vaddr ||
        pt_touches_xen(r->vaddr, end)) {
        problem(r, "bad p2m range %#lx-%#lx", (unsigned long)r->vaddr,
                (unsigned long)end);
        return;
    }
    r->seen_size = 2 * (p2m.stats.leaves + 16);
    r->seen = calloc(r->seen_size, sizeof(*r->seen));
    if (!r->seen)
        printk("p2m check: no memory to check that leaves are unique\n");

    for (xen_pfn_t k = 0; k < frames && r->problems <= MAX_REPORTS;) {
        uint64_t va = r->vaddr + k * PAGE_SIZE;
        xen_pfn_t l1_mfn = tool_walk(r, va, 1), n;
        const uint64_t *l1 = l1_mfn ? (const uint64_t *)tool_map(r, l1_mfn, "PTE page")
                                    : NULL;

        n = PT_ENTRIES - pt_index(va, 1);
        if (n > frames - k)
            n = frames - k;
        if (!l1)
            return;
        if (l1_mfn == prev_l1 && !has_writable(l1)) {
            /* The same shared PTE page again: same leaves as last time. */
            xen_pfn_t own = p2m_get(k * P2M_PER_PAGE);
            if (own != INVALID_P2M_ENTRY && own != IDENTITY_FRAME(k * P2M_PER_PAGE))
                problem(r, "pfn %#lx: shared PTE page, but minnow says %#lx",
                        (unsigned long)(k * P2M_PER_PAGE), (unsigned long)own);
            k += n;
            continue;
        }
        prev_l1 = l1_mfn;
        for (xen_pfn_t j = 0; j < n; j++, k++) {
            uint64_t pte = l1[pt_index(va, 1) + j];
            xen_pfn_t leaf = pte_mfn(pte);
            if (leaf == 0 || leaf > r->max_mfn) {
                problem(r, "bad leaf mfn %#lx for leaf %#lx", (unsigned long)leaf,
                        (unsigned long)k);
                continue;
            }
            if (leaf == prev_leaf && !(pte & PTE_RW))
                continue;       /* a shared leaf checked just before */
            prev_leaf = leaf;
            check_leaf(r, k, pte);
        }
    }
    free(r->seen);
    r->seen = NULL;
}

static void check_tree(struct reader *r, xen_pfn_t fll)
{
    xen_pfn_t tools_max = r->count - 1;
    xen_pfn_t fll_entries = tools_max / P2M_PFNS_PER_PTE_PAGE + 1;
    xen_pfn_t fl_entries = tools_max / P2M_PER_PAGE + 1;
    const xen_pfn_t *top = tool_map(r, fll, "frame list list");
    xen_pfn_t prev_pair[2] = { 0, 0 };

    if (!top)
        return;
    for (xen_pfn_t x = 0; x < fll_entries; x++)
        if (top[x] == 0 || top[x] > r->max_mfn) {
            problem(r, "bad mfn %#lx at %lu in the frame list list",
                    (unsigned long)top[x], (unsigned long)x);
            return;
        }
    for (xen_pfn_t k = 0; k < fl_entries && r->problems <= MAX_REPORTS; k++) {
        const xen_pfn_t *mid = tool_map(r, top[k / P2M_PER_PAGE], "frame list");
        xen_pfn_t leaf, linear;
        const xen_pfn_t *a, *b;

        if (!mid)
            return;
        leaf = mid[k % P2M_PER_PAGE];
        linear = tool_walk(r, r->vaddr + k * PAGE_SIZE, 0);
        if (leaf == prev_pair[0] && linear == prev_pair[1])
            continue;
        prev_pair[0] = leaf;
        prev_pair[1] = linear;
        if (!in_pseudophysmap(r, leaf)) {
            problem(r, "frame list leaf %#lx: mfn %#lx not in the pseudophysmap",
                    (unsigned long)k, (unsigned long)leaf);
            continue;
        }
        a = tool_map(r, leaf, "frame list leaf");
        b = linear ? tool_map(r, linear, "p2m leaf") : NULL;
        if (a && b && memcmp(a, b, PAGE_SIZE) != 0)
            problem(r, "frame list leaf %#lx (mfn %#lx) differs from the linear "
                    "p2m's (mfn %#lx)", (unsigned long)k, (unsigned long)leaf,
                    (unsigned long)linear);
    }
}

int p2m_self_check(void)
{
    const struct arch_shared_info *a = xen_arch_shared_info();
    struct reader r = {
        .root = a->p2m_cr3 >> 12, .max_mfn = xen_max_mfn(),
        .count = a->max_pfn, .vaddr = a->p2m_vaddr,
    };
    xen_pfn_t fll = a->pfn_to_mfn_frame_list_list;

    if (!p2m.ready) {
        printk("p2m check: the p2m is not built\n");
        return 1;
    }
    if (a->p2m_cr3 == 0) {
        problem(&r, "p2m_cr3 is 0: nothing published");
        return r.problems;
    }
    if (r.root != pt_root_mfn())
        problem(&r, "p2m_cr3 names mfn %#lx, the L4 is %#lx",
                (unsigned long)r.root, (unsigned long)pt_root_mfn());
    if (r.count == 0 || r.count != p2m.max_pfn)
        problem(&r, "published max_pfn %#lx, minnow's %#lx",
                (unsigned long)r.count, (unsigned long)p2m.max_pfn);
    if (r.vaddr != p2m_table_va)
        problem(&r, "published p2m_vaddr %#lx, minnow's %#lx",
                (unsigned long)r.vaddr, (unsigned long)p2m_table_va);
    if (a->p2m_generation & 1)
        problem(&r, "p2m_generation %#lx is odd outside an update",
                (unsigned long)a->p2m_generation);
    if (r.problems)
        return r.problems;
    check_linear(&r);

    if (p2m.start_info_flags & SIF_VIRT_P2M_4TOOLS || r.count > P2M_FL_MAX_PFNS) {
        if (fll != NO_FRAME)
            problem(&r, "frame list list is %#lx, expected ~0", (unsigned long)fll);
    } else {
        check_tree(&r, fll);
    }
    if (r.problems > MAX_REPORTS)
        printk("p2m check: ... %u problems in all\n", r.problems);
    return r.problems;
}

/* ---- p2m_dump ------------------------------------------------------------------ */

struct run {
    xen_pfn_t start, end;   /* identity run [start, end) */
};

static void run_flush(struct run *run)
{
    if (run->end == run->start)
        return;
    if (run->end - run->start == 1)
        printk("P2M %lx %lx identity\n", (unsigned long)run->start,
               (unsigned long)run->start);
    else
        printk("P2M %lx-%lx identity\n", (unsigned long)run->start,
               (unsigned long)(run->end - 1));
    run->start = run->end = 0;
}

static void run_add(struct run *run, xen_pfn_t pfn, xen_pfn_t n)
{
    if (run->end != run->start && run->end != pfn)
        run_flush(run);
    if (run->end == run->start)
        run->start = run->end = pfn;
    run->end += n;
}

void p2m_dump(void)
{
    struct run run = { 0, 0 };
    uint64_t populated = 0;

    if (!p2m.ready) {
        printk("P2M END 0\n");
        return;
    }
    for (xen_pfn_t pfn = 0; pfn < p2m_table_limit;) {
        if (pfn % P2M_PFNS_PER_PMD_PAGE == 0 && p2m_page_at(pfn, 3) != P2M_PAGE_PRIVATE) {
            run_flush(&run);
            pfn += P2M_PFNS_PER_PMD_PAGE;
            continue;
        }
        if (pfn % P2M_PFNS_PER_PTE_PAGE == 0) {
            enum p2m_page k = p2m_page_at(pfn, 2);
            if (k == P2M_PAGE_IDENTITY)
                run_add(&run, pfn, P2M_PFNS_PER_PTE_PAGE);
            else if (k != P2M_PAGE_PRIVATE)
                run_flush(&run);
            if (k != P2M_PAGE_PRIVATE) {
                pfn += P2M_PFNS_PER_PTE_PAGE;
                continue;
            }
        }
        enum p2m_page leaf = p2m_page_at(pfn, 1);
        if (leaf != P2M_PAGE_PRIVATE) {
            if (leaf == P2M_PAGE_IDENTITY)
                run_add(&run, pfn, P2M_PER_PAGE);
            else
                run_flush(&run);
            pfn += P2M_PER_PAGE;
            continue;
        }
        for (unsigned int i = 0; i < P2M_PER_PAGE; i++, pfn++) {
            xen_pfn_t e = p2m_entry_load(pfn);
            if (e == INVALID_P2M_ENTRY) {
                run_flush(&run);
            } else if (e & IDENTITY_FRAME_BIT) {
                run_add(&run, pfn, 1);
            } else {
                run_flush(&run);
                printk("P2M %lx %lx %s\n", (unsigned long)pfn,
                       (unsigned long)(e & ~P2M_FRAME_BITS),
                       e & FOREIGN_FRAME_BIT ? "foreign" : "ram");
                populated++;
            }
        }
    }
    run_flush(&run);
    printk("P2M END %lu\n", (unsigned long)populated);
}

/* ---- p2m_runs: the same p2m in runs, and its page-table tree ------------------- */

/*
 * For pictures and for large domains (a 4 GiB dom0 prints a million
 * p2m_dump lines, this a few dozen):
 *
 *   P2MR <first>-<last> ram|foreign <mfn of first>   mfns consecutive
 *   P2MR <first>-<last> identity|missing
 *   P2MT pmd|pte|leaf <first>-<last> private|missing|identity
 *        which page each PMD / PTE / leaf entry points at, runs of equal
 *        ones; a level is listed only below private pages of the level above
 *   P2MT pages leaves=N pte=N pmd=N l3=N shared=N fl=N total=N   (stats)
 *   P2MR END max_pfn=<hex> limit=<hex>
 *
 * Ranges are pfns, inclusive, hex; both lists cover [0, limit).
 */
struct span {
    const char *tag, *kind;     /* "P2MR", "ram"; kind NULL: none open */
    xen_pfn_t start, end, mfn;  /* [start, end); mfn of start or NO_FRAME */
};

static void span_flush(struct span *s)
{
    if (!s->kind)
        return;
    if (s->mfn != NO_FRAME)
        printk("%s %lx-%lx %s %lx\n", s->tag, (unsigned long)s->start,
               (unsigned long)(s->end - 1), s->kind, (unsigned long)s->mfn);
    else
        printk("%s %lx-%lx %s\n", s->tag, (unsigned long)s->start,
               (unsigned long)(s->end - 1), s->kind);
    s->kind = NULL;
}

/* Add [pfn, pfn + n) of `kind` (mfn: of pfn, or NO_FRAME); the kinds are
 * string constants, so equal kinds are equal pointers. */
static void span_add(struct span *s, const char *kind, xen_pfn_t pfn, xen_pfn_t n,
                     xen_pfn_t mfn)
{
    bool joins = s->kind == kind && s->end == pfn &&
                 (mfn == NO_FRAME ? s->mfn == NO_FRAME
                                  : s->mfn != NO_FRAME && s->mfn + (pfn - s->start) == mfn);

    if (!joins) {
        span_flush(s);
        s->kind = kind;
        s->start = pfn;
        s->mfn = mfn;
    }
    s->end = pfn + n;
}

static const char *page_kind(enum p2m_page k)
{
    return k == P2M_PAGE_PRIVATE ? "private" :
           k == P2M_PAGE_IDENTITY ? "identity" : "missing";
}

/* Entry runs: shared pages are skipped whole, as in p2m_dump(). */
static void dump_entry_runs(void)
{
    struct span s = { .tag = "P2MR" };

    for (xen_pfn_t pfn = 0; pfn < p2m_table_limit;) {
        enum p2m_page k = P2M_PAGE_PRIVATE;
        xen_pfn_t n = 0;

        if (pfn % P2M_PFNS_PER_PMD_PAGE == 0 &&
            (k = p2m_page_at(pfn, 3)) != P2M_PAGE_PRIVATE)
            n = P2M_PFNS_PER_PMD_PAGE;
        else if (pfn % P2M_PFNS_PER_PTE_PAGE == 0 &&
                 (k = p2m_page_at(pfn, 2)) != P2M_PAGE_PRIVATE)
            n = P2M_PFNS_PER_PTE_PAGE;
        else if (pfn % P2M_PER_PAGE == 0 && (k = p2m_page_at(pfn, 1)) != P2M_PAGE_PRIVATE)
            n = P2M_PER_PAGE;
        if (n) {
            span_add(&s, k == P2M_PAGE_IDENTITY ? "identity" : "missing", pfn, n, NO_FRAME);
            pfn += n;
            continue;
        }
        xen_pfn_t e = p2m_entry_load(pfn);
        if (e == INVALID_P2M_ENTRY)
            span_add(&s, "missing", pfn, 1, NO_FRAME);
        else if (e & IDENTITY_FRAME_BIT)
            span_add(&s, "identity", pfn, 1, NO_FRAME);
        else
            span_add(&s, e & FOREIGN_FRAME_BIT ? "foreign" : "ram", pfn, 1,
                     e & ~P2M_FRAME_BITS);
        pfn++;
    }
    span_flush(&s);
}

/* One level of the tree, below the private pages of the level above. */
static void dump_tree_level(unsigned int level, const char *tag, xen_pfn_t step)
{
    struct span s = { .tag = tag };

    for (xen_pfn_t pfn = 0; pfn < p2m_table_limit; pfn += step) {
        if (level < 3 && p2m_page_at(pfn, 3) != P2M_PAGE_PRIVATE) {
            span_flush(&s);
            pfn += P2M_PFNS_PER_PMD_PAGE - step;
            continue;
        }
        if (level < 2 && p2m_page_at(pfn, 2) != P2M_PAGE_PRIVATE) {
            span_flush(&s);
            pfn += P2M_PFNS_PER_PTE_PAGE - step;
            continue;
        }
        span_add(&s, page_kind(p2m_page_at(pfn, level)), pfn, step, NO_FRAME);
    }
    span_flush(&s);
}

void p2m_dump_runs(void)
{
    struct p2m_stats st;

    if (!p2m.ready) {
        printk("P2MR END max_pfn=0 limit=0\n");
        return;
    }
    dump_entry_runs();
    dump_tree_level(3, "P2MT pmd", P2M_PFNS_PER_PMD_PAGE);
    dump_tree_level(2, "P2MT pte", P2M_PFNS_PER_PTE_PAGE);
    dump_tree_level(1, "P2MT leaf", P2M_PER_PAGE);
    p2m_get_stats(&st);
    printk("P2MT pages leaves=%lu pte=%lu pmd=%lu l3=%lu shared=%lu fl=%lu total=%lu\n",
           (unsigned long)st.leaves, (unsigned long)st.pte_pages,
           (unsigned long)st.pmd_pages, (unsigned long)st.l3_pages,
           (unsigned long)st.shared_pages, (unsigned long)st.fl_pages,
           (unsigned long)st.total);
    printk("P2MR END max_pfn=%lx limit=%lx\n", (unsigned long)p2m.max_pfn,
           (unsigned long)p2m_table_limit);
}
