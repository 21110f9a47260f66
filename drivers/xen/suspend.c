/*
 * Suspend and resume (include/minnow/suspend.h has the protocol).
 *
 *   suspend:  hooks in reverse order (xenstore quiesced, rings detached)
 *             events masked; monotonic time noted; start_info's
 *             store/console mfns -> pfns; shared_info's page back to its
 *             RAM frame
 *             SCHEDOP_shutdown(SHUTDOWN_suspend, start_info mfn in rdx)
 *   resume:   shared_info mapped again (new machine address); p2m
 *             re-published (p2m_cr3 and the frame list list are stale
 *             after a restore); all event channels are gone: bindings
 *             dropped, old handles stale; the clock's offset set, the
 *             timer VIRQ bound again; hooks in order rebind and re-attach
 *             (grant refs and channel handles held across it are given
 *             back by their owners: docs/suspend.md)
 *
 * What minnow never caches across this: mfns.  The boot-time SIF flags
 * are cached for good, because a restored start_info has flags 0.
 */
#include <errno.h>
#include <minnow/console.h>
#include <minnow/events.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include <minnow/suspend.h>
#include <minnow/time.h>
#include <arch/hypercall.h>
#include <arch/layout.h>

static struct suspend_hooks *hooks, **hooks_tail = &hooks;
static unsigned long suspends;

void suspend_register(struct suspend_hooks *h)
{
    h->next = NULL;
    *hooks_tail = h;
    hooks_tail = &h->next;
}

unsigned long suspend_count(void)
{
    return suspends;
}

static void suspend_hooks_reverse(struct suspend_hooks *h, int *rc, struct suspend_hooks **failed)
{
    if (!h)
        return;
    suspend_hooks_reverse(h->next, rc, failed);
    if (*rc || !h->suspend)
        return;
    *rc = h->suspend();
    if (*rc) {
        printk("suspend: %s refused: rc=%d\n", h->name, *rc);
        *failed = h;
    }
}

/* Resume the hooks that were suspended: all of them, or those after `failed`. */
static void resume_hooks(struct suspend_hooks *failed, bool cancelled)
{
    struct suspend_hooks *h = hooks;

    if (failed) {
        h = failed->next;
    }
    for (; h; h = h->next)
        if (h->resume)
            h->resume(cancelled);
}

/* The mfns start_info names are translated to pfns for the save (and back). */
static void canonicalise_start_info(bool to_pfns)
{
    start_info_t *si = start_info;

    if (to_pfns) {
        si->store_mfn = mfn_to_pfn(si->store_mfn);
        si->console.domU.mfn = mfn_to_pfn(si->console.domU.mfn);
    } else {
        si->store_mfn = pfn_to_mfn(si->store_mfn);
        si->console.domU.mfn = pfn_to_mfn(si->console.domU.mfn);
    }
}

int domain_suspend(void)
{
    struct suspend_hooks *failed = NULL;
    struct sched_shutdown sd = { .reason = SHUTDOWN_suspend };
    xen_pfn_t si_pfn = virt_to_pfn(start_info);
    int rc = 0;

    if (is_initial_domain())
        return -EPERM;
    printk("suspend: suspending (%lu so far)\n", suspends);
    suspend_hooks_reverse(hooks, &rc, &failed);
    if (rc) {
        resume_hooks(failed, true);
        return rc;
    }

    unsigned long flags = local_events_save();
    time_suspend();
    canonicalise_start_info(true);
    /*
     * The page that shows shared_info must map guest RAM while saved: the
     * save translates every PTE, and Xen's page is not ours.
     */
    xen_pfn_t si_va_pfn = virt_to_pfn(shared_info);
    long vrc = hypercall_update_va_mapping((unsigned long)shared_info,
                                           pte_make(pfn_to_mfn(si_va_pfn), PTE_KERNEL_RW),
                                           UVMF_INVLPG);
    if (vrc) {
        /* The save would refuse the domain: stay as we are. */
        printk("suspend: cannot map the shared_info page back to RAM: rc=%ld; "
               "not suspending\n", vrc);
        canonicalise_start_info(false);
        local_events_restore(flags);
        resume_hooks(NULL, true);
        return (int)vrc;
    }

    long cancelled = hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd,
                                pfn_to_mfn(si_pfn));

    /* Back, in a new domain (0) or the same one (1). */
    if (cancelled)
        canonicalise_start_info(false);
    long mrc = hypercall_update_va_mapping((unsigned long)shared_info,
                                           (start_info->shared_info & PAGE_MASK) |
                                           PTE_KERNEL_RW, UVMF_INVLPG);
    if (mrc)
        printk("suspend: cannot map shared_info again: rc=%ld\n", mrc);
    if (!cancelled) {
        suspends++;
        int prc = p2m_republish();
        if (prc)
            printk("suspend: p2m not republished: rc=%d\n", prc);
        events_resume();
        time_resume();
    }
    local_events_restore(flags);
    resume_hooks(NULL, cancelled);
    printk("suspend: %s (suspend #%lu)\n", cancelled ? "cancelled, still the same domain"
                                                      : "resumed", suspends);
    return cancelled ? 1 : 0;
}
