/*
 * Memory at boot.  Xen hands minnow [0, nr_pages) of pseudo-physical
 * memory but maps only the bootstrap region (kernel, p2m list, start_info,
 * page tables, stack, >= 512 KiB of slack, up to a 4 MiB boundary):
 *
 *   pfn 0     kernel image   Xen's p2m list  start_info  tables  stack  slack    nr_pages
 *   |--------|--------------|---------------|-----------|-------|------|.......|----------|
 *   0x1000   _end           mfn_list                    pt_base        ^       ^
 *                                                     bootstrap_end --/   xen_mapped_end
 *
 * Step 1 gives [bootstrap_end, xen_mapped_end) to the frame allocator.
 * Step 2 maps the rest of RAM 2 MiB at a time; the page tables each step
 * needs come from frames the previous steps mapped, and each step's frames
 * join the allocator right after, so the allocator never runs dry.
 * Step 3 unmaps page 0 (NULL must fault).  Step 4 sets up the heap.
 */
#include <errno.h>
#include <minnow/console.h>
#include <minnow/frame.h>
#include <minnow/heap.h>
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/mm_env.h>
#include <minnow/panic.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include <arch/layout.h>

extern uint64_t xen_boot_rsp;
extern char _end[];

struct mm_boot_info mm_boot;

#define PFNS_PER_STEP 512u          /* 2 MiB: one level-1 table's worth */
#define BOOT_SLACK_PFNS 128u        /* Xen guarantees 512 KiB after the stack */
#define XEN_MAP_ALIGN_PFNS 1024u    /* ... and maps up to a 4 MiB boundary */

static void *frame_va(xen_pfn_t pfn)
{
    return pfn_to_virt(pfn);
}

static int heap_map_page(uint64_t va)
{
    xen_pfn_t pfn;
    int rc = frame_alloc(&pfn);

    if (rc)
        return rc;
    rc = pt_map_range(va, mm_env_pfn_to_mfn(pfn), 1, PTE_KERNEL_RW | PTE_NX, 0);
    if (rc)
        frame_free(pfn);
    return rc;
}

static void heap_unmap_page(uint64_t va)
{
    uint64_t pte;

    if (pt_lookup(va, &pte) || !(pte & PTE_PRESENT))
        panic("heap: unmapping %#lx, which is not mapped", (unsigned long)va);
    xen_pfn_t pfn = mm_env_m2p(pte_mfn(pte));
    int rc = pt_unmap_range(va, 1, PT_ALLOW_CHANGE_LIVE);
    if (rc)
        panic("heap: cannot unmap %#lx: rc=%d", (unsigned long)va, rc);
    frame_free(pfn);
}

static const struct heap_ops heap_ops = {
    .map_page = heap_map_page,
    .unmap_page = heap_unmap_page,
};

void mm_init(void)
{
    const xen_pfn_t *xen_p2m = (const xen_pfn_t *)boot_info.mfn_list;
    xen_pfn_t nr_pages = boot_info.nr_pages;
    xen_pfn_t boot_end = (xen_boot_rsp + PAGE_SIZE - 1) >> PAGE_SHIFT;
    xen_pfn_t mapped_end = (boot_end + BOOT_SLACK_PFNS + XEN_MAP_ALIGN_PFNS - 1) &
                           ~(xen_pfn_t)(XEN_MAP_ALIGN_PFNS - 1);
    struct pt_stats before, after;

    /*
     * Everything up to Xen's boot stack is in use (kernel, p2m list,
     * start_info, the live page tables): if the saved stack pointer does
     * not lie beyond all of it, handing out frames would destroy them.
     */
    xen_pfn_t tables_end = virt_to_pfn((const void *)boot_info.pt_base) + boot_info.nr_pt_frames;
    if (boot_end <= tables_end || boot_end <= virt_to_pfn(_end))
        panic("mm: Xen's boot stack (rsp %#lx) is not after the bootstrap tables "
              "(end pfn %#lx)", (unsigned long)xen_boot_rsp, (unsigned long)tables_end);
    if (mapped_end > nr_pages)
        mapped_end = nr_pages;
    mm_boot.nr_pages = nr_pages;
    mm_boot.bootstrap_end_pfn = boot_end;
    mm_boot.xen_mapped_end_pfn = mapped_end;
    printk("mm: %lu pages; Xen mapped pfns [0, %#lx), bootstrap ends at pfn %#lx\n",
           (unsigned long)nr_pages, (unsigned long)mapped_end, (unsigned long)boot_end);

    /* Step 1: the free part of what Xen mapped. */
    frame_allocator_init(nr_pages, frame_va);
    if (mapped_end > boot_end)
        frame_free_range(boot_end, mapped_end - boot_end);

    /* Step 2: map the rest of RAM into the direct map. */
    pt_init(virt_to_pfn((const void *)boot_info.pt_base));
    pt_get_stats(&before);
    for (xen_pfn_t pfn = mapped_end; pfn < nr_pages; pfn += PFNS_PER_STEP) {
        uint64_t n = nr_pages - pfn < PFNS_PER_STEP ? nr_pages - pfn : PFNS_PER_STEP;
        int rc = pt_map_mfns((uint64_t)pfn_to_virt(pfn), &xen_p2m[pfn], n,
                             PTE_KERNEL_RW, PT_SKIP_PRESENT);
        if (rc)
            panic("mm: cannot map pfns %#lx+%lu: rc=%d", (unsigned long)pfn,
                  (unsigned long)n, rc);
        frame_free_range(pfn, n);
    }
    pt_get_stats(&after);
    mm_boot.pt_tables_at_boot = after.tables_allocated - before.tables_allocated;

    /* Step 2b: minnow's own p2m from Xen's list, published (mm/p2m.c). */
    p2m_setup_at_boot();

    /* Step 3: NULL must fault. */
    int rc = pt_unmap_range(0, 1, PT_ALLOW_CHANGE_LIVE);
    if (rc)
        panic("mm: cannot unmap page 0: rc=%d", rc);

    /* Step 4: the heap behind malloc. */
    heap_init(HEAP_VIRT_BASE, HEAP_VIRT_MAX, &heap_ops);

    mm_boot.frames_at_boot = frame_free_count();
    printk("mm: direct map covers %lu MiB; %lu page-table pages added in %lu "
           "mmu_update batches; %lu frames free\n",
           (unsigned long)(nr_pages >> 8), (unsigned long)mm_boot.pt_tables_at_boot,
           (unsigned long)(after.hypercalls - before.hypercalls),
           (unsigned long)mm_boot.frames_at_boot);
}
