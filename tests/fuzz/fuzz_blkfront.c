/*
 * libFuzzer target for blkfront's response handling: the very
 * blk_take_responses() of drivers/blk/blkfront_rsp.c, against a backend
 * the input plays.  Built and run by scripts/fuzz.sh.
 *
 * The input is a script of commands, one byte each plus the operand bytes
 * it reads (missing bytes read as 0):
 *
 *   0, 1  the frontend issues a request (op, which free slot), if it may
 *   2     an honest backend answers one of the requests it has seen
 *   3     a hostile backend writes any response (id, operation, status)
 *         into the ring, at or a little past its next response slot
 *   4     the backend publishes rsp_prod: near its own count, or anything
 *   5     the frontend takes the responses; every check below runs
 *   6     a caller reaps one of its answered slots (on a broken device:
 *         any busy slot, as blk_transfer abandons them)
 *   7     suspend / resume, the backend closing (draining, then gone), or
 *         reopening a broken or gone device
 *
 * Each take is checked two ways, and any violation aborts:
 *  - against rules stated independently of the code: no id outside the
 *    ring, no slot that is free or already answered, no operation other
 *    than the request's is accepted; rsp_cons never passes the requests
 *    issued; an rsp_prod beyond them breaks the device without taking
 *    anything; a broken or gone device takes nothing; the in-flight count
 *    is the number of busy, unanswered slots;
 *  - against a reference walk of the same ring (which responses, which
 *    statuses, where rsp_cons ends, whether the call reports a violation).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blkfront_priv.h"

static struct blkfront_dev dev;
static union {
    blkif_sring_t sring;
    uint8_t page[BLK_PAGE_SIZE];
} shared __attribute__((aligned(4096)));

/* The backend's side of the ring: what it has seen and not answered. */
static RING_IDX bk_req_cons, bk_rsp_prod;
static uint64_t bk_pending[BLK_RING_SLOTS];
static unsigned int bk_nr_pending;

static const uint8_t *in;
static size_t in_left;

static uint64_t take(unsigned int n)
{
    uint64_t v = 0;

    for (unsigned int i = 0; i < n && in_left; i++, in_left--)
        v |= (uint64_t)*in++ << (8 * i);
    return v;
}

static void die(const char *msg)
{
    fprintf(stderr, "blkfront invariant violated: %s\n", msg);
    abort();
}

static void open_device(void)
{
    memset(&dev, 0, sizeof(dev));
    memset(&shared, 0, sizeof(shared));
    SHARED_RING_INIT(&shared.sring);
    FRONT_RING_INIT(&dev.ring, &shared.sring, BLK_PAGE_SIZE);
    dev.ring_pfn = 1;
    dev.state = BLK_CONNECTED;
    bk_req_cons = bk_rsp_prod = 0;
    bk_nr_pending = 0;
}

static unsigned int busy_unanswered(void)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < BLK_RING_SLOTS; i++)
        n += dev.slot[i].busy && !dev.slot[i].answered;
    return n;
}

static void issue(void)
{
    static const uint8_t ops[] = {
        BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER,
    };
    uint8_t op = ops[take(1) % 4];
    unsigned int id = take(1) % BLK_RING_SLOTS;

    if (dev.state != BLK_CONNECTED || dev.slots_busy == BLK_RING_SLOTS ||
        RING_FULL(&dev.ring))
        return;
    while (dev.slot[id].busy)
        id = (id + 1) % BLK_RING_SLOTS;
    memset(&dev.slot[id], 0, sizeof(dev.slot[id]));
    dev.slot[id].busy = true;
    dev.slot[id].op = op;
    dev.slots_busy++;
    dev.inflight++;
    blkif_request_t *req = RING_GET_REQUEST(&dev.ring, dev.ring.req_prod_pvt);
    memset(req, 0, sizeof(*req));
    req->operation = op;
    req->id = id;
    dev.ring.req_prod_pvt++;
    RING_PUSH_REQUESTS(&dev.ring);
}

/* The backend reads new requests (as blkback would, but trusting them). */
static void backend_sees_requests(void)
{
    while (bk_req_cons != shared.sring.req_prod && bk_nr_pending < BLK_RING_SLOTS) {
        blkif_request_t *req = RING_GET_REQUEST(&dev.ring, bk_req_cons);

        bk_pending[bk_nr_pending++] = req->id | (uint64_t)req->operation << 32;
        bk_req_cons++;
    }
}

static blkif_response_t *response_slot(RING_IDX idx)
{
    return &shared.sring.ring[idx & (RING_SIZE(&dev.ring) - 1)].rsp;
}

static void answer_honestly(void)
{
    backend_sees_requests();
    if (!bk_nr_pending)
        return;
    unsigned int i = take(1) % bk_nr_pending;
    blkif_response_t *rsp = response_slot(bk_rsp_prod++);

    rsp->id = (uint32_t)bk_pending[i];
    rsp->operation = bk_pending[i] >> 32;
    rsp->status = take(1) % 8 ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
    bk_pending[i] = bk_pending[--bk_nr_pending];
    shared.sring.rsp_prod = bk_rsp_prod;
}

static void write_any_response(void)
{
    RING_IDX at = bk_rsp_prod + take(1) % 4;
    uint8_t how = take(1);
    blkif_response_t *rsp = response_slot(at);

    rsp->id = how & 1 ? take(8) : take(1) % (BLK_RING_SLOTS + 8);
    rsp->operation = take(1);
    rsp->status = (int16_t)take(2);
    if (at == bk_rsp_prod)
        bk_rsp_prod++;
}

static void publish(void)
{
    uint8_t how = take(1);

    if (how == 0xff)
        shared.sring.rsp_prod = (RING_IDX)take(4);
    else
        shared.sring.rsp_prod = bk_rsp_prod + (int8_t)how / 16;
}

/* The reference walk: what a take must do to a copy of the state. */
struct expect {
    uint32_t answered;
    bool violation;
    RING_IDX rsp_cons;
    int16_t status[BLK_RING_SLOTS];
};

static void reference(struct expect *e)
{
    bool busy[BLK_RING_SLOTS], answered[BLK_RING_SLOTS];
    RING_IDX cons = dev.ring.rsp_cons, prod = shared.sring.rsp_prod;

    memset(e, 0, sizeof(*e));
    e->rsp_cons = cons;
    if (dev.state != BLK_CONNECTED && dev.state != BLK_SUSPENDED && dev.state != BLK_CLOSING)
        return;
    for (unsigned int i = 0; i < BLK_RING_SLOTS; i++) {
        busy[i] = dev.slot[i].busy;
        answered[i] = dev.slot[i].answered;
    }
    if ((RING_IDX)(prod - cons) > (RING_IDX)(dev.ring.req_prod_pvt - cons)) {
        e->violation = true;
        return;
    }
    for (; cons != prod; cons++) {
        const blkif_response_t *rsp = response_slot(cons);

        if (rsp->id >= BLK_RING_SLOTS || !busy[rsp->id] || answered[rsp->id] ||
            rsp->operation != dev.slot[rsp->id].op) {
            e->violation = true;
            cons++;
            break;
        }
        answered[rsp->id] = true;
        e->answered |= 1u << rsp->id;
        e->status[rsp->id] = rsp->status;
    }
    e->rsp_cons = cons;
}

static void take_and_check(void)
{
    struct expect e;
    struct blk_taken t;
    uint32_t open_before = 0;
    RING_IDX cons0 = dev.ring.rsp_cons, issued = dev.ring.req_prod_pvt;
    RING_IDX prod = shared.sring.rsp_prod;
    unsigned long responses0 = dev.stats.responses;
    unsigned int inflight0 = dev.inflight;
    bool was_broken = dev.state == BLK_BROKEN || dev.state == BLK_GONE;

    for (unsigned int i = 0; i < BLK_RING_SLOTS; i++)
        if (dev.slot[i].busy && !dev.slot[i].answered)
            open_before |= 1u << i;
    reference(&e);
    blk_take_responses(&dev, &t);

    /* The rules. */
    if (t.answered & ~open_before)
        die("a response completed a slot that was free or already answered");
    if ((RING_IDX)(dev.ring.rsp_cons - cons0) > (RING_IDX)(issued - cons0))
        die("rsp_cons went past the requests issued");
    if ((RING_IDX)(prod - cons0) > (RING_IDX)(issued - cons0) && !was_broken &&
        (!t.violation || t.answered || dev.ring.rsp_cons != cons0))
        die("an rsp_prod beyond the requests issued was not refused outright");
    if (was_broken && (t.answered || dev.ring.rsp_cons != cons0 || t.violation))
        die("a broken device took responses");
    if (t.violation && !t.why[0])
        die("a violation without a reason");
    if (dev.stats.responses - responses0 != (RING_IDX)(dev.ring.rsp_cons - cons0))
        die("the response count differs from what was consumed");
    if (dev.inflight != inflight0 - __builtin_popcount(t.answered))
        die("in-flight count not reduced by exactly the slots answered");
    if (dev.inflight != busy_unanswered())
        die("in-flight count differs from the busy, unanswered slots");
    for (unsigned int i = 0; i < BLK_RING_SLOTS; i++)
        if ((t.answered >> i & 1) && !dev.slot[i].answered)
            die("a slot reported answered is not marked answered");

    /* The reference walk. */
    if (t.answered != e.answered)
        die("answered a different set of slots than the reference walk");
    if (t.violation != e.violation)
        die("violation verdict differs from the reference walk");
    if (dev.ring.rsp_cons != e.rsp_cons)
        die("rsp_cons differs from the reference walk");
    for (unsigned int i = 0; i < BLK_RING_SLOTS; i++)
        if ((t.answered >> i & 1) && dev.slot[i].status != e.status[i])
            die("a status differs from the response's");

    if (t.violation)
        dev.state = BLK_BROKEN;         /* what blk_poll's mark_broken does */
}

static void reap(void)
{
    unsigned int id = take(1) % BLK_RING_SLOTS;
    bool broken = dev.state == BLK_BROKEN || dev.state == BLK_GONE;

    for (unsigned int n = 0; n < BLK_RING_SLOTS; n++, id = (id + 1) % BLK_RING_SLOTS) {
        struct blk_slot *s = &dev.slot[id];

        if (!s->busy || (!s->answered && !broken))
            continue;
        if (!s->answered)
            dev.inflight--;             /* abandoned, as outcome() does */
        memset(s, 0, sizeof(*s));
        dev.slots_busy--;
        return;
    }
}

/* Suspend and resume; the backend closing (drain, then gone); reopen. */
static void change_state(void)
{
    bool closing = take(1) & 1;

    if ((dev.state == BLK_BROKEN || dev.state == BLK_GONE) && !dev.slots_busy)
        open_device();
    else if (dev.state == BLK_CONNECTED)
        dev.state = closing ? BLK_CLOSING : BLK_SUSPENDED;
    else if (dev.state == BLK_SUSPENDED)
        dev.state = BLK_CONNECTED;
    else if (dev.state == BLK_CLOSING && (closing || !dev.inflight))
        dev.state = BLK_GONE;           /* drained, or given up on */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = data;
    in_left = size;
    open_device();
    while (in_left) {
        switch (take(1) % 8) {
        case 0:
        case 1: issue(); break;
        case 2: answer_honestly(); break;
        case 3: write_any_response(); break;
        case 4: publish(); break;
        case 5: take_and_check(); break;
        case 6: reap(); break;
        case 7: change_state(); break;
        }
    }
    take_and_check();
    return 0;
}
