/*
 * xenbus against a real backend: with a disk in the domU's config
 * (tests/toolstack), Linux blkback publishes its state and minnow's
 * frontend node.  This checks discovery and the backend state machine up
 * to InitWait, then closes the device again (test_blkfront.c goes on to
 * connect and move data).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include <minnow/sched.h>
#include <minnow/xenbus.h>
#include <minnow/xenstore.h>

GUEST_TEST(xenbus_vbd_discovery, 0)
{
    char **ids;
    unsigned n;
    struct xenbus_device dev;
    XenbusState seen;

    TEST_SKIP_IF(!xenstore_available(), "no xenstore (dom0 without a toolstack)");
    int rc = xenbus_list_devices("vbd", &ids, &n);
    TEST_SKIP_IF(rc == -ENOENT || (rc == 0 && n == 0), "no vbd configured for this domain");
    TEST_ASSERT(rc == 0, "listing device/vbd: rc=%d", rc);

    rc = xenbus_device_init(&dev, "vbd", ids[0]);
    free(ids);
    TEST_ASSERT(rc == 0, "device init: rc=%d", rc);
    TEST_ASSERT(dev.otherend_id == 0, "backend in domain %u", dev.otherend_id);
    TEST_ASSERT(xenbus_switch_state(&dev, XenbusStateInitialising) == 0, "switch");
    rc = xenbus_wait_otherend(&dev, 1u << XenbusStateInitWait, 10 * NSEC_PER_SEC, &seen);
    TEST_ASSERT(rc == 0, "backend stayed in %s", xenbus_state_name(seen));
    test_detail("%s: backend %s in %s", dev.nodename, dev.otherend, xenbus_state_name(seen));
    xenbus_switch_state(&dev, XenbusStateClosed);
    xenbus_device_release(&dev);
    return TEST_PASS;
}

/*
 * Devices whose backend is bogus.  dom0 cannot be made to misbehave on
 * cue, so tests/toolstack/checks/xenbus_devices.sh gives this domain
 * frontend nodes whose backend path points into the domain's own data/
 * area, where the test plays the backend:
 *
 *   device/minnowtest/0/backend = <home>/data/minnowtest-be/0
 *   device/minnowtest/1/backend = <home>/data/minnowtest-be/<long name>/1
 *                                 (over 80 characters, under 128)
 *
 * Every other run has no such nodes, and the tests skip.
 */
#define POISONED_STATE 0x5a5a

static int backend_of(const char *id, char **backend)
{
    char path[64];

    snprintf(path, sizeof(path), "device/minnowtest/%s/backend", id);
    return xs_read(XS_NO_TX, path, backend);
}

static int write_backend_state(const char *backend, const char *value)
{
    char path[160];

    snprintf(path, sizeof(path), "%s/state", backend);
    return xs_write(XS_NO_TX, path, value);
}

/*
 * What a caller does with a device whose init failed or that it released:
 * frees it.  Here the memory stays (the test owns it) and holds a marker;
 * then the backend moves on.  A watch left behind would fire into the
 * "freed" device and overwrite the marker with the state it reads from
 * the otherend planted here (3).  Returns the state found in dev.
 */
static unsigned int state_after_free(struct xenbus_device *dev, const char *backend,
                                     const char *new_state)
{
    xs_write(XS_NO_TX, "data/minnowtest-released/state", "3");
    memset(dev, 0, sizeof(*dev));
    strcpy(dev->otherend, "data/minnowtest-released");
    dev->otherend_state = POISONED_STATE;
    write_backend_state(backend, new_state);
    msleep(200);
    return dev->otherend_state;
}

GUEST_TEST(xenbus_bad_backend_state_leaves_no_watch, 0)
{
    static struct xenbus_device dev;
    char *backend;

    TEST_SKIP_IF(!xenstore_available(), "no xenstore (dom0 without a toolstack)");
    TEST_SKIP_IF(backend_of("0", &backend), "no device/minnowtest/0 (xenbus_devices check only)");
    int rc = write_backend_state(backend, "9");
    TEST_ASSERT(rc == 0, "writing the backend state: rc=%d", rc);

    rc = xenbus_device_init(&dev, "minnowtest", "0");
    TEST_ASSERT(rc == -EINVAL, "init with backend state 9: rc=%d", rc);
    unsigned int state = state_after_free(&dev, backend, "1");
    free(backend);
    TEST_ASSERT(state == POISONED_STATE,
                "a watch left behind by the failed init wrote state %u into the device", state);
    return TEST_PASS;
}

GUEST_TEST(xenbus_long_backend_path_unwatches, 0)
{
    static struct xenbus_device dev;
    char *backend;

    TEST_SKIP_IF(!xenstore_available(), "no xenstore (dom0 without a toolstack)");
    TEST_SKIP_IF(backend_of("1", &backend), "no device/minnowtest/1 (xenbus_devices check only)");
    TEST_ASSERT(strlen(backend) > 80 && strlen(backend) < sizeof(dev.otherend),
                "backend path of %zu characters", strlen(backend));
    int rc = write_backend_state(backend, "1");
    TEST_ASSERT(rc == 0, "writing the backend state: rc=%d", rc);

    rc = xenbus_device_init(&dev, "minnowtest", "1");
    TEST_ASSERT(rc == 0, "init: rc=%d", rc);
    TEST_ASSERT(dev.otherend_state == XenbusStateInitialising, "backend state %u",
                dev.otherend_state);
    /*
     * The watch is on the backend's state node, whatever the length of its
     * path.  Its first event (fired at registration) goes by first, so
     * that only a change can wake the wait below.
     */
    msleep(200);
    write_backend_state(backend, "2");
    XenbusState seen;
    rc = xenbus_wait_otherend(&dev, 1u << XenbusStateInitWait, 2 * NSEC_PER_SEC, &seen);
    TEST_ASSERT(rc == 0, "the watch did not see the backend move to InitWait (still %s)",
                xenbus_state_name(seen));
    xenbus_device_release(&dev);
    unsigned int state = state_after_free(&dev, backend, "4");
    free(backend);
    TEST_ASSERT(state == POISONED_STATE,
                "the watch outlived xenbus_device_release and wrote state %u", state);
    return TEST_PASS;
}

static volatile unsigned state_events;

static void count_state_events(const char *path, void *data)
{
    state_events++;
}

/* The frontend's own node, as the toolstack sees it: a write that changes nothing is noise. */
GUEST_TEST(xenbus_switch_state_respects_removed_device, 0)
{
    struct xenbus_device dev = { .nodename = "data/minnow-switch" };
    char *v;

    TEST_SKIP_IF(!xenstore_available(), "no xenstore (dom0 without a toolstack)");
    xs_rm(XS_NO_TX, "data/minnow-switch");
    TEST_ASSERT(xs_write(XS_NO_TX, "data/minnow-switch/state", "1") == 0, "write");
    TEST_ASSERT(xs_watch("data/minnow-switch/state", count_state_events, NULL) == 0, "watch");

    int rc = xenbus_switch_state(&dev, XenbusStateInitialised);
    TEST_ASSERT(rc == 0, "switch to Initialised: rc=%d", rc);
    TEST_ASSERT(xs_read(XS_NO_TX, "data/minnow-switch/state", &v) == 0, "read");
    bool switched = strcmp(v, "3") == 0;
    free(v);
    TEST_ASSERT(switched, "state is not 3 after the switch");
    msleep(50);
    unsigned before = state_events;
    rc = xenbus_switch_state(&dev, XenbusStateInitialised);
    msleep(50);
    TEST_ASSERT(rc == 0, "switch to the same state: rc=%d", rc);
    TEST_ASSERT(state_events == before, "switching to the state it has wrote the node again");

    /* The toolstack removed the device: switching must not bring it back. */
    TEST_ASSERT(xs_rm(XS_NO_TX, "data/minnow-switch") == 0, "rm");
    rc = xenbus_switch_state(&dev, XenbusStateClosed);
    int read_rc = xs_read(XS_NO_TX, "data/minnow-switch/state", &v);
    if (read_rc == 0)
        free(v);
    xs_unwatch("data/minnow-switch/state", count_state_events, NULL);
    xs_rm(XS_NO_TX, "data/minnow-switch");
    TEST_ASSERT(rc == -ENOENT, "switch on a removed device: rc=%d", rc);
    TEST_ASSERT(read_rc == -ENOENT, "the removed device's state node is back (read rc=%d)",
                read_rc);
    return TEST_PASS;
}
