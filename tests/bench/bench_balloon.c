/*
 * bench_balloon (make bench): the balloon going down and up on the Xen
 * model, for batch sizes 64 (Mini-OS's extents per call), 512 (Linux's)
 * and 2048, scrub off and on.  Prints pages/s each way, extents per
 * reservation hypercall and mmu_update hypercalls per page, with the
 * throughput ratio against batch 64 measured in the same run.
 *
 * The model is not Xen: absolute numbers are minnow's own work plus the
 * model's bookkeeping.  scripts/bench-balloon.sh measures under real Xen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <minnow/balloon.h>
#include <minnow/frame.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>
#include "mm/p2m_internal.h"
#include <minnow/pt.h>
#include "sim/xen_model.h"

#define P2M_VA      0xffffa00000000000UL
#define NR          (65536UL + 4096)        /* 272 MiB */
#define MOVE        32768UL                 /* 128 MiB each way */
#define POOL_KEEP   2048

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void boot(unsigned int batch, bool scrub)
{
    struct sim_config cfg = {
        .machine_frames = 1UL << 18, .nr_pages = NR, .map_all = true,
        .start_info_flags = SIF_INITDOMAIN, .seed = 5,
        .p2m_va = P2M_VA, .p2m_slots = 32, .max_pages = NR,
    };
    struct p2m_config pc = { .virt_base = P2M_VA, .virt_slots = 32, .frames = &sim_frames };
    struct balloon_config bc = { .pfn_limit = 4 * PFN_SET_CHUNK_PFNS, .batch = batch,
                                 .scrub = scrub };
    xen_pfn_t pfn;

    memset(&p2m, 0, sizeof(p2m));
    p2m_table_va = 0;
    p2m_table_limit = 0;
    sim_init(&cfg);
    p2m_use_boot_list(&sim.start_info);
    pt_init(sim.start_info.pt_base >> 12, &sim_frames, pfn_to_mfn);
    if (p2m_init(&pc)) {
        fprintf(stderr, "bench_balloon: p2m_init failed\n");
        exit(1);
    }
    frame_allocator_init(4 * PFN_SET_CHUNK_PFNS);
    while (sim_pool_count() > POOL_KEEP && sim_pool_take(&pfn) == 0)
        frame_free(pfn);
    if (balloon_init(&bc)) {
        fprintf(stderr, "bench_balloon: balloon_init failed\n");
        exit(1);
    }
}

static void shutdown(void)
{
    balloon_fini();
    memset(&p2m, 0, sizeof(p2m));
    p2m_table_va = 0;
    p2m_table_limit = 0;
    sim_fini();
}

int main(void)
{
    static const unsigned int batches[] = { 64, 512, 2048 };
    double base_down[2] = { 0, 0 }, base_up[2] = { 0, 0 };
    int status = 0;

    printf("balloon on the Xen model: %lu pages (%lu MiB) down then up, best of 3\n",
           MOVE, MOVE >> 8);
    for (int scrub = 0; scrub < 2; scrub++) {
        for (unsigned int i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
            double best_down = 1e9, best_up = 1e9;
            struct balloon_stats st = { 0 };
            uint64_t mmu_calls = 0;

            for (int rep = 0; rep < 3; rep++) {
                double t0, t1, t2;
                uint64_t m0;
                long d, u;

                boot(batches[i], scrub);
                m0 = sim.mmu_update_calls;
                t0 = now();
                d = balloon_down(MOVE);
                t1 = now();
                u = balloon_up(MOVE);
                t2 = now();
                balloon_get_stats(&st);
                mmu_calls = sim.mmu_update_calls - m0;
                if (d != (long)MOVE || u != (long)MOVE || st.lost_pages ||
                    sim_take_violations()) {
                    printf("  batch %u: FAILED (down %ld, up %ld, lost %lu)\n",
                           batches[i], d, u, (unsigned long)st.lost_pages);
                    status = 1;
                }
                if (t1 - t0 < best_down)
                    best_down = t1 - t0;
                if (t2 - t1 < best_up)
                    best_up = t2 - t1;
                shutdown();
            }
            double down = MOVE / best_down, up = MOVE / best_up;
            if (i == 0) {
                base_down[scrub] = down;
                base_up[scrub] = up;
            }
            printf("  batch %4u scrub %-3s  down %8.0f pages/s (x%.2f)  up %8.0f pages/s "
                   "(x%.2f)  %.0f extents/call  %.3f mmu_update calls/page\n",
                   batches[i], scrub ? "on" : "off", down, down / base_down[scrub], up,
                   up / base_up[scrub],
                   (double)(st.pages_down + st.pages_up) / (st.down_calls + st.up_calls),
                   (double)mmu_calls / (2 * MOVE));
        }
    }
    return status;
}
