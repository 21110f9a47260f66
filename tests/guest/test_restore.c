/*
 * What must hold across xl save / xl restore, for the services every
 * driver uses (review findings 2, 4, 5, 20).  Each test prints
 *
 *   RESTORE NOW [xl-setting ...]
 *
 * and waits: tests/toolstack/checks/restore_services.sh then saves the
 * domain and restores it (with those settings in its config, if any).
 * On one host the tests cannot show a clock that jumps between hosts;
 * what they can show is that minnow's clock stops while the domain is
 * saved, which only the offset of kernel/time.c makes it do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include <minnow/console.h>
#include <minnow/events.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/p2m.h>
#include <minnow/sched.h>
#include <minnow/suspend.h>
#include <minnow/time.h>
#include <minnow/xenstore.h>
#include <arch/hypercall.h>
#include <arch/layout.h>

/* A VA in the same 2 MiB as the grant table, so its level-1 table exists. */
#define MAP_TEST_VA (MAP_AREA_BASE + 257 * PAGE_SIZE)

static void ask_for_restore(const char *settings)
{
    printk("RESTORE NOW %s\n", settings);
}

/* True once the domain was restored (suspend_count() moved on from before). */
static bool restored_since(unsigned long before)
{
    stime_t deadline = monotonic_ns() + 120 * NSEC_PER_SEC;

    while (suspend_count() == before && monotonic_ns() < deadline)
        msleep(20);
    return suspend_count() != before;
}

/* Ask the toolstack for a save and a restore; true once restored. */
static bool restore_now(const char *settings)
{
    unsigned long before = suspend_count();

    ask_for_restore(settings);
    return restored_since(before);
}

static int own_domid(domid_t *id)
{
    uint64_t v;
    int rc = xs_read_u64(XS_NO_TX, "domid", &v);

    *id = v;
    return rc;
}

/* Map ref (granted by this domain to itself) and unmap it: the grant is live. */
static bool grant_maps(domid_t self, grant_ref_t ref)
{
    struct gnttab_map_grant_ref map = {
        .host_addr = MAP_TEST_VA, .flags = GNTMAP_host_map | GNTMAP_readonly,
        .ref = ref, .dom = self,
    };
    long rc = hypercall_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);

    if (rc || map.status != GNTST_okay)
        return false;
    struct gnttab_unmap_grant_ref unmap = { .host_addr = MAP_TEST_VA, .handle = map.handle };
    hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
    return true;
}

static volatile unsigned events_on[16];

static void count_event(evtchn_port_t port, void *data)
{
    events_on[(uintptr_t)data]++;
}

/*
 * Owner A holds a grant and a channel across the restore and gives them
 * back late; owner B grants and binds after the restore, and Xen gives
 * B's channel A's old port number.  A's late end and close must leave
 * B's grant and channel alone.
 */
GUEST_TEST(restore_keeps_grants_and_ports_apart, TEST_NEEDS("xl-restore"))
{
    domid_t self;
    xen_pfn_t pfn;
    grant_ref_t a_ref, b_ref;
    evtchn_port_t a_port, ends[16];
    unsigned n = 0, hit = 0;

    TEST_SKIP_IF(!gnttab_ready() || !xenstore_available(), "no grant table or xenstore");
    TEST_ASSERT(own_domid(&self) == 0, "own domid unknown");
    TEST_ASSERT(frame_alloc(&pfn) == 0, "no frame");
    TEST_ASSERT(gnttab_grant_access(self, pfn, true, &a_ref) == 0, "A's grant");
    TEST_ASSERT(evtchn_alloc_unbound(DOMID_SELF, NULL, NULL, &a_port) == 0, "A's channel");
    struct evtchn_handle a_chan = evtchn_handle(a_port);
    uint32_t free_before = gnttab_free_refs();

    TEST_ASSERT(restore_now(""), "no save/restore within 120 s");

    /* The restored domain has a new id (and a new, empty home in xenstore). */
    TEST_ASSERT(own_domid(&self) == 0, "own domid unknown after the restore");
    TEST_ASSERT(gnttab_grant_access(self, pfn, true, &b_ref) == 0, "B's grant");
    /* Loopback pairs until one end has A's old number (Xen hands out the lowest free). */
    while (n + 1 < 16 && hit == 0) {
        TEST_ASSERT(evtchn_alloc_unbound(DOMID_SELF, count_event, (void *)(uintptr_t)n,
                                         &ends[n]) == 0, "alloc_unbound");
        struct evtchn_bind_interdomain bind = { .remote_dom = DOMID_SELF,
                                                .remote_port = ends[n] };
        TEST_ASSERT(hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &bind) == 0,
                    "bind_interdomain");
        ends[n + 1] = bind.local_port;
        TEST_ASSERT(evtchn_bind(ends[n + 1], count_event, (void *)(uintptr_t)(n + 1)) == 0,
                    "bind");
        evtchn_unmask(ends[n]);
        evtchn_unmask(ends[n + 1]);
        hit = ends[n] == a_port ? n + 1 : ends[n + 1] == a_port ? n + 2 : 0;
        n += 2;
    }
    TEST_ASSERT(hit, "none of %u new ports is %u, A's old one", n, a_port);
    unsigned b_end = hit - 1, peer = b_end ^ 1;

    /* A, late: */
    int end_rc = gnttab_end_access(a_ref);
    int close_rc = evtchn_close_handle(a_chan);

    bool b_grant_live = grant_maps(self, b_ref);
    struct evtchn_status status = { .dom = DOMID_SELF, .port = a_port };
    long status_rc = hypercall_event_channel_op(EVTCHNOP_status, &status);
    unsigned before = events_on[b_end];
    evtchn_notify(ends[peer]);
    stime_t deadline = monotonic_ns() + 100 * NSEC_PER_MSEC;
    while (events_on[b_end] == before && monotonic_ns() < deadline)
        msleep(1);
    bool b_chan_live = events_on[b_end] != before;

    int b_end_rc = gnttab_end_access(b_ref);
    for (unsigned i = 0; i < n; i++)
        evtchn_close(ends[i]);
    frame_free(pfn);
    TEST_ASSERT(end_rc == 0, "A ending its grant from before the restore: rc=%d", end_rc);
    TEST_ASSERT(close_rc == 0, "A closing its channel from before the restore: rc=%d", close_rc);
    TEST_ASSERT(b_grant_live, "B's grant (ref %u; A's was %u) no longer maps", b_ref, a_ref);
    TEST_ASSERT(status_rc == 0 && status.status != EVTCHNSTAT_closed,
                "B's channel on port %u was closed by A (status rc=%ld, %u)", a_port,
                status_rc, status.status);
    TEST_ASSERT(b_chan_live, "no event on B's port %u any more", a_port);
    TEST_ASSERT(b_end_rc == 0, "B ending its grant: rc=%d", b_end_rc);
    TEST_ASSERT(gnttab_free_refs() == free_before + 1 && gnttab_stale_refs() == 0,
                "refs: %u free (%u before the restore, A's back now), %u stale",
                gnttab_free_refs(), free_before, gnttab_stale_refs());
    test_detail("A's ref %u and port %u; B's ref %u and port %u", a_ref, a_port, b_ref,
                ends[b_end]);
    return TEST_PASS;
}

/* ---- transactions ------------------------------------------------------- */

static volatile bool suspend_started;

/* Sees domain_suspend()'s first line: the suspend hooks are about to run. */
static void spot_suspend(const char *buf, size_t len)
{
    static const char line[] = "suspend: suspending";

    for (size_t i = 0; i + sizeof(line) - 1 <= len; i++)
        if (memcmp(buf + i, line, sizeof(line) - 1) == 0)
            suspend_started = true;
}

struct late_start {
    volatile bool done;
    int rc;
    unsigned long suspends_when_started;
};

static void start_late(void *arg)
{
    struct late_start *l = arg;
    xs_tx_t tx;

    l->rc = xs_transaction_start(&tx);
    l->suspends_when_started = suspend_count();
    if (l->rc == 0)
        l->rc = xs_transaction_end(tx, true);
    l->done = true;
}

/*
 * A transaction open when the toolstack asks for the suspend: the suspend
 * waits until it has ended, and a transaction started meanwhile starts
 * after the restore, on the new connection.
 */
GUEST_TEST(restore_waits_for_open_transactions, TEST_NEEDS("xl-restore"))
{
    static struct console_backend spotter = { .name = "suspend-spotter",
                                              .write = spot_suspend };
    static struct late_start late;
    unsigned long suspends = suspend_count();
    xs_tx_t tx;

    TEST_SKIP_IF(!xenstore_available(), "no xenstore");
    xs_rm(XS_NO_TX, "data/minnow-tx");
    TEST_ASSERT(xs_transaction_start(&tx) == 0, "start");
    TEST_ASSERT(xs_write(tx, "data/minnow-tx", "committed") == 0, "write in the transaction");
    suspend_started = false;
    late = (struct late_start){ 0 };
    console_register(&spotter);
    ask_for_restore("");
    stime_t deadline = monotonic_ns() + 60 * NSEC_PER_SEC;
    while (!suspend_started && monotonic_ns() < deadline)
        msleep(10);
    console_unregister(&spotter);
    TEST_ASSERT(suspend_started, "no suspend within 60 s");

    /* The suspend is under way: give it time to get past xenstore, if it would. */
    TEST_ASSERT(thread_create("xs-late-start", start_late, &late), "no thread");
    msleep(500);
    int commit_rc = xs_transaction_end(tx, false);
    bool before_suspend = suspend_count() == suspends;
    restored_since(suspends);
    deadline = monotonic_ns() + 10 * NSEC_PER_SEC;
    while (!late.done && monotonic_ns() < deadline)
        msleep(10);
    TEST_ASSERT(commit_rc == 0, "committing the open transaction: rc=%d", commit_rc);
    TEST_ASSERT(before_suspend, "the domain was saved while the transaction was open");
    TEST_ASSERT(suspend_count() > suspends, "no save/restore within 120 s");
    TEST_ASSERT(late.done && late.rc == 0, "the late transaction: rc=%d", late.rc);
    TEST_ASSERT(late.suspends_when_started > suspends,
                "a transaction started while the suspend waited");
    return TEST_PASS;
}

/* ---- time --------------------------------------------------------------- */

struct sleeper {
    stime_t asked, slept;
    volatile bool done;
};

static void sleep_across(void *arg)
{
    struct sleeper *s = arg;
    stime_t start = monotonic_ns();

    sleep_ns(s->asked);
    s->slept = monotonic_ns() - start;
    s->done = true;
}

static uint64_t wall_ns(void)
{
    uint64_t sec;
    uint32_t nsec;

    wall_clock(&sec, &nsec);
    return sec * NSEC_PER_SEC + nsec;
}

GUEST_TEST(restore_keeps_time_continuous, TEST_NEEDS("xl-restore"))
{
    static struct sleeper s = { .asked = 3 * NSEC_PER_SEC };

    TEST_ASSERT(thread_create("sleep-across", sleep_across, &s), "no thread");
    stime_t mono0 = monotonic_ns();
    uint64_t wall0 = wall_ns();
    TEST_ASSERT(restore_now(""), "no save/restore within 120 s");
    stime_t mono1 = monotonic_ns();
    uint64_t wall1 = wall_ns();
    stime_t deadline = mono1 + 10 * NSEC_PER_SEC;
    while (!s.done && monotonic_ns() < deadline)
        msleep(10);

    TEST_ASSERT(mono1 >= mono0, "monotonic time went back across the restore: %lu -> %lu",
                (unsigned long)mono0, (unsigned long)mono1);
    /* The save and the restore take seconds: the wall clock saw them, minnow's clock not. */
    TEST_ASSERT(wall1 - wall0 > mono1 - mono0 + 500 * NSEC_PER_MSEC,
                "monotonic time ran on while the domain was saved: %lu ms, wall %lu ms",
                (unsigned long)((mono1 - mono0) / NSEC_PER_MSEC),
                (unsigned long)((wall1 - wall0) / NSEC_PER_MSEC));
    TEST_ASSERT(s.done, "a 3 s sleep begun before the save had not ended 10 s after it");
    TEST_ASSERT(s.slept >= s.asked, "the sleep ended early: %lu ms",
                (unsigned long)(s.slept / NSEC_PER_MSEC));
    test_detail("%lu ms of monotonic time, %lu ms of wall clock across the save/restore",
                (unsigned long)((mono1 - mono0) / NSEC_PER_MSEC),
                (unsigned long)((wall1 - wall0) / NSEC_PER_MSEC));
    return TEST_PASS;
}

/* ---- a host that allows fewer grant frames ------------------------------ */

GUEST_TEST(restore_with_fewer_grant_frames, TEST_NEEDS("xl-restore"))
{
    domid_t self;
    xen_pfn_t pfn;
    grant_ref_t ref, other;

    TEST_SKIP_IF(!gnttab_ready() || !xenstore_available(), "no grant table or xenstore");
    TEST_ASSERT(gnttab_nr_refs() > 2 * PAGE_SIZE / sizeof(grant_entry_v1_t),
                "the table has only %u refs: 2 frames would hold them", gnttab_nr_refs());
    TEST_ASSERT(own_domid(&self) == 0, "own domid unknown");
    TEST_ASSERT(frame_alloc(&pfn) == 0, "no frame");
    TEST_ASSERT(gnttab_grant_access(self, pfn, true, &ref) == 0, "grant");
    uint32_t free_before = gnttab_free_refs();

    TEST_ASSERT(restore_now("max_grant_frames=2"), "no save/restore within 120 s");
    bool ready = gnttab_ready();
    uint32_t free_after = gnttab_free_refs(), stale = gnttab_stale_refs();
    int end_rc = gnttab_end_access(ref);
    int grant_rc = gnttab_grant_access(self, pfn, true, &other);
    frame_free(pfn);
    TEST_ASSERT(!ready, "a table of %u refs set up where 2 frames are allowed",
                gnttab_nr_refs());
    TEST_ASSERT(free_after == free_before && stale == 1,
                "refs under their owners changed: %u free (%u before), %u stale",
                free_after, free_before, stale);
    TEST_ASSERT(end_rc == 0, "giving back the ref from before the restore: rc=%d", end_rc);
    TEST_ASSERT(grant_rc == -ENODEV, "granting without a table: rc=%d", grant_rc);
    return TEST_PASS;
}
