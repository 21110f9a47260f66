/*
 * blkfront's ring: requests on the shared page, responses off it.
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
 * What the backend writes is read once and checked (blkfront_rsp.c): an
 * rsp_prod beyond the requests issued, an id that is not in flight, or an
 * operation that does not match the request breaks the device: every
 * waiter gets -EIO, nothing is trusted any more, and blkfront_close() can
 * still tear it down.
 */
#include <errno.h>
#include <stdio.h>
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

void (*blk_grant_spy)(uint8_t op, grant_ref_t ref, xen_pfn_t pfn, const void *page,
                      uint32_t data_bytes);

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

static void mark_broken(struct blkfront_dev *dev, const char *why)
{
    if (blk_dead(dev))
        return;
    printk("blkfront: %s: %s; device marked broken, its I/O fails with -EIO\n",
           dev->name, why);
    dev->state = BLK_BROKEN;
    blk_wake(dev);
}

/*
 * Take back the grants of a slot.  A page the backend still maps after
 * answering (or, abandoned, never answered) goes to the deferred list
 * (blkfront_grants.c) and is never reused before it lets go; a backend
 * that keeps pages it answered for is not to be trusted: the device
 * breaks, and the request fails.
 */
static void release_slot_grants(struct blkfront_dev *dev, struct blk_slot *s)
{
    for (unsigned i = 0; i < s->nr_segs; i++) {
        if (!s->granted[i])
            continue;
        s->granted[i] = false;
        int rc = blk_end_grant(dev, s->gref[i], s->frame[i]);
        if (rc == -EBUSY) {
            s->deferred |= 1u << i;
            mark_broken(dev, "the backend still maps a page of a request it answered");
        } else if (rc) {
            printk("blkfront: %s: ending grant %u failed: rc=%d\n", dev->name, s->gref[i], rc);
        }
    }
}

static void free_slot(struct blkfront_dev *dev, struct blk_slot *s)
{
    for (unsigned i = 0; i < s->nr_segs; i++)
        if (s->frame[i] != BLK_NO_FRAME && !(s->deferred & (1u << i)))
            frame_free(s->frame[i]);
    memset(s, 0, sizeof(*s));
    dev->slots_busy--;
    blk_wake(dev);              /* someone may be waiting for a slot */
}

/* Take every response off the ring (blkfront_rsp.c); true if there was any. */
bool blk_poll(struct blkfront_dev *dev)
{
    struct blk_taken taken;

    blk_take_responses(dev, &taken);
    for (unsigned id = 0; id < BLK_RING_SLOTS; id++)
        if (taken.answered & (1u << id))
            release_slot_grants(dev, &dev->slot[id]);
    if (taken.violation)
        mark_broken(dev, taken.why);
    if (taken.answered)
        blk_wake(dev);
    return taken.answered != 0;
}

static bool can_queue(const struct blkfront_dev *dev)
{
    return dev->state == BLK_CONNECTED && dev->slots_busy < BLK_RING_SLOTS &&
           !RING_FULL(&dev->ring);
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
        uint8_t *page = pfn_to_virt(s->frame[i]);
        uint32_t data = op == BLKIF_OP_WRITE ? n * BLKFRONT_SECTOR_SIZE : 0;

        /*
         * The backend can map the whole page, and a recycled frame holds
         * whatever minnow last kept there: only our data and zeroes may
         * be on it (XSA-403).  A read's page is all zeroes.
         */
        memcpy(page, src + (size_t)first * BLKFRONT_SECTOR_SIZE, data);
        memset(page + data, 0, BLK_PAGE_SIZE - data);
        /* The backend only reads what we write, and writes what we read. */
        rc = gnttab_grant_access(dev->xb.otherend_id, s->frame[i], op == BLKIF_OP_WRITE,
                                 &s->gref[i]);
        if (rc) {
            printk("blkfront: %s: cannot grant a bounce page: rc=%d\n", dev->name, rc);
            break;
        }
        s->granted[i] = true;
        if (blk_grant_spy)
            blk_grant_spy(op, s->gref[i], s->frame[i], page, data);
        req.seg[i].gref = s->gref[i];
        req.seg[i].first_sect = 0;
        req.seg[i].last_sect = n - 1;
    }
    s->busy = true;
    dev->slots_busy++;
    if (rc) {
        release_slot_grants(dev, s);
        free_slot(dev, s);
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

/* ---- one caller's transfer ------------------------------------------------ */

/* The requests of one transfer that are on the ring and not yet reaped. */
struct transfer {
    struct blkfront_dev *dev;
    uint8_t op;
    uint64_t sector;                    /* where the whole transfer starts */
    uint32_t nr;                        /* its sectors; 0 for a flush or barrier */
    uint8_t *buf;                       /* NULL for a flush or barrier */
    uint32_t queued;                    /* sectors put on the ring so far */
    bool all_queued;
    int rc;                             /* the first error */
    unsigned int nsent;
    struct {
        unsigned int id;                /* its slot */
        uint32_t offset;                /* its first sector, from `sector` */
    } sent[BLK_RING_SLOTS];
};

static bool more_to_queue(const struct transfer *t)
{
    return !t->all_queued && !t->rc;
}

/* Queue requests while there are free slots, then kick the backend once. */
static void queue_what_fits(struct transfer *t)
{
    bool queued_any = false;

    while (more_to_queue(t) && can_queue(t->dev)) {
        uint32_t n = t->nr - t->queued < BLK_MAX_REQ_SECTORS ? t->nr - t->queued
                                                              : BLK_MAX_REQ_SECTORS;
        uint8_t *part = t->buf ? t->buf + (size_t)t->queued * BLKFRONT_SECTOR_SIZE : NULL;
        unsigned int id;

        t->rc = queue_request(t->dev, t->op, t->sector + t->queued, n, part, &id);
        if (t->rc)
            break;
        t->sent[t->nsent].id = id;
        t->sent[t->nsent++].offset = t->queued;
        t->queued += n;
        t->all_queued = t->queued >= t->nr;
        queued_any = true;
    }
    if (queued_any)
        push_requests(t->dev);
}

/*
 * What the two waits below wait for.  Each first takes the answers off the
 * ring: the event handler only wakes, so a waiter must look itself.
 */
static bool room_or_dead(struct blkfront_dev *dev)
{
    blk_poll(dev);
    return can_queue(dev) || blk_dead(dev);
}

static bool one_of_ours_answered_or_dead(const struct transfer *t)
{
    blk_poll(t->dev);
    for (unsigned i = 0; i < t->nsent; i++)
        if (t->dev->slot[t->sent[i].id].answered)
            return true;
    return blk_dead(t->dev);
}

/* Nothing of ours is on the ring: wait for a free slot, a resume, or the end. */
static void wait_for_room(struct transfer *t)
{
    wait_event(&t->dev->wq, room_or_dead(t->dev));
}

static void wait_for_ours(struct transfer *t)
{
    if (!wait_event_timeout(&t->dev->wq, one_of_ours_answered_or_dead(t), BLK_IO_TIMEOUT_NS))
        mark_broken(t->dev, "no answer from the backend within 30 s");
}

/* A read's data: from the slot's bounce frames into the caller's buffer. */
static void copy_out(const struct transfer *t, const struct blk_slot *s, uint32_t offset)
{
    for (unsigned seg = 0; seg < s->nr_segs; seg++) {
        uint32_t first = seg * BLK_SECTORS_PER_PAGE;
        uint32_t n = s->nr_sectors - first < BLK_SECTORS_PER_PAGE ? s->nr_sectors - first
                                                                   : BLK_SECTORS_PER_PAGE;

        memcpy(t->buf + (size_t)(offset + first) * BLKFRONT_SECTOR_SIZE,
               pfn_to_virt(s->frame[seg]), (size_t)n * BLKFRONT_SECTOR_SIZE);
    }
}

/* What one request of ours came to: 0 or -EIO (said why). */
static int outcome(const struct transfer *t, struct blk_slot *s, uint32_t offset)
{
    struct blkfront_dev *dev = t->dev;

    if (!s->answered) {
        /* Abandoned: the backend may still hold it (deferred if so). */
        release_slot_grants(dev, s);
        dev->inflight--;
        return -EIO;
    }
    if (s->deferred)
        return -EIO;            /* the backend could still write the pages: no data */
    if (s->status != BLKIF_RSP_OKAY) {
        printk("blkfront: %s: %s of %u sectors at sector %lu: backend answered %s (%d)\n",
               dev->name, op_name(t->op), s->nr_sectors, (unsigned long)(t->sector + offset),
               status_name(s->status), s->status);
        if (s->status == BLKIF_RSP_EOPNOTSUPP && t->op == BLKIF_OP_FLUSH_DISKCACHE)
            dev->info.flush = false;
        if (s->status == BLKIF_RSP_EOPNOTSUPP && t->op == BLKIF_OP_WRITE_BARRIER)
            dev->info.barrier = false;
        return -EIO;
    }
    if (t->op == BLKIF_OP_READ)
        copy_out(t, s, offset);
    return 0;
}

/*
 * Reap every request of ours that is answered, or that never will be
 * because the device died: its outcome, then its slot back.
 */
static void reap_answered(struct transfer *t)
{
    for (unsigned i = 0; i < t->nsent;) {
        struct blk_slot *s = &t->dev->slot[t->sent[i].id];

        if (!s->answered && !blk_dead(t->dev)) {
            i++;
            continue;
        }
        int rc = outcome(t, s, t->sent[i].offset);
        if (rc && !t->rc)
            t->rc = rc;
        free_slot(t->dev, s);
        t->sent[i] = t->sent[--t->nsent];
    }
}

/*
 * The whole transfer: queue what fits, wait for any answer of ours, reap,
 * repeat.  The first error is kept; requests already on the ring are
 * still waited for (their pages are granted), none is queued after it.
 */
int blk_transfer(struct blkfront_dev *dev, uint8_t op, uint64_t sector, uint32_t nr,
                 uint8_t *buf)
{
    struct transfer t = { .dev = dev, .op = op, .sector = sector, .nr = nr, .buf = buf };

    while (more_to_queue(&t) || t.nsent) {
        queue_what_fits(&t);
        if (t.nsent)
            wait_for_ours(&t);
        else if (more_to_queue(&t))
            wait_for_room(&t);
        reap_answered(&t);
        if (blk_dead(dev) && !t.rc)
            t.rc = dev->state == BLK_GONE ? -ENODEV : -EIO;
    }
    /*
     * With one vCPU, kicking the backend often lets dom0 answer before we
     * look, so a transfer may never block; nothing preempts threads, so
     * yield once or a thread looping on I/O starves every other one.
     */
    thread_yield();
    return t.rc;
}
