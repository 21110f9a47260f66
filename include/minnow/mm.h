/*
 * Memory setup at boot (kernel/boot/mm_setup.c, kernel/boot/p2m_setup.c):
 * the frame allocator, the direct map of all RAM, the p2m, the E820 plan,
 * the heap.  What it found is kept for the boot summary, the balloon
 * worker (boot passes mm_boot.balloon on) and the tests.
 */
#ifndef MINNOW_MM_H
#define MINNOW_MM_H

#include <stdint.h>
#include <xen/xen.h>
#include <minnow/balloon_worker.h>

struct mm_boot_info {
    xen_pfn_t nr_pages;            /* pfns Xen populated: [0, nr_pages) */
    xen_pfn_t bootstrap_end_pfn;   /* first pfn after Xen's boot stack */
    xen_pfn_t xen_mapped_end_pfn;  /* end of what Xen mapped for us */
    uint64_t frames_at_boot;       /* free frames after setup */
    uint64_t pt_tables_at_boot;    /* page-table pages minnow added */
    struct balloon_worker_config balloon;  /* the pfn space, pages released */
};
extern struct mm_boot_info mm_boot;

struct e820_map;
struct e820_plan;
struct e820_apply_result;
/* The sanitized map, the plan and what applying it did (for the tests). */
const struct e820_map *mm_e820_map(void);
const struct e820_plan *mm_e820_plan(void);
const struct e820_apply_result *mm_e820_result(void);

void mm_init(void);

/* ---- the p2m at boot (kernel/boot/p2m_setup.c) ---------------------------- */

struct p2m_config;
/* P2M_VIRT_BASE and the command line's p2m_reserve=, frames from the
 * frame allocator. */
void p2m_boot_config(struct p2m_config *cfg);
/* Step 4 of mm_init(): p2m_init() with that configuration, and a summary. */
void p2m_setup_at_boot(void);
/* After boot has finished changing the p2m: p2m_check and p2m_dump if asked. */
void p2m_boot_report(void);

#endif
