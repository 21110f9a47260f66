/*
 * blkfront internals, shared by the driver's files:
 *   blkfront.c            the API: probe, open, close, read/write/flush
 *   blkfront_xs.c         the xenbus half: handshake, close, suspend/resume
 *                         (its functions are in blkfront_xs.h)
 *   blkfront_ring.c       the ring: requests on, responses off
 *   blkfront_rsp.c        the backend's responses judged (pure, host-fuzzed)
 *   blkfront_grants.c     ending grants the backend may still hold
 *   blkfront_testhooks.c  what only the in-guest tests call
 *
 *   struct blkfront_dev
 *   +--------------------------------------------+
 *   | xb: nodename, backend path, backend state  |
 *   | state: CONNECTING/CONNECTED/SUSPENDED/...  |
 *   | backend_watch: <backend>/state, for unplug |
 *   | ring (front half) ---> shared page (pfn)   |  granted: ring_ref
 *   | port (event channel to the backend)        |
 *   | slot[32]: one per request id               |
 *   |   busy      id handed out to a caller      |
 *   |   answered  response consumed, not reaped  |
 *   |   gref[], frame[]  grants + bounce frames  |
 *   |   deferred  frames the backend still held  |
 *   | wq: callers waiting for answers/slots/state|
 *   +--------------------------------------------+
 *
 * A request's id is its slot index.  A slot is busy from submission until
 * its caller has reaped the answer (copied data out, freed the frames), so
 * an id the backend answers must be busy and not yet answered: anything
 * else is a protocol violation and breaks the device (no crash).
 */
#ifndef MINNOW_DRIVERS_BLKFRONT_PRIV_H
#define MINNOW_DRIVERS_BLKFRONT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <minnow/blkfront.h>
#include <minnow/events.h>
#include <minnow/sched.h>
#include <minnow/xenbus.h>

#include <arch/barrier.h>      /* xen_mb() & co., which <xen/io/ring.h> needs */
#include <xen/grant_table.h>
#include <xen/io/blkif.h>

#define BLK_PAGE_SIZE        4096u
#define BLK_SECTORS_PER_PAGE (BLK_PAGE_SIZE / BLKFRONT_SECTOR_SIZE)
#define BLK_RING_SLOTS       __CONST_RING_SIZE(blkif, BLK_PAGE_SIZE)
#define BLK_MAX_SEGS         BLKIF_MAX_SEGMENTS_PER_REQUEST
#define BLK_MAX_REQ_SECTORS  (BLK_MAX_SEGS * BLK_SECTORS_PER_PAGE)
#define BLK_NO_FRAME         (~(xen_pfn_t)0)

/* How long a caller waits for one answer before declaring the backend dead. */
#define BLK_IO_TIMEOUT_NS    (30 * NSEC_PER_SEC)

enum blk_state {
    BLK_CONNECTING,     /* handshake in progress (probe, or reconnect after restore) */
    BLK_CONNECTED,      /* I/O flows */
    BLK_SUSPENDED,      /* suspend hook ran: no new requests until resumed */
    BLK_BROKEN,         /* backend broke the protocol or the reconnect failed */
    BLK_CLOSING,        /* the backend is closing (hot-unplug): the ring drains */
    BLK_GONE,           /* the backend closed it: only blkfront_close is left */
    BLK_CLOSED,
};

struct blk_slot {
    bool busy;
    bool answered;
    uint8_t op;
    uint8_t nr_segs;
    int16_t status;
    uint32_t nr_sectors;
    grant_ref_t gref[BLK_MAX_SEGS];
    bool granted[BLK_MAX_SEGS];
    uint16_t deferred;                  /* bit i: frame[i] is on the deferred list */
    xen_pfn_t frame[BLK_MAX_SEGS];      /* bounce frames, BLK_NO_FRAME if none */
};

struct blkfront_dev {
    struct xenbus_device xb;
    char id[16];                        /* "51712" */
    char name[24];                      /* "vbd/51712" */
    uint16_t handle;                    /* the virtual device number, for requests */
    enum blk_state state;

    blkif_front_ring_t ring;
    xen_pfn_t ring_pfn;                 /* BLK_NO_FRAME when none */
    grant_ref_t ring_ref;
    bool ring_granted;
    evtchn_port_t port;
    bool port_bound;
    char backend_watch[144];            /* <backend>/state while watched, else "" */
    bool backend_stale;                 /* restored: xb still names the old backend */

    struct blkfront_info info;
    struct blkfront_stats stats;
    struct blk_slot slot[BLK_RING_SLOTS];
    unsigned int slots_busy;
    unsigned int inflight;              /* on the ring, not answered */
    struct waitq wq;                    /* answers, free slots, state changes */
    struct blkfront_dev *next;
};

/* Every device probed and not closed (blkfront.c keeps the list). */
extern struct blkfront_dev *blk_devices;

static inline bool blk_dead(const struct blkfront_dev *dev)
{
    return dev->state == BLK_BROKEN || dev->state == BLK_GONE || dev->state == BLK_CLOSED;
}

/* blkfront.c: "connected", "broken", ... (for messages). */
const char *blk_state_name(enum blk_state state);
/* blkfront.c: refuse what the device cannot do (range_check: that too). */
int blk_check_io(struct blkfront_dev *dev, uint64_t sector, uint32_t nr, bool write,
                 bool range_check);

/*
 * blkfront_rsp.c: take every response the backend published off the ring,
 * each checked against the slot it names (see the rules above), and mark
 * those slots answered.  Touches only dev's ring, slots and counters: no
 * hypercall, no wake-up, so the host fuzzer (tests/fuzz/fuzz_blkfront.c)
 * runs this very code.  The caller ends the answered slots' grants, and
 * marks the device broken when `violation` is set.
 */
struct blk_taken {
    uint32_t answered;                  /* bit id: slot id answered by this call */
    bool violation;                     /* the backend broke the protocol: why */
    char why[128];
};
void blk_take_responses(struct blkfront_dev *dev, struct blk_taken *out);

/*
 * blkfront_grants.c: end a grant of ours.  0: ended, the caller keeps the
 * frame.  -EBUSY: the backend still maps it (said why), so the ref and
 * the frame went on the deferred list, which frees them once the backend
 * lets go; the caller must not touch the frame again.
 */
int blk_end_grant(struct blkfront_dev *dev, grant_ref_t ref, xen_pfn_t frame);
/* After a restore no backend holds anything: drop the list, free its frames. */
void blk_forget_deferred(void);
unsigned int blk_deferred_count(void);

/* blkfront_ring.c */
/*
 * Tests only (blkfront_testhooks.c sets it; NULL otherwise): sees each
 * bounce page right after it is granted, before its request is on the
 * ring (blkfront_test_spy_grants has the arguments).
 */
extern void (*blk_grant_spy)(uint8_t op, grant_ref_t ref, xen_pfn_t pfn, const void *page,
                             uint32_t data_bytes);
void blk_event(evtchn_port_t port, void *data);
void blk_ring_init(struct blkfront_dev *dev);
bool blk_poll(struct blkfront_dev *dev);
void blk_wake(struct blkfront_dev *dev);
/*
 * Read or write nr sectors at `sector` (nr = 0: a flush or barrier, buf
 * NULL), in as many requests as it takes; the caller has checked the
 * arguments (blk_check_io).  0 or -errno.
 */
int blk_transfer(struct blkfront_dev *dev, uint8_t op, uint64_t sector, uint32_t nr,
                 uint8_t *buf);

#endif
