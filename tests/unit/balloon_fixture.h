/*
 * Shared set-up for the balloon host tests (test_balloon.c: down and up
 * accounting; test_balloon_growth.c: growth, fresh pfns, restore): a
 * booted domain in the Xen model with the real p2m, page tables and frame
 * allocator, and the balloon initialised on top.
 *
 * Every test ends with check_world(), which compares minnow's view with
 * the model's:
 *   - every pfn below top_pfn is RAM (owned frame, m2p back to it) or in
 *     the balloon (p2m ~0, not mapped); nothing at or above top_pfn is RAM;
 *   - the domain's frames in the model == RAM pfns == balloon current_pages;
 *   - every free frame is mapped writable at its direct-map address;
 *   - no lost pages, no model violation, the p2m self-check passes and
 *     shared_info max_pfn is minnow's and covers top_pfn.
 */
#ifndef BALLOON_FIXTURE_H
#define BALLOON_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <minnow/balloon.h>
#include "p2m_fixture.h"

#define NR          (32768 + 100)   /* 128 MiB + a partial leaf */
#define POOL_KEEP   1024            /* model frames left for p2m/page tables */
#define PAT(pfn)    (0xb10000000000000ull ^ ((uint64_t)(pfn) * 0x9e3779b97f4a7c15ull))

/* Free frames in the allocator once the last boot() had handed them over. */
extern uint64_t free_at_boot;

/*
 * A booted domain of nr pages with max_pages, its free frames split
 * between the frame allocator (what the balloon takes) and the model's
 * pool (what the p2m and page tables allocate from, as in the guest).
 * bc NULL: a pfn limit of 4 set chunks and the defaults.
 */
void boot(xen_pfn_t nr, uint64_t max_pages, uint32_t sif,
          const struct balloon_config *bc);

/* cmocka fixtures: boot(NR, NR + 8192) as dom0; and undo it. */
int setup(void **state);
int teardown(void **state);

struct balloon_stats stats(void);

/* Is pfn RAM in the map the balloon was given (none given: all of it)? */
bool map_ram(xen_pfn_t pfn);

void check_world(void);

/* Every domain frame in the model is one minnow knows at its m2p pfn. */
void check_ownership(void);

/* Write PAT(pfn) into the first word of every free frame below top_pfn. */
void fill_free_frames(void);

#endif
