/*
 * The disk the blkfront tests share (test_blkfront.c, test_blkfront_restore.c)
 * and its data contract with the toolstack checks (tests/toolstack/checks/
 * blkfront*.sh give minnow the disk; dom0 writes and verifies with awk/dd):
 *
 *   sectors 0 .. 255        written by dom0 before xl create:
 *                           "minnow-sector-<n>\n", then the byte 'a' + n % 26
 *                           up to 512 bytes
 *   sectors 4096 .. 4295    written by blkfront_write_readback:
 *                           "minnow-wrote-<n>\n", then 'A' + n % 26
 *   sectors 8192 .. 8255    written by blkfront_across_save after the restore:
 *                           "minnow-after-<n>\n", then 'A' + n % 26
 *   sectors 10240 .. 10439  written by blkfront_across_migrations, 100 per
 *                           looper i: "mig<i>-r<round>-<n>\n", then
 *                           'A' + i + n % 26 (dom0 checks the last round)
 *   sectors 12288 ..        scratch for the grant tests' short writes (not
 *                           checked by dom0)
 *
 * (n is always the absolute sector number.)  dom0 reads the last two
 * ranges back after minnow is done, so the data is verified on both sides.
 */
#ifndef TESTS_GUEST_BLKFRONT_DISK_H
#define TESTS_GUEST_BLKFRONT_DISK_H

#include <stdint.h>
#include <minnow/blkfront.h>
#include "test.h"

#define SECTOR          BLKFRONT_SECTOR_SIZE
#define DOM0_SECTORS    256u
#define WRITE_BASE      4096u
#define WRITE_SECTORS   200u
#define AFTER_BASE      8192u
#define AFTER_SECTORS   64u
#define MIGRATE_BASE    10240u
#define MIGRATE_SECTORS 100u
#define SCRATCH_BASE    12288u

/* One sector of the pattern: "<tag>-<n>\n", then fill_base + n % 26. */
void fill_sector(uint8_t *p, const char *tag, uint64_t n, char fill_base);

/* Index of the first sector of buf that is not the pattern, or -1. */
long check_pattern(const uint8_t *buf, uint64_t first, uint32_t count, const char *tag,
                   char fill_base);

/* The disk, or a SKIP/FAIL reason. */
enum test_result get_disk(struct blkfront_dev **dev);

#define NEED_DISK(dev)                                                       \
    do {                                                                     \
        enum test_result r_ = get_disk(&(dev));                              \
        if (r_ != TEST_PASS)                                                 \
            return r_;                                                       \
    } while (0)

/* Open the disk again and read dom0's sector 0 from it. */
enum test_result reopen_and_read(struct blkfront_dev **dev);

#endif
