/*
 * control/shutdown: how the toolstack asks a PV guest to stop.  `xl
 * shutdown` writes "poweroff", `xl reboot` "reboot", `xl save` and live
 * migration "suspend" (drivers/xen/suspend.c).  The guest acknowledges by
 * clearing the key, then does it: SCHEDOP_shutdown with the matching
 * reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/console.h>
#include <minnow/control.h>
#include <minnow/exit.h>
#include <minnow/hypervisor.h>
#include <minnow/sched.h>
#include <minnow/suspend.h>
#include <minnow/xenstore.h>
#include <arch/hypercall.h>

static const char *const shutdown_key = "control/shutdown";

static void (*shutdown_hooks[4])(const char *what);

int control_on_shutdown(void (*fn)(const char *what))
{
    for (unsigned int i = 0; i < sizeof(shutdown_hooks) / sizeof(shutdown_hooks[0]); i++) {
        if (!shutdown_hooks[i]) {
            shutdown_hooks[i] = fn;
            return 0;
        }
    }
    return -ENOSPC;
}

static void shutdown_domain(unsigned int reason, const char *what)
{
    struct sched_shutdown sd = { .reason = reason };

    printk("minnow: %s requested by the toolstack\n", what);
    for (unsigned int i = 0; i < sizeof(shutdown_hooks) / sizeof(shutdown_hooks[0]); i++)
        if (shutdown_hooks[i])
            shutdown_hooks[i](what);
    long rc = hypercall_sched_op(SCHEDOP_shutdown, &sd);
    printk("control: SCHEDOP_shutdown(%s) failed: rc=%ld\n", what, rc);
}

static void shutdown_watch(const char *path, void *data)
{
    char *req;
    int rc = xs_read(XS_NO_TX, shutdown_key, &req);

    if (rc == -ENOENT)
        return;
    if (rc) {
        printk("control: cannot read %s: rc=%d\n", shutdown_key, rc);
        return;
    }
    if (!req[0]) {
        free(req);
        return;                     /* our own acknowledgement, or nothing asked */
    }
    /* Acknowledge first: the toolstack waits for the key to be cleared. */
    rc = xs_write(XS_NO_TX, shutdown_key, "");
    if (rc)
        printk("control: cannot acknowledge %s: rc=%d\n", shutdown_key, rc);

    if (strcmp(req, "poweroff") == 0 || strcmp(req, "halt") == 0)
        shutdown_domain(SHUTDOWN_poweroff, "poweroff");
    else if (strcmp(req, "reboot") == 0)
        shutdown_domain(SHUTDOWN_reboot, "reboot");
    else if (strcmp(req, "suspend") == 0) {
        rc = domain_suspend();
        if (rc < 0)
            printk("control: suspend failed: rc=%d\n", rc);
    }
    else
        printk("control: unknown shutdown request \"%.32s\" ignored\n", req);
    free(req);
}

int control_init(void)
{
    if (!xenstore_available())
        return -ENODEV;
    int rc = xs_watch(shutdown_key, shutdown_watch, NULL);
    if (rc)
        printk("control: cannot watch %s: rc=%d\n", shutdown_key, rc);
    return rc;
}

int control_wait_for_toolstack(void)
{
    if (is_initial_domain())
        return EXIT_SUCCESS_STATUS;     /* nobody to wait for */
    for (;;)
        thread_block();                 /* control/shutdown ends the domain */
}
