/*
 * The grant table in the guest (include/minnow/gnttab.h has the picture).
 * GNTTABOP_setup_table hands back the machine frames of the table; minnow
 * maps them at GNTTAB_VA like any other page (Xen shares them with the
 * domain).  A PV grant names a machine frame, looked up in the p2m at the
 * moment of granting.
 */
#include <errno.h>
#include <stdlib.h>
#include <minnow/console.h>
#include <minnow/gnttab.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include <minnow/suspend.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include "gnttab_refs.h"

#define GNTTAB_VA          MAP_AREA_BASE
#define GNTTAB_MAX_FRAMES  4u          /* 2048 refs: plenty for a unikernel */
#define ENTRIES_PER_FRAME  (PAGE_SIZE / sizeof(grant_entry_v1_t))

static grant_entry_v1_t *table;
static uint32_t nr_frames;
static struct gnttab_refs refs;

bool gnttab_ready(void)
{
    return table != NULL;
}

uint32_t gnttab_free_refs(void)
{
    return refs.free;
}

uint32_t gnttab_nr_refs(void)
{
    return refs.nr;
}

uint32_t gnttab_stale_refs(void)
{
    return refs.stale;
}

/* How many table frames Xen lets this domain have: 0 and *max, or -errno. */
static int query_max_frames(uint32_t *max)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    long rc = hypercall_grant_table_op(GNTTABOP_query_size, &q, 1);

    if (rc || q.status != GNTST_okay) {
        printk("gnttab: GNTTABOP_query_size failed: rc=%ld status=%d\n", rc, q.status);
        return rc ? rc : -EIO;
    }
    *max = q.max_nr_frames;
    return 0;
}

/* Ask Xen for the table's frames and map them (boot and resume). */
static int map_table(unsigned int opts)
{
    xen_pfn_t frames[GNTTAB_MAX_FRAMES];
    struct gnttab_setup_table setup = { .dom = DOMID_SELF, .nr_frames = nr_frames };

    set_xen_guest_handle(setup.frame_list, frames);
    long rc = hypercall_grant_table_op(GNTTABOP_setup_table, &setup, 1);
    if (rc || setup.status != GNTST_okay) {
        printk("gnttab: GNTTABOP_setup_table(%u frames) failed: rc=%ld status=%d\n",
               nr_frames, rc, setup.status);
        return rc ? rc : -EIO;
    }
    int prc = pt_map_mfns(GNTTAB_VA, frames, nr_frames, PTE_KERNEL_RW | PTE_NX, opts);
    if (prc)
        printk("gnttab: cannot map the table: rc=%d\n", prc);
    return prc;
}

/* The table frames are Xen's: a save cannot translate a mapping of them. */
static int gnttab_suspend(void)
{
    if (!table)
        return 0;               /* nothing mapped (a restore left no table) */
    return pt_unmap_range(GNTTAB_VA, nr_frames, PT_ALLOW_CHANGE_LIVE);
}

static void gnttab_resume(bool cancelled)
{
    uint32_t max;

    /*
     * A restored domain starts with an empty table: every grant is gone,
     * but its ref stays with its owner until the owner ends it.
     */
    if (!cancelled)
        gnttab_refs_restored(&refs);
    /* The new host may allow fewer frames (its gnttab_max_frames, the domain's config). */
    if (!cancelled && query_max_frames(&max) == 0 && max < nr_frames) {
        printk("gnttab: the restored domain may have %u grant-table frames, minnow's "
               "refs need %u: NO GRANTS from now on (grant_access fails with -ENODEV)\n",
               max, nr_frames);
        table = NULL;
        return;
    }
    if (map_table(0)) {
        printk("gnttab: the table is gone: NO GRANTS from now on\n");
        table = NULL;
        return;
    }
    table = (grant_entry_v1_t *)GNTTAB_VA;
}

static struct suspend_hooks gnttab_hooks = {
    .name = "gnttab",
    .suspend = gnttab_suspend,
    .resume = gnttab_resume,
};

int gnttab_init(void)
{
    uint32_t max;
    int rc = query_max_frames(&max);

    if (rc)
        return rc;
    nr_frames = max < GNTTAB_MAX_FRAMES ? max : GNTTAB_MAX_FRAMES;
    grant_ref_t *next = malloc(nr_frames * ENTRIES_PER_FRAME * sizeof(grant_ref_t));
    if (!next)
        return -ENOMEM;
    if (map_table(0)) {
        free(next);
        return -EIO;
    }
    table = (grant_entry_v1_t *)GNTTAB_VA;
    gnttab_refs_init(&refs, next, nr_frames * ENTRIES_PER_FRAME);
    suspend_register(&gnttab_hooks);
    printk("gnttab: %u frames (%u refs, Xen allows %u frames) at %#lx\n", nr_frames,
           refs.nr, max, (unsigned long)GNTTAB_VA);
    return 0;
}

int gnttab_grant_access(domid_t domid, xen_pfn_t pfn, bool readonly, grant_ref_t *ref)
{
    xen_pfn_t mfn = pfn_to_mfn(pfn);

    if (!table)
        return -ENODEV;
    if (p2m_kind_of(pfn) != P2M_RAM || mfn == INVALID_P2M_ENTRY)
        return -EINVAL;
    if (mfn > UINT32_MAX)
        return -ERANGE;         /* a v1 entry holds 32 bits of frame */
    return gnttab_refs_grant(&refs, table, domid, mfn, readonly, ref);
}

int gnttab_end_access(grant_ref_t ref)
{
    if (ref >= refs.nr || (!table && !gnttab_refs_is_stale(&refs, ref)))
        return -EINVAL;
    return gnttab_refs_end(&refs, table, ref);
}
