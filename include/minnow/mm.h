/*
 * Memory setup at boot (kernel/mm_setup.c): frame allocator, direct map of
 * all RAM, the p2m, the heap.  The numbers it found are kept for the boot
 * summary and the tests.
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

struct e820_map;
struct e820_plan;
struct e820_apply_result;
/* The sanitized map, the plan and what applying it did (for tests and the balloon). */
const struct e820_map *mm_e820_map(void);
const struct e820_plan *mm_e820_plan(void);
const struct e820_apply_result *mm_e820_result(void);
extern struct mm_boot_info mm_boot;

void mm_init(void);

#endif
