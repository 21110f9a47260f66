/*
 * Interdomain event channels (on a loopback: this domain is both ends) and
 * the vchan server's setup and teardown.  The data path against Xen's own
 * libxenvchan is tests/toolstack/checks/vchan_server.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include <minnow/events.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/heap.h>
#include <minnow/vchan.h>
#include <minnow/xenstore.h>

/* Frames taken from the allocator, not counting those the heap grew by. */
static uint64_t frames_taken(uint64_t free0, uint64_t heap0)
{
    return free0 - frame_free_count() - (heap_mapped_bytes() - heap0) / 4096;
}

static void ignore_event(evtchn_port_t port, void *data)
{
}

static uint32_t status_of(evtchn_port_t port)
{
    struct evtchn_status st;

    return evtchn_status(port, &st) ? ~0u : st.status;
}

/* unbound -> interdomain when the other end binds -> unbound when it closes. */
GUEST_TEST(evtchn_interdomain_status, 0)
{
    unsigned int bound = evtchn_bound_count();
    evtchn_port_t a, b;
    int rc = evtchn_alloc_unbound(DOMID_SELF, ignore_event, NULL, &a);

    TEST_ERROR_IF(rc, "alloc_unbound rc=%d", rc);
    TEST_ASSERT(status_of(a) == EVTCHNSTAT_unbound, "fresh port: status %u", status_of(a));
    TEST_ASSERT(!evtchn_peer_connected(a), "unbound port counted as connected");

    rc = evtchn_bind_interdomain(DOMID_SELF, a, ignore_event, NULL, &b);
    TEST_ASSERT(rc == 0, "bind_interdomain rc=%d", rc);
    TEST_ASSERT(status_of(a) == EVTCHNSTAT_interdomain, "bound: status %u", status_of(a));
    TEST_ASSERT(evtchn_peer_connected(a) && evtchn_peer_connected(b), "not connected both ways");
    TEST_ASSERT(evtchn_bound_count() == bound + 2, "bound %u, was %u", evtchn_bound_count(), bound);

    /* The peer goes: our end is unbound again, which is how vchan sees a death. */
    evtchn_close(b);
    TEST_ASSERT(status_of(a) == EVTCHNSTAT_unbound, "peer closed: status %u", status_of(a));
    TEST_ASSERT(!evtchn_peer_connected(a), "closed peer still counted as connected");
    evtchn_close(a);
    TEST_ASSERT(status_of(a) == EVTCHNSTAT_closed, "closed: status %u", status_of(a));
    TEST_ASSERT(evtchn_bound_count() == bound, "ports leaked: %u, was %u", evtchn_bound_count(), bound);
    return TEST_PASS;
}

/* A port that is not offered to us: Xen's error, and nothing bound. */
GUEST_TEST(evtchn_bind_interdomain_refused, 0)
{
    unsigned int bound = evtchn_bound_count();
    evtchn_port_t a, b = 0;
    int rc = evtchn_alloc_unbound(DOMID_SELF, ignore_event, NULL, &a);

    TEST_ERROR_IF(rc, "alloc_unbound rc=%d", rc);
    evtchn_close(a);                    /* now closed: nothing to bind to */
    rc = evtchn_bind_interdomain(DOMID_SELF, a, ignore_event, NULL, &b);
    TEST_ASSERT(rc == -EINVAL, "bind to a closed port: rc=%d (port %u)", rc, b);
    TEST_ASSERT(evtchn_bound_count() == bound, "bound %u, was %u", evtchn_bound_count(), bound);
    return TEST_PASS;
}

/* Rings larger than libxenvchan allows: -EINVAL before anything is taken. */
GUEST_TEST(vchan_server_refuses_big_rings, 0)
{
    uint64_t frames = frame_free_count(), heap = heap_mapped_bytes();
    uint32_t refs = gnttab_free_refs();
    struct vchan *v = NULL;
    int rc = vchan_server_open(0, "data/vchan-test", 2u << VCHAN_MAX_ORDER, 1024, &v);

    TEST_ASSERT(rc == -EINVAL && !v, "rc=%d", rc);
    TEST_ASSERT(frames_taken(frames, heap) == 0 && gnttab_free_refs() == refs,
                "frames taken %lu, refs %u -> %u", (unsigned long)frames_taken(frames, heap),
                refs, gnttab_free_refs());
    return TEST_PASS;
}

static int read_node(const char *node, uint64_t *value)
{
    char path[64];

    strcpy(path, "data/vchan-test/");
    strcat(path, node);
    return xs_read_u64(XS_NO_TX, path, value);
}

/*
 * A server with multi-page rings publishes ring-ref and event-channel,
 * waits for a client, reads nothing and takes what fits in its ring; its
 * close gives every frame, ref and port back and removes the nodes.
 */
GUEST_TEST(vchan_server_setup_and_close, 0)
{
    TEST_SKIP_IF(!xenstore_available(), "no xenstore (dom0 without a toolstack)");
    TEST_SKIP_UNLESS_FREE(64, "two 16 KiB rings");
    uint64_t frames = frame_free_count(), heap = heap_mapped_bytes(), ref, port;
    uint32_t refs = gnttab_free_refs();
    unsigned int bound = evtchn_bound_count(), open = vchan_open_count();
    struct vchan *v;
    static char data[20000];
    int rc = vchan_server_open(0, "data/vchan-test", 16384, 16384, &v);

    TEST_ASSERT(rc == 0, "open rc=%d", rc);
    /* 1 shared page + 4 + 4 ring pages, each granted. */
    TEST_ASSERT(frames_taken(frames, heap) == 9, "frames taken: %lu",
                (unsigned long)frames_taken(frames, heap));
    TEST_ASSERT(refs - gnttab_free_refs() == 9, "refs used: %u", refs - gnttab_free_refs());
    TEST_ASSERT(read_node("ring-ref", &ref) == 0 && ref != 0, "ring-ref not published");
    TEST_ASSERT(read_node("event-channel", &port) == 0 && port != 0, "event-channel not published");
    struct evtchn_status st;
    TEST_ASSERT(evtchn_status(port, &st) == 0 && st.status == EVTCHNSTAT_unbound &&
                st.u.unbound.dom == 0, "port %lu: status %u for dom %u", (unsigned long)port,
                st.status, st.u.unbound.dom);
    TEST_ASSERT(vchan_state(v) == VCHAN_WAITING, "state %d", vchan_state(v));
    TEST_ASSERT(vchan_open_count() == open + 1, "open count %u", vchan_open_count());

    vchan_set_blocking(v, false);
    TEST_ASSERT(vchan_read(v, data, sizeof(data)) == -EAGAIN, "read from an empty ring");
    TEST_ASSERT(vchan_wait_connected(v, 10 * NSEC_PER_MSEC) == -ETIMEDOUT, "nobody connected");
    memset(data, 0x5a, sizeof(data));
    rc = vchan_write(v, data, sizeof(data));
    TEST_ASSERT(rc == 16384, "non-blocking write of 20000 into 16384: %d", rc);
    TEST_ASSERT(vchan_buffer_space(v) == 0, "space left %zu", vchan_buffer_space(v));
    TEST_ASSERT(vchan_write(v, data, 1) == -EAGAIN, "write into a full ring");

    rc = vchan_close(v);
    TEST_ASSERT(rc == 0, "close rc=%d", rc);
    TEST_ASSERT(read_node("ring-ref", &ref) == -ENOENT, "ring-ref left behind");
    TEST_ASSERT(frames_taken(frames, heap) == 0 && gnttab_free_refs() == refs &&
                evtchn_bound_count() == bound && vchan_open_count() == open,
                "leak: frames taken %lu, refs %u -> %u, ports %u -> %u",
                (unsigned long)frames_taken(frames, heap), refs,
                gnttab_free_refs(), bound, evtchn_bound_count());
    return TEST_PASS;
}

/*
 * Both roles in this one domain: a server for ourselves, and a client that
 * maps its grants (gntmap) and binds its port.  Bytes cross both ways; the
 * client's close is seen by the server; every page, ref, port and mapping
 * comes back.
 */
GUEST_TEST(vchan_loopback_both_roles, 0)
{
    TEST_SKIP_IF(!xenstore_available(), "no xenstore (dom0 without a toolstack)");
    TEST_SKIP_UNLESS_FREE(64, "two 16 KiB rings");
    uint64_t self, frames = frame_free_count(), heap = heap_mapped_bytes();
    uint32_t refs = gnttab_free_refs();
    unsigned int bound = evtchn_bound_count();
    struct vchan *srv, *cli;
    static char out[8192], in[8192];
    char path[64];

    TEST_ERROR_IF(xs_read_u64(XS_NO_TX, "domid", &self), "cannot read my domid");
    snprintf(path, sizeof(path), "/local/domain/%lu/data/vchan-loop", (unsigned long)self);
    /*
     * A first connection, not counted: the client's mappings borrow pfns
     * from the balloon, which gives frames to Xen the first time to have
     * them (include/minnow/gntmap.h).  The second must take nothing more.
     */
    int rc = vchan_server_open(self, "data/vchan-loop", 16384, 2048, &srv);
    TEST_ERROR_IF(rc, "warm-up server open rc=%d", rc);
    rc = vchan_client_open(self, path, &cli);
    TEST_ASSERT(rc == 0, "warm-up client open rc=%d", rc);
    TEST_ASSERT(vchan_close(cli) == 0 && vchan_close(srv) == 0, "warm-up close");
    frames = frame_free_count();
    heap = heap_mapped_bytes();

    rc = vchan_server_open(self, "data/vchan-loop", 16384, 2048, &srv);
    TEST_ASSERT(rc == 0, "server open rc=%d", rc);
    rc = vchan_client_open(self, path, &cli);
    TEST_ASSERT(rc == 0, "client open rc=%d", rc);
    TEST_ASSERT(vchan_wait_connected(srv, NSEC_PER_SEC) == 0, "server saw no client");

    vchan_set_blocking(cli, false);
    vchan_set_blocking(srv, false);
    for (unsigned int i = 0; i < sizeof(out); i++)
        out[i] = i * 7 + 3;
    TEST_ASSERT(vchan_write(cli, out, sizeof(out)) == sizeof(out), "client write");
    TEST_ASSERT(vchan_read(srv, in, sizeof(in)) == sizeof(in) && !memcmp(in, out, sizeof(in)),
                "server read other bytes");
    /* The server's ring is 2 KiB (in the shared page): a write fills it. */
    TEST_ASSERT(vchan_write(srv, out, sizeof(out)) == 2048, "server write into 2 KiB");
    TEST_ASSERT(vchan_read(cli, in, sizeof(in)) == 2048 && !memcmp(in, out, 2048),
                "client read other bytes");

    TEST_ASSERT(vchan_close(cli) == 0, "client close");
    TEST_ASSERT(vchan_state(srv) == VCHAN_CLOSED, "server state after the client closed: %d",
                vchan_state(srv));
    TEST_ASSERT(vchan_read(srv, in, 1) == 0, "end of stream not reported");
    TEST_ASSERT(vchan_close(srv) == 0, "server close");
    TEST_ASSERT(frames_taken(frames, heap) == 0 && gnttab_free_refs() == refs &&
                evtchn_bound_count() == bound, "leak: frames taken %lu, refs %u -> %u, ports %u -> %u",
                (unsigned long)frames_taken(frames, heap), refs, gnttab_free_refs(), bound,
                evtchn_bound_count());
    return TEST_PASS;
}
