/*
 * vchan: a byte stream between two domains, on the wire exactly what Xen's
 * libxenvchan speaks (vchan-socket-proxy, a stub domain's QMP link), so
 * either end may be minnow or a program using libxenvchan.
 *
 * The server grants one shared page (struct vchan_interface of
 * <xen/io/libxenvchan.h>) and allocates an unbound event channel for the
 * client domain, and publishes both in xenstore, readable by the client:
 *
 *   <path>/ring-ref        the shared page's grant ref
 *   <path>/event-channel   the port
 *
 *   shared page   0  left  {cons, prod}      client -> server
 *                 8  right {cons, prod}      server -> client
 *                16  left_order right_order  log2 of the ring sizes
 *                20  cli_live srv_live       1 open, 0 gone, 2 "no client yet"
 *                22  cli_notify srv_notify   what the peer asked to be told of
 *                24  grants[]                ring pages: left's, then right's
 *              1024  a ring of order 10, or
 *              2048  a ring of order 11     (order 12..20: own pages, granted)
 *
 * Each side owns its ring's producer index and the other's consumer index,
 * both free-running 32-bit counters.  A side that is about to sleep sets a
 * bit in the byte the peer checks (VCHAN_NOTIFY_WRITE: "tell me when you
 * write"); the peer clears the bit when it acts and sends one event.
 *
 * Peer gone: its live byte reads 0 (libxenvchan clears it on close, and the
 * kernel's unmap-notify clears it when the peer process dies), or our event
 * channel is no longer interdomain (the peer's domain died or closed it).
 * A waiter re-checks both at least once a second.
 *
 * Every call returns 0 (or a byte count) or -errno and prints why on error.
 * A vchan is used by one thread at a time.
 */
#ifndef MINNOW_VCHAN_H
#define MINNOW_VCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <minnow/time.h>

#define VCHAN_MIN_ORDER 10              /* 1 KiB, inside the shared page */
#define VCHAN_MAX_ORDER 20              /* 1 MiB: 256 pages, grants still fit */

struct vchan;

enum vchan_state {
    VCHAN_CLOSED,                       /* the peer has gone (or never was) */
    VCHAN_CONNECTED,
    VCHAN_WAITING,                      /* server: no client yet */
};

/*
 * Serve client at path (relative: under this domain's home).  The rings are
 * at least read_min (client -> server) and write_min bytes, rounded up to a
 * power of two between 2^10 and 2^20 (larger: -EINVAL); like libxenvchan,
 * small rings go into the shared page.  Returns at once: the client
 * connects later (vchan_wait_connected).
 */
int vchan_server_open(domid_t client, const char *path, size_t read_min, size_t write_min,
                      struct vchan **out);
/*
 * Connect to server's vchan at path (absolute, or under this domain's
 * home): bind its port, map its shared page and ring pages (the client's
 * ring read-only), set cli_live and wake it.  Mappings use borrowed pfns
 * (include/minnow/gntmap.h), so they cost no RAM.
 */
int vchan_client_open(domid_t server, const char *path, struct vchan **out);
/* Wait until a client is there; -ETIMEDOUT after timeout_ns (0: for ever). */
int vchan_wait_connected(struct vchan *v, stime_t timeout_ns);

enum vchan_state vchan_state(struct vchan *v);
/* Blocking (the default) or not, for read, write and send. */
void vchan_set_blocking(struct vchan *v, bool blocking);

/*
 * Stream read: up to len bytes.  Blocking: waits for at least one byte.
 * Returns the count, 0 at the end of the stream (the peer has gone and
 * everything it wrote has been read), -EAGAIN when non-blocking and empty,
 * -EIO when the peer's indexes are impossible.
 */
int vchan_read(struct vchan *v, void *buf, size_t len);
/*
 * Stream write.  Blocking: all len bytes; non-blocking: what fits now
 * (-EAGAIN if nothing).  -EPIPE once the peer has gone.
 */
int vchan_write(struct vchan *v, const void *buf, size_t len);
/* Bytes readable now, bytes writable now. */
size_t vchan_data_ready(struct vchan *v);
size_t vchan_buffer_space(struct vchan *v);
/*
 * Wait until something changed: data to read, room to write, or the
 * peer's state.  0, or -ETIMEDOUT after timeout_ns (0: for ever).
 */
int vchan_wait(struct vchan *v, stime_t timeout_ns);

/*
 * Tell the peer we are going (live byte 0, one event), close the port;
 * a server removes its xenstore nodes, takes every grant back and frees the
 * pages, a client unmaps the server's pages.
 * A page the peer still maps after 5 s is not freed: it is reported and
 * counted in vchan_leaked_pages(), and -EBUSY returned.
 */
int vchan_close(struct vchan *v);

/* For leak checks: open vchans, and pages kept because a peer never let go. */
unsigned int vchan_open_count(void);
unsigned int vchan_leaked_pages(void);

#endif
