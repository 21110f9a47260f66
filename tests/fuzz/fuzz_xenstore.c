/*
 * libFuzzer target for minnow's reading of xenstored's replies
 * (drivers/xen/xenstore_wire.c).  Built and run by scripts/fuzz.sh.
 *
 * The input plays xenstored, who owns the response ring's producer side
 * and may write anything, including both indexes.  It is a list of steps:
 *
 *   byte 0x00-0x7f   produce the next (byte + 1) input bytes (what fits)
 *   byte 0x80-0xef   minnow takes what the ring holds (xs_in_take), and
 *                    classifies a whole message as a client waiting for
 *                    req_id (byte & 3) would
 *   byte 0xf0-0xf7   set rsp_prod to the next 4 bytes (little-endian)
 *   byte 0xf8-0xff   set rsp_cons to the next 4 bytes
 *
 * and at the end minnow takes until the ring is empty.  The invariants
 * (any violation aborts):
 *   - a take never moves cons past what the ring held, and stops at the end
 *     of the current message (checked against a simple reference framer
 *     over the bytes it took);
 *   - XS_IN_PARTIAL leaves the ring empty; XS_IN_BAD_RING only when
 *     prod - cons > the ring size; XS_IN_TOO_LONG exactly when the
 *     header's len > XENSTORE_PAYLOAD_MAX, after the header and no more;
 *   - a whole message is the reference's, NUL-terminated at body[len];
 *   - a watch event's path and token are NUL-terminated inside the body,
 *     and it is refused exactly when the body has no NUL;
 *   - classify says "reply" only to a waiting client, for its req_id, and
 *     never for a watch event.
 * AddressSanitizer catches any read or write outside the ring or the message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drivers/xen/xenstore_wire.h"

#define HDR sizeof(struct xsd_sockmsg)

static char *buf;
static uint32_t prod, cons;
static struct xs_in in;

/* The reference framer: the bytes minnow took since the message began. */
static uint8_t taken_bytes[HDR + XENSTORE_PAYLOAD_MAX];
static size_t taken_len;

static void die(const char *msg)
{
    fprintf(stderr, "xenstore invariant violated: %s\n", msg);
    abort();
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_message(uint8_t step)
{
    struct xsd_sockmsg hdr;
    const char *path, *token;

    memcpy(&hdr, taken_bytes, HDR);
    if (taken_len != HDR + hdr.len || memcmp(&in.hdr, &hdr, HDR) ||
        memcmp(in.body, taken_bytes + HDR, hdr.len))
        die("the message is not the bytes taken");
    if (in.body[hdr.len] != '\0')
        die("body not NUL-terminated");

    bool has_nul = memchr(in.body, '\0', hdr.len) != NULL;
    int rc = xs_in_watch_event(&in, &path, &token);
    if (rc != (has_nul ? 0 : -EINVAL))
        die("watch event refused or accepted wrongly");
    if (rc == 0) {
        const char *end = in.body + hdr.len;
        if (path != in.body || token != path + strlen(path) + 1 || token > end ||
            token + strlen(token) > end)
            die("watch event path/token outside the body");
    }

    bool waiting = step & 4;
    uint32_t want = step & 3;
    enum xs_in_kind kind = xs_in_classify(&in, waiting, want);
    enum xs_in_kind expect = hdr.type == XS_WATCH_EVENT ? XS_IN_WATCH_EVENT :
                             waiting && hdr.req_id == want ? XS_IN_REPLY : XS_IN_UNEXPECTED;
    if (kind != expect)
        die("message classified wrongly");
}

/* One take; false once the connection is unusable. */
static bool take(uint8_t step)
{
    const struct byte_ring ring = { buf, XENSTORE_RING_SIZE, &prod, &cons };
    uint32_t cons_before = cons, used = prod - cons;
    char before[XENSTORE_RING_SIZE];
    size_t taken;

    memcpy(before, buf, sizeof(before));
    enum xs_in_status st = xs_in_take(&in, &ring, &taken);
    if (cons - cons_before != taken)
        die("cons moved by other than what was taken");
    if (used > XENSTORE_RING_SIZE) {
        if (st != XS_IN_BAD_RING || taken)
            die("corrupt indexes not refused");
        return false;
    }
    if (taken > used)
        die("took more than the ring held");
    for (size_t i = 0; i < taken; i++) {
        if (taken_len == sizeof(taken_bytes))
            die("took past the longest message");
        taken_bytes[taken_len++] = before[(cons_before + i) % XENSTORE_RING_SIZE];
    }

    uint32_t len = taken_len >= HDR ? le32(taken_bytes + 12) : 0;
    switch (st) {
    case XS_IN_BAD_RING:
        die("sane indexes refused");
        break;
    case XS_IN_TOO_LONG:
        if (taken_len != HDR || len <= XENSTORE_PAYLOAD_MAX)
            die("too long, but the header says otherwise");
        return false;
    case XS_IN_PARTIAL:
        if (prod != cons)
            die("partial, but the ring still holds bytes");
        if (taken_len >= HDR && (len > XENSTORE_PAYLOAD_MAX || taken_len >= HDR + len))
            die("partial, but the message is complete or too long");
        break;
    case XS_IN_MESSAGE:
        check_message(step);
        xs_in_reset(&in);
        taken_len = 0;
        break;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!buf)
        buf = malloc(XENSTORE_RING_SIZE);
    memset(buf, 0, XENSTORE_RING_SIZE);
    prod = cons = 0;
    xs_in_reset(&in);
    taken_len = 0;

    const struct byte_ring ring = { buf, XENSTORE_RING_SIZE, &prod, &cons };
    bool alive = true;
    size_t i = 0;
    while (alive && i < size) {
        uint8_t step = data[i++];
        if (step < 0x80) {
            size_t n = step + 1u < size - i ? step + 1u : size - i;
            if (prod - cons <= XENSTORE_RING_SIZE)
                byte_ring_write(&ring, data + i, n);
            i += n;
        } else if (step < 0xf0) {
            alive = take(step);
        } else if (i + 4 <= size) {
            *(step < 0xf8 ? &prod : &cons) = le32(data + i);
            i += 4;
        }
    }
    /* Drain what is left, as the reader thread would. */
    for (int n = 0; alive && n < 8 && prod != cons; n++)
        alive = take(0x80);
    return 0;
}
