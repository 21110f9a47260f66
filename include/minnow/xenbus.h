/*
 * xenbus: the device layer over xenstore that split drivers use.
 *
 *   /local/domain/<us>/device/<type>/<id>/      the frontend (ours)
 *       backend    = "/local/domain/<be>/backend/<type>/<us>/<id>"
 *       backend-id = "<be>"
 *       state      = XenbusState (ours)
 *   <backend>/state                              the backend's state
 *
 * Each side moves through Initialising -> InitWait/Initialised ->
 * Connected -> Closing -> Closed and watches the other's state node.
 * Everything the other end wrote is checked before use: a bogus
 * backend path or id is an error, not a crash.
 */
#ifndef MINNOW_XENBUS_H
#define MINNOW_XENBUS_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/xenbus.h>
#include <minnow/sched.h>

struct xenbus_device {
    char nodename[64];          /* device/<type>/<id> (relative to our home) */
    char otherend[128];         /* the backend's absolute path */
    domid_t otherend_id;
    XenbusState otherend_state; /* last seen; refreshed by the watch */
    struct waitq otherend_wq;   /* woken when the watch has refreshed it */
};

/* The ids present under device/<type>: one malloc'd block, like xs_directory. */
int xenbus_list_devices(const char *type, char ***ids, unsigned int *n);
/*
 * Read and check backend, backend-id; start watching the backend's state.
 * On failure nothing stays registered: the caller may free dev.
 */
int xenbus_device_init(struct xenbus_device *dev, const char *type, const char *id);
/* Stop watching; once it returns no watch callback uses dev any more. */
void xenbus_device_release(struct xenbus_device *dev);
/*
 * Write our state node, in a transaction that reads it first: 0 when it
 * holds `state` (written now, or already), -ENOENT when the node is gone
 * (the toolstack removed the device: it is not created again).
 */
int xenbus_switch_state(struct xenbus_device *dev, XenbusState state);
/*
 * Wait until the backend's state is one of the `mask` bits (1 << state):
 * 0, or -ETIMEDOUT; either way *seen is the state last seen.
 */
int xenbus_wait_otherend(struct xenbus_device *dev, uint32_t mask, stime_t timeout_ns,
                         XenbusState *seen);
const char *xenbus_state_name(XenbusState state);

#endif
