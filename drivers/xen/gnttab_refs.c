/*
 * The free grant references: a singly linked list threaded through an
 * array, so getting and putting a ref are O(1).  A ref in use is marked
 * GNT_REF_IN_USE and the list ends with GNT_REF_END, so a double put is
 * caught in O(1) too.
 */
#include <errno.h>
#include <minnow/gnttab.h>
#include <minnow/panic.h>

void gnt_refs_init(struct gnt_refs *r, grant_ref_t *next, uint32_t nr)
{
    r->next = next;
    r->nr = nr;
    r->head = GNT_REF_END;
    r->free = 0;
    for (grant_ref_t ref = 0; ref < nr; ref++)
        next[ref] = GNT_REF_IN_USE;           /* reserved ones stay "in use" */
    for (grant_ref_t ref = nr; ref-- > GNTTAB_NR_RESERVED_ENTRIES;) {
        next[ref] = r->head;
        r->head = ref;
        r->free++;
    }
}

int gnt_refs_get(struct gnt_refs *r, grant_ref_t *ref)
{
    if (r->head == GNT_REF_END)
        return -ENOSPC;
    *ref = r->head;
    r->head = r->next[*ref];
    r->next[*ref] = GNT_REF_IN_USE;
    r->free--;
    return 0;
}

void gnt_refs_put(struct gnt_refs *r, grant_ref_t ref)
{
    if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= r->nr)
        panic("gnttab: freeing ref %u, outside [%u, %u)", ref,
              GNTTAB_NR_RESERVED_ENTRIES, r->nr);
    if (r->next[ref] != GNT_REF_IN_USE)
        panic("gnttab: ref %u freed twice", ref);
    r->next[ref] = r->head;
    r->head = ref;
    r->free++;
}
