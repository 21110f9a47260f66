/*
 * blkfront: the PV block frontend's API (include/minnow/blkfront.h).  This
 * file finds devices and checks what callers ask for; the xenbus half
 * (blkfront_xs.c) talks to the backend, the ring (blkfront_ring.c) moves
 * the data.  docs/blkfront.md has the whole picture.
 *
 * Devices live on one list from probe to close.  Probes run one at a time:
 * two callers opening the same id must not both connect it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <minnow/console.h>
#include <minnow/gnttab.h>
#include <minnow/parse.h>
#include <minnow/xenstore.h>
#include "blkfront_xs.h"

struct blkfront_dev *blk_devices;
static bool probing;                    /* one probe at a time */
static struct waitq probe_wq = WAITQ_INIT;

const struct blkfront_info *blkfront_get_info(const struct blkfront_dev *dev)
{
    return &dev->info;
}

const char *blkfront_name(const struct blkfront_dev *dev)
{
    return dev->name;
}

void blkfront_get_stats(const struct blkfront_dev *dev, struct blkfront_stats *out)
{
    *out = dev->stats;
}

const char *blk_state_name(enum blk_state state)
{
    switch (state) {
    case BLK_CONNECTING: return "connecting";
    case BLK_CONNECTED:  return "connected";
    case BLK_SUSPENDED:  return "suspended";
    case BLK_BROKEN:     return "broken";
    case BLK_CLOSING:    return "closing";
    case BLK_GONE:       return "gone";
    case BLK_CLOSED:     return "closed";
    }
    return "?";
}

/* ---- probe, open, close ------------------------------------------------- */

static struct blkfront_dev *find_device(const char *id)
{
    for (struct blkfront_dev *d = blk_devices; d; d = d->next)
        if (strcmp(d->id, id) == 0)
            return d;
    return NULL;
}

static int probe(const char *id, struct blkfront_dev **out)
{
    uint64_t vdev;

    if (parse_u64(id, &vdev) || strlen(id) >= sizeof(((struct blkfront_dev *)0)->id)) {
        printk("blkfront: device/vbd/%.20s is not a virtual device number\n", id);
        return -EINVAL;
    }
    struct blkfront_dev *dev = calloc(1, sizeof(*dev));
    if (!dev)
        return -ENOMEM;
    strcpy(dev->id, id);
    snprintf(dev->name, sizeof(dev->name), "vbd/%s", id);
    dev->handle = (uint16_t)vdev;  /* extended numbers do not fit; blkback ignores it */
    dev->ring_pfn = BLK_NO_FRAME;
    dev->wq = (struct waitq)WAITQ_INIT;

    int rc = blk_attach(dev);
    if (rc) {
        free(dev);
        return rc;
    }
    dev->next = blk_devices;
    blk_devices = dev;
    *out = dev;
    return 0;
}

int blkfront_open(const char *id, struct blkfront_dev **out)
{
    int rc;

    if (!xenstore_available() || !gnttab_ready())
        return -ENODEV;
    wait_event(&probe_wq, !probing);
    struct blkfront_dev *dev = find_device(id);
    if (dev) {
        if (dev->state == BLK_BROKEN || dev->state == BLK_GONE) {
            printk("blkfront: %s is %s: close it before opening it again\n", dev->name,
                   dev->state == BLK_BROKEN ? "broken" : "closed by the backend");
            return -EIO;
        }
        *out = dev;
        return 0;
    }
    probing = true;
    rc = probe(id, out);
    probing = false;
    waitq_wake_all(&probe_wq);
    return rc;
}

int blkfront_init(void)
{
    char **ids;
    unsigned int n, connected = 0;
    int rc, last_rc = 0;

    if (!xenstore_available())
        return -ENODEV;
    rc = xenbus_list_devices("vbd", &ids, &n);
    if (rc == -ENOENT)
        return 0;
    if (rc) {
        printk("blkfront: cannot list device/vbd: rc=%d\n", rc);
        return rc;
    }
    for (unsigned i = 0; i < n; i++) {
        struct blkfront_dev *dev;

        rc = blkfront_open(ids[i], &dev);
        if (rc == 0)
            connected++;
        else {
            printk("blkfront: vbd/%s skipped: rc=%d\n", ids[i], rc);
            last_rc = rc;
        }
    }
    free(ids);
    return connected || !n ? (int)connected : last_rc;
}

int blkfront_first(struct blkfront_dev **out)
{
    struct blkfront_dev *d;

    for (d = blk_devices; d; d = d->next)
        if (d->state == BLK_CONNECTED)
            break;
    if (!d) {
        int rc = blkfront_init();
        if (rc < 0)
            return rc;
        for (d = blk_devices; d; d = d->next)
            if (d->state == BLK_CONNECTED)
                break;
    }
    if (!d)
        return blk_devices ? -EIO : -ENODEV;    /* none, or only broken ones */
    *out = d;
    return 0;
}

int blkfront_close(struct blkfront_dev *dev)
{
    int rc;

    if (dev->slots_busy) {
        printk("blkfront: %s: close refused: %u requests in use\n", dev->name,
               dev->slots_busy);
        return -EBUSY;
    }
    /* A reconnect thread, or the backend's own close, may still be at work. */
    wait_event(&dev->wq, dev->state != BLK_CONNECTING && dev->state != BLK_CLOSING);
    bool backend_closed = dev->state == BLK_GONE;
    dev->state = BLK_CLOSED;
    blk_wake(dev);
    rc = blk_detach(dev, !backend_closed);
    for (struct blkfront_dev **p = &blk_devices; *p; p = &(*p)->next)
        if (*p == dev) {
            *p = dev->next;
            break;
        }
    printk("blkfront: %s: closed%s\n", dev->name, rc ? " (the backend did not follow)" : "");
    free(dev);
    return rc;
}

/* ---- I/O ------------------------------------------------------------------ */

int blk_check_io(struct blkfront_dev *dev, uint64_t sector, uint32_t nr, bool write,
                 bool range_check)
{
    if (!dev)
        return -ENODEV;
    if (blk_dead(dev) || dev->state == BLK_CLOSING) {
        printk("blkfront: %s: I/O on a %s device refused\n", dev->name,
               blk_state_name(dev->state));
        return -ENODEV;
    }
    if (nr == 0) {
        printk("blkfront: %s: a transfer of 0 sectors is refused\n", dev->name);
        return -EINVAL;
    }
    if (range_check && (sector >= dev->info.sectors || nr > dev->info.sectors - sector)) {
        printk("blkfront: %s: sectors %lu+%u are beyond the end of the disk (%lu sectors)\n",
               dev->name, (unsigned long)sector, nr, (unsigned long)dev->info.sectors);
        return -EINVAL;
    }
    uint32_t unit = dev->info.sector_size / BLKFRONT_SECTOR_SIZE;
    if (sector % unit || nr % unit) {
        printk("blkfront: %s: sectors %lu+%u are not aligned to the disk's %u-byte sectors\n",
               dev->name, (unsigned long)sector, nr, dev->info.sector_size);
        return -EINVAL;
    }
    if (write && dev->info.readonly) {
        printk("blkfront: %s: write refused: the disk is read-only\n", dev->name);
        return -EROFS;
    }
    return 0;
}

int blkfront_read(struct blkfront_dev *dev, uint64_t sector, uint32_t nr_sectors, void *buf)
{
    int rc = blk_check_io(dev, sector, nr_sectors, false, true);

    return rc ? rc : blk_transfer(dev, BLKIF_OP_READ, sector, nr_sectors, buf);
}

int blkfront_write(struct blkfront_dev *dev, uint64_t sector, uint32_t nr_sectors,
                   const void *buf)
{
    int rc = blk_check_io(dev, sector, nr_sectors, true, true);

    /* The transfer only reads from buf for a write. */
    return rc ? rc : blk_transfer(dev, BLKIF_OP_WRITE, sector, nr_sectors, (uint8_t *)buf);
}

int blkfront_flush(struct blkfront_dev *dev)
{
    if (!dev || blk_dead(dev) || dev->state == BLK_CLOSING)
        return -ENODEV;
    if (dev->info.flush)
        return blk_transfer(dev, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, NULL);
    if (dev->info.barrier)
        return blk_transfer(dev, BLKIF_OP_WRITE_BARRIER, 0, 0, NULL);
    return -EOPNOTSUPP;
}
