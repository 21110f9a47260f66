/*
 * blkfront against Linux blkback (tests/toolstack/checks/blkfront.sh gives
 * minnow a disk; without one every test SKIPs): reads and writes checked
 * against dom0's pattern (blkfront_disk.h has the sector layout), flush,
 * refused input, several callers at once, a misbehaving backend, and what
 * the backend can see of a bounce page.  Save, restore and detach are
 * test_blkfront_restore.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/blkfront.h>
#include <minnow/blkfront_testhooks.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/p2m.h>
#include <minnow/sched.h>
#include <minnow/time.h>
#include <minnow/xenstore.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include <xen/io/blkif.h>
#include "blkfront_disk.h"
#include "test.h"

GUEST_TEST(blkfront_connect, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;

    NEED_DISK(dev);
    const struct blkfront_info *info = blkfront_get_info(dev);
    TEST_ASSERT(info->sectors >= AFTER_BASE + AFTER_SECTORS,
                "disk of %lu sectors is too small for the tests", (unsigned long)info->sectors);
    TEST_ASSERT(info->sector_size == 512, "sector-size %u (the check uses 512)",
                info->sector_size);
    TEST_ASSERT(!info->readonly, "the disk is read-only");
    test_detail("%s: %lu sectors, sector-size %u, info %#x, flush %d, barrier %d",
                blkfront_name(dev), (unsigned long)info->sectors, info->sector_size,
                info->vdisk_info, info->flush, info->barrier);
    return TEST_PASS;
}

GUEST_TEST(blkfront_read, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    struct blkfront_stats before, after;

    NEED_DISK(dev);
    uint8_t *buf = malloc(DOM0_SECTORS * SECTOR + 1);
    TEST_ASSERT(buf, "no memory");
    blkfront_get_stats(dev, &before);
    int rc = blkfront_read(dev, 0, DOM0_SECTORS, buf);
    blkfront_get_stats(dev, &after);
    long bad = rc ? -2 : check_pattern(buf, 0, DOM0_SECTORS, "minnow-sector", 'a');
    /* One sector into an odd address, and a range across a page boundary. */
    int rc1 = bad == -1 ? blkfront_read(dev, 77, 1, buf + 1) : 0;
    long bad1 = rc1 ? -2 : check_pattern(buf + 1, 77, 1, "minnow-sector", 'a');
    int rc2 = bad1 == -1 ? blkfront_read(dev, 5, 7, buf + 3) : 0;
    long bad2 = rc2 ? -2 : check_pattern(buf + 3, 5, 7, "minnow-sector", 'a');
    free(buf);
    TEST_ASSERT(rc == 0, "read of %u sectors: rc=%d", DOM0_SECTORS, rc);
    TEST_ASSERT(bad == -1, "sector %ld does not hold dom0's pattern", bad);
    TEST_ASSERT(after.requests - before.requests == 3,
                "%lu ring requests for 256 sectors (11 segments of 8 sectors: 3 expected)",
                after.requests - before.requests);
    TEST_ASSERT(rc1 == 0 && bad1 == -1, "sector 77 into an unaligned buffer: rc=%d bad=%ld",
                rc1, bad1);
    TEST_ASSERT(rc2 == 0 && bad2 == -1, "sectors 5..11: rc=%d bad=%ld", rc2, bad2);
    test_detail("sectors 0..%u match dom0's pattern (%lu requests, %lu events)",
                DOM0_SECTORS - 1, after.requests - before.requests, after.events - before.events);
    return TEST_PASS;
}

GUEST_TEST(blkfront_write_readback, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    uint8_t edge_before[2][SECTOR], edge_after[2][SECTOR];

    NEED_DISK(dev);
    uint8_t *out = malloc(WRITE_SECTORS * SECTOR + 3);
    uint8_t *in = malloc(WRITE_SECTORS * SECTOR);
    TEST_ASSERT(out && in, "no memory");
    for (uint32_t i = 0; i < WRITE_SECTORS; i++)
        fill_sector(out + 3 + (size_t)i * SECTOR, "minnow-wrote", WRITE_BASE + i, 'A');
    memset(in, 0, WRITE_SECTORS * SECTOR);

    int rc = blkfront_read(dev, WRITE_BASE - 1, 1, edge_before[0]);
    if (!rc)
        rc = blkfront_read(dev, WRITE_BASE + WRITE_SECTORS, 1, edge_before[1]);
    int wrc = rc ? 0 : blkfront_write(dev, WRITE_BASE, WRITE_SECTORS, out + 3);
    int rrc = rc || wrc ? 0 : blkfront_read(dev, WRITE_BASE, WRITE_SECTORS, in);
    long bad = rc || wrc || rrc ? -2 : check_pattern(in, WRITE_BASE, WRITE_SECTORS,
                                                     "minnow-wrote", 'A');
    int erc = blkfront_read(dev, WRITE_BASE - 1, 1, edge_after[0]);
    if (!erc)
        erc = blkfront_read(dev, WRITE_BASE + WRITE_SECTORS, 1, edge_after[1]);
    free(out);
    free(in);
    TEST_ASSERT(rc == 0, "reading the neighbours: rc=%d", rc);
    TEST_ASSERT(wrc == 0, "write of %u sectors at %u: rc=%d", WRITE_SECTORS, WRITE_BASE, wrc);
    TEST_ASSERT(rrc == 0, "read back: rc=%d", rrc);
    TEST_ASSERT(bad == -1, "sector %ld read back differs from what was written", bad);
    TEST_ASSERT(erc == 0, "reading the neighbours again: rc=%d", erc);
    TEST_ASSERT(!memcmp(edge_before, edge_after, sizeof(edge_before)),
                "a neighbouring sector (%u or %u) changed", WRITE_BASE - 1,
                WRITE_BASE + WRITE_SECTORS);
    test_detail("sectors %u..%u written from an unaligned buffer and read back; "
                "neighbours unchanged", WRITE_BASE, WRITE_BASE + WRITE_SECTORS - 1);
    return TEST_PASS;
}

GUEST_TEST(blkfront_flush, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    struct blkfront_stats before, after;

    NEED_DISK(dev);
    const struct blkfront_info *info = blkfront_get_info(dev);
    bool offered = info->flush || info->barrier;
    blkfront_get_stats(dev, &before);
    int rc = blkfront_flush(dev);
    blkfront_get_stats(dev, &after);
    if (!offered) {
        TEST_ASSERT(rc == -EOPNOTSUPP, "flush without the feature: rc=%d", rc);
        TEST_ASSERT(after.requests == before.requests, "a request was issued anyway");
        test_detail("backend offers neither feature-flush-cache nor feature-barrier");
        return TEST_SKIP;
    }
    TEST_ASSERT(rc == 0, "%s: rc=%d", info->flush ? "FLUSH_DISKCACHE" : "WRITE_BARRIER", rc);
    TEST_ASSERT(after.requests == before.requests + 1, "%lu requests for one flush",
                after.requests - before.requests);
    test_detail("%s answered okay", info->flush ? "BLKIF_OP_FLUSH_DISKCACHE" :
                                                  "BLKIF_OP_WRITE_BARRIER");
    return TEST_PASS;
}

GUEST_TEST(blkfront_bad_input, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    struct blkfront_stats before, after;
    uint8_t buf[2 * SECTOR];

    NEED_DISK(dev);
    uint64_t end = blkfront_get_info(dev)->sectors;
    blkfront_get_stats(dev, &before);
    int rc_end = blkfront_read(dev, end - 1, 2, buf);
    int rc_far = blkfront_write(dev, UINT64_MAX - 1, 2, buf);
    int rc_zero = blkfront_read(dev, 0, 0, buf);
    blkfront_get_stats(dev, &after);
    TEST_ASSERT(rc_end == -EINVAL, "read across the end: rc=%d", rc_end);
    TEST_ASSERT(rc_far == -EINVAL, "write at 2^64-2: rc=%d", rc_far);
    TEST_ASSERT(rc_zero == -EINVAL, "read of 0 sectors: rc=%d", rc_zero);
    TEST_ASSERT(after.requests == before.requests, "%lu requests were issued",
                after.requests - before.requests);
    int rc = blkfront_read(dev, end - 2, 2, buf);
    TEST_ASSERT(rc == 0, "the last two sectors: rc=%d", rc);
    test_detail("out of range and empty transfers refused before the ring; last sectors read");
    return TEST_PASS;
}

GUEST_TEST(blkfront_backend_error, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    struct blkfront_stats before, after;
    uint8_t buf[16 * SECTOR];

    NEED_DISK(dev);
    uint64_t end = blkfront_get_info(dev)->sectors;
    blkfront_get_stats(dev, &before);
    /* blkback checks the range itself and answers BLKIF_RSP_ERROR. */
    int rc = blkfront_test_read_unchecked(dev, end - 8, 16, buf);
    blkfront_get_stats(dev, &after);
    TEST_ASSERT(rc == -EIO, "read past the end, backend judging: rc=%d", rc);
    TEST_ASSERT(after.errors == before.errors + 1, "%lu error responses",
                after.errors - before.errors);
    TEST_ASSERT(!blkfront_is_broken(dev), "an error status broke the device");
    rc = blkfront_read(dev, 0, 1, buf);
    TEST_ASSERT(rc == 0 && check_pattern(buf, 0, 1, "minnow-sector", 'a') == -1,
                "sector 0 after the error: rc=%d", rc);
    test_detail("BLKIF_RSP_ERROR gave -EIO; the device still works");
    return TEST_PASS;
}

/* ---- several callers at once ------------------------------------------- */

struct reader {
    struct blkfront_dev *dev;
    unsigned int index, rounds, done;
    int rc;
    long bad;
};

static void reader_thread(void *arg)
{
    struct reader *r = arg;
    uint32_t count = 64, first = r->index * 48;       /* overlapping ranges */
    uint8_t *buf = malloc(count * SECTOR);

    r->bad = -1;
    if (!buf) {
        r->rc = -ENOMEM;
    }
    for (unsigned i = 0; buf && i < r->rounds && !r->rc && r->bad == -1; i++) {
        memset(buf, 0, count * SECTOR);
        r->rc = blkfront_read(r->dev, first, count, buf);
        if (!r->rc)
            r->bad = check_pattern(buf, first, count, "minnow-sector", 'a');
    }
    free(buf);
    r->done = 1;
}

GUEST_TEST(blkfront_concurrent, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    struct reader r[4];

    NEED_DISK(dev);
    for (unsigned i = 0; i < 4; i++) {
        r[i] = (struct reader){ .dev = dev, .index = i, .rounds = 8 };
        TEST_ASSERT(thread_create("blk-reader", reader_thread, &r[i]), "no thread");
    }
    stime_t deadline = monotonic_ns() + 60 * NSEC_PER_SEC;
    for (;;) {
        unsigned done = 0;
        for (unsigned i = 0; i < 4; i++)
            done += r[i].done;
        if (done == 4)
            break;
        TEST_ASSERT(monotonic_ns() < deadline, "readers not done after 60 s (%u of 4)", done);
        msleep(5);
    }
    for (unsigned i = 0; i < 4; i++)
        TEST_ASSERT(r[i].rc == 0 && r[i].bad == -1, "reader %u: rc=%d, bad sector %ld", i,
                    r[i].rc, r[i].bad);
    test_detail("4 threads x 8 reads of 64 sectors, all data right");
    return TEST_PASS;
}

/* ---- a misbehaving backend, close and reopen ---------------------------- */

GUEST_TEST(blkfront_bogus_response, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    uint8_t buf[SECTOR];

    NEED_DISK(dev);
    /* An answer to a request nobody made. */
    int rc = blkfront_test_inject_response(dev, 7, false);
    TEST_ASSERT(rc == 0, "inject: rc=%d", rc);
    TEST_ASSERT(blkfront_is_broken(dev), "a response with an id not in flight was accepted");
    rc = blkfront_read(dev, 0, 1, buf);
    TEST_ASSERT(rc == -ENODEV, "I/O on the broken device: rc=%d", rc);
    rc = blkfront_close(dev);
    TEST_ASSERT(rc == 0, "close of the broken device: rc=%d", rc);
    if (reopen_and_read(&dev) != TEST_PASS)
        return TEST_FAIL;

    /* rsp_prod running ahead of the requests. */
    rc = blkfront_test_inject_response(dev, 0, true);
    TEST_ASSERT(rc == 0, "inject: rc=%d", rc);
    TEST_ASSERT(blkfront_is_broken(dev), "rsp_prod beyond req_prod was accepted");
    rc = blkfront_close(dev);
    TEST_ASSERT(rc == 0, "close of the broken device: rc=%d", rc);
    if (reopen_and_read(&dev) != TEST_PASS)
        return TEST_FAIL;
    test_detail("bogus id and runaway rsp_prod: device broken, closed, reopened, reads again");
    return TEST_PASS;
}

GUEST_TEST(blkfront_close_reopen, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;

    NEED_DISK(dev);
    int rc = blkfront_close(dev);
    TEST_ASSERT(rc == 0, "close: rc=%d", rc);
    if (reopen_and_read(&dev) != TEST_PASS)
        return TEST_FAIL;
    test_detail("Closing/Closed handshake, then a new connection that reads");
    return TEST_PASS;
}

/* ---- what the backend can see of a bounce page -------------------------- */

#define CANARY 0xa5

/* Leave old data in free frames, as freed heap pages and old bounces would. */
static void dirty_free_frames(unsigned int n)
{
    xen_pfn_t pfn[64];
    unsigned int got = 0;

    while (got < n && got < 64 && frame_alloc(&pfn[got]) == 0)
        memset(pfn_to_virt(pfn[got++]), CANARY, 4096);
    while (got)
        frame_free(pfn[--got]);
}

static struct {
    unsigned int pages;             /* bounce pages seen */
    int stale_at;                   /* first byte past the data that is not 0, or -1 */
    uint8_t stale_op, stale_byte;
    uint32_t stale_data;
} spied;

static void zero_spy(uint8_t op, grant_ref_t ref, xen_pfn_t pfn, const void *page,
                     uint32_t data_bytes)
{
    const uint8_t *p = page;

    spied.pages++;
    for (uint32_t i = data_bytes; i < 4096 && spied.stale_at < 0; i++)
        if (p[i]) {
            spied.stale_at = i;
            spied.stale_op = op;
            spied.stale_byte = p[i];
            spied.stale_data = data_bytes;
        }
}

GUEST_TEST(blkfront_bounce_pages_zeroed, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    uint8_t buf[11 * SECTOR];

    NEED_DISK(dev);
    spied.pages = 0;
    spied.stale_at = -1;
    blkfront_test_spy_grants(zero_spy);
    /* A read (the whole page is the backend's to fill), a short write (3 of
     * 8 sectors), and a write whose second page holds 3 sectors. */
    dirty_free_frames(64);
    int rc_r = blkfront_read(dev, 0, 1, buf);
    for (unsigned i = 0; i < 11; i++)
        fill_sector(buf + i * SECTOR, "minnow-scratch", SCRATCH_BASE + i, 'A');
    dirty_free_frames(64);
    int rc_w = blkfront_write(dev, SCRATCH_BASE, 3, buf);
    dirty_free_frames(64);
    int rc_w2 = blkfront_write(dev, SCRATCH_BASE, 11, buf);
    blkfront_test_spy_grants(NULL);
    TEST_ASSERT(rc_r == 0 && rc_w == 0 && rc_w2 == 0, "read rc=%d, writes rc=%d, %d", rc_r,
                rc_w, rc_w2);
    TEST_ASSERT(spied.pages == 4, "%u bounce pages granted (1 + 1 + 2 expected)", spied.pages);
    TEST_ASSERT(spied.stale_at < 0, "a %s page was granted holding old memory: byte %d is "
                "%#x (the request's data ends at %u)", spied.stale_op == BLKIF_OP_READ ?
                "read" : "write", spied.stale_at, spied.stale_byte, spied.stale_data);
    test_detail("%u granted pages hold only zeroes past the data (free frames were filled "
                "with %#x first)", spied.pages, CANARY);
    return TEST_PASS;
}

/* ---- a backend that keeps a grant mapped --------------------------------- */

#define HOLD_VA (MAP_AREA_BASE + 257 * PAGE_SIZE)

/*
 * Play a backend that keeps the next bounce page mapped: the page is
 * granted to us instead (the driver's ref comes straight back from the
 * free list) and we map it, as blkback maps a grant.  The real backend's
 * map then fails, so it answers BLKIF_RSP_ERROR, and when the driver ends
 * the grant Xen still shows it mapped.
 */
static struct {
    domid_t self;
    bool armed, mapped;
    grant_ref_t ref;
    grant_handle_t handle;
    int rc;
} hold;

static void hold_spy(uint8_t op, grant_ref_t ref, xen_pfn_t pfn, const void *page,
                     uint32_t data_bytes)
{
    grant_ref_t again;

    if (!hold.armed)
        return;
    hold.armed = false;
    hold.rc = gnttab_end_access(ref);
    if (!hold.rc)
        hold.rc = gnttab_grant_access(hold.self, pfn, true, &again);
    if (!hold.rc && again != ref)
        hold.rc = -EXDEV;
    if (hold.rc)
        return;
    struct gnttab_map_grant_ref map = {
        .host_addr = HOLD_VA, .flags = GNTMAP_host_map | GNTMAP_readonly,
        .ref = ref, .dom = hold.self,
    };
    long lrc = hypercall_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
    hold.rc = lrc ? (int)lrc : map.status;
    hold.mapped = hold.rc == 0;
    hold.ref = ref;
    hold.handle = map.handle;
}

static int hold_release(void)
{
    struct gnttab_unmap_grant_ref unmap = { .host_addr = HOLD_VA, .handle = hold.handle };

    if (!hold.mapped)
        return 0;
    hold.mapped = false;
    long lrc = hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
    return lrc ? (int)lrc : unmap.status;
}

GUEST_TEST(blkfront_backend_holds_grant, TEST_NEEDS("disk"))
{
    struct blkfront_dev *dev;
    uint64_t domid;
    uint8_t buf[SECTOR];

    NEED_DISK(dev);
    TEST_ASSERT(xs_read_u64(XS_NO_TX, "domid", &domid) == 0, "no domid in xenstore");
    hold = (typeof(hold)){ .self = domid, .armed = true };
    uint32_t free_before = gnttab_free_refs();
    unsigned int deferred_before = blkfront_test_deferred_grants();
    fill_sector(buf, "minnow-scratch", SCRATCH_BASE, 'A');
    blkfront_test_spy_grants(hold_spy);
    int rc = blkfront_write(dev, SCRATCH_BASE, 1, buf);
    blkfront_test_spy_grants(NULL);
    bool broken = blkfront_is_broken(dev);
    unsigned int deferred = blkfront_test_deferred_grants();
    int urc = hold_release();
    TEST_ASSERT(hold.rc == 0, "could not play the backend (rc=%d)", hold.rc);
    TEST_ASSERT(urc == 0, "unmapping the held grant: rc=%d", urc);
    TEST_ASSERT(rc == -EIO, "write whose page the backend could not map: rc=%d", rc);
    TEST_ASSERT(broken, "the device kept going although the backend still maps one of its "
                "grants");
    TEST_ASSERT(deferred == deferred_before + 1, "%u grants deferred (%u before)", deferred,
                deferred_before);
    /* Once the backend lets go, the deferred grant is ended and its ref freed. */
    stime_t deadline = monotonic_ns() + 5 * NSEC_PER_SEC;
    while (blkfront_test_deferred_grants() > deferred_before && monotonic_ns() < deadline)
        msleep(50);
    TEST_ASSERT(blkfront_test_deferred_grants() == deferred_before,
                "the grant is still deferred 5 s after the backend let go");
    TEST_ASSERT(gnttab_free_refs() == free_before, "free refs %u, %u before", gnttab_free_refs(),
                free_before);
    rc = blkfront_close(dev);
    TEST_ASSERT(rc == 0, "close of the broken device: rc=%d", rc);
    if (reopen_and_read(&dev) != TEST_PASS)
        return TEST_FAIL;
    test_detail("grant %u held: device broken, grant deferred, ended once let go; reopened",
                hold.ref);
    return TEST_PASS;
}

