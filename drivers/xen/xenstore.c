/*
 * xenstore client (see include/minnow/xenstore.h).
 *
 *   caller thread                reader thread              watch thread
 *   xs_talk(): wait !busy,       wait for bytes; frame      wait for queued
 *   write header+payload,  --->  header+body; a reply  ---> events; run the
 *   kick evtchn, wait reply      wakes the caller; a        callback (may call
 *                                WATCH_EVENT is queued      xs_* itself)
 *
 * The event handler only wakes threads: it runs with events masked and
 * may have interrupted malloc, so it must not allocate or copy messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/byte_ring.h>
#include <minnow/console.h>
#include <minnow/events.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/parse.h>
#include <minnow/sched.h>
#include <minnow/suspend.h>
#include <minnow/xenstore.h>
#include <arch/layout.h>
#include "xenstore_wire.h"

struct xs_watch {
    char *path;
    char token[24];
    xs_watch_fn fn;
    void *data;
    struct xs_watch *next;
};

struct xs_event {
    char *path;
    char token[24];
    struct xs_event *next;
};

static struct xenstore_domain_interface *intf;
static struct byte_ring req_ring, rsp_ring;
static evtchn_port_t xs_port;
static bool available, broken;
static struct waitq xs_waitq = WAITQ_INIT;

/*
 * Open transactions, counted so that a suspend can wait for them: their
 * ids mean nothing to the xenstored of a restored domain.  While a
 * suspend waits (quiescing), no new transaction starts.
 */
#define XS_SUSPEND_WAIT_NS (10 * NSEC_PER_SEC)
static unsigned int open_transactions;
static bool quiescing;

/* The one request in flight. */
static bool busy;
static uint32_t next_req_id = 1;
static uint32_t want_req_id;
static bool reply_ready;
static struct xsd_sockmsg reply_hdr;
static char *reply_body;

/* The message being read off the ring. */
static struct xs_in in;

static struct xs_watch *watches;
static struct xs_event *events_head, **events_tail = &events_head;
static unsigned long watches_made;          /* tokens are "w<n>": never reused */
static struct thread *watcher;              /* the watch thread */
static struct xs_watch *running_watch;      /* whose callback it is in, or NULL */

int xs_error_to_errno(const char *text)
{
    for (unsigned i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
        if (strcmp(text, xsd_errors[i].errstring) == 0)
            return -xsd_errors[i].errnum;
    return -EIO;
}

bool xenstore_available(void)
{
    return available && !broken;
}

static void xs_event_handler(evtchn_port_t port, void *data)
{
    waitq_wake_all(&xs_waitq);
}

static void mark_broken(const char *why)
{
    if (!broken)
        printk("xenstore: connection unusable: %s\n", why);
    broken = true;
    waitq_wake_all(&xs_waitq);
}

/* ---- reader thread ------------------------------------------------------- */

static void queue_watch_event(void)
{
    const char *path, *token;

    if (xs_in_watch_event(&in, &path, &token)) {
        printk("xenstore: malformed watch event ignored\n");
        return;
    }
    if (strlen(token) >= sizeof(((struct xs_event *)0)->token))
        return;                     /* longer than any token of ours */
    struct xs_event *ev = calloc(1, sizeof(*ev));
    if (!ev || !(ev->path = strdup(path))) {
        printk("xenstore: no memory for a watch event on %s (dropped)\n", path);
        free(ev);
        return;
    }
    strcpy(ev->token, token);
    *events_tail = ev;
    events_tail = &ev->next;
    waitq_wake_all(&xs_waitq);
}

static void dispatch_message(void)
{
    switch (xs_in_classify(&in, busy && !reply_ready, want_req_id)) {
    case XS_IN_WATCH_EVENT:
        queue_watch_event();
        return;
    case XS_IN_UNEXPECTED:
        printk("xenstore: unexpected reply (type %u req_id %u) ignored\n",
               in.hdr.type, in.hdr.req_id);
        return;
    case XS_IN_REPLY:
        break;
    }
    char *body = malloc(in.hdr.len + 1);
    if (body)
        memcpy(body, in.body, in.hdr.len + 1);
    reply_hdr = in.hdr;
    reply_body = body;              /* NULL: the caller reports -ENOMEM */
    reply_ready = true;
    waitq_wake_all(&xs_waitq);
}

static void reader_thread(void *unused)
{
    for (;;) {
        wait_event(&xs_waitq, broken || byte_ring_used(&rsp_ring) != 0);
        if (broken)
            return;
        size_t taken;
        enum xs_in_status status = xs_in_take(&in, &rsp_ring, &taken);
        if (taken)
            evtchn_notify(xs_port); /* we freed ring space */
        switch (status) {
        case XS_IN_PARTIAL:
            break;
        case XS_IN_MESSAGE:
            dispatch_message();
            xs_in_reset(&in);
            break;
        case XS_IN_BAD_RING:
            mark_broken("response ring indexes are corrupt");
            return;
        case XS_IN_TOO_LONG:
            mark_broken("reply longer than XENSTORE_PAYLOAD_MAX");
            return;
        }
    }
}

/* ---- watch thread -------------------------------------------------------- */

static void watch_thread(void *unused)
{
    for (;;) {
        wait_event(&xs_waitq, events_head != NULL);
        struct xs_event *ev = events_head;
        events_head = ev->next;
        if (!events_head)
            events_tail = &events_head;
        for (struct xs_watch *w = watches; w; w = w->next) {
            if (strcmp(w->token, ev->token) == 0) {
                running_watch = w;
                w->fn(ev->path, w->data);
                break;              /* w may be gone now: do not touch it again */
            }
        }
        running_watch = NULL;
        waitq_wake_all(&xs_waitq);  /* for an xs_unwatch() waiting on the callback */
        free(ev->path);
        free(ev);
    }
}

/* ---- requests ------------------------------------------------------------ */

struct xs_iov {
    const void *base;
    size_t len;
};

static int ring_write_all(const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        int n = 0;
        /* The condition writes what fits: it is re-tried when space frees up. */
        wait_event(&xs_waitq, broken || (n = byte_ring_write(&req_ring, p, len)) != 0);
        if (broken)
            return -EIO;
        if (n < 0) {
            mark_broken("request ring indexes are corrupt");
            return -EIO;
        }
        evtchn_notify(xs_port);
        p += n;
        len -= n;
    }
    return 0;
}

/*
 * One request/reply exchange.  On success *reply (if not NULL) is a
 * malloc'd NUL-terminated body and *reply_len its length.
 */
static int xs_talk(enum xsd_sockmsg_type type, xs_tx_t tx, const struct xs_iov *iov,
                   unsigned int niov, char **reply, unsigned int *reply_len)
{
    size_t total = 0;
    int rc;

    if (!available)
        return -ENODEV;
    for (unsigned i = 0; i < niov; i++)
        total += iov[i].len;
    if (total > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;

    wait_event(&xs_waitq, broken || !busy);
    if (broken)
        return -EIO;
    busy = true;
    reply_ready = false;
    want_req_id = next_req_id++;

    struct xsd_sockmsg hdr = { .type = type, .req_id = want_req_id, .tx_id = tx, .len = total };
    rc = ring_write_all(&hdr, sizeof(hdr));
    for (unsigned i = 0; rc == 0 && i < niov; i++)
        rc = ring_write_all(iov[i].base, iov[i].len);
    if (rc == 0) {
        wait_event(&xs_waitq, broken || reply_ready);
        if (!reply_ready) {
            rc = -EIO;
        } else if (!reply_body) {
            rc = -ENOMEM;
        } else if (reply_hdr.type == XS_ERROR) {
            rc = xs_error_to_errno(reply_body);
        } else if (reply_hdr.type != type) {
            printk("xenstore: reply type %u to request type %u\n", reply_hdr.type, type);
            rc = -EIO;
        }
        if (rc == 0 && reply) {
            *reply = reply_body;
            if (reply_len)
                *reply_len = reply_hdr.len;
        } else {
            free(reply_body);
        }
        reply_body = NULL;
        reply_ready = false;
    }
    busy = false;
    waitq_wake_all(&xs_waitq);
    return rc;
}

static int xs_talk_path(enum xsd_sockmsg_type type, xs_tx_t tx, const char *path,
                        char **reply, unsigned int *len)
{
    struct xs_iov iov = { path, strlen(path) + 1 };
    return xs_talk(type, tx, &iov, 1, reply, len);
}

int xs_read(xs_tx_t tx, const char *path, char **value)
{
    return xs_talk_path(XS_READ, tx, path, value, NULL);
}

int xs_write(xs_tx_t tx, const char *path, const char *value)
{
    struct xs_iov iov[2] = { { path, strlen(path) + 1 }, { value, strlen(value) } };
    return xs_talk(XS_WRITE, tx, iov, 2, NULL, NULL);
}

int xs_set_perms(xs_tx_t tx, const char *path, const char *const perms[], unsigned int n)
{
    struct xs_iov iov[1 + 8];

    if (n == 0 || n > 8)
        return -EINVAL;
    iov[0] = (struct xs_iov){ path, strlen(path) + 1 };
    for (unsigned int i = 0; i < n; i++)
        iov[1 + i] = (struct xs_iov){ perms[i], strlen(perms[i]) + 1 };
    return xs_talk(XS_SET_PERMS, tx, iov, 1 + n, NULL, NULL);
}

int xs_mkdir(xs_tx_t tx, const char *path)
{
    return xs_talk_path(XS_MKDIR, tx, path, NULL, NULL);
}

int xs_rm(xs_tx_t tx, const char *path)
{
    return xs_talk_path(XS_RM, tx, path, NULL, NULL);
}

int xs_directory(xs_tx_t tx, const char *path, char ***names, unsigned int *n)
{
    char *body;
    unsigned int len, count = 0;
    int rc = xs_talk_path(XS_DIRECTORY, tx, path, &body, &len);

    if (rc)
        return rc;
    for (unsigned i = 0; i < len; i++)
        count += body[i] == '\0';
    /* One block: the pointer array, then a copy of the strings. */
    char **out = malloc(count * sizeof(char *) + len + 1);
    if (!out) {
        free(body);
        return -ENOMEM;
    }
    char *strings = (char *)(out + count);
    memcpy(strings, body, len);
    strings[len] = '\0';
    for (unsigned i = 0, off = 0; i < count; i++) {
        out[i] = strings + off;
        off += strlen(strings + off) + 1;
    }
    free(body);
    *names = out;
    *n = count;
    return 0;
}

int xs_read_u64(xs_tx_t tx, const char *path, uint64_t *value)
{
    char *text;
    int rc = xs_read(tx, path, &text);

    if (rc)
        return rc;
    rc = parse_u64(text, value);
    if (rc)
        printk("xenstore: %s = \"%.40s\" is not a number\n", path, text);
    free(text);
    return rc;
}

int xs_transaction_start(xs_tx_t *tx)
{
    char *id;
    struct xs_iov iov = { "", 1 };
    uint64_t v;

    wait_event(&xs_waitq, broken || !quiescing);
    int rc = xs_talk(XS_TRANSACTION_START, XS_NO_TX, &iov, 1, &id, NULL);
    if (rc)
        return rc;
    /* 0 is XS_NO_TX: xenstored never hands it out. */
    if (parse_u64(id, &v) || v == 0 || v > UINT32_MAX) {
        printk("xenstore: bad transaction id \"%.20s\"\n", id);
        rc = -EIO;
    } else {
        *tx = v;
        open_transactions++;
    }
    free(id);
    return rc;
}

int xs_transaction_end(xs_tx_t tx, bool abort)
{
    struct xs_iov iov = { abort ? "F" : "T", 2 };
    int rc = xs_talk(XS_TRANSACTION_END, tx, &iov, 1, NULL, NULL);

    /* Ended whatever the outcome (EAGAIN too), unless it was never open. */
    if (rc != -ENOENT && open_transactions > 0) {
        open_transactions--;
        waitq_wake_all(&xs_waitq);
    }
    return rc;
}

int xs_transaction_run(int (*fn)(xs_tx_t tx, void *arg), void *arg, unsigned int max_tries)
{
    int rc = -EAGAIN;

    for (unsigned try = 0; rc == -EAGAIN && try < max_tries; try++) {
        xs_tx_t tx;
        rc = xs_transaction_start(&tx);
        if (rc)
            return rc;
        rc = fn(tx, arg);
        if (rc) {
            xs_transaction_end(tx, true);
            continue;               /* -EAGAIN from inside retries too */
        }
        rc = xs_transaction_end(tx, false);
    }
    return rc;
}

/*
 * Take w off the list and drop its queued events, then wait until its
 * callback is not running (unless this is that callback): after this,
 * nothing calls w->fn again.
 */
static void forget_watch(struct xs_watch *w)
{
    for (struct xs_watch **p = &watches; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    events_tail = &events_head;
    for (struct xs_event **p = &events_head; *p;) {
        struct xs_event *ev = *p;
        if (strcmp(ev->token, w->token) == 0) {
            *p = ev->next;
            free(ev->path);
            free(ev);
        } else {
            events_tail = &ev->next;
            p = &ev->next;
        }
    }
    if (current_thread() != watcher)
        wait_event(&xs_waitq, running_watch != w);
}

int xs_watch(const char *path, xs_watch_fn fn, void *data)
{
    struct xs_watch *w = calloc(1, sizeof(*w));
    int rc;

    if (!w || !(w->path = strdup(path))) {
        free(w);
        return -ENOMEM;
    }
    w->fn = fn;
    w->data = data;
    snprintf(w->token, sizeof(w->token), "w%lu", ++watches_made);
    /* Listed first: xenstored fires the new watch at once. */
    w->next = watches;
    watches = w;
    struct xs_iov iov[2] = { { path, strlen(path) + 1 }, { w->token, strlen(w->token) + 1 } };
    rc = xs_talk(XS_WATCH, XS_NO_TX, iov, 2, NULL, NULL);
    if (rc) {
        forget_watch(w);
        free(w->path);
        free(w);
    }
    return rc;
}

int xs_unwatch(const char *path, xs_watch_fn fn, void *data)
{
    for (struct xs_watch *w = watches; w; w = w->next) {
        if (strcmp(w->path, path) || w->fn != fn || w->data != data)
            continue;
        forget_watch(w);
        struct xs_iov iov[2] = { { path, strlen(path) + 1 },
                                 { w->token, strlen(w->token) + 1 } };
        int rc = xs_talk(XS_UNWATCH, XS_NO_TX, iov, 2, NULL, NULL);
        free(w->path);
        free(w);
        return rc;
    }
    return -ENOENT;
}

/* Map the ring named by start_info and bind its channel (boot and resume). */
static int xenstore_attach(void)
{
    xen_pfn_t pfn = mfn_to_local_pfn(start_info->store_mfn);

    if (pfn == INVALID_P2M_ENTRY) {
        printk("xenstore: store mfn %#lx is not one of our frames\n",
               start_info->store_mfn);
        return -EINVAL;
    }
    intf = pfn_to_virt(pfn);
    xs_port = start_info->store_evtchn;
    req_ring = (struct byte_ring){ intf->req, XENSTORE_RING_SIZE, &intf->req_prod,
                                   &intf->req_cons };
    rsp_ring = (struct byte_ring){ intf->rsp, XENSTORE_RING_SIZE, &intf->rsp_prod,
                                   &intf->rsp_cons };
    int rc = evtchn_bind(xs_port, xs_event_handler, NULL);
    if (rc)
        printk("xenstore: cannot bind event channel %u: rc=%d\n", xs_port, rc);
    return rc;
}

/*
 * Hold new transactions, let the open ones end and the request in flight
 * finish, then hold the channel until resume.  A transaction still open
 * after XS_SUSPEND_WAIT_NS refuses the suspend.
 */
static int xenstore_suspend(void)
{
    quiescing = true;
    if (!wait_event_timeout(&xs_waitq, broken || (!busy && open_transactions == 0),
                            XS_SUSPEND_WAIT_NS)) {
        printk("xenstore: %u transactions still open after %llu s: suspend refused\n",
               open_transactions, XS_SUSPEND_WAIT_NS / NSEC_PER_SEC);
        quiescing = false;
        waitq_wake_all(&xs_waitq);
        return -EBUSY;
    }
    busy = true;
    return 0;
}

static void xenstore_resume(bool cancelled)
{
    if (!cancelled) {
        /* A new connection: whatever was half-read belonged to the old one. */
        if (xenstore_attach()) {
            mark_broken("cannot attach after resume");
            return;
        }
        xs_in_reset(&in);
        if (intf->rsp_prod != intf->rsp_cons) {
            printk("xenstore: dropping %u stale response bytes after resume\n",
                   intf->rsp_prod - intf->rsp_cons);
            intf->rsp_cons = intf->rsp_prod;
        }
        evtchn_unmask(xs_port);
    }
    busy = false;
    quiescing = false;
    waitq_wake_all(&xs_waitq);
    if (cancelled)
        return;
    /* xenstored forgot our watches with the old domain: register them again. */
    for (struct xs_watch *w = watches; w; w = w->next) {
        struct xs_iov iov[2] = { { w->path, strlen(w->path) + 1 },
                                 { w->token, strlen(w->token) + 1 } };
        int rc = xs_talk(XS_WATCH, XS_NO_TX, iov, 2, NULL, NULL);
        if (rc)
            printk("xenstore: cannot watch %s again after resume: rc=%d\n", w->path, rc);
    }
}

static struct suspend_hooks xenstore_hooks = {
    .name = "xenstore",
    .suspend = xenstore_suspend,
    .resume = xenstore_resume,
};

int xenstore_init(void)
{
    if (!start_info->store_mfn) {
        printk("xenstore: none (no store page in start_info)\n");
        return -ENODEV;
    }
    int rc = xenstore_attach();
    if (rc)
        return rc;
    if (!thread_create("xenstore-reader", reader_thread, NULL) ||
        !(watcher = thread_create("xenstore-watch", watch_thread, NULL))) {
        evtchn_unbind(xs_port);
        return -ENOMEM;
    }
    available = true;
    suspend_register(&xenstore_hooks);
    evtchn_unmask(xs_port);
    printk("xenstore: ring at pfn %#lx, event channel %u\n",
           (unsigned long)virt_to_pfn(intf), xs_port);
    return 0;
}
