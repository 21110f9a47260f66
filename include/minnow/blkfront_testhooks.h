/*
 * blkfront hooks for the in-guest tests only (tests/guest/test_blkfront*.c);
 * drivers/blk/blkfront_testhooks.c, which no product code calls, so
 * build/minnow leaves it out.
 */
#ifndef MINNOW_BLKFRONT_TESTHOOKS_H
#define MINNOW_BLKFRONT_TESTHOOKS_H

#include <minnow/blkfront.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

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
/* "connecting", "connected", "suspended", "broken", "closing", "gone", "closed" */
const char *blkfront_test_state(const struct blkfront_dev *dev);

/*
 * Watch the bounce pages: fn runs for each one right after it is granted
 * and before its request is on the ring, so `page` holds exactly what the
 * backend will be able to read; data_bytes is how much of it is the
 * caller's data (a write's; 0 for a read).  NULL stops watching.
 */
typedef void blkfront_grant_spy_fn(uint8_t op, grant_ref_t ref, xen_pfn_t pfn,
                                   const void *page, uint32_t data_bytes);
void blkfront_test_spy_grants(blkfront_grant_spy_fn *fn);
/* Grants the backend would not give back, waiting to be ended later. */
unsigned int blkfront_test_deferred_grants(void);
/* Handshakes with a backend under way (probes, reconnects). */
unsigned int blkfront_test_handshakes(void);

#endif
