/* xenstore client against the real xenstored (domU only; dom0 has none here). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include <minnow/sched.h>
#include <minnow/xenstore.h>

#define NEED_XENSTORE() TEST_SKIP_IF(!xenstore_available(), "no xenstore (dom0 without a toolstack)")

GUEST_TEST(xs_write_read_rm, 0)
{
    char *v = NULL;
    char **names;
    unsigned n;
    NEED_XENSTORE();

    TEST_ASSERT(xs_write(XS_NO_TX, "data/minnow-test/a", "hello") == 0, "write");
    TEST_ASSERT(xs_write(XS_NO_TX, "data/minnow-test/b", "") == 0, "write empty");
    TEST_ASSERT(xs_read(XS_NO_TX, "data/minnow-test/a", &v) == 0, "read");
    TEST_ASSERT(strcmp(v, "hello") == 0, "read back '%s'", v);
    free(v);
    TEST_ASSERT(xs_directory(XS_NO_TX, "data/minnow-test", &names, &n) == 0, "directory");
    TEST_ASSERT(n == 2, "%u entries", n);
    TEST_ASSERT((!strcmp(names[0], "a") && !strcmp(names[1], "b")) ||
                (!strcmp(names[0], "b") && !strcmp(names[1], "a")), "names %s %s",
                names[0], names[1]);
    free(names);
    TEST_ASSERT(xs_rm(XS_NO_TX, "data/minnow-test") == 0, "rm");
    int rc = xs_read(XS_NO_TX, "data/minnow-test/a", &v);
    TEST_ASSERT(rc == -ENOENT, "read after rm: rc=%d", rc);
    return TEST_PASS;
}

GUEST_TEST(xs_errors_and_bogus_values, 0)
{
    uint64_t u;
    char *v;
    NEED_XENSTORE();

    TEST_ASSERT(xs_read(XS_NO_TX, "data/does/not/exist", &v) == -ENOENT, "missing key");
    /* Another domain's private area is not ours to write. */
    int rc = xs_write(XS_NO_TX, "/local/domain/0/minnow-was-here", "x");
    TEST_ASSERT(rc == -EACCES, "write to dom0's area: rc=%d", rc);
    xs_write(XS_NO_TX, "data/minnow-num", "12x");
    TEST_ASSERT(xs_read_u64(XS_NO_TX, "data/minnow-num", &u) == -EINVAL, "12x parsed");
    xs_write(XS_NO_TX, "data/minnow-num", "99999999999999999999999");
    TEST_ASSERT(xs_read_u64(XS_NO_TX, "data/minnow-num", &u) == -EINVAL, "overflow parsed");
    xs_write(XS_NO_TX, "data/minnow-num", "4096");
    TEST_ASSERT(xs_read_u64(XS_NO_TX, "data/minnow-num", &u) == 0 && u == 4096, "4096: %lu",
                (unsigned long)u);
    xs_rm(XS_NO_TX, "data/minnow-num");
    TEST_ASSERT(xs_read_u64(XS_NO_TX, "memory/target", &u) == 0 && u > 0,
                "memory/target unreadable");
    test_detail("memory/target %lu KiB", (unsigned long)u);
    return TEST_PASS;
}

static int tx_increment(xs_tx_t tx, void *arg)
{
    uint64_t v = 0;
    char buf[24];
    int rc = xs_read_u64(tx, "data/minnow-counter", &v);

    if (rc && rc != -ENOENT)
        return rc;
    snprintf(buf, sizeof(buf), "%lu", (unsigned long)v + 1);
    return xs_write(tx, "data/minnow-counter", buf);
}

GUEST_TEST(xs_transactions, 0)
{
    uint64_t v;
    xs_tx_t tx;
    char *s;
    NEED_XENSTORE();

    xs_rm(XS_NO_TX, "data/minnow-counter");
    for (int i = 0; i < 5; i++)
        TEST_ASSERT(xs_transaction_run(tx_increment, NULL, 10) == 0, "transaction %d", i);
    TEST_ASSERT(xs_read_u64(XS_NO_TX, "data/minnow-counter", &v) == 0 && v == 5,
                "counter %lu", (unsigned long)v);
    /* An aborted transaction changes nothing. */
    TEST_ASSERT(xs_transaction_start(&tx) == 0, "start");
    TEST_ASSERT(xs_write(tx, "data/minnow-counter", "999") == 0, "write in tx");
    TEST_ASSERT(xs_transaction_end(tx, true) == 0, "abort");
    TEST_ASSERT(xs_read(XS_NO_TX, "data/minnow-counter", &s) == 0 && !strcmp(s, "5"),
                "after abort");
    free(s);
    /* A conflicting write outside the transaction makes the commit fail with EAGAIN. */
    TEST_ASSERT(xs_transaction_start(&tx) == 0, "start");
    TEST_ASSERT(xs_read(tx, "data/minnow-counter", &s) == 0, "read in tx");
    free(s);
    TEST_ASSERT(xs_write(XS_NO_TX, "data/minnow-counter", "6") == 0, "outside write");
    TEST_ASSERT(xs_write(tx, "data/minnow-counter", "100") == 0, "write in tx");
    int rc = xs_transaction_end(tx, false);
    TEST_ASSERT(rc == -EAGAIN, "conflicting commit: rc=%d", rc);
    xs_rm(XS_NO_TX, "data/minnow-counter");
    return TEST_PASS;
}

static volatile unsigned watch_hits;
static char watch_last[64];

static void counting_watch(const char *path, void *data)
{
    snprintf(watch_last, sizeof(watch_last), "%s", path);
    watch_hits++;
}

GUEST_TEST(xs_watch_fires, 0)
{
    NEED_XENSTORE();
    xs_rm(XS_NO_TX, "data/minnow-watched");
    watch_hits = 0;
    TEST_ASSERT(xs_watch("data/minnow-watched", counting_watch, NULL) == 0, "watch");
    stime_t deadline = monotonic_ns() + 2 * NSEC_PER_SEC;
    while (watch_hits < 1 && monotonic_ns() < deadline)
        msleep(1);
    TEST_ASSERT(watch_hits >= 1, "no initial watch event");
    unsigned before = watch_hits;
    TEST_ASSERT(xs_write(XS_NO_TX, "data/minnow-watched/x", "1") == 0, "write");
    while (watch_hits == before && monotonic_ns() < deadline)
        msleep(1);
    TEST_ASSERT(watch_hits > before, "no event for a write below the watch");
    TEST_ASSERT(strstr(watch_last, "data/minnow-watched/x"), "event path %s", watch_last);
    TEST_ASSERT(xs_unwatch("data/minnow-watched", counting_watch, NULL) == 0, "unwatch");
    before = watch_hits;
    xs_write(XS_NO_TX, "data/minnow-watched/y", "1");
    msleep(50);
    TEST_ASSERT(watch_hits == before, "event after unwatch");
    xs_rm(XS_NO_TX, "data/minnow-watched");
    return TEST_PASS;
}

/*
 * A watch removed while its events wait in the queue: they must go with
 * it, not to the next watch (which may get the same memory).  The watch
 * thread is held in another callback meanwhile, so the events do queue.
 */
static volatile bool holding;
static volatile unsigned old_hits, new_hits, new_wrong_path;

static void hold_watch_thread(const char *path, void *data)
{
    holding = true;
    msleep(1000);
    holding = false;
}

static void old_watch(const char *path, void *data)
{
    old_hits++;
}

static void new_watch(const char *path, void *data)
{
    new_hits++;
    new_wrong_path += strstr(path, "minnow-new") == NULL;
}

static bool wait_until_true(volatile bool *flag, bool value, stime_t timeout_ns)
{
    stime_t deadline = monotonic_ns() + timeout_ns;

    while (*flag != value && monotonic_ns() < deadline)
        msleep(1);
    return *flag == value;
}

GUEST_TEST(xs_unwatch_drops_queued_events, 0)
{
    NEED_XENSTORE();
    xs_rm(XS_NO_TX, "data/minnow-old");
    xs_rm(XS_NO_TX, "data/minnow-new");
    old_hits = new_hits = new_wrong_path = 0;
    TEST_ASSERT(xs_watch("data/minnow-old", old_watch, NULL) == 0, "watch old");
    stime_t deadline = monotonic_ns() + 2 * NSEC_PER_SEC;
    while (old_hits == 0 && monotonic_ns() < deadline)
        msleep(1);
    TEST_ASSERT(old_hits == 1, "old watch: %u initial events", old_hits);

    TEST_ASSERT(xs_watch("data/minnow-hold", hold_watch_thread, NULL) == 0, "watch hold");
    TEST_ASSERT(wait_until_true(&holding, true, 2 * NSEC_PER_SEC), "the holder never ran");
    /* Queued behind the holder: */
    xs_write(XS_NO_TX, "data/minnow-old/a", "1");
    xs_write(XS_NO_TX, "data/minnow-old/b", "1");
    TEST_ASSERT(holding, "the watch thread was not held long enough");
    TEST_ASSERT(xs_unwatch("data/minnow-old", old_watch, NULL) == 0, "unwatch old");
    TEST_ASSERT(xs_watch("data/minnow-new", new_watch, NULL) == 0, "watch new");
    TEST_ASSERT(wait_until_true(&holding, false, 3 * NSEC_PER_SEC), "the holder never ended");
    deadline = monotonic_ns() + 2 * NSEC_PER_SEC;
    while (new_hits == 0 && monotonic_ns() < deadline)
        msleep(1);
    msleep(50);
    xs_unwatch("data/minnow-new", new_watch, NULL);
    xs_unwatch("data/minnow-hold", hold_watch_thread, NULL);
    xs_rm(XS_NO_TX, "data/minnow-old");
    TEST_ASSERT(old_hits == 1, "the removed watch got %u events", old_hits - 1);
    TEST_ASSERT(new_wrong_path == 0, "the new watch got %u events of the removed one",
                new_wrong_path);
    TEST_ASSERT(new_hits == 1, "the new watch got %u events, want its initial one", new_hits);
    return TEST_PASS;
}

/* xs_unwatch returns only once a callback of that watch that is running has ended. */
static volatile bool in_slow_callback;
static volatile unsigned slow_calls;

static void slow_watch(const char *path, void *data)
{
    slow_calls++;
    in_slow_callback = true;
    msleep(300);
    in_slow_callback = false;
}

GUEST_TEST(xs_unwatch_waits_for_its_callback, 0)
{
    NEED_XENSTORE();
    slow_calls = 0;
    TEST_ASSERT(xs_watch("data/minnow-slow", slow_watch, NULL) == 0, "watch");
    TEST_ASSERT(wait_until_true(&in_slow_callback, true, 2 * NSEC_PER_SEC),
                "the callback never ran");
    int rc = xs_unwatch("data/minnow-slow", slow_watch, NULL);
    bool still_running = in_slow_callback;
    wait_until_true(&in_slow_callback, false, 2 * NSEC_PER_SEC);
    TEST_ASSERT(rc == 0, "unwatch: rc=%d", rc);
    TEST_ASSERT(!still_running, "xs_unwatch returned while the callback was still running");
    return TEST_PASS;
}
