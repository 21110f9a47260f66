/*
 * blkfront's xenbus half: the handshake that connects a disk, closing it,
 * and suspend/resume (blkfront_xs.h lists the calls; docs/blkfront.md
 * draws it all).
 *
 *   minnow                                  blkback (dom0)
 *   state = Initialising      ---------->
 *                             <----------   state = InitWait
 *   ring page granted, unbound event channel to the backend domain
 *   transaction { ring-ref, event-channel, protocol }   (retried on EAGAIN)
 *   state = Initialised       ---------->   maps the ring, binds the channel,
 *                                           writes sectors, sector-size, info,
 *                             <----------   feature-*; state = Connected
 *   read + validate them; state = Connected
 *   ...I/O...
 *   state = Closing           ---------->
 *                             <----------   state = Closing
 *   state = Closed            ---------->   unmaps the ring
 *                             <----------   state = Closed
 *   grant ended, page freed, channel closed
 *
 * The backend may close first (xl block-detach): our own watch on its
 * state sees Closing, the ring drains, we say Closed and the device is
 * gone; blkfront_close() then only lets go of it.
 */
#include <errno.h>
#include <stdio.h>
#include <minnow/console.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/suspend.h>
#include <minnow/time.h>
#include <minnow/xenstore.h>
#include <xen/io/protocols.h>
#include "blkfront_xs.h"

#define BLK_HANDSHAKE_TIMEOUT_NS  (20 * NSEC_PER_SEC)
#define BLK_DRAIN_NS              (10 * NSEC_PER_SEC)
#define BLK_XS_TRIES              10

/*
 * A handshake reads the backend's path and grants the ring: none may span
 * a save, or it would go on with the old domain's backend, grant and
 * channel.  Suspend refuses while one runs and holds new ones back.
 */
static unsigned int handshakes;
static bool suspending;
static struct waitq suspend_wq = WAITQ_INIT;

static void handshake_begin(void)
{
    wait_event(&suspend_wq, !suspending);
    handshakes++;
}

static void handshake_end(void)
{
    handshakes--;
}

unsigned int blk_handshakes(void)
{
    return handshakes;
}

/* ---- reading what the backend published ---------------------------------- */

/* Read <backend>/<node>; a missing optional node gives dflt. */
static int backend_u64(struct blkfront_dev *dev, const char *node, bool optional,
                       uint64_t dflt, uint64_t *v)
{
    char path[192];

    snprintf(path, sizeof(path), "%s/%s", dev->xb.otherend, node);
    int rc = xs_read_u64(XS_NO_TX, path, v);
    if (rc == -ENOENT && optional) {
        *v = dflt;
        return 0;
    }
    if (rc == -EINVAL)
        printk("blkfront: %s: backend's %s is not an unsigned number\n", dev->name, path);
    else if (rc)
        printk("blkfront: %s: cannot read the backend's %s: rc=%d\n", dev->name, path, rc);
    return rc;
}

static int backend_bool(struct blkfront_dev *dev, const char *node, bool *out)
{
    uint64_t v;
    int rc = backend_u64(dev, node, true, 0, &v);

    if (rc)
        return rc;
    if (v > 1) {
        printk("blkfront: %s: backend's %s = %lu is not 0 or 1\n", dev->name, node,
               (unsigned long)v);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static bool power_of_two(uint64_t v)
{
    return v && !(v & (v - 1));
}

/* Everything the backend wrote before Connected, checked before use. */
static int read_backend_info(struct blkfront_dev *dev, struct blkfront_info *info)
{
    uint64_t sectors, ssize, pssize, vinfo;
    int rc;

    memset(info, 0, sizeof(*info));
    if ((rc = backend_u64(dev, "sectors", false, 0, &sectors)) ||
        (rc = backend_u64(dev, "sector-size", false, 0, &ssize)) ||
        (rc = backend_u64(dev, "physical-sector-size", true, ssize, &pssize)) ||
        (rc = backend_u64(dev, "info", false, 0, &vinfo)) ||
        (rc = backend_bool(dev, "feature-flush-cache", &info->flush)) ||
        (rc = backend_bool(dev, "feature-barrier", &info->barrier)))
        return rc;

    if (!power_of_two(ssize) || ssize < BLKFRONT_SECTOR_SIZE || ssize > BLK_PAGE_SIZE) {
        printk("blkfront: %s: backend's sector-size %lu is not a power of two in 512..4096\n",
               dev->name, (unsigned long)ssize);
        return -EINVAL;
    }
    if (!power_of_two(pssize) || pssize < ssize) {
        printk("blkfront: %s: backend's physical-sector-size %lu is not a power-of-two "
               "multiple of sector-size %lu\n", dev->name, (unsigned long)pssize,
               (unsigned long)ssize);
        return -EINVAL;
    }
    if (sectors == 0 || sectors > UINT64_MAX / BLKFRONT_SECTOR_SIZE ||
        sectors % (ssize / BLKFRONT_SECTOR_SIZE)) {
        printk("blkfront: %s: backend's sectors %lu is not a usable disk size for "
               "sector-size %lu\n", dev->name, (unsigned long)sectors, (unsigned long)ssize);
        return -EINVAL;
    }
    if (vinfo & ~(uint64_t)(VDISK_CDROM | VDISK_REMOVABLE | VDISK_READONLY)) {
        printk("blkfront: %s: backend's info %#lx has bits blkif does not define\n",
               dev->name, (unsigned long)vinfo);
        return -EINVAL;
    }
    info->sectors = sectors;
    info->sector_size = ssize;
    info->physical_sector_size = pssize;
    info->vdisk_info = vinfo;
    info->readonly = vinfo & VDISK_READONLY;
    return 0;
}

/* ---- the handshake ------------------------------------------------------ */

static int write_ring_nodes(xs_tx_t tx, void *arg)
{
    struct blkfront_dev *dev = arg;
    char path[96], value[16];
    int rc;

    snprintf(path, sizeof(path), "%s/ring-ref", dev->xb.nodename);
    snprintf(value, sizeof(value), "%u", dev->ring_ref);
    if ((rc = xs_write(tx, path, value)))
        return rc;
    snprintf(path, sizeof(path), "%s/event-channel", dev->xb.nodename);
    snprintf(value, sizeof(value), "%u", dev->port);
    if ((rc = xs_write(tx, path, value)))
        return rc;
    snprintf(path, sizeof(path), "%s/protocol", dev->xb.nodename);
    return xs_write(tx, path, XEN_IO_PROTO_ABI_NATIVE);
}

/* Undo the ring and the channel (what is not ours any more is not touched). */
static void blk_teardown(struct blkfront_dev *dev)
{
    if (dev->port_bound)
        evtchn_close(dev->port);
    dev->port_bound = false;
    if (dev->ring_granted && blk_end_grant(dev, dev->ring_ref, dev->ring_pfn) == -EBUSY)
        dev->ring_pfn = BLK_NO_FRAME;           /* the deferred list frees it */
    dev->ring_granted = false;
    if (dev->ring_pfn != BLK_NO_FRAME) {
        frame_free(dev->ring_pfn);
        dev->ring_pfn = BLK_NO_FRAME;
    }
}

/*
 * After a restore the grant table and every event channel are new: the
 * ring's grant, the channel and the slots' grants went with the old
 * domain, and no backend maps our pages any more.  Ending or closing them
 * now would hit whoever holds those numbers in the new domain, so they are
 * forgotten.  The ring frame stays ours.
 */
static void forget_old_domain(struct blkfront_dev *dev)
{
    /*
     * The restored domain's grant table is empty and its event channels are
     * gone.  The refs are still ours (drivers/xen/gnttab.c keeps them across
     * a restore): ending each one just gives it back.  The port is only
     * forgotten: the old channel no longer exists, and closing its number
     * could close someone else's new channel.
     */
    if (dev->ring_granted && gnttab_end_access(dev->ring_ref))
        printk("blkfront: %s: the ring's pre-restore ref %u did not end\n", dev->name,
               dev->ring_ref);
    for (unsigned i = 0; i < BLK_RING_SLOTS; i++)
        for (unsigned j = 0; j < BLK_MAX_SEGS; j++)
            if (dev->slot[i].granted[j] && gnttab_end_access(dev->slot[i].gref[j]))
                printk("blkfront: %s: pre-restore ref %u did not end\n", dev->name,
                       dev->slot[i].gref[j]);
    dev->port_bound = false;
    dev->ring_granted = false;
    for (unsigned i = 0; i < BLK_RING_SLOTS; i++)
        memset(dev->slot[i].granted, 0, sizeof(dev->slot[i].granted));
    dev->backend_stale = true;
}

/* ---- the backend closing on its own ----------------------------------------- */

static struct blkfront_dev *device_watching(const char *path)
{
    for (struct blkfront_dev *d = blk_devices; d; d = d->next)
        if (d->backend_watch[0] && strcmp(d->backend_watch, path) == 0)
            return d;
    return NULL;
}

/*
 * The toolstack detaching the disk (xl block-detach), or the backend
 * going away: no new request, let the ring drain, say Closed so the
 * backend can let go, free our side.  Runs in the xenstore watch thread,
 * so it waits for no watch: blkback unmaps the ring after our Closed,
 * and a grant it still holds then is ended later (blkfront_grants.c).
 */
/* Reap what the backend answered; done when nothing is in flight any more. */
static bool drained_or_reopened(struct blkfront_dev *dev)
{
    blk_poll(dev);
    return !dev->inflight || dev->state != BLK_CLOSING;
}

static void backend_closed_device(struct blkfront_dev *dev, XenbusState seen)
{
    unsigned int at_start = dev->inflight;
    bool drained = true;

    if (dev->state == BLK_CONNECTED) {
        dev->state = BLK_CLOSING;
        blk_wake(dev);
        drained = wait_event_timeout(&dev->wq, drained_or_reopened(dev), BLK_DRAIN_NS);
    }
    xenbus_switch_state(&dev->xb, XenbusStateClosed);
    blk_teardown(dev);
    dev->state = BLK_GONE;
    blk_wake(dev);
    printk("blkfront: %s: the backend is %s: %u requests were in flight, %s; closed, the "
           "device is gone\n", dev->name, xenbus_state_name(seen), at_start,
           drained ? "all answered" : "the rest abandoned after 10 s");
}

static void backend_state_changed(const char *path, void *unused)
{
    struct blkfront_dev *dev = device_watching(path);
    uint64_t state;

    if (!dev || (dev->state != BLK_CONNECTED && dev->state != BLK_BROKEN))
        return;
    int rc = xs_read_u64(XS_NO_TX, path, &state);
    if (rc == -ENOENT)
        state = XenbusStateClosed;              /* the backend was removed */
    else if (rc)
        return;
    if (state == XenbusStateClosing || state == XenbusStateClosed)
        backend_closed_device(dev, state);
}

static void watch_backend(struct blkfront_dev *dev)
{
    if (dev->backend_watch[0])
        return;
    snprintf(dev->backend_watch, sizeof(dev->backend_watch), "%s/state", dev->xb.otherend);
    int rc = xs_watch(dev->backend_watch, backend_state_changed, NULL);
    if (rc) {
        printk("blkfront: %s: cannot watch %s: rc=%d; a detach will not be noticed\n",
               dev->name, dev->backend_watch, rc);
        dev->backend_watch[0] = '\0';
    }
}

static void unwatch_backend(struct blkfront_dev *dev)
{
    if (!dev->backend_watch[0])
        return;
    xs_unwatch(dev->backend_watch, backend_state_changed, NULL);
    dev->backend_watch[0] = '\0';
}

static int wait_backend(struct blkfront_dev *dev, XenbusState want, uint32_t fail_mask)
{
    XenbusState seen;
    int rc = xenbus_wait_otherend(&dev->xb, (1u << want) | fail_mask,
                                  BLK_HANDSHAKE_TIMEOUT_NS, &seen);

    if (rc == 0 && seen == want)
        return 0;
    printk("blkfront: %s: backend %s is %s, not %s%s\n", dev->name, dev->xb.otherend,
           xenbus_state_name(seen), xenbus_state_name(want),
           rc == -ETIMEDOUT ? " (timed out)" : "");
    return rc ? rc : -EIO;
}

/* Initialising .. Connected, with a fresh ring; on failure nothing is left. */
static int blk_connect(struct blkfront_dev *dev)
{
    struct blkfront_info info;
    uint32_t gone = (1u << XenbusStateClosing) | (1u << XenbusStateClosed);
    int rc;

    dev->state = BLK_CONNECTING;
    /* A backend left Closed by an earlier session goes back to InitWait. */
    if ((rc = xenbus_switch_state(&dev->xb, XenbusStateInitialising)) ||
        (rc = wait_backend(dev, XenbusStateInitWait, 1u << XenbusStateConnected)))
        goto fail;

    if (dev->ring_pfn == BLK_NO_FRAME && (rc = frame_alloc(&dev->ring_pfn))) {
        printk("blkfront: %s: no frame for the ring: rc=%d\n", dev->name, rc);
        dev->ring_pfn = BLK_NO_FRAME;
        goto fail;
    }
    blk_ring_init(dev);
    rc = gnttab_grant_access(dev->xb.otherend_id, dev->ring_pfn, false, &dev->ring_ref);
    if (rc) {
        printk("blkfront: %s: cannot grant the ring to domain %u: rc=%d\n", dev->name,
               dev->xb.otherend_id, rc);
        goto fail;
    }
    dev->ring_granted = true;
    rc = evtchn_alloc_unbound(dev->xb.otherend_id, blk_event, dev, &dev->port);
    if (rc) {
        printk("blkfront: %s: no event channel to domain %u: rc=%d\n", dev->name,
               dev->xb.otherend_id, rc);
        goto fail;
    }
    dev->port_bound = true;
    rc = xs_transaction_run(write_ring_nodes, dev, BLK_XS_TRIES);
    if (rc) {
        printk("blkfront: %s: cannot publish ring-ref/event-channel/protocol: rc=%d\n",
               dev->name, rc);
        goto fail;
    }
    if ((rc = xenbus_switch_state(&dev->xb, XenbusStateInitialised)) ||
        (rc = wait_backend(dev, XenbusStateConnected, gone)))
        goto fail;
    if ((rc = read_backend_info(dev, &info)))
        goto fail;
    if (dev->stats.reconnects && info.sectors != dev->info.sectors)
        printk("blkfront: %s: the disk now has %lu sectors (was %lu)\n", dev->name,
               (unsigned long)info.sectors, (unsigned long)dev->info.sectors);
    dev->info = info;
    evtchn_unmask(dev->port);
    if ((rc = xenbus_switch_state(&dev->xb, XenbusStateConnected)))
        goto fail;
    dev->state = BLK_CONNECTED;
    watch_backend(dev);
    printk("blkfront: %s: connected to %s: %lu sectors (%lu MiB), sector-size %u, "
           "physical %u, info %#x%s, flush %s, barrier %s, ring-ref %u, event-channel %u\n",
           dev->name, dev->xb.otherend, (unsigned long)info.sectors,
           (unsigned long)(info.sectors >> 11), info.sector_size, info.physical_sector_size,
           info.vdisk_info, info.readonly ? " (read-only)" : "", info.flush ? "yes" : "no",
           info.barrier ? "yes" : "no", dev->ring_ref, dev->port);
    blk_wake(dev);
    return 0;

fail:
    blk_teardown(dev);
    xenbus_switch_state(&dev->xb, XenbusStateClosed);
    dev->state = BLK_BROKEN;
    blk_wake(dev);
    return rc;
}

/* ---- suspend and resume ------------------------------------------------- */

/*
 * Suspend: no handshake may be under way (refused: it would go on with
 * the old domain's backend after a restore); no new request is queued,
 * and the hook waits until every request on the ring is answered
 * (callers reap their answers later, even after a restore).  Nothing on
 * the ring then refers to the old backend.
 */
static int blk_suspend(void)
{
    stime_t start = monotonic_ns(), deadline = start + BLK_DRAIN_NS;
    unsigned int busy, at_start = 0, connecting = handshakes;

    for (struct blkfront_dev *d = blk_devices; d; d = d->next)
        connecting += d->state == BLK_CONNECTING;
    if (connecting) {
        printk("blkfront: a device is in its handshake with the backend: suspend refused\n");
        return -EBUSY;
    }
    suspending = true;
    for (struct blkfront_dev *d = blk_devices; d; d = d->next)
        if (d->state == BLK_CONNECTED) {
            d->state = BLK_SUSPENDED;
            at_start += d->inflight;
        }
    for (;;) {
        busy = 0;
        for (struct blkfront_dev *d = blk_devices; d; d = d->next) {
            blk_poll(d);
            if (d->state == BLK_SUSPENDED)
                busy += d->inflight;
        }
        if (!busy || monotonic_ns() >= deadline)
            break;
        msleep(1);
    }
    if (!busy) {
        printk("blkfront: suspend: %u requests were in flight, all answered after %lu us\n",
               at_start, (unsigned long)((monotonic_ns() - start) / 1000));
        return 0;
    }
    printk("blkfront: %u requests still unanswered after 10 s: suspend refused\n", busy);
    for (struct blkfront_dev *d = blk_devices; d; d = d->next)
        if (d->state == BLK_SUSPENDED) {
            d->state = BLK_CONNECTED;
            blk_wake(d);
        }
    suspending = false;
    waitq_wake_all(&suspend_wq);
    return -EBUSY;
}

/* Read the backend's path again (it names our new domid after a restore). */
static int refresh_backend(struct blkfront_dev *dev)
{
    unwatch_backend(dev);
    xenbus_device_release(&dev->xb);
    int rc = xenbus_device_init(&dev->xb, "vbd", dev->id);
    if (rc)
        printk("blkfront: %s: cannot find the backend again: rc=%d\n", dev->name, rc);
    else
        dev->backend_stale = false;
    return rc;
}

/* After a restore: a new backend (new domid in its path), a new handshake. */
static void reconnect_thread(void *arg)
{
    struct blkfront_dev *dev = arg;

    handshake_begin();
    int rc = refresh_backend(dev);
    if (rc == 0)
        rc = blk_connect(dev);
    handshake_end();
    if (rc) {
        printk("blkfront: %s: reconnect after restore failed: rc=%d\n", dev->name, rc);
        dev->state = BLK_BROKEN;
        blk_wake(dev);
        return;
    }
    printk("blkfront: %s: reconnected after restore (#%lu)\n", dev->name,
           dev->stats.reconnects);
}

/*
 * Restored: every device still open forgets what it held in the old
 * domain, whatever its state; suspended ones connect again, broken ones
 * stay broken (blkfront_close finds the new backend), gone ones stay gone.
 */
static void blk_resume(bool cancelled)
{
    suspending = false;
    waitq_wake_all(&suspend_wq);
    if (!cancelled)
        blk_forget_deferred();
    for (struct blkfront_dev *d = blk_devices; d; d = d->next) {
        if (cancelled) {
            /* Same domain, same backend, same ring: carry on. */
            if (d->state == BLK_SUSPENDED) {
                d->state = BLK_CONNECTED;
                blk_wake(d);
            }
            continue;
        }
        forget_old_domain(d);
        if (d->state != BLK_SUSPENDED)
            continue;
        /*
         * The ring frame is ours and gets reused.  The handshake needs
         * xenstore watches, so it runs in its own thread, not in the
         * (watch) thread we are in.
         */
        d->state = BLK_CONNECTING;
        d->stats.reconnects++;
        if (!thread_create("blkfront-reconnect", reconnect_thread, d)) {
            printk("blkfront: %s: no thread to reconnect after restore\n", d->name);
            d->state = BLK_BROKEN;
            blk_wake(d);
        }
    }
}

static struct suspend_hooks blkfront_hooks = {
    .name = "blkfront",
    .suspend = blk_suspend,
    .resume = blk_resume,
};

/* Suspend and resume cover every device; registered with the first probe. */
static void register_suspend_hooks(void)
{
    static bool registered;

    if (!registered) {
        suspend_register(&blkfront_hooks);
        registered = true;
    }
}

/* ---- attach and detach -------------------------------------------------- */

int blk_attach(struct blkfront_dev *dev)
{
    register_suspend_hooks();
    handshake_begin();
    int rc = xenbus_device_init(&dev->xb, "vbd", dev->id);
    if (rc) {
        printk("blkfront: %s: xenbus device init failed: rc=%d\n", dev->name, rc);
    } else if ((rc = blk_connect(dev))) {
        unwatch_backend(dev);
        xenbus_device_release(&dev->xb);
    }
    handshake_end();
    return rc;
}

int blk_detach(struct blkfront_dev *dev, bool handshake)
{
    int rc = 0;

    if (handshake && dev->backend_stale && (rc = refresh_backend(dev)))
        handshake = false;
    unwatch_backend(dev);
    /* blkback answers Closing with Closing, and unmaps the ring on Closed. */
    if (handshake && (rc = xenbus_switch_state(&dev->xb, XenbusStateClosing)) == 0) {
        XenbusState seen;
        rc = xenbus_wait_otherend(&dev->xb, (1u << XenbusStateClosing) |
                                  (1u << XenbusStateClosed), BLK_HANDSHAKE_TIMEOUT_NS, &seen);
        if (rc)
            printk("blkfront: %s: backend stayed %s after our Closing: rc=%d\n", dev->name,
                   xenbus_state_name(seen), rc);
        if (rc == 0)
            rc = xenbus_switch_state(&dev->xb, XenbusStateClosed);
        if (rc == 0)
            rc = wait_backend(dev, XenbusStateClosed, 0);
    }
    /* Even if the backend did not follow, take back what we can. */
    blk_teardown(dev);
    xenbus_device_release(&dev->xb);
    return rc;
}
