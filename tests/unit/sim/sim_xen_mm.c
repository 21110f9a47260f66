/*
 * The xen_mm port (include/minnow/xen_mm.h) on the host: every call goes
 * to the Xen model (xen_model.c), which refuses what Xen would refuse.
 */
#include <errno.h>
#include <stdio.h>
#include <arch/page.h>
#include <minnow/xen_mm.h>
#include <minnow/console.h>
#include "sim/xen_model.h"

void *xen_mm_page(xen_pfn_t pfn)
{
    uint64_t pte;
    xen_pfn_t mfn = sim_translate(pfn << PAGE_SHIFT, &pte);

    sim.page_lookups++;
    if (mfn == INVALID_MFN) {
        sim_violation("minnow touched pfn %#lx, which is not in the direct map",
                      (unsigned long)pfn);
        return NULL;
    }
    if (sim.m2p[mfn] != pfn)
        sim_violation("direct map of pfn %#lx holds mfn %#lx (m2p says pfn %#lx)",
                      (unsigned long)pfn, (unsigned long)mfn,
                      (unsigned long)sim.m2p[mfn]);
    return sim.guest_view + mfn * PAGE_SIZE;
}

xen_pfn_t mfn_to_pfn(xen_pfn_t mfn)
{
    return mfn < sim.cfg.machine_frames ? sim.m2p[mfn] : NO_FRAME;
}

xen_pfn_t xen_max_mfn(void)
{
    return sim.cfg.machine_frames - 1;
}

int xen_mmu_update(const mmu_update_t *req, unsigned int count)
{
    unsigned int done = 0;
    int rc = sim_mmu_update(req, count, &done);

    if (rc)
        printk("mmu_update: request %u of %u refused (ptr %#lx val %#lx), rc %d\n",
               done, count, (unsigned long)req[done].ptr,
               (unsigned long)req[done].val, rc);
    return rc;
}

int xen_update_va_mapping(uint64_t va, uint64_t pte)
{
    int rc = sim_update_va_mapping(va, pte);

    if (rc)
        printk("update_va_mapping(%#lx, %#lx): rc %d\n", (unsigned long)va,
               (unsigned long)pte, rc);
    return rc;
}

int xen_mmuext(unsigned int cmd, uint64_t arg)
{
    int rc = sim_mmuext(cmd, arg);

    if (rc)
        printk("mmuext_op %u (%#lx): rc %d\n", cmd, (unsigned long)arg, rc);
    return rc;
}

long xen_memory_op(unsigned int cmd, void *arg)
{
    return sim_memory_op(cmd, arg);
}

struct arch_shared_info *xen_arch_shared_info(void)
{
    return &sim.shared.arch;
}

uint64_t xen_mm_load64(uint64_t va)
{
    return sim_va_load64(va);
}

void xen_mm_store64(uint64_t va, uint64_t val)
{
    sim_va_store64(va, val);
}
