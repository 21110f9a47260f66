/*
 * Grant tables (v1): how minnow lets another domain (a backend, dom0's
 * tools) map or copy one of its pages.
 *
 *   Xen's grant-table frames, mapped at GNTTAB_VA (MAP_AREA_BASE):
 *   ref:  0 .. 7         8      9     ...
 *        [reserved ][ flags | domid | frame ] ...    one 8-byte entry per ref
 *         console,                   ^ the mfn (a PV guest grants machine frames)
 *         xenstore
 *
 * Granting: fill domid and frame, then (after a write barrier) set flags
 * to GTF_permit_access (|GTF_readonly).  Ending: atomically clear flags,
 * unless Xen says the peer still has the page mapped (GTF_reading /
 * GTF_writing): then the page must not be reused yet (-EBUSY).
 *
 * The free refs are kept by mm/gnttab_refs.c (pure logic, host-tested).
 * Suspend unmaps the table frames (they are Xen's, not guest RAM: a save
 * could not translate them); resume sets the table up again.  Grants do not
 * survive a restore: their owners grant again in their own resume hooks.
 */
#ifndef MINNOW_GNTTAB_H
#define MINNOW_GNTTAB_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

/* ---- the free-ref list (mm/gnttab_refs.c) --------------------------------- */

#define GNT_REF_IN_USE ((grant_ref_t)~0U)
#define GNT_REF_END    ((grant_ref_t)~1U)

struct gnt_refs {
    grant_ref_t *next;          /* next free ref, GNT_REF_END, or GNT_REF_IN_USE */
    uint32_t nr;                /* refs in the table */
    grant_ref_t head;           /* first free, or GNT_REF_END */
    uint32_t free;
};

/* refs [GNTTAB_NR_RESERVED_ENTRIES, nr) start free; next[] holds nr entries. */
void gnt_refs_init(struct gnt_refs *r, grant_ref_t *next, uint32_t nr);
/* 0 and *ref, or -ENOSPC. */
int gnt_refs_get(struct gnt_refs *r, grant_ref_t *ref);
/* Freeing a reserved, out-of-range or already free ref is a bug (panic). */
void gnt_refs_put(struct gnt_refs *r, grant_ref_t ref);

/* ---- the grant table (drivers/gnttab.c) ------------------------------------ */

int gnttab_init(void);
bool gnttab_ready(void);
/* Let domid map pfn's frame; 0 and *ref, or -errno. */
int gnttab_grant_access(domid_t domid, xen_pfn_t pfn, bool readonly, grant_ref_t *ref);
/* Take the grant back: 0, or -EBUSY while the peer still maps it. */
int gnttab_end_access(grant_ref_t ref);
uint32_t gnttab_free_refs(void);
uint32_t gnttab_nr_refs(void);

#endif
