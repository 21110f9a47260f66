/*
 * The PV console ring (domU): start_info names a page and an event channel
 * shared with xenconsoled in dom0.  minnow produces into `out` and kicks
 * the channel; the daemon consumes.  Debian's release Xen drops a domU's
 * CONSOLEIO_write output, so for a domU this ring is the only visible
 * console.
 *
 * The backend writes from everywhere, including trap handlers with events
 * masked, so it never switches threads: when the ring is full it blocks the
 * vCPU in Xen until xenconsoled has drained some of it, and only when the
 * console makes no progress for 5 s does it drop the rest.
 */
#include <minnow/byte_ring.h>
#include <minnow/console.h>
#include <minnow/console_ring.h>
#include <minnow/events.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/suspend.h>
#include <minnow/time.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include <xen/io/console.h>

/* How long a full ring may stay full before output is dropped. */
#define FULL_RING_PATIENCE_NS (5 * NSEC_PER_SEC)

static struct xencons_interface *intf;
static struct byte_ring out_ring;
static evtchn_port_t port;

/*
 * Wait (without running other threads: printk is not a yield point) until
 * xenconsoled has taken some output: it kicks the channel when it does.
 * SCHEDOP_poll blocks this vCPU on the (masked) port with a timeout, so dom0
 * gets the CPU it needs to drain the ring.
 */
static void wait_for_ring_space(stime_t until)
{
    struct sched_poll poll = { .nr_ports = 1, .timeout = monotonic_to_system(until) };

    set_xen_guest_handle(poll.ports, &port);
    evtchn_clear(port);
    if (byte_ring_used(&out_ring) < (int)sizeof(intf->out))
        return;                         /* drained meanwhile */
    evtchn_notify(port);
    hypercall_sched_op(SCHEDOP_poll, &poll);
}

static void ring_write(const char *buf, size_t len)
{
    stime_t give_up = 0;

    while (len > 0) {
        int n = byte_ring_write(&out_ring, buf, len);
        if (n < 0)
            return;                         /* corrupt indexes: give up */
        if (n > 0) {
            evtchn_notify(port);
            buf += n;
            len -= n;
            give_up = 0;
            continue;
        }
        /* Full.  Lose output only if the console makes no progress for long. */
        stime_t now = monotonic_ns();
        if (!give_up)
            give_up = now + FULL_RING_PATIENCE_NS;
        if (now >= give_up)
            return;
        wait_for_ring_space(now + 10 * NSEC_PER_MSEC);
    }
}

static struct console_backend ring_backend = {
    .name = "pv-console-ring",
    .write = ring_write,
};

/* Map the ring named by start_info (its mfn may change across a restore). */
static int console_ring_attach(void)
{
    xen_pfn_t pfn = mfn_to_local_pfn(start_info->console.domU.mfn);

    if (pfn == INVALID_P2M_ENTRY) {
        printk("console: ring mfn %#lx is not one of our frames\n",
               start_info->console.domU.mfn);
        return -1;
    }
    intf = pfn_to_virt(pfn);
    port = start_info->console.domU.evtchn;
    out_ring = (struct byte_ring){ intf->out, sizeof(intf->out), &intf->out_prod,
                                   &intf->out_cons };
    return 0;
}

/* Nothing printed while suspended goes to a ring that may be gone. */
static int console_ring_suspend(void)
{
    console_unregister(&ring_backend);
    return 0;
}

/* The ring's frame and channel may both be new after a restore. */
static void console_ring_resume(bool cancelled)
{
    if (console_ring_attach() == 0)
        console_register(&ring_backend);
}

static struct suspend_hooks console_hooks = {
    .name = "console-ring",
    .suspend = console_ring_suspend,
    .resume = console_ring_resume,
};

void console_ring_init(void)
{
    if (is_initial_domain()) {
        console_replay_early(NULL);   /* dom0: CONSOLEIO_write already showed it all */
        return;
    }
    if (console_ring_attach())
        return;
    console_replay_early(&ring_backend);
    console_register(&ring_backend);
    suspend_register(&console_hooks);
    printk("console: PV console ring on event channel %u\n", port);
}
