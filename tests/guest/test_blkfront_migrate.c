/*
 * blkfront kept busy across live migrations (the toolstack check
 * migrate_blkfront.sh moves the domain three times while this runs).
 *
 * Each looper owns MIGRATE_SECTORS sectors and, round after round, writes
 * them with a tag that names the round ("mig<i>-r<round>") and reads them
 * back: a write lost across a migration reads back an older round's tag, a
 * corrupted one fails the pattern.  After the last migration each looper
 * prints the round its sectors last hold, for dom0 to check on the disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <minnow/blkfront.h>
#include <minnow/console.h>
#include <minnow/sched.h>
#include <minnow/suspend.h>
#include <minnow/time.h>
#include "blkfront_disk.h"
#include "test.h"

#define LOOPERS         2
#define MIGRATIONS      3

struct mig_looper {
    struct blkfront_dev *dev;
    unsigned int index;
    volatile bool stop;
    bool done;
    int rc;
    long bad;
    unsigned long rounds;
    unsigned long rounds_in[MIGRATIONS + 1];   /* after 0, 1, ... migrations */
    unsigned long before;                      /* suspend_count() at the start */
};

static void mig_tag(char *tag, size_t len, unsigned int index, unsigned long round)
{
    snprintf(tag, len, "mig%u-r%lu", index, round);
}

static void mig_looper(void *arg)
{
    struct mig_looper *l = arg;
    uint64_t first = MIGRATE_BASE + l->index * MIGRATE_SECTORS;
    uint8_t *out = malloc(MIGRATE_SECTORS * SECTOR), *in = malloc(MIGRATE_SECTORS * SECTOR);
    char tag[32];

    l->bad = -1;
    if (!out || !in)
        l->rc = -ENOMEM;
    while (!l->rc && l->bad == -1 && !l->stop) {
        unsigned long epoch = suspend_count() - l->before;

        mig_tag(tag, sizeof(tag), l->index, l->rounds + 1);
        for (unsigned int i = 0; i < MIGRATE_SECTORS; i++)
            fill_sector(out + i * SECTOR, tag, first + i, 'A' + l->index);
        l->rc = blkfront_write(l->dev, first, MIGRATE_SECTORS, out);
        if (!l->rc)
            l->rc = blkfront_read(l->dev, first, MIGRATE_SECTORS, in);
        if (!l->rc)
            l->bad = check_pattern(in, first, MIGRATE_SECTORS, tag, 'A' + l->index);
        if (l->rc || l->bad != -1)
            break;
        l->rounds++;
        l->rounds_in[epoch < MIGRATIONS ? epoch : MIGRATIONS]++;
    }
    free(out);
    free(in);
    l->done = true;
}

static bool all_done(const struct mig_looper *l)
{
    for (unsigned int i = 0; i < LOOPERS; i++)
        if (!l[i].done)
            return false;
    return true;
}

static bool enough_after_last(const struct mig_looper *l)
{
    for (unsigned int i = 0; i < LOOPERS; i++)
        if (l[i].rounds_in[MIGRATIONS] < 10)
            return false;
    return true;
}

GUEST_TEST(blkfront_across_migrations, TEST_NEEDS("xl-migrate-disk"))
{
    struct blkfront_dev *dev;
    struct mig_looper l[LOOPERS];
    unsigned long before = suspend_count();
    stime_t deadline;

    NEED_DISK(dev);
    for (unsigned int i = 0; i < LOOPERS; i++) {
        l[i] = (struct mig_looper){ .dev = dev, .index = i, .before = before };
        TEST_ERROR_IF(!thread_create("blk-mig", mig_looper, &l[i]), "no thread");
    }
    msleep(200);
    for (unsigned int i = 0; i < LOOPERS; i++)
        TEST_ASSERT(!l[i].rc && l[i].bad == -1 && l[i].rounds,
                    "looper %u before migrating: rc=%d bad=%ld rounds=%lu", i, l[i].rc,
                    l[i].bad, l[i].rounds);
    printk("BLKFRONT MIGRATE NOW (I/O running: %lu + %lu rounds)\n", l[0].rounds, l[1].rounds);

    deadline = monotonic_ns() + 240 * NSEC_PER_SEC;
    while (suspend_count() - before < MIGRATIONS && !all_done(l) &&
           monotonic_ns() < deadline)
        msleep(20);
    deadline = monotonic_ns() + 30 * NSEC_PER_SEC;
    while (!all_done(l) && !enough_after_last(l) && monotonic_ns() < deadline)
        msleep(20);
    for (unsigned int i = 0; i < LOOPERS; i++)
        l[i].stop = true;
    while (!all_done(l))
        msleep(5);
    TEST_ASSERT(suspend_count() - before >= MIGRATIONS, "only %lu migrations within 240 s",
                suspend_count() - before);
    for (unsigned int i = 0; i < LOOPERS; i++) {
        TEST_ASSERT(l[i].rc == 0 && l[i].bad == -1,
                    "looper %u at round %lu: rc=%d, bad sector %ld", i, l[i].rounds + 1,
                    l[i].rc, l[i].bad);
        for (unsigned int e = 0; e <= MIGRATIONS; e++)
            TEST_ASSERT(l[i].rounds_in[e] > 0, "looper %u did no I/O after migration %u", i, e);
    }
    for (unsigned int i = 0; i < LOOPERS; i++)
        printk("BLKFRONT MIGRATE DONE looper %u sectors %u..%u round %lu\n", i,
               MIGRATE_BASE + i * MIGRATE_SECTORS, MIGRATE_BASE + (i + 1) * MIGRATE_SECTORS - 1,
               l[i].rounds);
    test_detail("%u loopers, %lu + %lu rounds of write + verified read; per migration "
                "%lu/%lu/%lu/%lu and %lu/%lu/%lu/%lu", LOOPERS, l[0].rounds, l[1].rounds,
                l[0].rounds_in[0], l[0].rounds_in[1], l[0].rounds_in[2], l[0].rounds_in[3],
                l[1].rounds_in[0], l[1].rounds_in[1], l[1].rounds_in[2], l[1].rounds_in[3]);
    return TEST_PASS;
}
