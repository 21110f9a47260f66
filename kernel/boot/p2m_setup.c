/*
 * Building the p2m at boot: the glue between the command line, minnow's
 * layout and mm/p2m.c.  Called by mm_init() once all RAM is in the direct
 * map and the frame allocator has it.
 *
 * Command line:
 *   p2m_reserve=SIZE   pseudo-physical space the p2m covers (K/M/G/T),
 *                      default 512G; more for balloon/hotplug headroom
 *   p2m_dump           print every entry (`P2M ...` lines, `P2M END n`)
 *   p2m_runs           print the p2m in runs and its page-table tree
 *                      (`P2MR`/`P2MT` lines, mm/p2m_check.c; for
 *                      scripts/pictures.py)
 *   p2m_check          run the toolstack-style self-check at boot
 */
#include <errno.h>
#include <arch/layout.h>
#include <minnow/cmdline.h>
#include <minnow/console.h>
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/p2m.h>
#include <minnow/panic.h>

void p2m_boot_config(struct p2m_config *cfg)
{
    uint64_t bytes;
    int rc = cmdline_get_size("p2m_reserve", &bytes);

    cfg->virt_base = P2M_VIRT_BASE;
    cfg->virt_slots = P2M_VIRT_SLOTS;
    cfg->reserve_pfns = 0;
    cfg->frames = &frame_allocator;
    if (rc == 0)
        cfg->reserve_pfns = bytes >> PAGE_SHIFT;
    else if (rc != -ENOENT)
        printk("p2m: bad p2m_reserve= value; using the default\n");
}

void p2m_setup_at_boot(void)
{
    struct p2m_config cfg;
    struct p2m_stats st;

    p2m_boot_config(&cfg);
    int rc = p2m_init(&cfg);
    if (rc)
        panic("p2m: cannot build the p2m: rc=%d", rc);
    p2m_get_stats(&st);
    printk("p2m: %lu pfns at %#lx, room for %lu GiB; %lu pages (%lu leaves); "
           "published, frame list list %s\n",
           (unsigned long)p2m_max_pfn(), (unsigned long)p2m_table_va,
           (unsigned long)(p2m_table_limit >> 18), (unsigned long)st.total,
           (unsigned long)st.leaves,
           shared_info->arch.pfn_to_mfn_frame_list_list == ~0UL ? "~0" : "built");
}

void p2m_boot_report(void)
{
    if (cmdline_has("p2m_check")) {
        int problems = p2m_self_check();
        printk("p2m: self-check %s (%d problems)\n", problems ? "FAILED" : "passed",
               problems);
    }
    if (cmdline_has("p2m_dump"))
        p2m_dump();
    if (cmdline_has("p2m_runs"))
        p2m_dump_runs();
}
