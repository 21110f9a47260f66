/*
 * Shared set-up for the p2m host tests: a domain in the Xen model with all
 * its RAM mapped (the state after minnow's boot), then pt_init() and
 * p2m_init() exactly as boot calls them.
 */
#ifndef P2M_FIXTURE_H
#define P2M_FIXTURE_H

#include <string.h>
#include "mm/p2m_internal.h"
#include <minnow/pt.h>
#include "sim/xen_model.h"
#include "host_console.h"

#define TEST_P2M_VA     0xffffa00000000000UL
#define TEST_P2M_SLOTS  32UL

static inline void p2m_forget(void)
{
    memset(&p2m, 0, sizeof(p2m));
    p2m_table_va = 0;
    p2m_table_limit = 0;
}

/* Boot a domain of nr pages; returns p2m_init()'s result. */
static inline int p2m_boot(xen_pfn_t nr, uint32_t sif, xen_pfn_t reserve,
                           uint64_t seed)
{
    struct sim_config cfg = {
        .nr_pages = nr, .map_all = true, .start_info_flags = sif, .seed = seed,
        .p2m_va = TEST_P2M_VA, .p2m_slots = TEST_P2M_SLOTS,
        .max_pages = nr + 65536,
    };
    struct p2m_config pc = {
        .virt_base = TEST_P2M_VA, .virt_slots = TEST_P2M_SLOTS,
        .reserve_pfns = reserve, .frames = &sim_frames,
    };

    p2m_forget();
    sim_init(&cfg);
    host_console_reset();
    p2m_use_boot_list(&sim.start_info);
    pt_init(sim.start_info.pt_base >> 12, &sim_frames, pfn_to_mfn);
    return p2m_init(&pc);
}

static inline void p2m_shutdown(void)
{
    p2m_forget();
    sim_fini();
}

/* The entry as the toolstack would read it (through the model). */
static inline xen_pfn_t raw_entry(xen_pfn_t pfn)
{
    return sim_va_load64(TEST_P2M_VA + pfn * 8);
}

#endif
