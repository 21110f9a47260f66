/*
 * What the backend answered, judged before anything is trusted
 * (blk_take_responses, declared in blkfront_priv.h).
 *
 *   shared ring    rsp_cons          rsp_prod (the backend's)   req_prod_pvt
 *                     |<-- responses to take -->|                  |
 *                     |<------------ requests issued -------------->|
 *
 * rsp_prod may not run past the requests issued; each response must name
 * a slot that is busy and not yet answered, with the slot's operation.
 * The first response that does not is consumed and ends the call with a
 * violation: nothing after it is looked at.
 *
 * The backend can rewrite a response while we read it, so each one is
 * copied once through a volatile access (RING_COPY_RESPONSE) and only the
 * copy is checked and used: the compiler may not fetch a field again.
 */
#include <stdio.h>
#include "blkfront_priv.h"

_Static_assert(BLK_RING_SLOTS <= 32, "struct blk_taken keeps one bit per slot");

/* Take one response: false (out->why said) if it breaks the protocol. */
static bool take_one(struct blkfront_dev *dev, const blkif_response_t *rsp,
                     struct blk_taken *out)
{
    struct blk_slot *s;

    if (rsp->id >= BLK_RING_SLOTS || !(s = &dev->slot[rsp->id])->busy || s->answered) {
        snprintf(out->why, sizeof(out->why), "response id %lu is not a request in flight",
                 (unsigned long)rsp->id);
        return false;
    }
    if (rsp->operation != s->op) {
        snprintf(out->why, sizeof(out->why), "response to id %lu says operation %u, the "
                 "request was %u", (unsigned long)rsp->id, rsp->operation, s->op);
        return false;
    }
    s->status = rsp->status;
    s->answered = true;
    dev->inflight--;
    if (rsp->status != BLKIF_RSP_OKAY)
        dev->stats.errors++;
    out->answered |= 1u << rsp->id;
    return true;
}

void blk_take_responses(struct blkfront_dev *dev, struct blk_taken *out)
{
    int more;

    out->answered = 0;
    out->violation = false;
    out->why[0] = '\0';
    /* Only a live ring is read: a broken one is not trusted any more. */
    if ((dev->state != BLK_CONNECTED && dev->state != BLK_SUSPENDED &&
         dev->state != BLK_CLOSING) || dev->ring_pfn == BLK_NO_FRAME)
        return;
    do {
        RING_IDX prod = __atomic_load_n(&dev->ring.sring->rsp_prod, __ATOMIC_ACQUIRE);

        if ((RING_IDX)(prod - dev->ring.rsp_cons) >
            (RING_IDX)(dev->ring.req_prod_pvt - dev->ring.rsp_cons)) {
            snprintf(out->why, sizeof(out->why), "backend's rsp_prod %u is beyond the %u "
                     "requests issued (rsp_cons %u)", prod, dev->ring.req_prod_pvt,
                     dev->ring.rsp_cons);
            out->violation = true;
            return;
        }
        while (dev->ring.rsp_cons != prod) {
            blkif_response_t rsp;

            RING_COPY_RESPONSE(&dev->ring, dev->ring.rsp_cons, &rsp);
            dev->ring.rsp_cons++;
            dev->stats.responses++;
            if (!take_one(dev, &rsp, out)) {
                out->violation = true;
                return;
            }
        }
        RING_FINAL_CHECK_FOR_RESPONSES(&dev->ring, more);
    } while (more);
}
