/* The grant table's contents (the picture is in gnttab_refs.h). */
#include <errno.h>
#include <minnow/panic.h>
#include "gnttab_refs.h"

void gnttab_refs_init(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr)
{
    r->next = next;
    r->nr = nr;
    r->head = GNTTAB_REF_END;
    r->free = 0;
    r->stale = 0;
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
    if (r->next[ref] == GNTTAB_REF_STALE)
        r->stale--;
    else if (r->next[ref] != GNTTAB_REF_IN_USE)
        panic("gnttab: ref %u freed twice", ref);
    r->next[ref] = r->head;
    r->head = ref;
    r->free++;
}

void gnttab_refs_restored(struct gnttab_refs *r)
{
    for (grant_ref_t ref = GNTTAB_NR_RESERVED_ENTRIES; ref < r->nr; ref++) {
        if (r->next[ref] == GNTTAB_REF_IN_USE) {
            r->next[ref] = GNTTAB_REF_STALE;
            r->stale++;
        }
    }
}

bool gnttab_refs_is_stale(const struct gnttab_refs *r, grant_ref_t ref)
{
    return ref < r->nr && r->next[ref] == GNTTAB_REF_STALE;
}

int gnttab_refs_grant(struct gnttab_refs *r, grant_entry_v1_t *table, domid_t domid,
                      uint32_t frame, bool readonly, grant_ref_t *ref)
{
    int rc = gnttab_refs_get(r, ref);

    if (rc)
        return rc;
    table[*ref].domid = domid;
    table[*ref].frame = frame;
    /* The peer may use the entry as soon as flags say so: publish it last. */
    __atomic_store_n(&table[*ref].flags, GTF_permit_access | (readonly ? GTF_readonly : 0),
                     __ATOMIC_RELEASE);
    return 0;
}

int gnttab_refs_end(struct gnttab_refs *r, grant_entry_v1_t *table, grant_ref_t ref)
{
    if (!gnttab_refs_is_stale(r, ref)) {
        uint16_t flags = __atomic_load_n(&table[ref].flags, __ATOMIC_ACQUIRE);
        do {
            if (flags & (GTF_reading | GTF_writing))
                return -EBUSY;      /* still mapped by the peer */
        } while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false,
                                              __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    }
    gnttab_refs_put(r, ref);
    return 0;
}
