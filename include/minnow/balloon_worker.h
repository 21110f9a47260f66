/*
 * The balloon driver (drivers/balloon/worker.c, guest only): a thread
 * that moves the balloon's core (balloon.h) toward the target, one batch
 * at a time, and the sources of that target.
 *
 *   target sources                  worker thread                   reports
 *   xenstore memory/target (KiB) -+                                +-> console
 *   balloon_target=SIZE (dom0)   -+-> balloon_worker_set_target()  |   "balloon: current_kb=..."
 *   tests                        -+   wakes the worker ----------->+-> xenstore data/balloon/
 */
#ifndef MINNOW_BALLOON_WORKER_H
#define MINNOW_BALLOON_WORKER_H

#include <stdint.h>
#include <xen/xen.h>
#include <minnow/e820_plan.h>

/* What boot hands the worker (the rest comes from the command line and
 * xenstore). */
struct balloon_worker_config {
    xen_pfn_t pfn_limit;        /* fresh pfns stay below: the frame
                                   allocator's limit (the p2m's) */
    const struct e820_pfn_range *ram;   /* ... and inside the E820's RAM */
    unsigned int nr_ram;        /* (the plan's ram_above) */
    uint64_t released_pages;    /* E820 pages given back to Xen at boot */
};

/*
 * Start the balloon after xenstore/control (boot step 6): as a domU the
 * target follows memory/target (KiB), bounded by memory/static-max; as
 * dom0 it comes from balloon_target=SIZE, or from
 * balloon_worker_set_target().  Command line: balloon=off,
 * balloon_target=SIZE, balloon_min=SIZE, balloon_batch=N,
 * balloon_scrub=0|1, balloon_p2m_dump (p2m_dump() after every report, for
 * comparing with xen-mfndump), balloon_trace (timestamped target, batch
 * and settle lines, the balloon's pfns and the p2m in runs, for
 * scripts/pictures.py; worker.c gives the format).  A restore re-reads the reservation and
 * wakes the worker (a suspend hook).
 * 0, or -errno (printed); calling it again does nothing.
 */
int balloon_worker_start(const struct balloon_worker_config *cfg);
/* Set the core's target and wake the worker; returns the clamped target. */
uint64_t balloon_worker_set_target(uint64_t pages);
/* Wait until the worker has done what it can: 0 at the target, -EAGAIN
 * when blocked (stats.block says why), -ETIMEDOUT. */
int balloon_worker_wait(uint64_t timeout_ms);

#endif
