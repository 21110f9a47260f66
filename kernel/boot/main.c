/*
 * The boot sequence, top to bottom.  head.S calls start_kernel() on
 * minnow's boot stack with events masked; each step below needs only the
 * ones before it.  docs/boot.md draws the address space at entry and after
 * setup.
 */
#include <string.h>
#include <minnow/app.h>
#include <minnow/balloon_worker.h>
#include <minnow/blkfront.h>
#include <minnow/console.h>
#include <minnow/console_ring.h>
#include <minnow/control.h>
#include <minnow/cmdline.h>
#include <minnow/events.h>
#include <minnow/exit.h>
#include <minnow/gnttab.h>
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/p2m.h>
#include <minnow/panic.h>
#include <minnow/pt.h>
#include <minnow/sched.h>
#include <minnow/time.h>
#include <minnow/xenstore.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include <arch/traps.h>

/* A page of VA whose mapping is replaced by the shared_info frame. */
static uint8_t shared_info_va[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/*
 * shared_info lives in Xen's memory; start_info gives its machine address.
 * Point one page of minnow's VA at it (the PV equivalent of mapping an MMIO
 * page), replacing the RAM frame that page had.
 */
static void map_shared_info(void)
{
    uint64_t pte = (boot_start_info.shared_info & PAGE_MASK) | PTE_KERNEL_RW;
    long rc = hypercall_update_va_mapping((unsigned long)shared_info_va, pte, UVMF_INVLPG);

    if (rc)
        panic("cannot map shared_info (maddr %#lx): rc=%ld", boot_start_info.shared_info, rc);
    shared_info = (shared_info_t *)shared_info_va;
}

static void print_boot_summary(void)
{
    static const struct { unsigned bit; const char *name; } feature_names[] = {
        { XENFEAT_writable_page_tables, "writable_page_tables" },
        { XENFEAT_writable_descriptor_tables, "writable_descriptor_tables" },
        { XENFEAT_auto_translated_physmap, "auto_translated_physmap" },
        { XENFEAT_supervisor_mode_kernel, "supervisor_mode_kernel" },
        { XENFEAT_pae_pgdir_above_4gb, "pae_pgdir_above_4gb" },
        { XENFEAT_mmu_pt_update_preserve_ad, "mmu_pt_update_preserve_ad" },
        { XENFEAT_highmem_assist, "highmem_assist" },
        { XENFEAT_gnttab_map_avail_bits, "gnttab_map_avail_bits" },
        { XENFEAT_hvm_callback_vector, "hvm_callback_vector" },
        { XENFEAT_dom0, "dom0" },
        { XENFEAT_memory_op_vnode_supported, "memory_op_vnode_supported" },
    };
    long ver = hypercall_xen_version(XENVER_version, NULL);
    const start_info_t *si = &boot_start_info;

    printk("minnow: Xen %ld.%ld, %s, running as %s\n", ver >> 16, ver & 0xffff,
           si->magic, is_initial_domain() ? "dom0 (initial domain)" : "a domU");
    printk("start_info: nr_pages %lu (%lu MiB) flags %#x%s%s%s\n",
           si->nr_pages, si->nr_pages >> 8, si->flags,
           si->flags & SIF_PRIVILEGED ? " privileged" : "",
           si->flags & SIF_INITDOMAIN ? " initdomain" : "",
           si->flags & SIF_VIRT_P2M_4TOOLS ? " virt_p2m_4tools" : "");
    printk("start_info: shared_info maddr %#lx, pt_base %#lx (%lu frames), "
           "mfn_list %#lx\n", si->shared_info, si->pt_base, si->nr_pt_frames,
           si->mfn_list);
    if (is_initial_domain())
        printk("start_info: dom0 console info at +%u (%u bytes)\n",
               si->console.dom0.info_off, si->console.dom0.info_size);
    else
        printk("start_info: store mfn %#lx evtchn %u, console mfn %#lx evtchn %u\n",
               si->store_mfn, si->store_evtchn, si->console.domU.mfn,
               si->console.domU.evtchn);
    printk("start_info: module %#lx+%lu, p2m frames %lu from pfn %#lx\n",
           si->mod_start, si->mod_len, si->nr_p2m_frames, si->first_p2m_pfn);
    printk("start_info: cmd_line \"%s\"\n", (const char *)si->cmd_line);

    printk("features:");
    for (unsigned i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
        if (xen_feature(feature_names[i].bit))
            printk(" %s", feature_names[i].name);
    printk("\n");
}

void start_kernel(start_info_t *si)
{
    /* 1. Capture what Xen told us before anything can overwrite it. */
    start_info_capture(si);
    printk("\nminnow: booting\n");

    /* 2. Exceptions and callbacks: from here a fault is reported, not a hang. */
    traps_init(&(struct trap_hooks){ .event_upcall = evtchn_do_upcall,
                                      .stack_contains = stack_contains });

    /* 3. shared_info (event bitmaps, vCPU time, wall clock) and features. */
    map_shared_info();
    xen_features_init();
    print_boot_summary();
    if (cmdline_init((const char *)boot_start_info.cmd_line))
        printk("cmdline: too many words; the extra ones are ignored\n");

    /* 4. Memory: frames, the direct map of all RAM, the p2m, the heap. */
    mm_init();
    console_ring_init();        /* domU: from here output is visible (boot log replayed) */
    p2m_boot_report();          /* p2m_check / p2m_dump: long, so after the ring is up */

    /* 5. Events, time and threads; then let events in (PV equivalent of sti). */
    events_init();
    sched_init();
    time_init();
    local_events_enable();
    {
        uint64_t sec;
        uint32_t nsec;
        wall_clock(&sec, &nsec);
        printk("time: system time %lu ns, wall clock %lu.%09u\n",
               (unsigned long)monotonic_ns(), (unsigned long)sec, nsec);
    }

    /* 6. Grant tables; then, as a domU, xenstore and the toolstack's requests. */
    gnttab_init();
    if (xenstore_init() == 0)
        control_init();
    balloon_worker_start(&mm_boot.balloon);   /* after xenstore: a domU's target lives there */
    if (xenstore_available())
        blkfront_init();        /* disks, connected before the application runs */
    printk("minnow: ready\n");

    /* 7. The application: a stub domain's own app_main(), or kernel/boot/app.c's. */
    minnow_exit(app_main());
}
