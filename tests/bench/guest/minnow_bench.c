/*
 * minnow's side of the side-by-side benchmarks (tests/toolstack/bench/):
 * the default application plus what the Linux domU's /init does
 * (tests/toolstack/linux-domu/init), so the two are measured alike.
 * Linked against libminnow.a as build/minnow-bench (scripts/bench-linux.sh):
 * no test code, the product's boot.
 *
 * Console lines, after the product's "minnow: ready":
 *   MINNOW MEM current_kb=<pages Xen gave it> free_kb=<free frames> used_kb=<difference>
 *   BENCH disk ...           with bench=disk: the same lines, sizes, pattern
 *                            and random sequence as blkbench.c
 *   minnow: bench failed (...)
 *
 * Command line: bench=disk, mib= ios= qd= rounds= (defaults 16, 1000, 32, 3).
 * Queue depth QD means QD threads, each with one synchronous 4 KiB read in
 * flight; the ring has BLK_RING_SLOTS (32) slots, so 32 is the deepest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/app.h>
#include <minnow/blkfront.h>
#include <minnow/cmdline.h>
#include <minnow/console.h>
#include <minnow/control.h>
#include <minnow/frame.h>
#include <minnow/hypervisor.h>
#include <minnow/sched.h>
#include <minnow/time.h>

#define SECTOR      BLKFRONT_SECTOR_SIZE
#define KIB4        4096u
#define MIB1        (1024u * 1024u)
#define MAX_QD      32u
#define SECTORS(b)  ((b) / SECTOR)

static struct blkfront_dev *dev;
static uint64_t region_sectors;
static uint64_t seed_now;

static uint64_t now_us(void) { return (uint64_t)monotonic_ns() / 1000u; }

/* Word w of sector s under seed: the same function as blkbench.c's. */
static uint64_t pattern_word(uint64_t s, unsigned w, uint64_t seed)
{
    return (s << 16 | w) ^ (seed * 0x9e3779b97f4a7c15ull);
}

static void fill(uint64_t *buf, uint64_t first, uint32_t sectors, uint64_t seed)
{
    for (uint32_t i = 0; i < sectors; i++)
        for (unsigned w = 0; w < SECTOR / 8; w++)
            buf[i * (SECTOR / 8) + w] = pattern_word(first + i, w, seed);
}

static unsigned long check(const uint64_t *buf, uint64_t first, uint32_t sectors, uint64_t seed)
{
    unsigned long bad = 0;
    for (uint32_t i = 0; i < sectors; i++)
        for (unsigned w = 0; w < SECTOR / 8; w++)
            if (buf[i * (SECTOR / 8) + w] != pattern_word(first + i, w, seed)) {
                bad++;
                break;
            }
    return bad;
}

/* xorshift64: the same sequence in blkbench.c. */
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* -errno of the first failed call, 0 while all went well. */
static int io_error;

static void io(bool write, void *buf, uint32_t bytes, uint64_t sector)
{
    int rc = write ? blkfront_write(dev, sector, SECTORS(bytes), buf)
                   : blkfront_read(dev, sector, SECTORS(bytes), buf);
    if (rc && !io_error) {
        printk("minnow: bench failed (%s of %u bytes at sector %lu: %d)\n",
               write ? "write" : "read", bytes, (unsigned long)sector, rc);
        io_error = rc;
    }
}

static unsigned long seq(bool write, uint32_t bs, unsigned round, uint64_t seed)
{
    uint32_t per = SECTORS(bs);
    uint64_t *buf = malloc(bs), us = 0;
    unsigned long bad = 0, ios = 0;

    if (!buf) {
        printk("minnow: bench failed (no memory for %u bytes)\n", bs);
        io_error = -12;
        return 1;
    }
    for (uint64_t s = 0; s + per <= region_sectors && !io_error; s += per, ios++) {
        if (write)
            fill(buf, s, per, seed);
        else
            memset(buf, 0, bs);
        uint64_t t0 = now_us();
        io(write, buf, bs, s);
        us += now_us() - t0;
        if (!write)
            bad += check(buf, s, per, seed);
    }
    free(buf);
    printk("BENCH disk %s bs=%u qd=1 round=%u bytes=%lu ios=%lu us=%lu bad=%lu\n",
           write ? "seq_write" : "seq_read", bs, round,
           (unsigned long)(region_sectors * SECTOR), ios, (unsigned long)us, bad);
    return bad;
}

struct reader {
    uint64_t rng;
    unsigned long ios, bad;
    bool done;
};

static struct waitq readers_wq = WAITQ_INIT;
static unsigned readers_left;

static void reader(void *arg)
{
    struct reader *r = arg;
    uint64_t buf[KIB4 / 8];
    uint64_t blocks = region_sectors / SECTORS(KIB4);

    for (unsigned long i = 0; i < r->ios && !io_error; i++) {
        uint64_t s = next_rand(&r->rng) % blocks * SECTORS(KIB4);
        io(false, buf, KIB4, s);
        r->bad += check(buf, s, SECTORS(KIB4), seed_now);
    }
    readers_left--;
    waitq_wake_all(&readers_wq);
}

static unsigned long rand_read(unsigned qd, unsigned long ios, unsigned round)
{
    static struct reader r[MAX_QD];
    unsigned long bad = 0;
    uint64_t t0 = now_us();

    readers_left = qd;
    for (unsigned i = 0; i < qd; i++) {
        r[i] = (struct reader){ .rng = 0x5eed0000ull + round * 1000 + i + 1,
                                .ios = ios / qd + (i < ios % qd) };
        if (!thread_create("bench-reader", reader, &r[i])) {
            printk("minnow: bench failed (no thread)\n");
            io_error = -12;
            readers_left -= qd - i;
            break;
        }
    }
    wait_event(&readers_wq, readers_left == 0);
    uint64_t us = now_us() - t0;
    for (unsigned i = 0; i < qd; i++)
        bad += r[i].bad;
    printk("BENCH disk rand_read bs=%u qd=%u round=%u bytes=%lu ios=%lu us=%lu bad=%lu\n",
           KIB4, qd, round, (unsigned long)(ios * KIB4), ios, (unsigned long)us, bad);
    return bad;
}

static uint64_t arg_u64(const char *key, uint64_t dflt)
{
    uint64_t v;
    return cmdline_get_u64(key, &v) == 0 ? v : dflt;
}

static void disk_bench(void)
{
    uint64_t mib = arg_u64("mib", 16), ios = arg_u64("ios", 1000);
    uint64_t qd = arg_u64("qd", MAX_QD), rounds = arg_u64("rounds", 3);
    unsigned long bad = 0;
    int rc = blkfront_first(&dev);

    if (rc) {
        printk("minnow: bench failed (no disk: %d)\n", rc);
        return;
    }
    if (!mib || !ios || !qd || qd > MAX_QD || !rounds) {
        printk("minnow: bench failed (mib, ios, rounds must be positive, qd 1..%u)\n", MAX_QD);
        return;
    }
    region_sectors = mib * MIB1 / SECTOR;
    if (region_sectors > blkfront_get_info(dev)->sectors) {
        printk("minnow: bench failed (%lu MiB is more than the disk)\n", (unsigned long)mib);
        return;
    }
    for (unsigned r = 1; r <= rounds && !io_error; r++) {
        bad += seq(true, KIB4, r, 2 * r);
        bad += seq(false, KIB4, r, 2 * r);
        bad += seq(true, MIB1, r, 2 * r + 1);
        bad += seq(false, MIB1, r, 2 * r + 1);
        seed_now = 2 * r + 1;
        bad += rand_read(1, ios, r);
        bad += rand_read(qd, ios, r);
    }
    if (io_error)
        return;
    printk("BENCH disk done rounds=%lu bad=%lu\n", (unsigned long)rounds, bad);
}

int app_main(void)
{
    uint64_t cur = start_info->nr_pages * 4, free = frame_free_count() * 4;

    printk("MINNOW MEM current_kb=%lu free_kb=%lu used_kb=%lu\n", (unsigned long)cur,
           (unsigned long)free, (unsigned long)(cur - free));
    const char *bench = cmdline_get("bench");
    if (bench && !strcmp(bench, "disk"))
        disk_bench();
    return control_wait_for_toolstack();
}
