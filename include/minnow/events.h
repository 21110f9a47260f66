/*
 * Event channels (2-level ABI): the PV equivalent of interrupts.
 *
 *   shared_info.evtchn_pending[]  one bit per port, set by Xen
 *   shared_info.evtchn_mask[]     one bit per port, set by the guest
 *   vcpu_info.evtchn_pending_sel  one bit per word of evtchn_pending[]
 *   vcpu_info.evtchn_upcall_pending / _mask   the "interrupt line" and "IF"
 *
 * Xen sets the port's pending bit, the selector bit and upcall_pending,
 * and if upcall_mask is clear it calls hypervisor_callback (entry.S).
 */
#ifndef MINNOW_EVENTS_H
#define MINNOW_EVENTS_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/event_channel.h>

struct cpu_regs;
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *data);

void events_init(void);
/* After a restore: every channel is gone; forget bindings, mask all ports,
 * make every handle taken so far stale. */
void events_resume(void);
/* Install a handler for a port the caller obtained; the port stays masked. */
int evtchn_bind(evtchn_port_t port, evtchn_handler_t handler, void *data);
void evtchn_unbind(evtchn_port_t port);
/*
 * EVTCHNOP_bind_virq: 0 and *port, or Xen's rc.  Here and in
 * evtchn_alloc_unbound, a channel that cannot be bound locally (-EBUSY,
 * -EINVAL) is closed again: nothing is left allocated on failure.
 */
int evtchn_bind_virq(unsigned int virq, evtchn_handler_t handler, void *data,
                     evtchn_port_t *port);
/* EVTCHNOP_alloc_unbound towards a remote domain (loopback tests use DOMID_SELF). */
int evtchn_alloc_unbound(domid_t remote, evtchn_handler_t handler, void *data,
                         evtchn_port_t *port);
/*
 * EVTCHNOP_bind_interdomain: connect to <remote, remote_port>, a port the
 * remote domain allocated unbound for us (DOMID_SELF: a loopback).  Bound
 * like the others: 0 and *port, or Xen's rc, nothing left on failure.
 */
int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
                            evtchn_handler_t handler, void *data, evtchn_port_t *port);
/* Unbind and EVTCHNOP_close a port bound since the last restore (else: a handle). */
int evtchn_close(evtchn_port_t port);
/*
 * EVTCHNOP_status of one of our ports: 0 and Xen's answer, or Xen's rc.
 * How a peer's end shows here:
 *
 *   ours alloc_unbound  --peer binds-->  interdomain  --peer closes/dies-->  unbound
 *   ours bind_interdomain: interdomain   --peer closes/dies-->  unbound
 *
 * (Xen turns our end of a channel back into "unbound" when the other end
 * goes, so "not interdomain any more" means the peer has left.)
 */
int evtchn_status(evtchn_port_t port, struct evtchn_status *status);
/* True while port is an interdomain channel whose other end is still bound. */
bool evtchn_peer_connected(evtchn_port_t port);
/* Ports with a handler now: the leak check of a service that binds and closes. */
unsigned int evtchn_bound_count(void);

/*
 * Channels and restores.  A restore ends every channel, and Xen then hands
 * the same port numbers to whoever binds next: a bare port number cannot
 * tell "my channel" from "the channel that has my old number now".  An
 * owner that may still close its channel after a restore (a device torn
 * down late) keeps a handle, taken right after binding:
 *
 *   rc = evtchn_alloc_unbound(remote, handler, data, &port);
 *   h = evtchn_handle(port);
 *   ...
 *   evtchn_close_handle(h);    closes the channel if no restore came in
 *                              between; else does nothing and returns 0
 */
struct evtchn_handle {
    evtchn_port_t port;
    uint32_t epoch;             /* restores seen when it was bound */
};
struct evtchn_handle evtchn_handle(evtchn_port_t port);
/* False once a restore ended the handle's channel. */
bool evtchn_handle_is_current(struct evtchn_handle h);
/* 0, or Xen's rc from EVTCHNOP_close. */
int evtchn_close_handle(struct evtchn_handle h);
int evtchn_notify(evtchn_port_t port);
void evtchn_mask(evtchn_port_t port);
void evtchn_unmask(evtchn_port_t port);
void evtchn_clear(evtchn_port_t port);
bool evtchn_is_pending(evtchn_port_t port);

/*
 * The PV equivalents of cli/sti and of save/restore flags.  Before
 * shared_info is mapped, save reports "masked" (nothing can be delivered
 * yet) and the matching restore does nothing.
 */
void local_events_disable(void);
void local_events_enable(void);
unsigned long local_events_save(void);
void local_events_restore(unsigned long flags);

void evtchn_do_upcall(struct cpu_regs *regs);

#endif
