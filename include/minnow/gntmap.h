/*
 * Grant mapping: the backend side of grant tables.  Another domain grants
 * minnow a page (its grant table entry names minnow's domid); minnow maps
 * it (GNTTABOP_map_grant_ref) or copies from / to it (GNTTABOP_copy).
 * docs/gntmap.md draws a granted page's life.
 *
 *   borrowed pfn (ballooned out: no RAM behind it, mapped nowhere)
 *        |  map:  Xen writes the PTE at pfn's direct-map address,
 *        v        p2m[pfn] = FOREIGN_FRAME(mfn), m2p override mfn -> pfn
 *   pfn's address shows the peer's page        (pages[i].addr)
 *        |  unmap: Xen clears the PTE, p2m[pfn] = ~0, override dropped
 *        v
 *   pfn back to the balloon (the pool is whole again: gntmap_get_stats())
 *
 * The pfns come from the balloon (balloon_lend(), like Linux's
 * alloc_xenballooned_pages): pfns that have no RAM behind them, so a
 * mapping costs no memory; when the balloon holds too few, it gives that
 * many more back to Xen first.  A native kernel would map the peer's
 * page like an MMIO BAR: a PTE to a frame that is not its RAM.
 *
 * Batches: one hypercall per GNTMAP_BATCH entries, every entry has its own
 * status.  A batch in which entry k fails maps the others; entry k reports
 * Xen's GNTST_ code and holds nothing (no pfn, no mapping).
 *
 * The PTEs Xen writes carry PTE_GRANTED (pt.h): the page-table layer
 * refuses to overwrite or clear them; only gntmap_unmap() takes them
 * down (a plain update of a granted PTE is a bug Xen may kill the domain
 * for).
 *
 * Save / restore / migration: refused while anything is mapped.  The
 * suspend hook prints how many foreign pages are mapped and aborts the
 * suspend before any state changed (the toolstack's save fails, the
 * domain runs on); unmap first, then save.  A mapping of another domain's
 * frame cannot be carried into a restored domain: the grant is between
 * two live domains.
 *
 * Read-only mappings are read-only for minnow too: a write faults.
 */
#ifndef MINNOW_GNTMAP_H
#define MINNOW_GNTMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#define GNTMAP_BATCH    64u     /* map / unmap / copy entries per hypercall */

/* One page of a map request: fill domid, ref and readonly; the rest is out. */
struct gntmap_page {
    domid_t domid;              /* in: the granting domain */
    grant_ref_t ref;            /* in: its grant reference */
    bool readonly;              /* in: map read-only (GNTMAP_readonly) */
    int16_t status;             /* out: GNTST_okay, or Xen's GNTST_* for this page */
    grant_handle_t handle;      /* out: Xen's handle while mapped */
    xen_pfn_t pfn;              /* out: the borrowed pfn; NO_FRAME when not mapped */
    void *addr;                 /* out: where the page shows (pfn's direct-map
                                   address); NULL when not mapped */
};

struct gntmap_stats {
    uint64_t mapped;            /* pages mapped now */
    uint64_t pool_in_use;       /* pfns borrowed from the balloon now */
    uint64_t pool_free;         /* pfns the balloon holds (could lend now) */
    uint64_t maps, unmaps;      /* pages mapped / unmapped since boot */
    uint64_t map_failures;      /* entries Xen refused (status != okay) */
    uint64_t unmap_failures;
    uint64_t copies, copy_failures;     /* copy entries */
    uint64_t hypercalls;        /* grant_table_op calls made here */
};

/*
 * Map n pages (any mix of domains and read-only / read-write).  Returns
 * how many were mapped (0..n): every failed entry has status != GNTST_okay
 * (printed), pfn NO_FRAME, addr NULL.  -errno when nothing was tried:
 * -ENODEV no grant table / balloon, -ENOMEM no pfns to borrow, -EINVAL.
 */
int gntmap_map(struct gntmap_page *pages, unsigned int n);
/*
 * Unmap the held pages among pages[0..n): those whose pfn is not NO_FRAME
 * (one whose mapping could not be recorded has a bad status and a pfn:
 * it is held too); others are skipped.  Each one
 * unmapped gets pfn NO_FRAME, addr NULL, and its pfn goes back to the
 * balloon.  Returns 0, or how many could not be unmapped (status says
 * why; they stay mapped and keep their pfn).
 */
int gntmap_unmap(struct gntmap_page *pages, unsigned int n);

/*
 * GNTTABOP_copy of n entries (Xen's struct, filled with the helpers
 * below): each entry's status is set.  Returns how many succeeded (0..n),
 * or -errno when the hypercall itself failed (statuses then unknown).
 */
int gntmap_copy(gnttab_copy_t *ops, unsigned int n);
/* One side of a copy: another domain's granted page, or a page of ours. */
void gntmap_copy_grant(struct gnttab_copy_ptr *p, domid_t domid, grant_ref_t ref,
                       uint16_t offset);
void gntmap_copy_local(struct gnttab_copy_ptr *p, xen_pfn_t pfn, uint16_t offset);
/* Fill a whole entry: len bytes from src to dest, flags from the sides. */
void gntmap_copy_op(gnttab_copy_t *op, const struct gnttab_copy_ptr *src, bool src_is_grant,
                    const struct gnttab_copy_ptr *dst, bool dst_is_grant, uint16_t len);

void gntmap_get_stats(struct gntmap_stats *out);
/* Xen's name for a GNTST_ code ("bad_gntref"). */
const char *gntmap_status_name(int16_t status);

#endif
