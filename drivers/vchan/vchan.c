/*
 * vchan: libxenvchan's shared rings (the picture is in include/minnow/vchan.h).
 * Written from <xen/io/libxenvchan.h> and the behaviour of Xen's
 * tools/libs/vchan: the same page layout, ring placement, xenstore nodes,
 * permissions and notification bits, so libxenvchan programs see a peer
 * like themselves.
 *
 * A ring is kept as an array of chunks, not one contiguous buffer: a ring
 * in the shared page is one chunk of 1 or 2 KiB, a ring of order >= 12 is
 * 2^(order-12) pages that need not be adjacent (the frame allocator hands
 * out single frames; a mapped peer ring has one va per page).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/libxenvchan.h>
#include <minnow/console.h>
#include <minnow/control.h>
#include <minnow/events.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/gntmap.h>
#include <minnow/sched.h>
#include <minnow/vchan.h>
#include <minnow/xenstore.h>
#include <arch/barrier.h>
#include <arch/layout.h>
#include <arch/page.h>

#define RING_PAGES_MAX    (1u << (VCHAN_MAX_ORDER - PAGE_SHIFT))
#define SMALL_ORDER       10                /* at offset 1024 of the shared page */
#define LARGE_ORDER       11                /* at offset 2048 */
#define PEER_CHECK_NS     NSEC_PER_SEC      /* re-check a silent peer this often */
#define UNGRANT_WAIT_MS   5000
#define NO_REF            ((grant_ref_t)~0u)

struct vchan_ring {
    volatile struct ring_shared *idx;       /* in the shared page */
    unsigned int order;                     /* our copy: the page's may change */
    unsigned int chunk_shift;               /* log2 of one chunk */
    uint8_t *chunk[RING_PAGES_MAX];
};

struct vchan {
    bool server;
    bool blocking;
    bool peer_seen;                         /* the peer was connected once */
    bool broken;                            /* the peer's indexes were impossible */
    domid_t peer;
    char path[64];                          /* server: the xenstore nodes' parent */
    volatile struct vchan_interface *shared;
    xen_pfn_t shared_pfn;
    grant_ref_t shared_ref;
    /* Server: the ring pages it allocated and granted (left's, then right's). */
    unsigned int nr_pages;
    xen_pfn_t page_pfn[2 * RING_PAGES_MAX];
    grant_ref_t page_ref[2 * RING_PAGES_MAX];
    /* Client: the server's pages it mapped (shared page first, then rings). */
    unsigned int nr_maps;
    struct gntmap_page *maps;
    evtchn_port_t port;
    struct waitq wq;
    struct vchan_ring rd, wr;
    struct vchan *next_open;
};

static struct vchan *open_vchans;
static unsigned int nr_open;
static unsigned int leaked_pages;
static bool hook_set;

/* ------------------------------------------------------------ the bytes */

/* The live and notify bytes: ours and the peer's. */
static volatile uint8_t *my_live(struct vchan *v)
{
    return v->server ? &v->shared->srv_live : &v->shared->cli_live;
}

static volatile uint8_t *peer_live(struct vchan *v)
{
    return v->server ? &v->shared->cli_live : &v->shared->srv_live;
}

/* The byte the peer checks after acting: we set bits in it to be told. */
static volatile uint8_t *peer_notify(struct vchan *v)
{
    return v->server ? &v->shared->cli_notify : &v->shared->srv_notify;
}

/* The byte we check after acting: the peer's requests to us. */
static volatile uint8_t *my_notify(struct vchan *v)
{
    return v->server ? &v->shared->srv_notify : &v->shared->cli_notify;
}

static void request_notify(struct vchan *v, uint8_t bit)
{
    __atomic_or_fetch(peer_notify(v), bit, __ATOMIC_SEQ_CST);
    smp_mb();           /* the request is visible before we look at the indexes again */
}

/* After moving an index: one event if the peer asked for this kind. */
static void send_notify(struct vchan *v, uint8_t bit)
{
    smp_mb();           /* the index is visible before we decide */
    if (__atomic_fetch_and(my_notify(v), (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit)
        evtchn_notify(v->port);
}

/* ------------------------------------------------------------ the rings */

static uint32_t ring_size(const struct vchan_ring *r)
{
    return 1u << r->order;
}

/* Bytes in the ring, or -EIO if the peer's index claims more than fits. */
static int64_t ring_used(struct vchan *v, const struct vchan_ring *r)
{
    uint32_t used = r->idx->prod - r->idx->cons;

    smp_mb();
    if (used > ring_size(r)) {
        if (!v->broken)
            printk("vchan: %s: ring holds %u bytes of %u: the peer is broken\n",
                   v->path, used, ring_size(r));
        v->broken = true;
        return -EIO;
    }
    return used;
}

/* Copy between buf and the ring at offset pos (mod size), across chunks. */
static void ring_copy(const struct vchan_ring *r, uint32_t pos, void *buf, size_t len,
                      bool to_ring)
{
    uint32_t chunk = 1u << r->chunk_shift;
    uint8_t *p = buf;

    while (len) {
        uint32_t off = pos & (ring_size(r) - 1);
        uint32_t in_chunk = off & (chunk - 1);
        size_t n = chunk - in_chunk;
        uint8_t *at = r->chunk[off >> r->chunk_shift] + in_chunk;

        if (n > len)
            n = len;
        if (to_ring)
            memcpy(at, p, n);
        else
            memcpy(p, at, n);
        p += n;
        pos += n;
        len -= n;
    }
}

size_t vchan_data_ready(struct vchan *v)
{
    int64_t used = ring_used(v, &v->rd);

    return used < 0 ? 0 : used;
}

size_t vchan_buffer_space(struct vchan *v)
{
    int64_t used = ring_used(v, &v->wr);

    return used < 0 ? 0 : ring_size(&v->wr) - used;
}

/* Take up to len bytes now; asks for a WRITE event before reporting empty. */
static int take(struct vchan *v, void *buf, size_t len)
{
    int64_t used = ring_used(v, &v->rd);

    if (used == 0) {
        request_notify(v, VCHAN_NOTIFY_WRITE);
        used = ring_used(v, &v->rd);      /* data may have come in between */
    }
    if (used <= 0)
        return used;
    if ((size_t)used > len)
        used = len;
    uint32_t cons = v->rd.idx->cons;
    smp_rmb();          /* the data is read after the index that covers it */
    ring_copy(&v->rd, cons, buf, used, false);
    smp_mb();           /* ... and before the slots are handed back */
    v->rd.idx->cons = cons + used;
    send_notify(v, VCHAN_NOTIFY_READ);
    return used;
}

/* Put up to len bytes now; asks for a READ event before reporting full. */
static int put(struct vchan *v, const void *buf, size_t len)
{
    int64_t used = ring_used(v, &v->wr);

    if (used >= 0 && (size_t)(ring_size(&v->wr) - used) < len) {
        request_notify(v, VCHAN_NOTIFY_READ);
        used = ring_used(v, &v->wr);
    }
    if (used < 0)
        return used;
    size_t room = ring_size(&v->wr) - used;
    if (room > len)
        room = len;
    if (room == 0)
        return 0;
    uint32_t prod = v->wr.idx->prod;
    smp_mb();           /* the peer's cons was read before we overwrite */
    ring_copy(&v->wr, prod, (void *)buf, room, true);
    smp_wmb();          /* the data is there before the index says so */
    v->wr.idx->prod = prod + room;
    send_notify(v, VCHAN_NOTIFY_WRITE);
    return room;
}

/* ------------------------------------------------------------ the peer */

enum vchan_state vchan_state(struct vchan *v)
{
    uint8_t live = *peer_live(v);

    if (live == 0)
        return VCHAN_CLOSED;
    if (live == 2 && v->server && !v->peer_seen)
        return VCHAN_WAITING;
    v->peer_seen = true;
    return VCHAN_CONNECTED;
}

/* The slow check, for a peer that died without clearing its live byte. */
static bool peer_port_gone(struct vchan *v)
{
    if (vchan_state(v) != VCHAN_CONNECTED)
        return false;
    if (evtchn_peer_connected(v->port))
        return false;
    printk("vchan: %s: the peer's event channel is gone (dom %u died or closed it)\n",
           v->path, v->peer);
    *peer_live(v) = 0;      /* nobody else will clear it now */
    return true;
}

static void vchan_event(evtchn_port_t port, void *data)
{
    struct vchan *v = data;

    waitq_wake_all(&v->wq);
}

/* Sleep until cond, re-checking the peer's port every PEER_CHECK_NS. */
#define wait_peer(v, cond, timeout_ns)                                              \
    ({                                                                              \
        stime_t end_ = (timeout_ns) ? monotonic_ns() + (timeout_ns) : 0;            \
        int rc_ = 0;                                                                \
        while (!wait_event_timeout(&(v)->wq, (cond), PEER_CHECK_NS)) {              \
            if (peer_port_gone(v))                                                  \
                continue;                                                           \
            if (end_ && monotonic_ns() >= end_) {                                   \
                rc_ = -ETIMEDOUT;                                                   \
                break;                                                              \
            }                                                                       \
        }                                                                           \
        rc_;                                                                        \
    })

int vchan_wait_connected(struct vchan *v, stime_t timeout_ns)
{
    int rc = wait_peer(v, vchan_state(v) != VCHAN_WAITING, timeout_ns);

    if (rc == 0 && vchan_state(v) == VCHAN_CLOSED)
        return -EPIPE;
    return rc;
}

int vchan_wait(struct vchan *v, stime_t timeout_ns)
{
    uint32_t rd_prod = v->rd.idx->prod, wr_cons = v->wr.idx->cons;
    enum vchan_state st = vchan_state(v);

    request_notify(v, VCHAN_NOTIFY_WRITE | VCHAN_NOTIFY_READ);
    return wait_peer(v, v->rd.idx->prod != rd_prod || v->wr.idx->cons != wr_cons ||
                        vchan_state(v) != st, timeout_ns);
}

void vchan_set_blocking(struct vchan *v, bool blocking)
{
    v->blocking = blocking;
}

int vchan_read(struct vchan *v, void *buf, size_t len)
{
    int n;

    if (len == 0)
        return 0;
    for (;;) {
        n = take(v, buf, len);
        if (n != 0)
            return n;
        if (vchan_state(v) == VCHAN_CLOSED)
            return 0;                       /* drained, and nothing more will come */
        if (!v->blocking)
            return -EAGAIN;
        wait_peer(v, vchan_data_ready(v) || vchan_state(v) == VCHAN_CLOSED || v->broken, 0);
    }
}

int vchan_write(struct vchan *v, const void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        if (vchan_state(v) == VCHAN_CLOSED)
            return -EPIPE;
        int n = put(v, (const uint8_t *)buf + done, len - done);
        if (n < 0)
            return n;
        done += n;
        if (n == 0) {
            if (!v->blocking)
                return done ? (int)done : -EAGAIN;
            wait_peer(v, vchan_buffer_space(v) || vchan_state(v) == VCHAN_CLOSED ||
                         v->broken, 0);
        } else if (!v->blocking) {
            return done;
        }
    }
    return done;
}

/* ------------------------------------------------------------ setup */

static unsigned int order_for(size_t min)
{
    unsigned int order = PAGE_SHIFT;

    while (((size_t)1 << order) < min)
        order++;
    return order;
}

/*
 * Like libxenvchan: if both rings fit in the shared page (one of 1 KiB,
 * one of 2 KiB) they go there; otherwise a ring of up to 2 KiB still
 * does, and the other gets pages of its own.
 */
static void choose_orders(size_t read_min, size_t write_min, unsigned int *rd, unsigned int *wr)
{
    *rd = order_for(read_min);
    *wr = order_for(write_min);
    if (read_min <= 1u << SMALL_ORDER && write_min <= 1u << LARGE_ORDER) {
        *rd = SMALL_ORDER;
        *wr = LARGE_ORDER;
    } else if (read_min <= 1u << LARGE_ORDER && write_min <= 1u << SMALL_ORDER) {
        *rd = LARGE_ORDER;
        *wr = SMALL_ORDER;
    } else if (read_min <= 1u << LARGE_ORDER) {
        *rd = LARGE_ORDER;
    } else if (write_min <= 1u << LARGE_ORDER) {
        *wr = LARGE_ORDER;
    }
}

static void *zeroed_page(xen_pfn_t *pfn)
{
    if (frame_alloc(pfn))
        return NULL;
    void *va = pfn_to_virt(*pfn);
    memset(va, 0, PAGE_SIZE);
    return va;
}

/* A ring in the shared page, or in granted pages of its own (refs into grants[]). */
static int server_ring(struct vchan *v, struct vchan_ring *r, unsigned int order,
                       volatile struct ring_shared *idx)
{
    r->idx = idx;
    r->order = order;
    if (order < PAGE_SHIFT) {
        r->chunk_shift = order;
        r->chunk[0] = (uint8_t *)v->shared + (order == SMALL_ORDER ? 1024 : 2048);
        return 0;
    }
    r->chunk_shift = PAGE_SHIFT;
    for (unsigned int i = 0; i < 1u << (order - PAGE_SHIFT); i++) {
        unsigned int k = v->nr_pages;
        r->chunk[i] = zeroed_page(&v->page_pfn[k]);
        if (!r->chunk[i]) {
            printk("vchan: %s: out of memory for ring pages (%u so far)\n", v->path, k);
            return -ENOMEM;
        }
        int rc = gnttab_grant_access(v->peer, v->page_pfn[k], false, &v->page_ref[k]);
        if (rc) {
            printk("vchan: %s: cannot grant ring page %u: rc=%d\n", v->path, k, rc);
            frame_free(v->page_pfn[k]);
            return rc;
        }
        v->shared->grants[k] = v->page_ref[k];
        v->nr_pages++;
    }
    return 0;
}

struct publish {
    struct vchan *v;
    const char *perms[2];
};

static int publish_nodes(xs_tx_t tx, void *arg)
{
    struct publish *p = arg;
    char node[96], value[16];
    int rc;

    snprintf(node, sizeof(node), "%s/ring-ref", p->v->path);
    snprintf(value, sizeof(value), "%u", p->v->shared_ref);
    if ((rc = xs_write(tx, node, value)) || (rc = xs_set_perms(tx, node, p->perms, 2)))
        return rc;
    snprintf(node, sizeof(node), "%s/event-channel", p->v->path);
    snprintf(value, sizeof(value), "%u", p->v->port);
    if ((rc = xs_write(tx, node, value)) || (rc = xs_set_perms(tx, node, p->perms, 2)))
        return rc;
    return 0;
}

/*
 * The nodes belong to us and only the client may read them, as
 * libxenvchan sets them (dom0 reads everything anyway).
 */
static int server_publish(struct vchan *v)
{
    char *self;
    char owner[16], reader[16];
    int rc = xs_read(XS_NO_TX, "domid", &self);

    if (rc) {
        printk("vchan: cannot read my domid from xenstore: rc=%d\n", rc);
        return rc;
    }
    snprintf(owner, sizeof(owner), "n%s", self);
    snprintf(reader, sizeof(reader), "r%u", v->peer);
    free(self);
    struct publish p = { v, { owner, reader } };
    rc = xs_transaction_run(publish_nodes, &p, 10);
    if (rc)
        printk("vchan: cannot publish %s/{ring-ref,event-channel}: rc=%d\n", v->path, rc);
    return rc;
}

/* On the way to power-off: every peer learns at once that we are going. */
static void tell_peers_shutdown(const char *what)
{
    for (struct vchan *v = open_vchans; v; v = v->next_open) {
        *my_live(v) = 0;
        smp_wmb();
        evtchn_notify(v->port);
    }
    if (open_vchans)
        printk("vchan: %s: told %u peer(s) we are going\n", what, nr_open);
}

static void add_open(struct vchan *v)
{
    if (!hook_set && control_on_shutdown(tell_peers_shutdown) == 0)
        hook_set = true;
    v->next_open = open_vchans;
    open_vchans = v;
    nr_open++;
}

static void remove_open(struct vchan *v)
{
    for (struct vchan **p = &open_vchans; *p; p = &(*p)->next_open) {
        if (*p == v) {
            *p = v->next_open;
            nr_open--;
            return;
        }
    }
}

static struct vchan *vchan_alloc(bool server, domid_t peer, const char *path)
{
    struct vchan *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->server = server;
    v->blocking = true;
    v->peer = peer;
    v->shared_ref = NO_REF;
    v->port = ~0u;
    v->wq = (struct waitq)WAITQ_INIT;
    snprintf(v->path, sizeof(v->path), "%s", path);
    return v;
}

int vchan_server_open(domid_t client, const char *path, size_t read_min, size_t write_min,
                      struct vchan **out)
{
    unsigned int rd_order, wr_order;
    int rc;

    if (read_min > 1u << VCHAN_MAX_ORDER || write_min > 1u << VCHAN_MAX_ORDER) {
        printk("vchan: %s: rings of %zu and %zu bytes asked; at most %u each\n",
               path, read_min, write_min, 1u << VCHAN_MAX_ORDER);
        return -EINVAL;
    }
    if (strlen(path) + sizeof("/event-channel") > sizeof(((struct vchan *)0)->path)) {
        printk("vchan: path '%s' is too long\n", path);
        return -EINVAL;
    }
    struct vchan *v = vchan_alloc(true, client, path);
    if (!v)
        return -ENOMEM;

    /* 1. The shared page, granted to the client. */
    v->shared = zeroed_page(&v->shared_pfn);
    if (!v->shared) {
        free(v);
        return -ENOMEM;
    }
    rc = gnttab_grant_access(client, v->shared_pfn, false, &v->shared_ref);
    if (rc) {
        printk("vchan: %s: cannot grant the shared page: rc=%d\n", path, rc);
        goto fail;
    }
    /* 2. The rings: left is what the client writes, right what we write. */
    choose_orders(read_min, write_min, &rd_order, &wr_order);
    v->shared->left_order = rd_order;
    v->shared->right_order = wr_order;
    if ((rc = server_ring(v, &v->rd, rd_order, &v->shared->left)) ||
        (rc = server_ring(v, &v->wr, wr_order, &v->shared->right)))
        goto fail;
    v->shared->cli_live = 2;
    v->shared->srv_live = 1;
    v->shared->cli_notify = VCHAN_NOTIFY_WRITE;     /* tell us when you write */
    /* 3. The event channel the client binds to. */
    rc = evtchn_alloc_unbound(client, vchan_event, v, &v->port);
    if (rc)
        goto fail;
    evtchn_unmask(v->port);
    /* 4. Tell the client where to look. */
    rc = server_publish(v);
    if (rc)
        goto fail;
    add_open(v);
    *out = v;
    return 0;
fail:
    vchan_close(v);
    return rc;
}

/* ------------------------------------------------------------ client */

static int read_node(const char *path, const char *node, uint64_t *value)
{
    char full[96];

    snprintf(full, sizeof(full), "%s/%s", path, node);
    int rc = xs_read_u64(XS_NO_TX, full, value);
    if (rc)
        printk("vchan: cannot read %s: rc=%d\n", full, rc);
    else if (*value == 0 || *value > UINT32_MAX) {
        printk("vchan: %s is %lu: not a %s\n", full, (unsigned long)*value, node);
        rc = -EINVAL;
    }
    return rc;
}

/* The server's orders, checked as libxenvchan checks them. */
static int check_orders(struct vchan *v, unsigned int left, unsigned int right)
{
    if (left < VCHAN_MIN_ORDER || left > VCHAN_MAX_ORDER ||
        right < VCHAN_MIN_ORDER || right > VCHAN_MAX_ORDER ||
        (left == right && left < PAGE_SHIFT)) {
        printk("vchan: %s: the server's ring orders %u/%u are impossible\n", v->path, left,
               right);
        return -EINVAL;
    }
    return 0;
}

static unsigned int ring_pages(unsigned int order)
{
    return order < PAGE_SHIFT ? 0 : 1u << (order - PAGE_SHIFT);
}

/* The client's view of one ring: in the shared page, or mapped pages from maps[first]. */
static void client_ring(struct vchan *v, struct vchan_ring *r, unsigned int order,
                        volatile struct ring_shared *idx, unsigned int first)
{
    r->idx = idx;
    r->order = order;
    if (order < PAGE_SHIFT) {
        r->chunk_shift = order;
        r->chunk[0] = (uint8_t *)v->shared + (order == SMALL_ORDER ? 1024 : 2048);
        return;
    }
    r->chunk_shift = PAGE_SHIFT;
    for (unsigned int i = 0; i < ring_pages(order); i++)
        r->chunk[i] = v->maps[first + i].addr;
}

static int map_pages(struct vchan *v, unsigned int first, unsigned int n)
{
    int mapped = gntmap_map(&v->maps[first], n);

    v->nr_maps = first + n;         /* gntmap_unmap skips those not held */
    if (mapped == (int)n)
        return 0;
    printk("vchan: %s: mapped %d of the server's %u pages\n", v->path, mapped, n);
    return mapped < 0 ? mapped : -EIO;
}

int vchan_client_open(domid_t server, const char *path, struct vchan **out)
{
    uint64_t ring_ref, remote_port;
    int rc;

    if (strlen(path) + sizeof("/event-channel") > sizeof(((struct vchan *)0)->path)) {
        printk("vchan: path '%s' is too long\n", path);
        return -EINVAL;
    }
    /* 1. Where the server put things. */
    if ((rc = read_node(path, "ring-ref", &ring_ref)) ||
        (rc = read_node(path, "event-channel", &remote_port)))
        return rc;
    struct vchan *v = vchan_alloc(false, server, path);
    if (!v)
        return -ENOMEM;
    v->maps = calloc(1 + 2 * RING_PAGES_MAX, sizeof(*v->maps));
    if (!v->maps) {
        free(v);
        return -ENOMEM;
    }
    /* 2. The channel, then the shared page (libxenvchan's order). */
    rc = evtchn_bind_interdomain(server, remote_port, vchan_event, v, &v->port);
    if (rc)
        goto fail;
    evtchn_unmask(v->port);
    v->maps[0] = (struct gntmap_page){ .domid = server, .ref = ring_ref };
    if ((rc = map_pages(v, 0, 1)))
        goto fail;
    v->shared = v->maps[0].addr;
    /* 3. The rings: left is ours to write, right ours to read (read-only). */
    unsigned int left = v->shared->left_order, right = v->shared->right_order;
    if ((rc = check_orders(v, left, right)))
        goto fail;
    unsigned int nl = ring_pages(left), nr = ring_pages(right);
    for (unsigned int i = 0; i < nl + nr; i++)
        v->maps[1 + i] = (struct gntmap_page){ .domid = server, .ref = v->shared->grants[i],
                                               .readonly = i >= nl };
    if (nl + nr && (rc = map_pages(v, 1, nl + nr)))
        goto fail;
    client_ring(v, &v->wr, left, &v->shared->left, 1);
    client_ring(v, &v->rd, right, &v->shared->right, 1 + nl);
    /* 4. Say we are here, ask to hear of the server's writes, wake it. */
    v->shared->cli_live = 1;
    v->shared->srv_notify = VCHAN_NOTIFY_WRITE;
    smp_mb();
    evtchn_notify(v->port);
    v->peer_seen = true;
    add_open(v);
    *out = v;
    return 0;
fail:
    vchan_close(v);
    return rc;
}

/* ------------------------------------------------------------ close */

/* Take a grant back, waiting for the peer to unmap; false if it never does. */
static bool ungrant(struct vchan *v, grant_ref_t ref)
{
    for (unsigned int ms = 0; ms < UNGRANT_WAIT_MS; ms += 10) {
        int rc = gnttab_end_access(ref);
        if (rc == 0)
            return true;
        if (rc != -EBUSY) {
            printk("vchan: %s: gnttab_end_access(%u) failed: rc=%d\n", v->path, ref, rc);
            return false;
        }
        msleep(10);
    }
    printk("vchan: %s: dom %u still maps grant %u after %u ms: its page stays allocated\n",
           v->path, v->peer, ref, UNGRANT_WAIT_MS);
    return false;
}

/* Drop a page: back to the allocator once no grant of it remains. */
static int release_page(struct vchan *v, xen_pfn_t pfn, grant_ref_t ref)
{
    if (ref != NO_REF && !ungrant(v, ref)) {
        leaked_pages++;
        return -EBUSY;
    }
    frame_free(pfn);
    return 0;
}

int vchan_close(struct vchan *v)
{
    int rc = 0;

    if (!v)
        return 0;
    remove_open(v);
    if (v->server) {                            /* first: no new client finds us */
        int xrc = xs_rm(XS_NO_TX, v->path);
        if (xrc && xrc != -ENOENT)
            printk("vchan: cannot remove %s: rc=%d\n", v->path, xrc);
    }
    if (v->shared) {
        *my_live(v) = 0;
        smp_wmb();
    }
    if (v->port != ~0u) {
        evtchn_notify(v->port);                 /* the peer re-reads our live byte */
        evtchn_close(v->port);
    }
    if (!v->server && v->nr_maps) {
        int left = gntmap_unmap(v->maps, v->nr_maps);
        if (left) {
            printk("vchan: %s: %d of the server's pages stay mapped\n", v->path, left);
            rc = -EBUSY;
        }
    }
    free(v->maps);
    if (v->server) {
        for (unsigned int i = 0; i < v->nr_pages; i++)
            if (release_page(v, v->page_pfn[i], v->page_ref[i]))
                rc = -EBUSY;
        if (v->shared && release_page(v, v->shared_pfn, v->shared_ref))
            rc = -EBUSY;
    }
    free(v);
    return rc;
}

unsigned int vchan_open_count(void)
{
    return nr_open;
}

unsigned int vchan_leaked_pages(void)
{
    return leaked_pages;
}
