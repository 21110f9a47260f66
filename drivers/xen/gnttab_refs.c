/* The free grant references (the list is drawn in gnttab_refs.h). */
#include <errno.h>
#include <minnow/panic.h>
#include "gnttab_refs.h"

void gnttab_refs_init(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr)
{
    r->next = next;
    r->nr = nr;
    r->head = GNTTAB_REF_END;
    r->free = 0;
    for (grant_ref_t ref = 0; ref < nr; ref++)
        next[ref] = GNTTAB_REF_IN_USE;           /* reserved ones stay "in use" */
    for (grant_ref_t ref = nr; ref-- > GNTTAB_NR_RESERVED_ENTRIES;) {
        next[ref] = r->head;
        r->head = ref;
        r->free++;
    }
}

int gnttab_refs_get(struct gnttab_refs *r, grant_ref_t *ref)
{
    if (r->head == GNTTAB_REF_END)
        return -ENOSPC;
    *ref = r->head;
    r->head = r->next[*ref];
    r->next[*ref] = GNTTAB_REF_IN_USE;
    r->free--;
    return 0;
}

void gnttab_refs_put(struct gnttab_refs *r, grant_ref_t ref)
{
    if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= r->nr)
        panic("gnttab: freeing ref %u, outside [%u, %u)", ref,
              GNTTAB_NR_RESERVED_ENTRIES, r->nr);
    if (r->next[ref] != GNTTAB_REF_IN_USE)
        panic("gnttab: ref %u freed twice", ref);
    r->next[ref] = r->head;
    r->head = ref;
    r->free++;
}
