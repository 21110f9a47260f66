/*
 * The grant table's contents, apart from Xen (drivers/xen/gnttab.c maps
 * the table and checks frames): which refs are free, who holds the rest,
 * and granting and ending on an entry.  Pure logic:
 * tests/unit/test_gnttab_refs.c runs it on the host.
 *
 * The free refs are a singly linked list threaded through an array, so
 * getting and putting a ref are O(1):
 *
 *   ref      0 .. 7     8       9        10     11
 *   next[]   IN_USE     10      IN_USE   END    STALE       head = 8
 *            reserved   free    granted  free   held from before a restore
 *
 * A ref in use holds GNTTAB_REF_IN_USE and the list ends with
 * GNTTAB_REF_END, so putting a ref twice is caught in O(1) too.
 *
 * A restore empties Xen's table, but the refs stay their owners': only an
 * owner knows when it is done with a ref, and a ref handed to someone
 * else meanwhile could then be ended by the old owner, revoking the new
 * grant.  gnttab_refs_restored() marks every ref in use STALE; ending a
 * stale ref just gives it back, touching no entry.
 */
#ifndef MINNOW_DRIVERS_XEN_GNTTAB_REFS_H
#define MINNOW_DRIVERS_XEN_GNTTAB_REFS_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#define GNTTAB_REF_IN_USE ((grant_ref_t)~0U)
#define GNTTAB_REF_END    ((grant_ref_t)~1U)
#define GNTTAB_REF_STALE  ((grant_ref_t)~2U)

struct gnttab_refs {
    grant_ref_t *next;          /* next free ref, END, IN_USE or STALE */
    uint32_t nr;                /* refs in the table */
    grant_ref_t head;           /* first free, or GNTTAB_REF_END */
    uint32_t free;
    uint32_t stale;             /* held from before the last restore */
};

/* refs [GNTTAB_NR_RESERVED_ENTRIES, nr) start free; next[] holds nr entries. */
void gnttab_refs_init(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr);
/* 0 and *ref, or -ENOSPC. */
int gnttab_refs_get(struct gnttab_refs *r, grant_ref_t *ref);
/* Putting a reserved, out-of-range or already free ref is a bug (panic). */
void gnttab_refs_put(struct gnttab_refs *r, grant_ref_t ref);
/* A restore emptied the table: every ref in use is now stale. */
void gnttab_refs_restored(struct gnttab_refs *r);
bool gnttab_refs_is_stale(const struct gnttab_refs *r, grant_ref_t ref);

/* Take a free ref and let domid map frame through it: 0 and *ref, or -ENOSPC. */
int gnttab_refs_grant(struct gnttab_refs *r, grant_entry_v1_t *table, domid_t domid,
                      uint32_t frame, bool readonly, grant_ref_t *ref);
/*
 * End ref's grant and give the ref back: 0, or -EBUSY while the peer maps
 * it (the ref stays held).  A stale ref's grant went with the old table:
 * it is only given back, and table may be NULL.
 */
int gnttab_refs_end(struct gnttab_refs *r, grant_entry_v1_t *table, grant_ref_t ref);

#endif
