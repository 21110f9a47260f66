/*
 * blkfront I/O: requests on the shared ring, responses off it.
 *
 * A transfer of N sectors becomes ceil(N / 88) ring requests (88 = 11
 * segments of one 4 KiB page, 8 sectors each):
 *
 *   caller's buffer  |<---- 88 sectors ---->|<---- 88 sectors ---->|<- rest ->|
 *   ring request          id 3, 11 segs           id 7, 11 segs      id 9, k segs
 *   segment i        =   grant of bounce frame i (first_sect 0, last_sect <= 7)
 *
 * The caller queues as many requests as there are free slots, kicks the
 * backend once (if the ring's req_event says it is listening), then sleeps
 * on dev->wq.  The event handler only wakes the queue; whichever waiting
 * thread runs first consumes the responses (blk_poll), ends their grants
 * and marks their slots answered, and each caller reaps its own: copies
 * read data out of the bounce frames, checks the status, frees the slot.
 *
 * What the backend writes is read once (responses are copied before use)
 * and checked: an rsp_prod beyond the requests issued, an id that is not
 * in flight, or an operation that does not match the request breaks the
 * device: every waiter gets -EIO, nothing is trusted any more, and
 * blkfront_close() can still tear it down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <minnow/console.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/time.h>
#include <arch/layout.h>
#include "blkfront_priv.h"

static const char *op_name(uint8_t op)
{
    switch (op) {
    case BLKIF_OP_READ:            return "read";
    case BLKIF_OP_WRITE:           return "write";
    case BLKIF_OP_WRITE_BARRIER:   return "barrier";
    case BLKIF_OP_FLUSH_DISKCACHE: return "flush";
    default:                       return "op?";
    }
}

static const char *status_name(int16_t status)
{
    switch (status) {
    case BLKIF_RSP_OKAY:       return "okay";
    case BLKIF_RSP_ERROR:      return "BLKIF_RSP_ERROR";
    case BLKIF_RSP_EOPNOTSUPP: return "BLKIF_RSP_EOPNOTSUPP";
    default:                   return "an unknown status";
    }
}

void blk_wake(struct blkfront_dev *dev)
{
    waitq_wake_all(&dev->wq);
}

/* The event handler: it only wakes; the waiters do the work. */
void blk_event(evtchn_port_t port, void *data)
{
    struct blkfront_dev *dev = data;

    dev->stats.events++;
    blk_wake(dev);
}

void blk_ring_init(struct blkfront_dev *dev)
{
    blkif_sring_t *sring = pfn_to_virt(dev->ring_pfn);

    memset(sring, 0, BLK_PAGE_SIZE);
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&dev->ring, sring, BLK_PAGE_SIZE);
    for (unsigned i = 0; i < BLK_RING_SLOTS; i++)
        if (!dev->slot[i].busy)
            memset(&dev->slot[i], 0, sizeof(dev->slot[i]));
}

void blk_mark_broken(struct blkfront_dev *dev, const char *why)
{
    if (dev->state == BLK_BROKEN)
        return;
    printk("blkfront: %s: %s; device marked broken, its I/O fails with -EIO\n",
           dev->name, why);
    dev->state = BLK_BROKEN;
    blk_wake(dev);
}

/*
 * Take back the grants of a slot.  A page the backend still maps (it
 * answered but did not unmap, or never answered) must never be reused:
 * such a frame is leaked, on purpose and counted.
 */
void blk_release_slot_grants(struct blkfront_dev *dev, struct blk_slot *s)
{
    for (unsigned i = 0; i < s->nr_segs; i++) {
        if (!s->granted[i])
            continue;
        int rc = gnttab_end_access(s->gref[i]);
        s->granted[i] = false;
        if (rc) {
            printk("blkfront: %s: grant %u of frame %#lx still in use by the backend "
                   "(rc=%d): the frame is leaked\n", dev->name, s->gref[i],
                   (unsigned long)s->frame[i], rc);
            s->leaked |= 1u << i;
            dev->stats.leaked_frames++;
        }
    }
}

void blk_free_slot(struct blkfront_dev *dev, struct blk_slot *s)
{
    for (unsigned i = 0; i < s->nr_segs; i++)
        if (s->frame[i] != BLK_NO_FRAME && !(s->leaked & (1u << i)))
            frame_free(s->frame[i]);
    memset(s, 0, sizeof(*s));
    dev->slots_busy--;
    blk_wake(dev);              /* someone may be waiting for a slot */
}

/* Consume every response on the ring; true if there was any. */
bool blk_poll(struct blkfront_dev *dev)
{
    char why[128];
    bool any = false;
    int more;

    if ((dev->state != BLK_CONNECTED && dev->state != BLK_SUSPENDED) ||
        dev->ring_pfn == BLK_NO_FRAME)
        return false;
    do {
        RING_IDX prod = __atomic_load_n(&dev->ring.sring->rsp_prod, __ATOMIC_ACQUIRE);

        /* Responses can only answer requests we issued. */
        if ((RING_IDX)(prod - dev->ring.rsp_cons) >
            (RING_IDX)(dev->ring.req_prod_pvt - dev->ring.rsp_cons)) {
            snprintf(why, sizeof(why), "backend's rsp_prod %u is beyond the %u requests "
                     "issued (rsp_cons %u)", prod, dev->ring.req_prod_pvt, dev->ring.rsp_cons);
            blk_mark_broken(dev, why);
            return any;
        }
        while (dev->ring.rsp_cons != prod) {
            /* One copy: the backend could change the slot under us. */
            blkif_response_t rsp = *RING_GET_RESPONSE(&dev->ring, dev->ring.rsp_cons);
            struct blk_slot *s;

            dev->ring.rsp_cons++;
            dev->stats.responses++;
            if (rsp.id >= BLK_RING_SLOTS || !(s = &dev->slot[rsp.id])->busy || s->answered) {
                snprintf(why, sizeof(why), "response id %lu is not a request in flight",
                         (unsigned long)rsp.id);
                blk_mark_broken(dev, why);
                return any;
            }
            if (rsp.operation != s->op) {
                snprintf(why, sizeof(why), "response to id %lu says operation %u, the "
                         "request was %u (%s)", (unsigned long)rsp.id, rsp.operation, s->op,
                         op_name(s->op));
                blk_mark_broken(dev, why);
                return any;
            }
            s->status = rsp.status;
            s->answered = true;
            dev->inflight--;
            if (rsp.status != BLKIF_RSP_OKAY)
                dev->stats.errors++;
            blk_release_slot_grants(dev, s);
            any = true;
        }
        RING_FINAL_CHECK_FOR_RESPONSES(&dev->ring, more);
    } while (more);
    if (any)
        blk_wake(dev);
    return any;
}

static bool can_queue(const struct blkfront_dev *dev)
{
    return dev->state == BLK_CONNECTED && dev->slots_busy < BLK_RING_SLOTS &&
           !RING_FULL(&dev->ring);
}

static bool dead(const struct blkfront_dev *dev)
{
    return dev->state == BLK_BROKEN || dev->state == BLK_CLOSED;
}

static int free_slot_id(const struct blkfront_dev *dev)
{
    for (unsigned i = 0; i < BLK_RING_SLOTS; i++)
        if (!dev->slot[i].busy)
            return i;
    return -1;
}

/*
 * Put one request on the ring (not yet pushed): nr sectors at `sector`,
 * data from src for a write.  nr = 0 only for flush/barrier (no segment).
 */
static int queue_request(struct blkfront_dev *dev, uint8_t op, uint64_t sector, uint32_t nr,
                         const uint8_t *src, unsigned int *id_out)
{
    int id = free_slot_id(dev);
    struct blk_slot *s;
    blkif_request_t req;
    int rc = 0;

    if (id < 0)
        return -EAGAIN;         /* can_queue() said there was room */
    s = &dev->slot[id];
    memset(s, 0, sizeof(*s));
    s->op = op;
    s->nr_sectors = nr;
    s->nr_segs = (nr + BLK_SECTORS_PER_PAGE - 1) / BLK_SECTORS_PER_PAGE;
    for (unsigned i = 0; i < BLK_MAX_SEGS; i++)
        s->frame[i] = BLK_NO_FRAME;

    memset(&req, 0, sizeof(req));
    req.operation = op;
    req.nr_segments = s->nr_segs;
    req.handle = dev->handle;
    req.id = id;
    req.sector_number = sector;
    for (unsigned i = 0; i < s->nr_segs; i++) {
        uint32_t first = i * BLK_SECTORS_PER_PAGE;
        uint32_t n = nr - first < BLK_SECTORS_PER_PAGE ? nr - first : BLK_SECTORS_PER_PAGE;

        rc = frame_alloc(&s->frame[i]);
        if (rc) {
            s->frame[i] = BLK_NO_FRAME;
            printk("blkfront: %s: no frame for a bounce page: rc=%d\n", dev->name, rc);
            break;
        }
        if (op == BLKIF_OP_WRITE)
            memcpy(pfn_to_virt(s->frame[i]), src + (size_t)first * BLKFRONT_SECTOR_SIZE,
                   (size_t)n * BLKFRONT_SECTOR_SIZE);
        /* The backend only reads what we write, and writes what we read. */
        rc = gnttab_grant_access(dev->xb.otherend_id, s->frame[i], op == BLKIF_OP_WRITE,
                                 &s->gref[i]);
        if (rc) {
            printk("blkfront: %s: cannot grant a bounce page: rc=%d\n", dev->name, rc);
            break;
        }
        s->granted[i] = true;
        req.seg[i].gref = s->gref[i];
        req.seg[i].first_sect = 0;
        req.seg[i].last_sect = n - 1;
    }
    s->busy = true;
    dev->slots_busy++;
    if (rc) {
        blk_release_slot_grants(dev, s);
        blk_free_slot(dev, s);
        return rc;
    }
    *RING_GET_REQUEST(&dev->ring, dev->ring.req_prod_pvt) = req;
    dev->ring.req_prod_pvt++;
    dev->inflight++;
    dev->stats.requests++;
    *id_out = id;
    return 0;
}

static void push_requests(struct blkfront_dev *dev)
{
    int notify;

    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&dev->ring, notify);
    if (notify) {
        int rc = evtchn_notify(dev->port);
        dev->stats.notifies++;
        if (rc)
            printk("blkfront: %s: kicking the backend on port %u failed: rc=%d\n",
                   dev->name, dev->port, rc);
    }
}

static bool any_answered(const struct blkfront_dev *dev, const unsigned int *ids, unsigned int n)
{
    for (unsigned i = 0; i < n; i++)
        if (dev->slot[ids[i]].answered)
            return true;
    return false;
}

/*
 * The whole transfer: queue what fits, wait for any answer of ours, reap,
 * repeat.  The first error is kept; requests already on the ring are
 * still waited for (their pages are granted), none is queued after it.
 */
static int blk_transfer(struct blkfront_dev *dev, uint8_t op, uint64_t sector, uint32_t nr,
                        uint8_t *buf)
{
    unsigned int ids[BLK_RING_SLOTS], nids = 0;
    uint32_t offs[BLK_RING_SLOTS];
    uint32_t queued = 0;
    bool all_queued = false;
    int rc = 0;

    while ((!all_queued && !rc) || nids) {
        bool pushed = false;

        while (!all_queued && !rc && can_queue(dev)) {
            uint32_t n = nr - queued < BLK_MAX_REQ_SECTORS ? nr - queued : BLK_MAX_REQ_SECTORS;
            unsigned int id;

            rc = queue_request(dev, op, sector + queued, n,
                               buf ? buf + (size_t)queued * BLKFRONT_SECTOR_SIZE : NULL, &id);
            if (rc)
                break;
            ids[nids] = id;
            offs[nids++] = queued;
            queued += n;
            all_queued = queued >= nr;
            pushed = true;
        }
        if (pushed)
            push_requests(dev);
        if (!nids) {
            if (rc || all_queued)
                break;
            /* Nothing of ours out: wait for a slot, a resume, or the end. */
            blk_wait(dev, (blk_poll(dev), can_queue(dev) || dead(dev)), 0);
            if (dead(dev))
                rc = -EIO;
            continue;
        }

        stime_t deadline = monotonic_ns() + BLK_IO_TIMEOUT_NS;
        if (!blk_wait(dev, (blk_poll(dev), any_answered(dev, ids, nids) || dead(dev)),
                      deadline))
            blk_mark_broken(dev, "no answer from the backend within 30 s");

        for (unsigned i = 0; i < nids;) {
            struct blk_slot *s = &dev->slot[ids[i]];

            if (!s->answered && !dead(dev)) {
                i++;
                continue;
            }
            if (!s->answered) {
                /* Abandoned: the backend may still hold it (leaked if so). */
                blk_release_slot_grants(dev, s);
                dev->inflight--;
                rc = rc ? rc : -EIO;
            } else if (s->status != BLKIF_RSP_OKAY) {
                printk("blkfront: %s: %s of %u sectors at sector %lu: backend answered %s "
                       "(%d)\n", dev->name, op_name(op), s->nr_sectors,
                       (unsigned long)(sector + offs[i]), status_name(s->status), s->status);
                if (s->status == BLKIF_RSP_EOPNOTSUPP && op == BLKIF_OP_FLUSH_DISKCACHE)
                    dev->info.flush = false;
                if (s->status == BLKIF_RSP_EOPNOTSUPP && op == BLKIF_OP_WRITE_BARRIER)
                    dev->info.barrier = false;
                rc = rc ? rc : -EIO;
            } else if (op == BLKIF_OP_READ) {
                for (unsigned seg = 0; seg < s->nr_segs; seg++) {
                    uint32_t first = seg * BLK_SECTORS_PER_PAGE;
                    uint32_t n = s->nr_sectors - first < BLK_SECTORS_PER_PAGE ?
                                 s->nr_sectors - first : BLK_SECTORS_PER_PAGE;
                    memcpy(buf + (size_t)(offs[i] + first) * BLKFRONT_SECTOR_SIZE,
                           pfn_to_virt(s->frame[seg]), (size_t)n * BLKFRONT_SECTOR_SIZE);
                }
            }
            blk_free_slot(dev, s);
            nids--;
            ids[i] = ids[nids];
            offs[i] = offs[nids];
        }
        if (dead(dev) && !rc)
            rc = -EIO;
    }
    /*
     * With one vCPU, kicking the backend often lets dom0 answer before we
     * look, so a transfer may never block; nothing preempts threads, so
     * yield once or a thread looping on I/O starves every other one.
     */
    thread_yield();
    return rc;
}

static int check_rw(struct blkfront_dev *dev, uint64_t sector, uint32_t nr, bool write,
                    bool range_check)
{
    if (!dev)
        return -ENODEV;
    if (dead(dev)) {
        printk("blkfront: %s: I/O on a %s device refused\n", dev->name,
               dev->state == BLK_BROKEN ? "broken" : "closed");
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
    int rc = check_rw(dev, sector, nr_sectors, false, true);

    return rc ? rc : blk_transfer(dev, BLKIF_OP_READ, sector, nr_sectors, buf);
}

int blkfront_test_read_unchecked(struct blkfront_dev *dev, uint64_t sector,
                                 uint32_t nr_sectors, void *buf)
{
    int rc = check_rw(dev, sector, nr_sectors, false, false);

    return rc ? rc : blk_transfer(dev, BLKIF_OP_READ, sector, nr_sectors, buf);
}

int blkfront_write(struct blkfront_dev *dev, uint64_t sector, uint32_t nr_sectors,
                   const void *buf)
{
    int rc = check_rw(dev, sector, nr_sectors, true, true);

    /* The transfer only reads from buf for a write. */
    return rc ? rc : blk_transfer(dev, BLKIF_OP_WRITE, sector, nr_sectors, (uint8_t *)buf);
}

int blkfront_flush(struct blkfront_dev *dev)
{
    if (!dev)
        return -ENODEV;
    if (dead(dev))
        return -ENODEV;
    if (dev->info.flush)
        return blk_transfer(dev, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, NULL);
    if (dev->info.barrier)
        return blk_transfer(dev, BLKIF_OP_WRITE_BARRIER, 0, 0, NULL);
    return -EOPNOTSUPP;
}

int blkfront_test_inject_response(struct blkfront_dev *dev, uint64_t id, bool bogus_prod)
{
    if (!dev || dev->state != BLK_CONNECTED || dev->inflight)
        return -EBUSY;          /* the slot we write must not hold a live request */
    blkif_sring_t *sring = dev->ring.sring;
    RING_IDX prod = sring->rsp_prod;
    blkif_response_t *rsp = RING_GET_RESPONSE(&dev->ring, prod);

    rsp->id = id;
    rsp->operation = BLKIF_OP_READ;
    rsp->status = BLKIF_RSP_OKAY;
    __atomic_store_n(&sring->rsp_prod, prod + (bogus_prod ? 5 : 1), __ATOMIC_RELEASE);
    blk_poll(dev);
    return 0;
}

bool blkfront_is_broken(const struct blkfront_dev *dev)
{
    return dev && dev->state == BLK_BROKEN;
}
