/*
 * The disk benchmark of the Linux PV domU (tests/toolstack/build-linux-domu.sh
 * links it statically with the host's gcc; /init runs it on /dev/xvda).
 * It does what minnow's bench app does (tests/bench/guest/minnow_bench.c),
 * with the same sizes, the same pattern and the same output lines:
 *
 *   per round r:
 *     seq_write 4 KiB requests over the first MIB MiB  (pattern, seed 2r)
 *     seq_read  4 KiB, every sector checked
 *     seq_write 1 MiB requests                         (pattern, seed 2r+1)
 *     seq_read  1 MiB, checked
 *     rand_read 4 KiB at queue depth 1, IOS reads, each checked
 *     rand_read 4 KiB at queue depth QD (QD threads), IOS reads, checked
 *
 *   BENCH disk <test> bs=<bytes> qd=<n> round=<r> bytes=<n> ios=<n> us=<n> bad=<n>
 *   BENCH disk done rounds=<r> bad=<total>
 *
 * Sequential times are the sum of the I/O calls alone (checking is not
 * timed); random ones are the wall clock of all IOS reads.  O_DIRECT: no
 * page cache between the program and blkfront.
 *
 *   blkbench DEVICE MIB IOS QD ROUNDS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SECTOR 512u
#define KIB4   4096u
#define MIB1   (1024u * 1024u)

static int fd;
static uint64_t region_sectors;
static uint64_t seed_now;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Word w of sector s under seed: the same function as minnow_bench.c's. */
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

/* Sectors of buf that do not hold the pattern. */
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

static uint64_t *alloc_buf(size_t bytes)
{
    void *p;
    if (posix_memalign(&p, KIB4, bytes)) {
        printf("blkbench: no memory for %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

static void io(int write, void *buf, size_t bytes, uint64_t sector)
{
    ssize_t n = write ? pwrite(fd, buf, bytes, (off_t)(sector * SECTOR))
                      : pread(fd, buf, bytes, (off_t)(sector * SECTOR));
    if (n != (ssize_t)bytes) {
        printf("blkbench: %s of %zu bytes at sector %llu returned %zd\n",
               write ? "write" : "read", bytes, (unsigned long long)sector, n);
        exit(1);
    }
}

static unsigned long seq(int write, uint32_t bs, unsigned round, uint64_t seed)
{
    uint32_t per = bs / SECTOR;
    uint64_t *buf = alloc_buf(bs), us = 0;
    unsigned long bad = 0, ios = 0;

    for (uint64_t s = 0; s + per <= region_sectors; s += per, ios++) {
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
    printf("BENCH disk %s bs=%u qd=1 round=%u bytes=%llu ios=%lu us=%llu bad=%lu\n",
           write ? "seq_write" : "seq_read", bs, round,
           (unsigned long long)(region_sectors * SECTOR), ios, (unsigned long long)us, bad);
    return bad;
}

struct reader {
    pthread_t thread;
    uint64_t rng;
    unsigned long ios, bad;
};

/* xorshift64: the same sequence in minnow_bench.c. */
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *reader(void *arg)
{
    struct reader *r = arg;
    uint64_t *buf = alloc_buf(KIB4);
    uint64_t blocks = region_sectors / (KIB4 / SECTOR);

    for (unsigned long i = 0; i < r->ios; i++) {
        uint64_t s = next_rand(&r->rng) % blocks * (KIB4 / SECTOR);
        io(0, buf, KIB4, s);
        r->bad += check(buf, s, KIB4 / SECTOR, seed_now);
    }
    free(buf);
    return NULL;
}

static unsigned long rand_read(unsigned qd, unsigned long ios, unsigned round)
{
    struct reader r[qd];
    unsigned long bad = 0;
    uint64_t t0 = now_us();

    for (unsigned i = 0; i < qd; i++) {
        r[i] = (struct reader){ .rng = 0x5eed0000ull + round * 1000 + i + 1,
                                .ios = ios / qd + (i < ios % qd) };
        if (pthread_create(&r[i].thread, NULL, reader, &r[i])) {
            printf("blkbench: no thread\n");
            exit(1);
        }
    }
    for (unsigned i = 0; i < qd; i++) {
        pthread_join(r[i].thread, NULL);
        bad += r[i].bad;
    }
    uint64_t us = now_us() - t0;
    printf("BENCH disk rand_read bs=%u qd=%u round=%u bytes=%llu ios=%lu us=%llu bad=%lu\n",
           KIB4, qd, round, (unsigned long long)ios * KIB4, ios, (unsigned long long)us, bad);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: blkbench DEVICE MIB IOS QD ROUNDS\n");
        return 2;
    }
    unsigned mib = atoi(argv[2]), qd = atoi(argv[4]), rounds = atoi(argv[5]);
    unsigned long ios = strtoul(argv[3], NULL, 0), bad = 0;

    fd = open(argv[1], O_RDWR | O_DIRECT);
    if (fd < 0) {
        printf("blkbench: cannot open %s\n", argv[1]);
        return 1;
    }
    if (!mib || !qd || !rounds || !ios) {
        printf("blkbench: MIB, IOS, QD and ROUNDS must be positive\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    region_sectors = (uint64_t)mib * MIB1 / SECTOR;
    for (unsigned r = 1; r <= rounds; r++) {
        bad += seq(1, KIB4, r, 2 * r);
        bad += seq(0, KIB4, r, 2 * r);
        bad += seq(1, MIB1, r, 2 * r + 1);
        bad += seq(0, MIB1, r, 2 * r + 1);
        seed_now = 2 * r + 1;
        bad += rand_read(1, ios, r);
        bad += rand_read(qd, ios, r);
    }
    printf("BENCH disk done rounds=%u bad=%lu\n", rounds, bad);
    return bad != 0;
}
