/*
 * mm_env (include/minnow/mm_env.h) on the host: every call goes to the
 * Xen model (xen_model.c), which refuses what Xen would refuse.
 */
#include <errno.h>
#include <stdio.h>
#include <minnow/mm_env.h>
#include <minnow/p2m.h>
#include <minnow/console.h>
#include "sim/xen_model.h"

int mm_env_frame_alloc(xen_pfn_t *pfn)
{
    uint64_t pte;

    if (sim_frame_alloc_should_fail() || sim_pool_take(pfn))
        return -ENOMEM;
    if (sim_translate(*pfn << 12, &pte) == INVALID_MFN || !(pte & 2))
        sim_violation("frame allocator handed out pfn %#lx, not mapped writable",
                      (unsigned long)*pfn);
    return 0;
}

void mm_env_frame_free(xen_pfn_t pfn)
{
    uint64_t pte;
    xen_pfn_t mfn = sim_translate(pfn << 12, &pte);

    if (mfn == INVALID_MFN || !(pte & 2))
        sim_violation("pfn %#lx freed while not mapped writable", (unsigned long)pfn);
    else if (sim.frames[mfn].type >= SIM_L1 && sim.frames[mfn].type_count)
        sim_violation("pfn %#lx freed while still a page table", (unsigned long)pfn);
    sim_pool_give(pfn);
}

void *mm_env_pfn_to_va(xen_pfn_t pfn)
{
    uint64_t pte;
    xen_pfn_t mfn = sim_translate(pfn << 12, &pte);

    if (mfn == INVALID_MFN) {
        sim_violation("minnow touched pfn %#lx, which is not in the direct map",
                      (unsigned long)pfn);
        return NULL;
    }
    if (sim.m2p[mfn] != pfn)
        sim_violation("direct map of pfn %#lx holds mfn %#lx (m2p says pfn %#lx)",
                      (unsigned long)pfn, (unsigned long)mfn,
                      (unsigned long)sim.m2p[mfn]);
    return sim.guest_view + mfn * 4096UL;
}

xen_pfn_t mm_env_pfn_to_mfn(xen_pfn_t pfn)
{
    if (p2m_ready())
        return pfn_to_mfn(pfn);
    return pfn < sim.start_info.nr_pages ? sim.boot_mfn_list[pfn] : INVALID_MFN_VALUE;
}

xen_pfn_t mm_env_m2p(xen_pfn_t mfn)
{
    return mfn < sim.cfg.machine_frames ? sim.m2p[mfn] : INVALID_MFN_VALUE;
}

xen_pfn_t mm_env_max_mfn(void)
{
    return sim.cfg.machine_frames - 1;
}

const void *mm_env_machine_page(xen_pfn_t mfn)
{
    if (mfn >= sim.cfg.machine_frames || sim.frames[mfn].owner != SIM_DOMID)
        return NULL;
    return sim.machine + mfn * 4096UL;
}

int mm_env_mmu_update(const mmu_update_t *req, unsigned int count)
{
    unsigned int done = 0;
    int rc = sim_mmu_update(req, count, &done);

    if (rc)
        printk("mmu_update: request %u of %u refused (ptr %#lx val %#lx), rc %d\n",
               done, count, (unsigned long)req[done].ptr,
               (unsigned long)req[done].val, rc);
    return rc;
}

int mm_env_update_va_mapping(uint64_t va, uint64_t pte)
{
    int rc = sim_update_va_mapping(va, pte);

    if (rc)
        printk("update_va_mapping(%#lx, %#lx): rc %d\n", (unsigned long)va,
               (unsigned long)pte, rc);
    return rc;
}

int mm_env_mmuext(unsigned int cmd, uint64_t arg)
{
    int rc = sim_mmuext(cmd, arg);

    if (rc)
        printk("mmuext_op %u (%#lx): rc %d\n", cmd, (unsigned long)arg, rc);
    return rc;
}

long mm_env_memory_op(unsigned int cmd, void *arg)
{
    return sim_memory_op(cmd, arg);
}

struct arch_shared_info *mm_env_arch_shared_info(void)
{
    return &sim.shared.arch;
}

uint64_t mm_env_va_load64(uint64_t va)
{
    return sim_va_load64(va);
}

void mm_env_va_store64(uint64_t va, uint64_t val)
{
    sim_va_store64(va, val);
}
