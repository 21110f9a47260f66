/*
 * `xenstore_test` on the command line: a small xenstore round trip the
 * toolstack harness (tests/toolstack/checks/xenstore.sh) checks from dom0.
 *
 *   writes data/minnow-test, reads it back:  XS READBACK data/minnow-test <value>
 *   watches data/minnow-watch:               XS EVENT data/minnow-watch <value>|(none)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <minnow/console.h>
#include <minnow/time.h>
#include <minnow/xenstore.h>
#include "xs_probe.h"

static void watch_event(const char *path, void *data)
{
    char *value;
    int rc = xs_read(XS_NO_TX, "data/minnow-watch", &value);

    if (rc == 0) {
        printk("XS EVENT data/minnow-watch %s\n", value);
        free(value);
    } else if (rc == -ENOENT) {
        printk("XS EVENT data/minnow-watch (none)\n");
    } else {
        printk("XS EVENT data/minnow-watch (error %d)\n", rc);
    }
}

int xs_probe_start(void)
{
    char written[32], *back;
    int rc;

    snprintf(written, sizeof(written), "minnow-%lu", (unsigned long)monotonic_ns());
    rc = xs_write(XS_NO_TX, "data/minnow-test", written);
    if (rc == 0)
        rc = xs_read(XS_NO_TX, "data/minnow-test", &back);
    if (rc) {
        printk("XS ERROR data/minnow-test rc=%d\n", rc);
        return rc;
    }
    printk("XS READBACK data/minnow-test %s\n", back);
    free(back);
    rc = xs_watch("data/minnow-watch", watch_event, NULL);
    if (rc)
        printk("XS ERROR watch data/minnow-watch rc=%d\n", rc);
    return rc;
}
