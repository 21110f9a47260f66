/*
 * What mm/balloon.c shares with mm/balloon_resync.c, its other half: the
 * balloon's state, the set of ballooned-out pfns, the extent list of one
 * hypercall, and the helpers every reservation op goes through.  Private
 * to mm/: everything else uses include/minnow/balloon.h.
 */
#ifndef MM_BALLOON_INTERNAL_H
#define MM_BALLOON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <minnow/balloon.h>
#include <minnow/pfn_set.h>

struct balloon_state {
    bool ready, target_asked;
    struct balloon_stats st;
    xen_pfn_t pfn_limit;
    const struct e820_pfn_range *ram;   /* where fresh pfns may come from */
    unsigned int nr_ram;
    uint64_t keep_free, static_max;
};

extern struct balloon_state balloon;
extern struct pfn_set balloon_pfns;     /* the ballooned-out pfns */
/* The extent list of one hypercall, and the pfn of each extent. */
extern xen_pfn_t balloon_batch_pfn[BALLOON_MAX_BATCH];
extern xen_pfn_t balloon_batch_mfn[BALLOON_MAX_BATCH];

/* Keep low_pages/high_pages in step with current_pages. */
void balloon_note_current(void);
/* XENMEM_{increase,decrease}_reservation / populate_physmap on n extents. */
long balloon_reservation_op(unsigned int cmd, xen_pfn_t *list, unsigned int n);
/* Xen's answer to a reservation op on n extents, as a count in [0, n]. */
unsigned int balloon_extents_done(const char *what, long rc, unsigned int n);
/* XENMEM_current_reservation, reported if it fails. */
long balloon_current_reservation(void);

#endif
