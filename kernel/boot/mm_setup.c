/*
 * Memory at boot.  Xen hands minnow [0, nr_pages) of pseudo-physical
 * memory but maps only the bootstrap region: from VIRT_BASE (0) through
 * the kernel (linked at 1 MiB), Xen's p2m list, start_info, page tables,
 * stack and >= 512 KiB of slack, up to a 4 MiB boundary:
 *
 *   pfn 0   0x100    kernel   Xen's p2m list  start_info  tables  stack  slack    nr_pages
 *   |-------|--------------|---------------|-----------|-------|------|.......|----------|
 *   low RAM  _text  _end    mfn_list                    pt_base        ^       ^
 *   (+ hole)                                          bootstrap_end --/   xen_mapped_end
 *
 * Step 1 reads the E820 and plans its holes (docs/e820.md): pfns Xen
 * populated inside a hole will move or be released, so they are never
 * handed to the allocator.
 * Step 2 gives the usable part of [1, _text) and [bootstrap_end,
 * xen_mapped_end) to the frame allocator.
 * Step 3 maps the rest of RAM 2 MiB at a time; the page tables each step
 * needs come from frames the previous steps mapped, and each step's frames
 * join the allocator right after, so the allocator never runs dry.
 * Step 4 builds and publishes the p2m; step 5 applies the E820 plan (1:1
 * holes, frames moved above the end of RAM or released), and again the
 * 1:1 part after each restore (a suspend hook).
 * Step 6 unmaps page 0 (NULL must fault).  Step 7 sets up the heap.
 *
 * mm_init() at the bottom reads as this list.  The results are kept in
 * mm_boot for the boot summary, the balloon worker and the tests.
 */
#include <errno.h>
#include <minnow/console.h>
#include <minnow/e820.h>
#include <minnow/e820_apply.h>
#include <minnow/e820_plan.h>
#include <minnow/frame.h>
#include <minnow/heap.h>
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/panic.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include <minnow/suspend.h>
#include <arch/layout.h>

_Static_assert(KERNEL_VIRT_BASE == PT_DIRECTMAP_BASE,
               "mm/ assumes the direct map starts at va 0 (pt.h)");

extern uint64_t xen_boot_rsp;
extern char _text[], _end[];

struct mm_boot_info mm_boot;

#define PFNS_PER_STEP 512u          /* 2 MiB: one level-1 table's worth */
#define BOOT_SLACK_PFNS 128u        /* Xen guarantees 512 KiB after the stack */
#define XEN_MAP_ALIGN_PFNS 1024u    /* ... and maps up to a 4 MiB boundary */

/* The E820: which pfns are RAM, which are 1:1, which frames move. */
static struct e820_map raw_map, e820_map;
static struct e820_plan plan;
static struct e820_apply_result e820_result;
static uint64_t pt_batches_at_boot;

const struct e820_map *mm_e820_map(void) { return &e820_map; }
const struct e820_plan *mm_e820_plan(void) { return &plan; }
const struct e820_apply_result *mm_e820_result(void) { return &e820_result; }

/* ---- the heap's pages (mm/heap.c stays free of page tables) ------------- */

static int heap_map_page(uint64_t va)
{
    xen_pfn_t pfn;
    int rc = frame_alloc(&pfn);

    if (rc)
        return rc;
    rc = pt_map_range(va, pfn_to_mfn(pfn), 1, PTE_KERNEL_RW | PTE_NX, 0);
    if (rc)
        frame_free(pfn);
    return rc;
}

static void heap_unmap_page(uint64_t va)
{
    uint64_t pte;

    if (pt_lookup(va, &pte) || !(pte & PTE_PRESENT))
        panic("heap: unmapping %#lx, which is not mapped", (unsigned long)va);
    xen_pfn_t pfn = mfn_to_pfn(pte_mfn(pte));
    int rc = pt_unmap_range(va, 1, PT_ALLOW_CHANGE_LIVE);
    if (rc)
        panic("heap: cannot unmap %#lx: rc=%d", (unsigned long)va, rc);
    frame_free(pfn);
}

static const struct heap_ops heap_ops = {
    .map_page = heap_map_page,
    .unmap_page = heap_unmap_page,
};

/* ---- the steps ------------------------------------------------------------ */

/*
 * What Xen populated and mapped, and where its boot data ends.  Everything
 * up to Xen's boot stack is in use (kernel, p2m list, start_info, the live
 * page tables): if the saved stack pointer does not lie beyond all of it,
 * handing out frames would destroy them.
 */
static void find_bootstrap(void)
{
    xen_pfn_t nr_pages = boot_start_info.nr_pages;
    xen_pfn_t boot_end = (xen_boot_rsp + PAGE_SIZE - 1) >> PAGE_SHIFT;
    xen_pfn_t mapped_end = (boot_end + BOOT_SLACK_PFNS + XEN_MAP_ALIGN_PFNS - 1) &
                           ~(xen_pfn_t)(XEN_MAP_ALIGN_PFNS - 1);
    xen_pfn_t tables_end = virt_to_pfn((const void *)boot_start_info.pt_base) +
                           boot_start_info.nr_pt_frames;

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
}

static void plan_e820(void)
{
    xen_pfn_t nr_pages = mm_boot.nr_pages, limit;
    struct e820_warnings w;
    struct p2m_config cfg;
    /* The kernel and Xen's boot data cannot move; the low pfns below them can. */
    struct e820_pfn_range keep = { virt_to_pfn(_text), mm_boot.bootstrap_end_pfn };

    e820_warnings_init(&w);
    if (e820_fetch(&raw_map, is_initial_domain(), nr_pages, printk) < 0 &&
        is_initial_domain())
        panic("mm: dom0 without the machine memory map (see above)");
    e820_print(&raw_map, "E820 (raw, from Xen)", printk);
    e820_sanitize(&raw_map, &e820_map, &w);
    e820_print(&e820_map, "E820 (sanitized)", printk);

    p2m_boot_config(&cfg);
    if (p2m_limit_for(&cfg, nr_pages, &limit))
        panic("mm: no usable p2m configuration");
    if (e820_plan_build(&plan, &e820_map, nr_pages, limit, &keep, 1, &w))
        panic("mm: cannot plan the E820 (see the warnings)");
    e820_warnings_print(&w, printk);
    e820_plan_print(&plan, printk);
}

/* Give the allocator the usable pfns of [start, end): never a pfn in a hole. */
static void free_usable(xen_pfn_t start, xen_pfn_t end)
{
    for (unsigned i = 0; i < plan.nr_usable; i++) {
        xen_pfn_t s = plan.usable[i].start > start ? plan.usable[i].start : start;
        xen_pfn_t e = plan.usable[i].end < end ? plan.usable[i].end : end;
        if (s < e)
            frame_free_range(s, e - s);
    }
}

/*
 * Page 0 stays out: it is unmapped in step 6.  The allocator's limit is the
 * plan's RAM limit: every usable pfn and every move destination is below.
 */
static void seed_allocator(void)
{
    frame_allocator_init(plan.ram_limit);
    free_usable(1, virt_to_pfn(_text));
    free_usable(mm_boot.bootstrap_end_pfn, mm_boot.xen_mapped_end_pfn);
}

/*
 * Until step 4 the page tables learn mfns from Xen's list.  Each 2 MiB
 * mapped joins the allocator at once, so the next step's tables have
 * frames to come from.
 */
static void map_all_ram(void)
{
    const xen_pfn_t *xen_list = (const xen_pfn_t *)boot_start_info.mfn_list;
    xen_pfn_t nr_pages = mm_boot.nr_pages;
    struct pt_stats before, after;

    p2m_use_boot_list(&boot_start_info);
    pt_init(virt_to_pfn((const void *)boot_start_info.pt_base), &frame_allocator,
            pfn_to_mfn);
    pt_get_stats(&before);
    for (xen_pfn_t pfn = mm_boot.xen_mapped_end_pfn; pfn < nr_pages; pfn += PFNS_PER_STEP) {
        uint64_t n = nr_pages - pfn < PFNS_PER_STEP ? nr_pages - pfn : PFNS_PER_STEP;
        int rc = pt_map_mfns((uint64_t)pfn_to_virt(pfn), &xen_list[pfn], n,
                             PTE_KERNEL_RW, PT_SKIP_PRESENT);
        if (rc)
            panic("mm: cannot map pfns %#lx+%lu: rc=%d", (unsigned long)pfn,
                  (unsigned long)n, rc);
        free_usable(pfn, pfn + n);
    }
    pt_get_stats(&after);
    mm_boot.pt_tables_at_boot = after.tables_allocated - before.tables_allocated;
    pt_batches_at_boot = after.hypercalls - before.hypercalls;
}

/* The moved frames' new pfns, and any Xen refused to take, join the allocator. */
static void apply_e820_plan(void)
{
    const struct e820_apply_result *r = &e820_result;
    int rc = e820_apply(&plan, &e820_result);

    if (rc)
        printk("mm: E820 plan applied with errors (first rc=%d); no page was lost\n", rc);
    for (unsigned i = 0; i < r->nr_dst; i++)
        frame_free_range(r->dst[i].start, r->dst[i].end - r->dst[i].start);
    for (unsigned i = 0; i < r->nr_stuck; i++)
        frame_free_range(r->stuck[i].start, r->stuck[i].end - r->stuck[i].start);
    printk("mm: E820 applied: %lu pages moved, %lu released (balloon headroom), "
           "%lu stuck, %lu pfns 1:1\n", (unsigned long)r->moved_pages,
           (unsigned long)r->released_pages, (unsigned long)r->stuck_pages,
           (unsigned long)r->identity_pages);
}

/*
 * After a restore the tools have rewritten the p2m's leaves: 1:1 entries
 * in private leaves read missing until the plan is applied again
 * (docs/p2m.md).  Registered first, so it runs before every driver's hook.
 */
static void mm_resume(bool cancelled)
{
    if (!cancelled)
        e820_identity_reapply(&plan, &e820_result);
}

static struct suspend_hooks mm_hooks = { .name = "mm", .resume = mm_resume };

static void unmap_page_zero(void)
{
    int rc = pt_unmap_range(0, 1, PT_ALLOW_CHANGE_LIVE);

    if (rc)
        panic("mm: cannot unmap page 0: rc=%d", rc);
}

/* What the balloon worker needs from all this (boot passes it on). */
static void note_for_balloon(void)
{
    mm_boot.balloon.pfn_limit = plan.ram_limit;
    mm_boot.balloon.ram = plan.ram_above;
    mm_boot.balloon.nr_ram = plan.nr_ram_above;
    mm_boot.balloon.released_pages = e820_result.released_pages;
}

static void print_summary(void)
{
    xen_pfn_t usable = mm_boot.nr_pages - e820_result.released_pages;

    mm_boot.frames_at_boot = frame_free_count();
    printk("mm: %lu pages usable (%lu MiB); %lu page-table pages added in %lu "
           "mmu_update batches; %lu frames free\n",
           (unsigned long)usable, (unsigned long)(usable >> 8),
           (unsigned long)mm_boot.pt_tables_at_boot, (unsigned long)pt_batches_at_boot,
           (unsigned long)mm_boot.frames_at_boot);
}

void mm_init(void)
{
    find_bootstrap();           /* what Xen populated and mapped; its boot data */
    plan_e820();                /* 1: the memory map and its holes; nothing moves yet */
    seed_allocator();           /* 2: the usable frames Xen already mapped */
    map_all_ram();              /* 3: the direct map of all RAM, 2 MiB at a time */
    p2m_setup_at_boot();        /* 4: minnow's own p2m, published (p2m_setup.c) */
    apply_e820_plan();          /* 5: holes become 1:1; their frames move or go back */
    suspend_register(&mm_hooks);    /* ... and again after each restore */
    unmap_page_zero();          /* 6: NULL must fault */
    heap_init(HEAP_VIRT_BASE, HEAP_VIRT_MAX, &heap_ops);  /* 7: the heap behind malloc */
    note_for_balloon();
    print_summary();
}
