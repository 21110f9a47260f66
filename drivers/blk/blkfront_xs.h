/*
 * blkfront's xenbus half (blkfront_xs.c): everything said to the backend
 * through xenstore.  The states each call walks, ours and the backend's:
 *
 *   blk_attach   Initialising -> (InitWait) -> ring granted, channel,
 *                ring-ref/event-channel/protocol written -> Initialised ->
 *                (Connected) -> its info read and checked -> Connected
 *   blk_detach   Closing -> (Closing) -> Closed -> (Closed) -> ring and
 *                channel freed
 *   (backend)    (Closing) -> ring drained -> Closed -> ring and channel
 *                freed, device gone (hot-unplug, our own watch)
 *   suspend      refused during a handshake; no new request; wait until
 *                the ring is answered
 *   resume       cancelled: carry on; restored: every device forgets the
 *                old domain's grants and channel, suspended ones attach
 *                to the new backend in a thread
 *
 * Every wait for the backend gives up after 20 s and names the state seen.
 */
#ifndef MINNOW_DRIVERS_BLKFRONT_XS_H
#define MINNOW_DRIVERS_BLKFRONT_XS_H

#include "blkfront_priv.h"

/*
 * Find dev->id's backend, watch its state and connect (dev->state ends
 * CONNECTED).  On failure nothing is left: no watch, ring or channel.
 */
int blk_attach(struct blkfront_dev *dev);
/*
 * Close the connection (handshake: false when the backend already closed
 * it), free the ring and channel and stop watching the backend; all of
 * that even when the backend does not follow (then -errno, said why).
 */
int blk_detach(struct blkfront_dev *dev, bool handshake);
/* Handshakes under way (a suspend is refused while there is one). */
unsigned int blk_handshakes(void);

#endif
