/*
 * The xen_mm port (include/minnow/xen_mm.h) in the guest: hypercalls, Xen's
 * m2p and the direct map.  The host twin is tests/unit/sim/sim_xen_mm.c.
 */
#include <errno.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include <arch/traps.h>
#include <minnow/console.h>
#include <minnow/hypervisor.h>
#include <minnow/xen_mm.h>

/* Xen's read-only m2p and the largest mfn it can look up. */
static const volatile xen_pfn_t *m2p_table;
static xen_pfn_t m2p_max_mfn;

static void m2p_init(void)
{
    struct xen_machphys_mapping map;
    long rc = hypercall_memory_op(XENMEM_machphys_mapping, &map);

    if (rc) {
        printk("xen_mm: XENMEM_machphys_mapping failed, rc %ld; using the ABI "
               "default\n", rc);
        map.v_start = MACH2PHYS_VIRT_START;
        map.v_end = MACH2PHYS_VIRT_END;
        map.max_mfn = MACH2PHYS_NR_ENTRIES - 1;
    }
    /* Never trust max_mfn beyond the table's own size. */
    if (map.max_mfn > (map.v_end - map.v_start) / sizeof(xen_pfn_t) - 1)
        map.max_mfn = (map.v_end - map.v_start) / sizeof(xen_pfn_t) - 1;
    m2p_max_mfn = map.max_mfn;
    m2p_table = (const volatile xen_pfn_t *)map.v_start;
}

void *xen_mm_page(xen_pfn_t pfn)
{
    return pfn_to_virt(pfn);
}

xen_pfn_t mfn_to_pfn(xen_pfn_t mfn)
{
    if (!m2p_table)
        m2p_init();
    if (mfn > m2p_max_mfn)
        return NO_FRAME;
    /*
     * Within the bound the table can still have holes Xen never mapped
     * (machine memory holes): read through the exception table.
     */
    uint64_t pfn;
    if (safe_read_u64((const uint64_t *)&m2p_table[mfn], &pfn))
        return NO_FRAME;
    return pfn;
}

xen_pfn_t xen_max_mfn(void)
{
    if (!m2p_table)
        m2p_init();
    return m2p_max_mfn;
}

int xen_mmu_update(const mmu_update_t *req, unsigned int count)
{
    unsigned int done = 0;
    long rc = hypercall_mmu_update(req, count, &done, DOMID_SELF);

    if (rc) {
        unsigned int bad = done < count ? done : count - 1;
        printk("mmu_update: %u of %u done; refused ptr %#lx val %#lx, rc %ld\n",
               done, count, (unsigned long)req[bad].ptr,
               (unsigned long)req[bad].val, rc);
    }
    return (int)rc;
}

int xen_update_va_mapping(uint64_t va, uint64_t pte)
{
    long rc = hypercall_update_va_mapping(va, pte, UVMF_INVLPG | UVMF_LOCAL);

    if (rc)
        printk("update_va_mapping(%#lx, %#lx): rc %ld\n", (unsigned long)va,
               (unsigned long)pte, rc);
    return (int)rc;
}

int xen_mmuext(unsigned int cmd, uint64_t arg)
{
    struct mmuext_op op = { .cmd = cmd };
    long rc;

    if (cmd == MMUEXT_INVLPG_LOCAL)
        op.arg1.linear_addr = arg;
    else
        op.arg1.mfn = arg;
    rc = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
    if (rc)
        printk("mmuext_op %u (%#lx): rc %ld\n", cmd, (unsigned long)arg, rc);
    return (int)rc;
}

long xen_memory_op(unsigned int cmd, void *arg)
{
    return hypercall_memory_op(cmd, arg);
}

struct arch_shared_info *xen_arch_shared_info(void)
{
    return &shared_info->arch;
}
