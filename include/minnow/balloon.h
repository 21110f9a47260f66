/*
 * The balloon: give memory back to Xen and take it again, keeping the p2m,
 * Xen's m2p, the direct map and the frame allocator exact (docs/balloon.md
 * draws the pfn space and the flows).
 *
 *   pfn 0                                   top_pfn                pfn_limit
 *   |  RAM (mapped; free ones in the   |B|  |   fresh: never         |
 *   |  frame allocator)                |B|  |   populated, p2m ~0    |
 *   +-----------------------------------------+-----------------------+
 *                                       B = ballooned out: p2m ~0, not
 *                                           mapped, bit set in the balloon
 *
 *   down  free frames -> (scrub) -> unmap -> p2m ~0 -> decrease_reservation
 *   up    populate_physmap (ballooned pfns first, then fresh ones from
 *         top_pfn up, only where the E820 says RAM) -> p2m (grows) -> map
 *         -> frame allocator
 *
 * Two halves, two headers:
 *   balloon.h (this)    the core, balloon_*: accounting and batching,
 *                       synchronous (mm/balloon.c), built for the guest and
 *                       for the host tests (Xen model)
 *   balloon_worker.h    the driver, balloon_worker_*: a thread that moves
 *                       the core toward the target, the target sources
 *                       (xenstore memory/target, balloon_target=), reports
 *                       (drivers/balloon/worker.c, guest only)
 *
 * Units: pages of 4 KiB, counted as Xen counts them (the domain's
 * tot_pages, XENMEM_current_reservation); xenstore speaks KiB.
 * Only pfns are kept, never mfns: a restore changes every mfn.
 */
#ifndef MINNOW_BALLOON_H
#define MINNOW_BALLOON_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <minnow/e820_plan.h>

#define BALLOON_DEFAULT_BATCH   512u    /* extents per hypercall (Linux's) */
#define BALLOON_MAX_BATCH       4096u   /* the extent list is static */
#define BALLOON_DEFAULT_KEEP_FREE 256u  /* down leaves this many frames free */
#define BALLOON_MIN_HEADROOM    1024u   /* default minimum: in use + 4 MiB */

struct balloon_config {
    xen_pfn_t pfn_limit;        /* fresh pfns stay below (frame allocator
                                   limit, the p2m's reach is also checked) */
    /* The E820's RAM where fresh pfns may be taken, sorted (boot: the
     * plan's ram_above, maybe 0 ranges); it must stay valid while the
     * balloon runs.  NULL: all of [0, pfn_limit), as libxl's one-entry map. */
    const struct e820_pfn_range *ram;
    unsigned int nr_ram;
    unsigned int batch;         /* extents per hypercall; 0: default */
    bool scrub;                 /* zero pages before Xen gets them */
    uint64_t keep_free;         /* 0: BALLOON_DEFAULT_KEEP_FREE */
    uint64_t min_pages;         /* 0: pages in use at init + headroom */
    uint64_t static_max_pages;  /* 0: none (xenstore memory/static-max) */
};

/* Why the balloon is not (yet) where the target says. */
enum balloon_block {
    BALLOON_OK,
    BALLOON_NO_FREE_FRAMES,     /* down: the allocator is at keep_free */
    BALLOON_XEN_REFUSED,        /* the hypercall did nothing (or failed) */
    BALLOON_AT_MAX,             /* up: the maximum reservation is reached */
    BALLOON_NO_PFN_SPACE,       /* up: no fresh pfn below pfn_limit */
    BALLOON_NO_MEMORY,          /* up: no frame for a p2m leaf / page table */
};

struct balloon_stats {
    uint64_t current_pages;     /* what the domain holds (Xen's tot_pages) */
    uint64_t requested_pages;   /* the target as asked for */
    uint64_t target_pages;      /* ... clamped to [min_pages, max_pages] */
    uint64_t min_pages, max_pages;
    uint64_t low_pages, high_pages;     /* least / most held since init */
    uint64_t ballooned_pages;   /* pfns in the balloon (refill first) */
    uint64_t released_at_boot;  /* E820 pages released before init */
    xen_pfn_t top_pfn;          /* first fresh pfn */
    uint64_t bitmap_pages;      /* frames holding the balloon's bitmap */
    unsigned int batch;
    bool scrub;

    uint64_t down_calls, up_calls;      /* decrease / populate hypercalls */
    uint64_t pages_down, pages_up;
    uint64_t max_extents_per_call;
    uint64_t partial_results;   /* Xen did fewer extents than asked */
    uint64_t refusals;          /* ... or none, or an error */
    uint64_t given_back;        /* populated frames returned unplaced */
    uint64_t lost_pages;        /* frames we hold but could not place (0!) */
    uint64_t lent_pages;        /* ballooned pfns lent out now (balloon_lend) */
    uint64_t lent_total, returned_total;
    enum balloon_block block;
    long last_rc;               /* Xen's last error, 0 if none */
};

/* ---- set-up --------------------------------------------------------------- */

/*
 * After the frame allocator, the direct map and the p2m are up.  Reads
 * Xen's current and maximum reservation; top_pfn = the published max_pfn.
 * The initial target is what the domain held at boot (current + pages
 * noted released).  0, or -errno with the reason printed.
 */
int balloon_init(const struct balloon_config *cfg);
bool balloon_ready(void);
/* Forget everything (host tests boot many domains; the guest never stops
 * its balloon).  The frames in the balloon are not given back. */
void balloon_fini(void);

/* E820 pages given back to Xen at boot: headroom the balloon may refill.
 * May be called before balloon_init(). */
void balloon_note_released(uint64_t pages);

/* After a restore: mfns changed, pfns did not.  Re-reads the reservation. */
int balloon_resync(void);

/* ---- the target ------------------------------------------------------------ */

/* Ask for a target; returns the clamped one (printed when clamped). */
uint64_t balloon_set_target(uint64_t pages);
void balloon_set_static_max(uint64_t pages);
void balloon_set_batch(unsigned int batch);
void balloon_set_scrub(bool scrub);

/* Xen's maximum reservation now (bounded by static-max), or the last
 * known one if the query fails. */
uint64_t balloon_max_pages(void);

/* ---- moving ---------------------------------------------------------------- */

/*
 * Move toward the target by at most max_pages pages: > 0 pages moved,
 * 0 target reached, or -errno when nothing could be done (stats.block
 * says why: -ENOMEM no free frame / no page for p2m or tables, -EBUSY Xen
 * did nothing, -ENOSPC at the maximum or out of pfn space).
 */
long balloon_step(uint64_t max_pages);

/* Direct moves (tests, bench): give / take up to nr pages. */
long balloon_down(uint64_t nr);
long balloon_up(uint64_t nr);

/* ---- lending ballooned pfns ---------------------------------------------------- */

/*
 * The grant-mapping pool (drivers/xen/gntmap.c; like Linux's
 * alloc_xenballooned_pages): pfns with no RAM behind them, where another
 * domain's frames can be mapped without losing a page of ours.
 *
 * balloon_lend() takes n pfns out of the balloon (lowest first) into
 * out[]; when it holds fewer, it first gives that many more frames back to
 * Xen (balloon_down(), the target stays: the worker may take RAM again
 * with fresh pfns).  All or nothing: 0, or -ENOMEM / -EBUSY / -EINVAL
 * with nothing lent.  A lent pfn has p2m ~0 and no mapping, and must be
 * so again when given back; balloon_up() never refills it meanwhile.
 *
 * balloon_take_back() puts them back in the balloon: 0; -EINVAL for a pfn
 * that is not lent-shaped (in the balloon already, p2m not ~0: a bug,
 * printed, nothing taken from there on); -ENOMEM when a chunk of the set
 * needs a bitmap page and no frame is free (the rest stay lent, counted).
 */
int balloon_lend(xen_pfn_t *out, unsigned int n);
int balloon_take_back(const xen_pfn_t *pfns, unsigned int n);

/* ---- looking ---------------------------------------------------------------- */

bool balloon_pfn_is_ballooned(xen_pfn_t pfn);
/* The lowest ballooned pfn >= from, or NO_FRAME when there is none. */
xen_pfn_t balloon_next_ballooned(xen_pfn_t from);
void balloon_get_stats(struct balloon_stats *out);
const char *balloon_block_name(enum balloon_block b);

#endif
