/*
 * A byte ring shared with another domain, as the PV console and xenstore
 * use them: a power-of-two buffer and two free-running 32-bit indexes.
 *
 *   buf: [....DDDDDDDD......]     D = produced, not yet consumed
 *            ^cons    ^prod       (both taken modulo size)
 *
 * The producer owns prod, the consumer owns cons; each reads the other's
 * index.  The other end is not trusted: if its index claims more than
 * `size` bytes in flight the ring is corrupt, and these helpers say so
 * (-EIO) instead of copying out of bounds.
 */
#ifndef MINNOW_BYTE_RING_H
#define MINNOW_BYTE_RING_H

#include <stdint.h>
#include <stddef.h>

struct byte_ring {
    char *buf;
    uint32_t size;                  /* power of two */
    volatile uint32_t *prod, *cons;
};

/* Copy up to len bytes in (we produce).  Returns bytes copied, or -EIO. */
int byte_ring_write(const struct byte_ring *r, const void *data, size_t len);
/* Copy up to len bytes out (we consume).  Returns bytes copied, or -EIO. */
int byte_ring_read(const struct byte_ring *r, void *data, size_t len);
/* Bytes waiting to be consumed, or -EIO. */
int byte_ring_used(const struct byte_ring *r);

#endif
