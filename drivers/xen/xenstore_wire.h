/*
 * Reading xenstored's messages off the response ring, apart from the
 * threads and the event channel of drivers/xen/xenstore.c, so that the
 * host can test and fuzz it (tests/unit/test_xenstore_wire.c,
 * tests/fuzz/fuzz_xenstore.c).  Nothing the other end writes is trusted.
 *
 *   response ring:  ...[ type | req_id | tx_id | len ][ len bytes of body ][ next ...
 *                       struct xsd_sockmsg, 16 bytes    len <= XENSTORE_PAYLOAD_MAX
 *
 *   struct xs_in:   hdr | body[XENSTORE_PAYLOAD_MAX + 1] | have
 *                   have = bytes of hdr + body read so far; a whole message
 *                   gets body[len] = '\0'
 *
 * A message may arrive in pieces: xs_in_take() takes what the ring holds
 * of the current message, never a byte of the next one.
 */
#ifndef MINNOW_DRIVERS_XEN_XENSTORE_WIRE_H
#define MINNOW_DRIVERS_XEN_XENSTORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>
#include <minnow/byte_ring.h>

struct xs_in {
    struct xsd_sockmsg hdr;
    char body[XENSTORE_PAYLOAD_MAX + 1];
    size_t have;
};

enum xs_in_status {
    XS_IN_PARTIAL,      /* the ring is empty; the message is not complete yet */
    XS_IN_MESSAGE,      /* hdr and body hold one whole message */
    XS_IN_BAD_RING,     /* the indexes claim more than the ring holds */
    XS_IN_TOO_LONG,     /* the header says len > XENSTORE_PAYLOAD_MAX */
};

/*
 * Take bytes of the current message off the ring; *taken says how many
 * (the other end wants a kick when it is not 0).  After XS_IN_MESSAGE the
 * caller uses the message, then xs_in_reset(); after XS_IN_BAD_RING or
 * XS_IN_TOO_LONG the connection is unusable.
 */
enum xs_in_status xs_in_take(struct xs_in *in, const struct byte_ring *ring, size_t *taken);
/* Start on a new message (after one was used, or to drop a half-read one). */
void xs_in_reset(struct xs_in *in);

enum xs_in_kind {
    XS_IN_WATCH_EVENT,  /* XS_WATCH_EVENT: path and token, for the watch thread */
    XS_IN_REPLY,        /* the reply the waiting caller wants */
    XS_IN_UNEXPECTED,   /* nobody waits for it, or another request's id */
};
/* What a whole message is to a client that waits (or not) for want_req_id. */
enum xs_in_kind xs_in_classify(const struct xs_in *in, bool waiting, uint32_t want_req_id);

/* A watch event's body is "path\0token\0": 0 and both, or -EINVAL. */
int xs_in_watch_event(const struct xs_in *in, const char **path, const char **token);

#endif
