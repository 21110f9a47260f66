/*
 * Event channels: binding, masking, and the upcall that dispatches them.
 * The picture of the 2-level bitmaps is in include/minnow/events.h.
 */
#include <errno.h>
#include <string.h>
#include <minnow/events.h>
#include <minnow/hypervisor.h>
#include <minnow/console.h>
#include <minnow/panic.h>
#include <arch/barrier.h>
#include <arch/hypercall.h>

#define NR_PORTS (sizeof(shared_info->evtchn_pending) * 8)
#define BITS_PER_LONG 64

struct port_binding {
    evtchn_handler_t handler;
    void *data;
};

static struct port_binding bindings[NR_PORTS];
static uint32_t restores;           /* the epoch of handles made now */

static inline void set_bit_atomic(unsigned long nr, volatile xen_ulong_t *addr)
{
    asm volatile("lock btsq %1, %0" : "+m"(*addr) : "Ir"(nr % BITS_PER_LONG) : "memory");
}

static inline void clear_bit_atomic(unsigned long nr, volatile xen_ulong_t *addr)
{
    asm volatile("lock btrq %1, %0" : "+m"(*addr) : "Ir"(nr % BITS_PER_LONG) : "memory");
}

static inline bool test_bit(unsigned long nr, const volatile xen_ulong_t *addr)
{
    return (addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}

void local_events_disable(void)
{
    this_vcpu()->evtchn_upcall_mask = 1;
    barrier();
}

void local_events_enable(void)
{
    struct vcpu_info *v = this_vcpu();

    barrier();
    v->evtchn_upcall_mask = 0;
    barrier();
    /* An event may have arrived while masked: ask Xen to deliver it now. */
    if (v->evtchn_upcall_pending)
        hypercall_xen_version(XENVER_version, NULL);   /* any hypercall will do */
}

unsigned long local_events_save(void)
{
    /* Before shared_info is mapped (early printk) no event can arrive. */
    if (!shared_info)
        return 1;
    unsigned long was = this_vcpu()->evtchn_upcall_mask;
    local_events_disable();
    return was;
}

void local_events_restore(unsigned long was_masked)
{
    if (!was_masked)
        local_events_enable();
}

void evtchn_mask(evtchn_port_t port)
{
    set_bit_atomic(port, &shared_info->evtchn_mask[port / BITS_PER_LONG]);
}

void evtchn_clear(evtchn_port_t port)
{
    clear_bit_atomic(port, &shared_info->evtchn_pending[port / BITS_PER_LONG]);
}

bool evtchn_is_pending(evtchn_port_t port)
{
    return test_bit(port, shared_info->evtchn_pending);
}

void evtchn_unmask(evtchn_port_t port)
{
    /*
     * Clearing the mask bit does not make Xen re-deliver an event that
     * arrived while masked; EVTCHNOP_unmask does (it re-raises the upcall).
     */
    struct evtchn_unmask op = { .port = port };
    long rc = hypercall_event_channel_op(EVTCHNOP_unmask, &op);
    if (rc)
        printk("evtchn: EVTCHNOP_unmask(%u) failed: rc=%ld\n", port, rc);
}

int evtchn_bind(evtchn_port_t port, evtchn_handler_t handler, void *data)
{
    if (port >= NR_PORTS)
        return -EINVAL;
    if (bindings[port].handler)
        return -EBUSY;
    evtchn_mask(port);
    bindings[port].data = data;
    bindings[port].handler = handler;
    return 0;
}

void evtchn_unbind(evtchn_port_t port)
{
    if (port >= NR_PORTS)
        return;
    evtchn_mask(port);
    evtchn_clear(port);
    bindings[port].handler = NULL;
    bindings[port].data = NULL;
}

static long close_in_xen(evtchn_port_t port)
{
    struct evtchn_close op = { .port = port };
    long rc = hypercall_event_channel_op(EVTCHNOP_close, &op);

    if (rc)
        printk("evtchn: EVTCHNOP_close(%u) failed: rc=%ld\n", port, rc);
    return rc;
}

/* A channel Xen just gave us gets its handler, or goes back to Xen. */
static int bind_new_channel(evtchn_port_t port, evtchn_handler_t handler, void *data,
                            evtchn_port_t *out)
{
    int rc = evtchn_bind(port, handler, data);

    if (rc) {
        printk("evtchn: cannot bind new port %u: rc=%d (closing it)\n", port, rc);
        close_in_xen(port);
        return rc;
    }
    *out = port;
    return 0;
}

int evtchn_bind_virq(unsigned int virq, evtchn_handler_t handler, void *data,
                     evtchn_port_t *port)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = 0 };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &op);

    if (rc) {
        printk("evtchn: EVTCHNOP_bind_virq(%u) failed: rc=%ld\n", virq, rc);
        return rc;
    }
    return bind_new_channel(op.port, handler, data, port);
}

int evtchn_alloc_unbound(domid_t remote, evtchn_handler_t handler, void *data,
                         evtchn_port_t *port)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &op);

    if (rc) {
        printk("evtchn: EVTCHNOP_alloc_unbound failed: rc=%ld\n", rc);
        return rc;
    }
    return bind_new_channel(op.port, handler, data, port);
}

int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
                            evtchn_handler_t handler, void *data, evtchn_port_t *port)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &op);

    if (rc) {
        printk("evtchn: EVTCHNOP_bind_interdomain(dom %u port %u) failed: rc=%ld\n",
               remote, remote_port, rc);
        return rc;
    }
    return bind_new_channel(op.local_port, handler, data, port);
}

int evtchn_status(evtchn_port_t port, struct evtchn_status *status)
{
    *status = (struct evtchn_status){ .dom = DOMID_SELF, .port = port };
    long rc = hypercall_event_channel_op(EVTCHNOP_status, status);

    if (rc)
        printk("evtchn: EVTCHNOP_status(%u) failed: rc=%ld\n", port, rc);
    return rc;
}

bool evtchn_peer_connected(evtchn_port_t port)
{
    struct evtchn_status st;

    return evtchn_status(port, &st) == 0 && st.status == EVTCHNSTAT_interdomain;
}

unsigned int evtchn_bound_count(void)
{
    unsigned int n = 0;

    for (evtchn_port_t port = 0; port < NR_PORTS; port++)
        n += bindings[port].handler != NULL;
    return n;
}

int evtchn_close(evtchn_port_t port)
{
    evtchn_unbind(port);
    return close_in_xen(port);
}

struct evtchn_handle evtchn_handle(evtchn_port_t port)
{
    return (struct evtchn_handle){ .port = port, .epoch = restores };
}

bool evtchn_handle_is_current(struct evtchn_handle h)
{
    return h.epoch == restores;
}

int evtchn_close_handle(struct evtchn_handle h)
{
    if (!evtchn_handle_is_current(h))
        return 0;       /* its channel ended with the restore; the number is someone else's */
    return evtchn_close(h.port);
}

int evtchn_notify(evtchn_port_t port)
{
    struct evtchn_send op = { .port = port };
    long rc = hypercall_event_channel_op(EVTCHNOP_send, &op);
    if (rc)
        printk("evtchn: EVTCHNOP_send(%u) failed: rc=%ld\n", port, rc);
    return rc;
}

/*
 * The upcall runs with events masked (Xen set upcall_mask on delivery; the
 * iret hypercall clears it again).  Loop until nothing is pending so an
 * event that arrives during dispatch is not left waiting.
 */
void evtchn_do_upcall(struct cpu_regs *regs)
{
    struct vcpu_info *v = this_vcpu();

    while (v->evtchn_upcall_pending) {
        v->evtchn_upcall_pending = 0;
        xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

        while (sel) {
            unsigned word = __builtin_ctzl(sel);
            sel &= sel - 1;
            xen_ulong_t pending = shared_info->evtchn_pending[word] &
                                  ~shared_info->evtchn_mask[word];
            while (pending) {
                unsigned bit = __builtin_ctzl(pending);
                pending &= pending - 1;
                evtchn_port_t port = word * BITS_PER_LONG + bit;

                evtchn_clear(port);
                if (bindings[port].handler) {
                    bindings[port].handler(port, bindings[port].data);
                } else {
                    printk("evtchn: event on unbound port %u (masked now)\n", port);
                    evtchn_mask(port);
                }
            }
        }
    }
}

void events_init(void)
{
    /* Start with every port masked: nothing is delivered until bound + unmasked. */
    for (unsigned i = 0; i < sizeof(shared_info->evtchn_mask) / sizeof(xen_ulong_t); i++)
        shared_info->evtchn_mask[i] = ~0UL;
}

/*
 * After a restore no event channel survives: forget every binding, mask
 * every port in the new shared_info, and start a new epoch so that the
 * handles of the old channels close nothing; each owner binds again in
 * its resume hook.
 */
void events_resume(void)
{
    memset(bindings, 0, sizeof(bindings));
    restores++;
    events_init();
}
