/*
 * blkfront across what takes a device away under it: xl save / xl restore
 * with I/O running and with a broken device, a suspend during the
 * handshake, and the backend closing the device (xl block-detach).  The
 * toolstack checks blkfront.sh, blkfront_restore.sh and blkfront_detach.sh
 * name these tests; blkfront_disk.h has the disk's sector layout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/blkfront.h>
#include <minnow/blkfront_testhooks.h>
#include <minnow/console.h>
#include <minnow/gnttab.h>
#include <minnow/sched.h>
#include <minnow/suspend.h>
#include <minnow/time.h>
#include <minnow/xenstore.h>
#include "blkfront_disk.h"
#include "test.h"

/* ---- across xl save / xl restore (named explicitly by the check) -------- */

#define LOOPERS 2

struct looper {
    struct blkfront_dev *dev;
    volatile bool stop;
    bool done;
    int rc;
    long bad;
    unsigned long rounds, rounds_after;
    unsigned long suspends_at_start;
};

static unsigned long all_rounds;

/*
 * Reads dom0's pattern and rewrites + reads back the write range, nonstop,
 * in transfers of 3 ring requests each: with two of these running, the
 * suspend usually finds requests on the ring (the check reports how many).
 */
static void looper_thread(void *arg)
{
    struct looper *l = arg;
    uint8_t *buf = malloc(DOM0_SECTORS * SECTOR), *out = malloc(WRITE_SECTORS * SECTOR);

    l->bad = -1;
    if (!buf || !out)
        l->rc = -ENOMEM;
    for (unsigned i = 0; i < WRITE_SECTORS && out; i++)
        fill_sector(out + i * SECTOR, "minnow-wrote", WRITE_BASE + i, 'A');
    while (!l->rc && l->bad == -1 && !l->stop) {
        l->rc = blkfront_read(l->dev, 0, DOM0_SECTORS, buf);
        if (!l->rc)
            l->bad = check_pattern(buf, 0, DOM0_SECTORS, "minnow-sector", 'a');
        if (!l->rc && l->bad == -1)
            l->rc = blkfront_write(l->dev, WRITE_BASE, WRITE_SECTORS, out);
        if (!l->rc && l->bad == -1) {
            l->rc = blkfront_read(l->dev, WRITE_BASE, WRITE_SECTORS, buf);
            if (!l->rc)
                l->bad = check_pattern(buf, WRITE_BASE, WRITE_SECTORS, "minnow-wrote", 'A');
        }
        l->rounds++;
        if (++all_rounds % 50 == 0)
            printk("BLKFRONT ROUNDS %lu\n", all_rounds);   /* progress, for the check */
        if (suspend_count() > l->suspends_at_start)
            l->rounds_after++;
    }
    free(buf);
    free(out);
    l->done = true;
}

static bool loopers_done(const struct looper *l)
{
    for (unsigned i = 0; i < LOOPERS; i++)
        if (!l[i].done)
            return false;
    return true;
}

static bool loopers_after(const struct looper *l, unsigned long min)
{
    for (unsigned i = 0; i < LOOPERS; i++)
        if (l[i].rounds_after < min)
            return false;
    return true;
}

GUEST_TEST(blkfront_across_save, TEST_NEEDS("xl-save-restore"))
{
    struct blkfront_dev *dev;
    struct looper l[LOOPERS];
    unsigned long before = suspend_count();

    NEED_DISK(dev);
    for (unsigned i = 0; i < LOOPERS; i++) {
        l[i] = (struct looper){ .dev = dev, .suspends_at_start = before };
        TEST_ASSERT(thread_create("blk-looper", looper_thread, &l[i]), "no thread");
    }
    msleep(200);
    for (unsigned i = 0; i < LOOPERS; i++)
        TEST_ASSERT(!l[i].rc && l[i].bad == -1 && l[i].rounds,
                    "looper %u before the save: rc=%d bad=%ld rounds=%lu", i, l[i].rc,
                    l[i].bad, l[i].rounds);
    printk("BLKFRONT SAVE NOW (I/O running: %lu rounds)\n", all_rounds);

    stime_t deadline = monotonic_ns() + 120 * NSEC_PER_SEC;
    while (suspend_count() == before && !loopers_done(l) && monotonic_ns() < deadline)
        msleep(20);
    unsigned long rounds_at_resume = all_rounds;
    TEST_ASSERT(suspend_count() > before, "no save/restore within 120 s");
    /* Let the I/O run on the new connection for a while. */
    deadline = monotonic_ns() + 30 * NSEC_PER_SEC;
    while (!loopers_done(l) && !loopers_after(l, 10) && monotonic_ns() < deadline)
        msleep(20);
    for (unsigned i = 0; i < LOOPERS; i++)
        l[i].stop = true;
    while (!loopers_done(l))
        msleep(5);
    for (unsigned i = 0; i < LOOPERS; i++) {
        TEST_ASSERT(l[i].rc == 0 && l[i].bad == -1,
                    "looper %u across the restore: rc=%d, bad sector %ld", i, l[i].rc,
                    l[i].bad);
        TEST_ASSERT(l[i].rounds_after >= 10, "looper %u: only %lu rounds after the restore",
                    i, l[i].rounds_after);
    }

    /* Every ref held across the restore was given back (include/minnow/gnttab.h). */
    TEST_ASSERT(gnttab_stale_refs() == 0, "%u grant refs from before the restore were "
                "never given back", gnttab_stale_refs());

    /* Something new for dom0 to verify after the run. */
    uint8_t *out = malloc(AFTER_SECTORS * SECTOR);
    TEST_ASSERT(out, "no memory");
    for (unsigned i = 0; i < AFTER_SECTORS; i++)
        fill_sector(out + i * SECTOR, "minnow-after", AFTER_BASE + i, 'A');
    int rc = blkfront_write(dev, AFTER_BASE, AFTER_SECTORS, out);
    free(out);
    TEST_ASSERT(rc == 0, "write after the restore: rc=%d", rc);
    rc = blkfront_flush(dev);
    TEST_ASSERT(rc == 0 || rc == -EOPNOTSUPP, "flush after the restore: rc=%d", rc);
    struct blkfront_stats st;
    blkfront_get_stats(dev, &st);
    test_detail("%u threads, %lu I/O rounds (restore came at round %lu), %lu + %lu after it; "
                "%lu reconnects; sectors %u..%u written after it", LOOPERS, all_rounds,
                rounds_at_resume, l[0].rounds_after, l[1].rounds_after, st.reconnects,
                AFTER_BASE, AFTER_BASE + AFTER_SECTORS - 1);
    return TEST_PASS;
}

/* ---- a broken device across xl save / xl restore (named by blkfront_restore) */

/* xenstore, the console and the timer: what a stale port could have closed. */
static enum test_result services_work(const char *tag)
{
    char *v = NULL;
    stime_t t0 = monotonic_ns();

    msleep(100);
    stime_t slept = monotonic_ns() - t0;
    TEST_ASSERT(slept >= 100 * NSEC_PER_MSEC && slept < 5 * NSEC_PER_SEC,
                "%s: msleep(100) took %lu us", tag, (unsigned long)(slept / 1000));
    int rc = xs_write(XS_NO_TX, "data/minnow-blk", tag);
    if (!rc)
        rc = xs_read(XS_NO_TX, "data/minnow-blk", &v);
    TEST_ASSERT(rc == 0 && strcmp(v, tag) == 0, "%s: xenstore write/read: rc=%d", tag, rc);
    free(v);
    printk("BLKFRONT SERVICES %s\n", tag);          /* the check reads it on the console */
    return TEST_PASS;
}

struct prober {
    int rc;
    bool done;
};

static void prober_thread(void *arg)
{
    struct prober *p = arg;
    struct blkfront_dev *dev;

    p->rc = blkfront_first(&dev);
    p->done = true;
}

/*
 * A suspend arriving while a device is in its handshake must be refused:
 * the handshake would go on after a restore with the old domain's backend
 * path, ring grant and channel.  (Unrefused, this domain would suspend
 * with no toolstack saving it: the test would never end.)
 */
GUEST_TEST(blkfront_suspend_during_handshake, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    struct prober p = { 0 };

    NEED_DISK(dev);
    int rc = blkfront_close(dev);
    TEST_ASSERT(rc == 0, "close: rc=%d", rc);
    TEST_ASSERT(thread_create("blk-prober", prober_thread, &p), "no thread");
    stime_t deadline = monotonic_ns() + 10 * NSEC_PER_SEC;
    while (!blkfront_test_handshakes() && !p.done && monotonic_ns() < deadline)
        thread_yield();
    TEST_ASSERT(blkfront_test_handshakes(), "never saw the handshake under way (probe %s, "
                "rc=%d)", p.done ? "done" : "still running", p.rc);
    int src = domain_suspend();
    deadline = monotonic_ns() + 30 * NSEC_PER_SEC;
    while (!p.done && monotonic_ns() < deadline)
        msleep(10);
    TEST_ASSERT(src == -EBUSY, "suspend during the handshake: rc=%d", src);
    TEST_ASSERT(p.done && p.rc == 0, "the probe after the refused suspend: %s, rc=%d",
                p.done ? "done" : "still running after 30 s", p.rc);
    if (reopen_and_read(&dev) != TEST_PASS)
        return TEST_FAIL;
    test_detail("suspend refused while the handshake ran; the device then connected and reads");
    return TEST_PASS;
}

GUEST_TEST(blkfront_broken_across_save, TEST_NEEDS("xl-save-restore"))
{
    struct blkfront_dev *dev;
    unsigned long before = suspend_count();

    NEED_DISK(dev);
    /* Broken by the backend: ring, grant and channel still held at the save. */
    int rc = blkfront_test_inject_response(dev, 9, false);
    TEST_ASSERT(rc == 0 && blkfront_is_broken(dev), "could not break the device: rc=%d", rc);
    printk("BLKFRONT BROKEN SAVE NOW\n");
    stime_t deadline = monotonic_ns() + 120 * NSEC_PER_SEC;
    while (suspend_count() == before && monotonic_ns() < deadline)
        msleep(20);
    TEST_ASSERT(suspend_count() > before, "no save/restore within 120 s");
    if (services_work("restored") != TEST_PASS)
        return TEST_FAIL;

    /* Closing it must end no grant and close no channel of the new domain. */
    uint32_t free_refs = gnttab_free_refs();
    const char *state = blkfront_test_state(dev);
    rc = blkfront_close(dev);
    TEST_ASSERT(rc == 0, "close of the broken device after the restore: rc=%d", rc);
    TEST_ASSERT(gnttab_free_refs() == free_refs, "close freed %d grant refs it did not own",
                (int)(gnttab_free_refs() - free_refs));
    if (services_work("closed") != TEST_PASS)
        return TEST_FAIL;
    if (reopen_and_read(&dev) != TEST_PASS)
        return TEST_FAIL;
    test_detail("broken, saved, restored (then %s), closed; xenstore, timer and console "
                "fine; reopened and read", state);
    return TEST_PASS;
}

/* ---- the backend closes the device (named by blkfront_detach) ------------- */

struct unplug_reader {
    struct blkfront_dev *dev;
    unsigned long reads;
    int rc;
    bool done;
};

static void unplug_reader_thread(void *arg)
{
    struct unplug_reader *r = arg;
    uint8_t *buf = malloc(64 * SECTOR);

    r->rc = buf ? 0 : -ENOMEM;
    while (!r->rc) {
        r->rc = blkfront_read(r->dev, 0, 64, buf);
        r->reads += !r->rc;
    }
    free(buf);
    r->done = true;
}

GUEST_TEST(blkfront_backend_closes, TEST_NEEDS("block-detach"))
{
    struct blkfront_dev *dev;
    struct unplug_reader r = { 0 };

    NEED_DISK(dev);
    r.dev = dev;
    TEST_ASSERT(thread_create("blk-unplug-reader", unplug_reader_thread, &r), "no thread");
    msleep(100);
    TEST_ASSERT(!r.done && r.reads, "reader before the detach: rc=%d, %lu reads", r.rc,
                r.reads);
    printk("BLKFRONT DETACH NOW\n");
    stime_t start = monotonic_ns(), deadline = start + 60 * NSEC_PER_SEC;
    while (strcmp(blkfront_test_state(dev), "gone") && monotonic_ns() < deadline)
        msleep(20);
    stime_t took = monotonic_ns() - start;
    const char *state = blkfront_test_state(dev);
    TEST_ASSERT(strcmp(state, "gone") == 0, "device is %s 60 s after the detach began (reader "
                "%s, rc=%d, %lu reads)", state, r.done ? "stopped" : "running", r.rc, r.reads);
    while (!r.done && monotonic_ns() < deadline)
        msleep(20);
    TEST_ASSERT(r.done && r.rc == -ENODEV, "reader on the gone device: %s, rc=%d",
                r.done ? "stopped" : "still running", r.rc);
    /*
     * Close once the toolstack has removed the device: xenbus's watch on
     * the backend's state may still be in its callback while the backend
     * is torn down, and xs_unwatch() here does not wait for a running
     * callback, so closing (which frees the device) must not race it.
     */
    char path[64];
    snprintf(path, sizeof(path), "device/%s/state", blkfront_name(dev));
    uint64_t v;
    while (xs_read_u64(XS_NO_TX, path, &v) != -ENOENT && monotonic_ns() < deadline)
        msleep(50);
    int rc = blkfront_close(dev);
    TEST_ASSERT(rc == 0, "close after the backend closed: rc=%d", rc);
    struct blkfront_dev *again;
    rc = blkfront_first(&again);
    TEST_ASSERT(rc == -ENODEV, "a disk is still there after the detach: rc=%d", rc);
    if (services_work("detached") != TEST_PASS)
        return TEST_FAIL;
    test_detail("%lu reads, then the backend closed the device: gone after %lu ms, closed",
                r.reads, (unsigned long)(took / NSEC_PER_MSEC));
    return TEST_PASS;
}
