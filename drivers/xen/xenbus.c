/*
 * xenbus: the part of a split driver that is the same for every device
 * type, so that blkfront (and any later frontend) only says what its own
 * nodes mean.  The backend's state is kept current by a xenstore watch,
 * not read on demand: a driver waiting for the backend sleeps until the
 * watch thread has seen the change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/console.h>
#include <minnow/sched.h>
#include <minnow/xenbus.h>
#include <minnow/xenstore.h>

/* Transactions that collide with the toolstack's are retried this often. */
#define XENBUS_TX_TRIES 10

const char *xenbus_state_name(XenbusState state)
{
    static const char *const names[] = {
        "Unknown", "Initialising", "InitWait", "Initialised", "Connected",
        "Closing", "Closed", "Reconfiguring", "Reconfigured",
    };
    return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "invalid";
}

int xenbus_list_devices(const char *type, char ***ids, unsigned int *n)
{
    char path[64];

    snprintf(path, sizeof(path), "device/%s", type);
    return xs_directory(XS_NO_TX, path, ids, n);
}

/* "<otherend>/state", built the same way for the watch, its removal and the reads. */
#define STATE_PATH_SIZE (sizeof(((struct xenbus_device *)0)->otherend) + sizeof("/state"))

static char *otherend_state_path(const struct xenbus_device *dev, char path[STATE_PATH_SIZE])
{
    snprintf(path, STATE_PATH_SIZE, "%s/state", dev->otherend);
    return path;
}

static int read_otherend_state(struct xenbus_device *dev)
{
    char path[STATE_PATH_SIZE];
    uint64_t v;
    int rc = xs_read_u64(XS_NO_TX, otherend_state_path(dev, path), &v);

    if (rc == -ENOENT) {
        dev->otherend_state = XenbusStateUnknown;
        return 0;
    }
    if (rc)
        return rc;
    if (v > XenbusStateReconfigured) {
        printk("xenbus: %s = %lu is not a xenbus state\n", path, (unsigned long)v);
        return -EINVAL;
    }
    dev->otherend_state = v;
    return 0;
}

static void otherend_changed(const char *path, void *data)
{
    struct xenbus_device *dev = data;

    read_otherend_state(dev);
    waitq_wake_all(&dev->otherend_wq);
}

int xenbus_device_init(struct xenbus_device *dev, const char *type, const char *id)
{
    char path[96], state_path[STATE_PATH_SIZE], *backend = NULL;
    uint64_t be_id;
    int rc;

    memset(dev, 0, sizeof(*dev));
    if (snprintf(dev->nodename, sizeof(dev->nodename), "device/%s/%s", type, id) >=
        (int)sizeof(dev->nodename))
        return -ENAMETOOLONG;

    snprintf(path, sizeof(path), "%s/backend-id", dev->nodename);
    rc = xs_read_u64(XS_NO_TX, path, &be_id);
    if (rc)
        return rc;
    if (be_id >= DOMID_FIRST_RESERVED) {
        printk("xenbus: %s = %lu is not a domain id\n", path, (unsigned long)be_id);
        return -EINVAL;
    }
    snprintf(path, sizeof(path), "%s/backend", dev->nodename);
    rc = xs_read(XS_NO_TX, path, &backend);
    if (rc)
        return rc;
    if (backend[0] != '/' || strlen(backend) >= sizeof(dev->otherend)) {
        printk("xenbus: %s = \"%.40s\" is not a usable backend path\n", path, backend);
        free(backend);
        return -EINVAL;
    }
    strcpy(dev->otherend, backend);
    free(backend);
    dev->otherend_id = be_id;

    otherend_state_path(dev, state_path);
    rc = xs_watch(state_path, otherend_changed, dev);
    if (rc)
        return rc;
    rc = read_otherend_state(dev);
    if (rc)
        xs_unwatch(state_path, otherend_changed, dev);     /* the caller frees dev */
    return rc;
}

void xenbus_device_release(struct xenbus_device *dev)
{
    char path[STATE_PATH_SIZE];

    xs_unwatch(otherend_state_path(dev, path), otherend_changed, dev);
}

struct state_switch {
    const char *path;
    XenbusState state;
};

/*
 * Our state node is read first, in the same transaction: a device the
 * toolstack removed stays removed (a write would create the node again),
 * and a state we already have is not written again (its watchers would
 * see a change that is none).
 */
static int switch_in_tx(xs_tx_t tx, void *arg)
{
    const struct state_switch *sw = arg;
    uint64_t now;
    char value[4];
    int rc = xs_read_u64(tx, sw->path, &now);

    if (rc || now == sw->state)
        return rc;
    snprintf(value, sizeof(value), "%u", sw->state);
    return xs_write(tx, sw->path, value);
}

int xenbus_switch_state(struct xenbus_device *dev, XenbusState state)
{
    char path[96];
    struct state_switch sw = { path, state };

    snprintf(path, sizeof(path), "%s/state", dev->nodename);
    int rc = xs_transaction_run(switch_in_tx, &sw, XENBUS_TX_TRIES);
    if (rc == -ENOENT)
        printk("xenbus: %s is gone: not switching it to %s\n", dev->nodename,
               xenbus_state_name(state));
    else if (rc)
        printk("xenbus: cannot switch %s to %s: rc=%d\n", dev->nodename,
               xenbus_state_name(state), rc);
    return rc;
}

int xenbus_wait_otherend(struct xenbus_device *dev, uint32_t mask, stime_t timeout_ns,
                         XenbusState *seen)
{
    bool reached = wait_event_timeout(&dev->otherend_wq,
                                      mask & (1u << dev->otherend_state), timeout_ns);

    *seen = dev->otherend_state;
    return reached ? 0 : -ETIMEDOUT;
}
