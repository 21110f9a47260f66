/*
 * The blkfront tests' disk (blkfront_disk.h): its sector pattern, opening
 * it, and reopening it after a close.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <minnow/blkfront.h>
#include <minnow/xenstore.h>
#include "blkfront_disk.h"

void fill_sector(uint8_t *p, const char *tag, uint64_t n, char fill_base)
{
    int len = snprintf((char *)p, SECTOR, "%s-%lu\n", tag, (unsigned long)n);
    memset(p + len, fill_base + (int)(n % 26), SECTOR - len);
}

long check_pattern(const uint8_t *buf, uint64_t first, uint32_t count, const char *tag,
                   char fill_base)
{
    uint8_t want[SECTOR];

    for (uint32_t i = 0; i < count; i++) {
        fill_sector(want, tag, first + i, fill_base);
        if (memcmp(buf + (size_t)i * SECTOR, want, SECTOR))
            return first + i;
    }
    return -1;
}

enum test_result get_disk(struct blkfront_dev **dev)
{
    if (!xenstore_available()) {
        test_detail("no xenstore (dom0 without a toolstack)");
        return TEST_SKIP;
    }
    int rc = blkfront_first(dev);
    if (rc == -ENODEV) {
        test_detail("no vbd configured for this domain");
        return TEST_SKIP;
    }
    if (rc) {
        test_detail("blkfront_first: rc=%d", rc);
        return TEST_FAIL;
    }
    return TEST_PASS;
}

enum test_result reopen_and_read(struct blkfront_dev **dev)
{
    uint8_t buf[SECTOR];
    int rc = blkfront_first(dev);

    TEST_ASSERT(rc == 0, "reopen: rc=%d", rc);
    rc = blkfront_read(*dev, 0, 1, buf);
    TEST_ASSERT(rc == 0 && check_pattern(buf, 0, 1, "minnow-sector", 'a') == -1,
                "sector 0 after reopening: rc=%d", rc);
    return TEST_PASS;
}
