/*
 * vchan-echo: an example stub domain.  It serves dom0 over a vchan, one
 * connection at a time, for as long as the domain runs; `xl shutdown` ends
 * it cleanly (the connected peer is told first, by drivers/vchan's
 * shutdown hook).  Its command line picks the vchan role:
 *
 *   vchan=server          (the default) vchan server at data/vchan-echo, in
 *                         its own xenstore home; dom0 connects as the client
 *   vchan=client:<path>   vchan client of a dom0 server at <path> (absolute,
 *                         or under its own home): minnow maps dom0's pages.
 *                         It connects whenever the server publishes
 *                         <path>/ring-ref, and after a connection waits for
 *                         the server to publish anew
 *
 * Either way dom0 asks and minnow answers: one request per line, one line
 * back for each.
 *
 *   ping            pong
 *   stats           refs-free <n> ports-bound <n> frames-free <n> mapped <n>
 *                   pool-in-use <n> pool-free <n> pages-kept <n>
 *   p2m             the p2m on the console (P2M lines, mm/p2m_check.c), then
 *                   the stats line: mapped pages show as foreign
 *   sum <bytes>     (then the bytes)   <crc32> <bytes>     crc32 in hex, as busybox prints it
 *   echo            ok, then every byte that follows comes back, until the
 *                   client closes
 *   quit            bye, and the server closes
 *   anything else   error <what>
 *
 * From dom0, with Xen's own tool:
 *   vchan-socket-proxy -m client <domid> /local/domain/<domid>/data/vchan-echo -
 * or, with vchan=client:/local/domain/0/data/vchan-echo on minnow's line:
 *   vchan-socket-proxy -m server <domid> /local/domain/0/data/vchan-echo -
 *
 * The console says what happened to each connection, with the counts a
 * leak check compares (every grant, port and frame of a connection must
 * come back when it closes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/app.h>
#include <minnow/console.h>
#include <minnow/events.h>
#include <minnow/exit.h>
#include <minnow/frame.h>
#include <minnow/gntmap.h>
#include <minnow/gnttab.h>
#include <minnow/cmdline.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/parse.h>
#include <minnow/sched.h>
#include <minnow/vchan.h>
#include <minnow/xenstore.h>
#include "crc32.h"

#define SERVICE_PATH  "data/vchan-echo"
#define RING_BYTES    (64 * 1024)       /* each way: 16 granted pages per ring */
#define LINE_MAX      128

/* A connection: the vchan, and bytes read ahead of the current request. */
struct conn {
    struct vchan *v;
    char buf[LINE_MAX];
    size_t len, pos;
};

static uint8_t data[16 * 1024];

/* Read from what was read ahead first, then from the vchan. */
static int conn_read(struct conn *c, void *out, size_t max)
{
    if (c->pos < c->len) {
        size_t n = c->len - c->pos;
        if (n > max)
            n = max;
        memcpy(out, c->buf + c->pos, n);
        c->pos += n;
        return n;
    }
    return vchan_read(c->v, out, max);
}

/* One request line, without its '\n': its length, 0 at end of stream, or -errno. */
static int read_line(struct conn *c, char *line)
{
    size_t n = 0;

    for (;;) {
        if (c->pos == c->len) {
            int got = vchan_read(c->v, c->buf, sizeof(c->buf));
            if (got <= 0)
                return got;
            c->len = got;
            c->pos = 0;
        }
        char ch = c->buf[c->pos++];
        if (ch == '\n') {
            line[n] = '\0';
            return n ? (int)n : 1;      /* an empty line is a (bad) request too */
        }
        if (n == LINE_MAX - 1)
            return -E2BIG;
        line[n++] = ch;
    }
}

static int reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reply(struct conn *c, const char *fmt, ...)
{
    char text[LINE_MAX + 64];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    int rc = vchan_write(c->v, text, n);
    return rc < 0 ? rc : 0;
}

/* What a leak check compares; mapped and the pool matter to a client. */
static void counts(char *out, size_t size)
{
    struct gntmap_stats g;

    gntmap_get_stats(&g);
    snprintf(out, size, "refs-free %u ports-bound %u frames-free %lu "
             "mapped %lu pool-in-use %lu pool-free %lu pages-kept %u",
             gnttab_free_refs(), evtchn_bound_count(), (unsigned long)frame_free_count(),
             (unsigned long)g.mapped, (unsigned long)g.pool_in_use,
             (unsigned long)g.pool_free, vchan_leaked_pages());
}

/* Everything that follows comes back; both directions are checksummed. */
static int echo(struct conn *c)
{
    struct crc32 in, out;
    int n, rc = 0;

    crc32_init(&in);
    crc32_init(&out);
    while ((n = conn_read(c, data, sizeof(data))) > 0) {
        crc32_update(&in, data, n);
        rc = vchan_write(c->v, data, n);
        if (rc < 0)
            break;
        crc32_update(&out, data, n);
    }
    printk("vchan-echo: echo in %08x %lu out %08x %lu%s\n", crc32_value(&in),
           (unsigned long)in.len, crc32_value(&out), (unsigned long)out.len,
           n < 0 || rc < 0 ? " (cut short)" : "");
    return n < 0 ? n : rc;
}

static int sum(struct conn *c, uint64_t bytes)
{
    struct crc32 ck;

    crc32_init(&ck);
    while (ck.len < bytes) {
        size_t want = bytes - ck.len < sizeof(data) ? bytes - ck.len : sizeof(data);
        int n = conn_read(c, data, want);
        if (n <= 0)
            return n < 0 ? n : -EPIPE;
        crc32_update(&ck, data, n);
    }
    return reply(c, "%08x %lu\n", crc32_value(&ck), (unsigned long)ck.len);
}

/* Requests until the client closes or quits: why it ended. */
static const char *serve(struct conn *c)
{
    char line[LINE_MAX], text[160];
    uint64_t bytes;

    for (;;) {
        int n = read_line(c, line);
        if (n == 0)
            return "closed by the client";
        if (n < 0)
            return n == -E2BIG ? "request line too long" : "read failed";

        int rc;
        if (strcmp(line, "ping") == 0) {
            rc = reply(c, "pong\n");
        } else if (strcmp(line, "stats") == 0 || strcmp(line, "p2m") == 0) {
            if (line[0] == 'p')
                p2m_dump();
            counts(text, sizeof(text));
            rc = reply(c, "%s\n", text);
        } else if (strncmp(line, "sum ", 4) == 0) {
            if (parse_u64(line + 4, &bytes))
                rc = reply(c, "error not a byte count: %s\n", line + 4);
            else
                rc = sum(c, bytes);
        } else if (strcmp(line, "echo") == 0) {
            rc = reply(c, "ok\n");
            if (rc == 0)
                return echo(c) ? "echo cut short" : "echo done, closed by the client";
        } else if (strcmp(line, "quit") == 0) {
            reply(c, "bye\n");
            return "quit";
        } else {
            rc = reply(c, "error unknown request: %s\n", line);
        }
        if (rc)
            return "write failed (the client has gone)";
    }
}

/* The server role: a vchan at SERVICE_PATH, one client after another. */
static int serve_as_server(void)
{
    char text[160];

    printk("vchan-echo: serving dom0 at %s (rings %u bytes each way)\n", SERVICE_PATH,
           RING_BYTES);
    for (unsigned long nr = 1;; nr++) {
        struct conn c = { 0 };
        int rc = vchan_server_open(0, SERVICE_PATH, RING_BYTES, RING_BYTES, &c.v);

        if (rc) {
            printk("vchan-echo: cannot serve: rc=%d\n", rc);
            return EXIT_FAILURE_STATUS;
        }
        counts(text, sizeof(text));
        printk("vchan-echo: connection %lu: waiting (%s)\n", nr, text);
        rc = vchan_wait_connected(c.v, 0);
        const char *why = rc ? "the client went before connecting" : serve(&c);
        rc = vchan_close(c.v);
        counts(text, sizeof(text));
        printk("vchan-echo: connection %lu: %s; closed%s (%s)\n", nr, why,
               rc ? " with pages kept" : "", text);
    }
}

/*
 * What the server has published at path: "<ring-ref> <event-channel>", or
 * "" while it has published nothing (libxenvchan writes both in one
 * transaction and removes path when it closes).
 */
static void published(const char *path, char *out, size_t size)
{
    char node[160];
    uint64_t ref, port;

    snprintf(node, sizeof(node), "%s/ring-ref", path);
    if (xs_read_u64(XS_NO_TX, node, &ref)) {
        out[0] = '\0';
        return;
    }
    snprintf(node, sizeof(node), "%s/event-channel", path);
    if (xs_read_u64(XS_NO_TX, node, &port)) {
        out[0] = '\0';
        return;
    }
    snprintf(out, size, "%lu %lu", (unsigned long)ref, (unsigned long)port);
}

#define POLL_MS 100

/*
 * The client role: connect whenever dom0's server has published, serve,
 * and then wait until what is published changes (a server that closed
 * removes its nodes; one that died leaves them, and they lead nowhere).
 * Polling, not a watch: it needs nothing re-armed after a restore.
 */
static __attribute__((noreturn)) void serve_as_client(const char *path)
{
    char text[160], seen[48] = "", now[48];

    printk("vchan-echo: client of dom0's vchan at %s\n", path);
    for (unsigned long nr = 1;; nr++) {
        counts(text, sizeof(text));
        printk("vchan-echo: connection %lu: waiting for the server (%s)\n", nr, text);
        for (;;) {
            published(path, now, sizeof(now));
            if (!now[0])
                seen[0] = '\0';            /* gone: the same refs may come back */
            else if (strcmp(now, seen) != 0)
                break;
            msleep(POLL_MS);
        }
        snprintf(seen, sizeof(seen), "%s", now);

        struct conn c = { 0 };
        int rc = vchan_client_open(0, path, &c.v);
        if (rc) {
            printk("vchan-echo: connection %lu: cannot connect to %s (ring-ref, port %s): "
                   "rc=%d\n", nr, path, seen, rc);
            continue;
        }
        counts(text, sizeof(text));
        printk("vchan-echo: connection %lu: connected (%s)\n", nr, text);
        const char *why = serve(&c);
        rc = vchan_close(c.v);
        counts(text, sizeof(text));
        printk("vchan-echo: connection %lu: %s; closed%s (%s)\n", nr, why,
               rc ? " with pages kept" : "", text);
    }
}

int app_main(void)
{
    printk("vchan-echo: memory in use at ready: %lu KiB of %lu KiB\n",
           (unsigned long)(boot_start_info.nr_pages - frame_free_count()) * 4,
           (unsigned long)boot_start_info.nr_pages * 4);
    if (is_initial_domain()) {
        printk("vchan-echo: running as dom0: no xenstore, no one to serve\n");
        return EXIT_SUCCESS_STATUS;
    }

    const char *role = cmdline_get("vchan");
    if (!role || strcmp(role, "server") == 0)
        return serve_as_server();
    if (strncmp(role, "client:", 7) == 0 && role[7])
        serve_as_client(role + 7);
    printk("vchan-echo: vchan=%s: expected vchan=server or vchan=client:<path>\n", role);
    return EXIT_FAILURE_STATUS;
}
