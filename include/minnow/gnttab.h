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
 * drivers/xen/gnttab.c maps the table; who holds which ref, and the
 * entries' protocol, are drivers/xen/gnttab_refs.c (host-tested).
 *
 * Suspend unmaps the table frames (they are Xen's, not guest RAM: a save
 * could not translate them); resume sets the table up again.  Grants do not
 * survive a restore (the new table is empty), but refs do: a ref stays its
 * owner's until the owner ends it, so nobody else is handed it meanwhile.
 * The contract for owners:
 *
 *   after a restore, end every ref you held with gnttab_end_access(): it
 *   returns 0 and gives the ref back (the grant is gone already, no entry
 *   is touched); then grant afresh.  A ref never ended stays allocated for
 *   good: gnttab_stale_refs() counts them.
 */
#ifndef MINNOW_GNTTAB_H
#define MINNOW_GNTTAB_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

int gnttab_init(void);
bool gnttab_ready(void);
/* Let domid map pfn's frame; 0 and *ref, or -errno. */
int gnttab_grant_access(domid_t domid, xen_pfn_t pfn, bool readonly, grant_ref_t *ref);
/*
 * Take the grant back and free ref: 0, or -EBUSY while the peer still
 * maps it (ref stays held).  A ref from before a restore: 0, ref freed.
 */
int gnttab_end_access(grant_ref_t ref);
uint32_t gnttab_free_refs(void);
uint32_t gnttab_nr_refs(void);
/* Refs granted before the last restore that their owners have not ended yet. */
uint32_t gnttab_stale_refs(void);

#endif
