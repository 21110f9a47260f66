/*
 * The identity/remap planner: from a sanitized E820 map and the pfns Xen
 * populated, decide -- without touching anything -- what the p2m must say.
 *
 * Xen populates pfns [0, nr_pages) with RAM no matter what the E820 says.
 * In dom0 the E820 is the MACHINE map, so some of those pfns fall in holes
 * (QEMU: 0x9f-0xff; with -m 4096 the whole PCI hole).  Those pfns must
 * become identity (pfn == mfn, for MMIO and firmware) and their frames
 * must not be lost: each one moves to a map-RAM pfn above nr_pages, or,
 * when there is no room, is given back to Xen (balloon headroom).
 *
 *  pfn 0                        nr_pages                        p2m_limit
 *  |RAM RAM|hole|RAM RAM|hole|RAM| RAM RAM RAM |hole| RAM RAM  |
 *  |<----- populated by Xen ---->|<---- map RAM, unpopulated --->|
 *           |           |          ^      ^
 *           +--- move --+----------+------+  (frames keep their content,
 *                                               pfns change)
 *
 * identity: every pfn below p2m_limit that is not map RAM (non-RAM entries,
 *           gaps, and everything from the end of the map up to p2m_limit);
 *           pfns at or above p2m_limit are identity by the p2m's own rule.
 * moves:    src pfns (populated, not map RAM) -> dst pfns (map RAM,
 *           >= nr_pages, < ram_limit); sorted by src, and dst ascends too.
 * release:  src pfns for which no dst was left (decrease_reservation),
 *           and populated RAM at or above ram_limit.
 * kept:     src pfns that the caller said hold live boot data (kernel image,
 *           Xen's boot page tables, ...): they stay RAM where they are and
 *           are NOT identity.  Avoid needing this: keep boot data out of
 *           the low 640 KiB - 1 MiB hole.
 * usable:   the pfns minnow may use as RAM afterwards: map RAM below
 *           nr_pages and ram_limit, kept, and move destinations.  Their
 *           count is nr_pages - released.
 * ram_above: map RAM in [nr_pages, ram_limit): the only pfns the domain
 *           can grow into (move destinations, then the balloon's fresh
 *           pfns); everything else above nr_pages is 1:1 or unusable.
 * ram_limit: min(p2m_limit, E820_PLAN_RAM_LIMIT).  No pfn at or above it
 *           is ever usable RAM, whatever the p2m covers.
 *
 * All lists are sorted, disjoint, and adjacent ranges are merged.  All
 * capacities are fixed and sized so that every list except the move list
 * provably fits (see the E820_PLAN_MAX_* comments); when the move list
 * fills up, the remaining pages are released, with a warning: a page is
 * never lost.
 */
#ifndef MINNOW_E820_PLAN_H
#define MINNOW_E820_PLAN_H

#include <stdint.h>
#include <minnow/e820.h>
#include <minnow/pfn_set.h>

struct e820_pfn_range {
    xen_pfn_t start;
    xen_pfn_t end;              /* exclusive */
};

/* Append [s, e) (empty: nothing) to a sorted list of at most cap ranges,
 * merged into the last one when they touch.  False when the list is full. */
bool e820_range_append(struct e820_pfn_range *list, unsigned int *nr,
                       unsigned int cap, xen_pfn_t s, xen_pfn_t e);

struct e820_move {
    xen_pfn_t src;
    xen_pfn_t dst;
    xen_pfn_t nr;
};

/* Caller's keep ranges (boot data), merged: at most this many. */
#define E820_PLAN_MAX_KEEP      8u

/*
 * Non-RAM ranges below the limit: at most (RAM entries + 1); each keep
 * range splits at most one of them once more.
 */
#define E820_PLAN_MAX_RANGES    (E820_MAX_ENTRIES + 1u + E820_PLAN_MAX_KEEP)

/* Beyond this the planner releases instead of moving (warning). */
#define E820_PLAN_MAX_MOVES     128u

/* The frame allocator (and the balloon) hold pfns below this (1 TiB). */
#define E820_PLAN_RAM_LIMIT     PFN_SET_MAX_PFNS

#define E820_PLAN_MAX_USABLE    (E820_MAX_ENTRIES + E820_PLAN_MAX_RANGES + \
                                 E820_PLAN_MAX_MOVES)

struct e820_plan {
    /* Inputs, echoed for printing and checking. */
    xen_pfn_t nr_pages;
    xen_pfn_t p2m_limit;
    xen_pfn_t ram_limit;        /* min(p2m_limit, E820_PLAN_RAM_LIMIT) */
    xen_pfn_t map_end_pfn;      /* end of the last map entry, any type */

    unsigned int nr_identity, nr_moves, nr_release, nr_kept, nr_usable, nr_ram_above;
    struct e820_pfn_range identity[E820_PLAN_MAX_RANGES];
    struct e820_move move[E820_PLAN_MAX_MOVES];
    struct e820_pfn_range release[E820_PLAN_MAX_RANGES];
    struct e820_pfn_range kept[E820_PLAN_MAX_RANGES];
    struct e820_pfn_range usable[E820_PLAN_MAX_USABLE];
    struct e820_pfn_range ram_above[E820_MAX_ENTRIES];  /* one per RAM entry at most */

    /* Counts, in pages. */
    uint64_t identity_pages;    /* pfns in identity[] (all < p2m_limit) */
    uint64_t moved_pages;
    uint64_t released_pages;    /* = balloon headroom gained */
    uint64_t kept_pages;
    uint64_t usable_pages;      /* = nr_pages - released_pages */
    uint64_t unpopulated_ram_pages; /* map RAM in [nr_pages, ram_limit), not a dst */
    uint64_t ram_above_limit_pages; /* unpopulated map RAM at or above ram_limit */
    xen_pfn_t usable_end_pfn;   /* one past the highest usable pfn */
};

/*
 * Fill plan.  map must be sanitized (e820_sanitize()): sorted, disjoint,
 * page-aligned, non-empty entries.  Requires nr_pages <= p2m_limit <=
 * 2^40 and keep ranges inside [0, nr_pages).  keep may be NULL when
 * nr_keep == 0.
 *
 * Returns 0, or -EINVAL (with an E820_WARN_BAD_MAP warning) when the input
 * breaks those rules; then the plan is empty (nothing to apply).
 */
int e820_plan_build(struct e820_plan *plan, const struct e820_map *map,
                    xen_pfn_t nr_pages, xen_pfn_t p2m_limit,
                    const struct e820_pfn_range *keep, unsigned int nr_keep,
                    struct e820_warnings *w);

/* Print the plan, then the summary line with the counts. */
void e820_plan_print(const struct e820_plan *plan, e820_print_fn print);

#endif
