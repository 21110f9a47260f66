/*
 * Getting the E820 from Xen, and applying an identity/remap plan
 * (include/minnow/e820_plan.h) to the p2m, the m2p, the direct map and the
 * domain's reservation.  Everything goes through xen_mm.h and p2m.h, so
 * the host tests run it against the Xen model in tests/unit/sim/.
 *
 * Boot sequence (dom0 or domU):
 *
 *   e820_fetch(&raw, initial_domain, nr_pages, &w)   raw map, domU fallback
 *   e820_print(&raw, "E820 raw", printk)
 *   e820_sanitize(&raw, &map, &w)
 *   e820_print(&map, "E820 sanitized", printk)
 *   e820_plan_build(&plan, &map, nr_pages, p2m_limit, keep, nr_keep, &w)
 *        p2m_limit = the pfn space the p2m will cover (p2m_table_limit);
 *        keep = [0, bootstrap_end): pfns holding the kernel and Xen's boot
 *        data, which cannot move (only matters where they hit a hole)
 *   e820_warnings_print(&w, printk); e820_plan_print(&plan, printk)
 *   ... give the frame allocator ONLY plan.usable pfns below nr_pages
 *       (a pfn in a hole must never be handed out: it is about to move),
 *       map RAM, p2m_init() ...
 *   e820_apply(&plan, &res)
 *   frame_free_range() each res.dst[] and res.stuck[] range
 *   the balloon's headroom grows by res.released_pages
 *   ... after each restore: e820_identity_reapply(&plan, &res)
 *
 * e820_apply() needs: p2m_init() done, covering plan.p2m_limit pfns; the
 * source pfns of moves and releases populated, mapped at their direct-map
 * address or not mapped, and not in use; destination pfns not mapped.
 */
#ifndef MINNOW_E820_APPLY_H
#define MINNOW_E820_APPLY_H

#include <stdbool.h>
#include <minnow/e820.h>
#include <minnow/e820_plan.h>

/*
 * Read the map into raw (its whole E820_MAX_ENTRIES buffer; the sanitizer
 * keeps the first E820_MAX_RAW, with a warning): XENMEM_machine_memory_map
 * for the initial domain (dom0), XENMEM_memory_map otherwise.  0: raw
 * holds Xen's map.  A PV domU built by libxl always has one: libxl sets a
 * single RAM region [0, maxmem + slack) with xc_domain_set_memmap_limit()
 * (slack is 0 by default; the RAM above nr_pages is where the balloon
 * grows), or the host's holes with e820_host=1.  For a domU, -ENOSYS (a
 * builder that set no map) gives the single-region fallback [0, nr_pages)
 * and returns 1; any other failure also falls back, with the rc printed,
 * and returns it.  For dom0 there is no safe fallback (MMIO would alias
 * RAM): the rc is printed and returned, raw is empty, and boot stops.
 */
int e820_fetch(struct e820_map *raw, bool initial_domain, xen_pfn_t nr_pages,
               e820_print_fn print);

/* Pages that could not be released (Xen refused): still RAM at their pfn. */
#define E820_APPLY_MAX_STUCK    (E820_PLAN_MAX_RANGES + E820_PLAN_MAX_MOVES)

struct e820_apply_result {
    uint64_t moved_pages;       /* frames now at their destination pfn */
    uint64_t released_pages;    /* given back to Xen: balloon headroom */
    uint64_t fallback_pages;    /* planned moves released instead (a step failed) */
    uint64_t stuck_pages;       /* Xen kept them: still RAM, mapped, at their pfn */
    uint64_t identity_pages;    /* pfns made 1:1 */
    unsigned int nr_dst, nr_stuck;
    struct e820_pfn_range dst[E820_PLAN_MAX_MOVES];     /* new RAM, mapped RW */
    struct e820_pfn_range stuck[E820_APPLY_MAX_STUCK];
    int rc;                     /* first failure seen, 0 if none */
};

/*
 * Apply plan: moves (p2m of the destination, MMU_MACHPHYS_UPDATE, direct
 * map at the destination, unmap the source), then releases
 * (decrease_reservation of unmapped frames), then identity ranges.  Every
 * failure is printed with its rc; a move that fails part-way is undone and
 * its pages released instead; a release Xen refuses leaves the page RAM
 * where it was (res->stuck, never made identity).  No page is lost:
 *   plan.nr_pages == moved + released + stuck + (pages that never moved)
 * Returns res->rc.
 */
int e820_apply(const struct e820_plan *plan, struct e820_apply_result *res);

/*
 * After a restore: the tools rewrite every p2m entry below max_pfn from
 * what the saver could translate, so a 1:1 entry in a private leaf (a
 * range that starts or ends mid-leaf) comes back missing; whole 1:1
 * chunks keep their shared leaf.  Set the plan's identity ranges again,
 * minus res's stuck pfns, as e820_apply() did.  Allocates nothing: every
 * leaf that needs one is still private.  0 or the first rc (printed).
 */
int e820_identity_reapply(const struct e820_plan *plan,
                          const struct e820_apply_result *res);

#endif
