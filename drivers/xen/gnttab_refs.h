/*
 * The free grant references of drivers/xen/gnttab.c: a singly linked list
 * threaded through an array, so getting and putting a ref are O(1).
 *
 *   ref      0 .. 7     8       9        10
 *   next[]   IN_USE     10      IN_USE   END        head = 8
 *            reserved   free    granted  free (last)
 *
 * A ref in use holds GNTTAB_REF_IN_USE and the list ends with
 * GNTTAB_REF_END, so putting a ref twice is caught in O(1) too.  Pure
 * logic: tests/unit/test_gnttab_refs.c runs it on the host.
 */
#ifndef MINNOW_DRIVERS_XEN_GNTTAB_REFS_H
#define MINNOW_DRIVERS_XEN_GNTTAB_REFS_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#define GNTTAB_REF_IN_USE ((grant_ref_t)~0U)
#define GNTTAB_REF_END    ((grant_ref_t)~1U)

struct gnttab_refs {
    grant_ref_t *next;          /* next free ref, GNTTAB_REF_END, or GNTTAB_REF_IN_USE */
    uint32_t nr;                /* refs in the table */
    grant_ref_t head;           /* first free, or GNTTAB_REF_END */
    uint32_t free;
};

/* refs [GNTTAB_NR_RESERVED_ENTRIES, nr) start free; next[] holds nr entries. */
void gnttab_refs_init(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr);
/* 0 and *ref, or -ENOSPC. */
int gnttab_refs_get(struct gnttab_refs *r, grant_ref_t *ref);
/* Putting a reserved, out-of-range or already free ref is a bug (panic). */
void gnttab_refs_put(struct gnttab_refs *r, grant_ref_t ref);

#endif
