/* xenstored's messages off the response ring (the picture is in xenstore_wire.h). */
#include <errno.h>
#include <string.h>
#include "xenstore_wire.h"

void xs_in_reset(struct xs_in *in)
{
    in->have = 0;
}

/* Read up to want bytes into dst; false when the ring is corrupt. */
static bool take(const struct byte_ring *ring, void *dst, size_t want, size_t *got)
{
    int n = byte_ring_read(ring, dst, want);

    if (n < 0)
        return false;
    *got = n;
    return true;
}

enum xs_in_status xs_in_take(struct xs_in *in, const struct byte_ring *ring, size_t *taken)
{
    size_t got;

    *taken = 0;
    if (in->have < sizeof(in->hdr)) {
        if (!take(ring, (char *)&in->hdr + in->have, sizeof(in->hdr) - in->have, &got))
            return XS_IN_BAD_RING;
        in->have += got;
        *taken += got;
        if (in->have < sizeof(in->hdr))
            return XS_IN_PARTIAL;
    }
    if (in->hdr.len > XENSTORE_PAYLOAD_MAX)
        return XS_IN_TOO_LONG;          /* before a byte of body is read */
    size_t body_have = in->have - sizeof(in->hdr);
    if (!take(ring, in->body + body_have, in->hdr.len - body_have, &got))
        return XS_IN_BAD_RING;
    in->have += got;
    *taken += got;
    if (in->have < sizeof(in->hdr) + in->hdr.len)
        return XS_IN_PARTIAL;
    in->body[in->hdr.len] = '\0';
    return XS_IN_MESSAGE;
}

enum xs_in_kind xs_in_classify(const struct xs_in *in, bool waiting, uint32_t want_req_id)
{
    if (in->hdr.type == XS_WATCH_EVENT)
        return XS_IN_WATCH_EVENT;
    return waiting && in->hdr.req_id == want_req_id ? XS_IN_REPLY : XS_IN_UNEXPECTED;
}

int xs_in_watch_event(const struct xs_in *in, const char **path, const char **token)
{
    size_t path_len = strnlen(in->body, in->hdr.len);

    if (path_len >= in->hdr.len)
        return -EINVAL;                 /* no NUL after the path: no token */
    *path = in->body;
    *token = in->body + path_len + 1;   /* ends at body[len] at the latest */
    return 0;
}
