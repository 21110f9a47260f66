/*
 * xenbus against a real backend: with a disk in the domU's config
 * (tests/toolstack), Linux blkback publishes its state and minnow's
 * frontend node.  This checks discovery and the backend state machine up
 * to InitWait, then closes the device again (test_blkfront.c goes on to
 * connect and move data).
 */
#include <errno.h>
#include <stdlib.h>
#include "test.h"
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
