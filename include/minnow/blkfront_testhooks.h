/*
 * blkfront hooks for the in-guest tests only (tests/guest/test_blkfront.c);
 * drivers/blk/blkfront_testhooks.c, which no product code calls, so
 * build/minnow leaves it out.
 */
#ifndef MINNOW_BLKFRONT_TESTHOOKS_H
#define MINNOW_BLKFRONT_TESTHOOKS_H

#include <minnow/blkfront.h>

/* Like blkfront_read but without the range check: the backend judges. */
int blkfront_test_read_unchecked(struct blkfront_dev *dev, uint64_t sector,
                                 uint32_t nr_sectors, void *buf);
/*
 * Play a misbehaving backend: put a response with this id on the shared
 * ring and advance rsp_prod (bogus_prod: by more than was requested), then
 * let the driver look.  The device must end up broken, not crash.
 */
int blkfront_test_inject_response(struct blkfront_dev *dev, uint64_t id, bool bogus_prod);
bool blkfront_is_broken(const struct blkfront_dev *dev);

#endif
