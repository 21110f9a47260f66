/*
 * Test hooks for blkfront: what the in-guest tests need to play a bad
 * caller or a misbehaving backend.  Nothing in the driver calls them, so
 * an image without the tests (build/minnow) does not link this file.
 */
#include <errno.h>
#include <minnow/blkfront_testhooks.h>
#include "blkfront_xs.h"

int blkfront_test_read_unchecked(struct blkfront_dev *dev, uint64_t sector,
                                 uint32_t nr_sectors, void *buf)
{
    int rc = blk_check_io(dev, sector, nr_sectors, false, false);

    return rc ? rc : blk_transfer(dev, BLKIF_OP_READ, sector, nr_sectors, buf);
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

const char *blkfront_test_state(const struct blkfront_dev *dev)
{
    return blk_state_name(dev->state);
}

void blkfront_test_spy_grants(blkfront_grant_spy_fn *fn)
{
    blk_grant_spy = fn;
}

unsigned int blkfront_test_deferred_grants(void)
{
    return blk_deferred_count();
}

unsigned int blkfront_test_handshakes(void)
{
    return blk_handshakes();
}
