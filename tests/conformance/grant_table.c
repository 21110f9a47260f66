/*
 * Conformance: __HYPERVISOR_grant_table_op (public/grant_table.h;
 * xen/common/grant_table.c: do_grant_table_op() and the gnttab_*
 * functions named per test).  Per-op failures are in the op's status
 * field (GNTST_*); the call's return value is for argument errors.
 */
#include "conformance.h"
#include <minnow/gnttab.h>

static long gt_op(unsigned int cmd, void *op, unsigned int n)
{
    return hypercall_grant_table_op(cmd, op, n);
}

/* GNTTABOP_setup_table for ourselves: GNTST_okay and the machine frame
 * of grant frame 0 -- the one minnow maps at MAP_AREA_BASE. */
GUEST_TEST(gnttab_setup_table, 0)
{
    xen_pfn_t frame = 0;
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 1 };
    uint64_t pte;
    long rc;

    TEST_SKIP_IF(!gnttab_ready(), "minnow has no grant table");
    set_xen_guest_handle(op.frame_list, &frame);
    rc = gt_op(GNTTABOP_setup_table, &op, 1);
    TEST_ERROR_IF(pt_lookup(MAP_AREA_BASE, &pte), "lookup of minnow's grant frame 0");
    TEST_ASSERT(rc == 0 && op.status == GNTST_okay && frame == pte_mfn(pte),
                "grant_table_op(setup_table, SELF, 1 frame) = %ld status %d frame %#lx, "
                "expected 0, okay, %#lx", rc, op.status, (unsigned long)frame,
                (unsigned long)pte_mfn(pte));
    return TEST_PASS;
}

/* setup_table asking for more frames than the domain may have:
 * GNTST_general_error; for a domain that does not exist: bad_domain;
 * a count other than 1: -EINVAL. */
GUEST_TEST(gnttab_setup_table_errors, 0)
{
    static xen_pfn_t frames[1024];
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 1024 };
    long rc;

    set_xen_guest_handle(op.frame_list, frames);
    rc = gt_op(GNTTABOP_setup_table, &op, 1);
    TEST_ASSERT(rc == 0 && op.status == GNTST_general_error,
                "grant_table_op(setup_table, SELF, 1024 frames) = %ld status %d, "
                "expected 0, GNTST_general_error", rc, op.status);
    op.dom = 0x7fef;
    op.nr_frames = 1;
    rc = gt_op(GNTTABOP_setup_table, &op, 1);
    TEST_ASSERT(rc == 0 && op.status == GNTST_bad_domain,
                "grant_table_op(setup_table, dom 0x7fef) = %ld status %d, expected 0, bad_domain",
                rc, op.status);
    op.dom = DOMID_SELF;
    rc = gt_op(GNTTABOP_setup_table, &op, 2);
    TEST_ASSERT(rc == -XEN_EINVAL, "grant_table_op(setup_table, count 2) = %ld, expected -EINVAL",
                rc);
    return TEST_PASS;
}

/* GNTTABOP_query_size: okay, the frames in use (minnow's) and a maximum
 * at least that large. */
GUEST_TEST(gnttab_query_size, 0)
{
    struct gnttab_query_size op = { .dom = DOMID_SELF };
    long rc = gt_op(GNTTABOP_query_size, &op, 1);
    uint32_t frames = gnttab_nr_refs() / (PAGE_SIZE / sizeof(grant_entry_v1_t));

    TEST_ASSERT(rc == 0 && op.status == GNTST_okay && op.nr_frames >= frames &&
                op.max_nr_frames >= op.nr_frames,
                "grant_table_op(query_size, SELF) = %ld status %d nr %u max %u, expected 0, okay, "
                "nr >= %u (minnow's), max >= nr", rc, op.status, op.nr_frames,
                op.max_nr_frames, frames);
    return TEST_PASS;
}

/* GNTTABOP_get_version: minnow uses v1. */
GUEST_TEST(gnttab_get_version, 0)
{
    struct gnttab_get_version op = { .dom = DOMID_SELF };
    long rc = gt_op(GNTTABOP_get_version, &op, 1);

    TEST_ASSERT(rc == 0 && op.version == 1,
                "grant_table_op(get_version, SELF) = %ld version %u, expected 0, 1", rc, op.version);
    return TEST_PASS;
}

/* set_version: only 1 and 2 exist (-EINVAL otherwise); setting the
 * version in use is a no-op, 0. */
GUEST_TEST(gnttab_set_version_bad, 0)
{
    struct gnttab_set_version op = { .version = 3 };
    long rc = gt_op(GNTTABOP_set_version, &op, 1);

    TEST_ASSERT(rc == -XEN_EINVAL, "grant_table_op(set_version 3) = %ld, expected -EINVAL", rc);
    op.version = 1;
    rc = gt_op(GNTTABOP_set_version, &op, 1);
    TEST_ASSERT(rc == 0 && op.version == 1, "grant_table_op(set_version 1) while v1 = %ld, "
                "version %u, expected 0, 1", rc, op.version);
    return TEST_PASS;
}

/*
 * v1 -> v2 -> v1: each switch 0 while nothing is mapped; under v2 the
 * status frames exist (get_status_frames okay), under v1 they do not
 * (GNTST_general_error: nr_status_frames() is 0).  Xen may be built or
 * configured without v2 (gnttab=max-ver:1): set_version 2 is then
 * -ENOSYS, a SKIP.
 */
GUEST_TEST(gnttab_set_version_v2_and_back, 0)
{
    struct gnttab_set_version sv = { .version = 2 };
    uint64_t status = 0;
    struct gnttab_get_status_frames gs = { .dom = DOMID_SELF, .nr_frames = 1 };
    long rc, rc1;

    set_xen_guest_handle(gs.frame_list, &status);
    rc = gt_op(GNTTABOP_get_status_frames, &gs, 1);
    TEST_ASSERT(rc == 0 && gs.status == GNTST_general_error,
                "grant_table_op(get_status_frames) under v1 = %ld status %d, expected 0, "
                "general_error", rc, gs.status);
    rc = gt_op(GNTTABOP_set_version, &sv, 1);
    TEST_SKIP_IF(rc == -XEN_ENOSYS, "grant table v2 not available (set_version 2 = -ENOSYS)");
    TEST_ASSERT(rc == 0, "grant_table_op(set_version 2) = %ld, expected 0", rc);
    rc = gt_op(GNTTABOP_get_status_frames, &gs, 1);
    sv.version = 1;
    rc1 = gt_op(GNTTABOP_set_version, &sv, 1);
    TEST_ASSERT(rc == 0 && gs.status == GNTST_okay && status != 0,
                "grant_table_op(get_status_frames, 1) under v2 = %ld status %d frame %#lx, "
                "expected 0, okay, a frame", rc, gs.status, (unsigned long)status);
    TEST_ASSERT(rc1 == 0, "grant_table_op(set_version 1) back = %ld, expected 0", rc1);
    return TEST_PASS;
}

/* map_grant_ref errors, in status (map_grant_ref()): no map flag ->
 * bad_gntref; a domain that does not exist -> bad_domain, and so is
 * DOMID_SELF (the granter is looked up by real id only); a ref beyond the
 * granting table (dom0's here) -> bad_gntref. */
GUEST_TEST(gnttab_map_errors, 0)
{
    struct gnttab_map_grant_ref op[4] = {
        { .host_addr = CONF_SCRATCH_VA, .flags = 0, .ref = 8, .dom = 0 },
        { .host_addr = CONF_SCRATCH_VA, .flags = GNTMAP_host_map, .ref = 8, .dom = 0x7fef },
        { .host_addr = CONF_SCRATCH_VA, .flags = GNTMAP_host_map, .ref = 8, .dom = DOMID_SELF },
        { .host_addr = CONF_SCRATCH_VA, .flags = GNTMAP_host_map, .ref = 0x7fffffff, .dom = 0 },
    };
    static const int16_t want[4] = { GNTST_bad_gntref, GNTST_bad_domain, GNTST_bad_domain,
                                     GNTST_bad_gntref };
    long rc = gt_op(GNTTABOP_map_grant_ref, op, 4);

    TEST_ASSERT(rc == 0, "grant_table_op(map_grant_ref, 4 ops) = %ld, expected 0", rc);
    for (unsigned i = 0; i < 4; i++)
        TEST_ASSERT(op[i].status == want[i], "map_grant_ref op %u (flags %#x ref %#x dom %#x): "
                    "status %d, expected %d", i, op[i].flags, op[i].ref, op[i].dom,
                    op[i].status, want[i]);
    return TEST_PASS;
}

/* unmap_grant_ref with a handle that was never handed out: bad_handle. */
GUEST_TEST(gnttab_unmap_bad_handle, 0)
{
    struct gnttab_unmap_grant_ref op[2] = {
        { .host_addr = CONF_SCRATCH_VA, .handle = 0xffffffff },
        { .host_addr = CONF_SCRATCH_VA, .handle = 0 },
    };
    long rc = gt_op(GNTTABOP_unmap_grant_ref, op, 2);

    TEST_ASSERT(rc == 0 && op[0].status == GNTST_bad_handle && op[1].status == GNTST_bad_handle,
                "grant_table_op(unmap_grant_ref, handles 0xffffffff, 0) = %ld status %d %d, "
                "expected 0, bad_handle twice", rc, op[0].status, op[1].status);
    return TEST_PASS;
}

static void copy_op(struct gnttab_copy *c, xen_pfn_t src, uint16_t soff, xen_pfn_t dst,
                    uint16_t doff, uint16_t len)
{
    memset(c, 0, sizeof(*c));
    c->source.u.gmfn = src;
    c->source.domid = DOMID_SELF;
    c->source.offset = soff;
    c->dest.u.gmfn = dst;
    c->dest.domid = DOMID_SELF;
    c->dest.offset = doff;
    c->len = len;
}

/* GNTTABOP_copy between two frames of our own (by frame, no grant):
 * okay, the bytes copied (gnttab_copy_one()). */
GUEST_TEST(gnttab_copy_local, 0)
{
    struct conf_frame s, d;
    struct gnttab_copy c;
    long rc;

    TEST_ERROR_IF(conf_frame_get(&s) || conf_frame_get(&d), "no frames");
    memcpy(s.va + 100, "minnow-copy", 11);
    copy_op(&c, s.mfn, 100, d.mfn, 200, 11);
    rc = gt_op(GNTTABOP_copy, &c, 1);
    TEST_ASSERT(rc == 0 && c.status == GNTST_okay && memcmp(d.va + 200, "minnow-copy", 11) == 0,
                "grant_table_op(copy, mfn %#lx+100 -> mfn %#lx+200, 11) = %ld status %d, "
                "expected 0, okay, bytes copied", (unsigned long)s.mfn, (unsigned long)d.mfn,
                rc, c.status);
    conf_frame_put(&s);
    conf_frame_put(&d);
    return TEST_PASS;
}

/* A copy that runs past the end of either page: bad_copy_arg, nothing
 * copied (gnttab_copy_buf()). */
GUEST_TEST(gnttab_copy_bad_args, 0)
{
    struct conf_frame s, d;
    struct gnttab_copy c[2];
    long rc;

    TEST_ERROR_IF(conf_frame_get(&s) || conf_frame_get(&d), "no frames");
    memset(s.va, 0x33, PAGE_SIZE);
    copy_op(&c[0], s.mfn, 4000, d.mfn, 0, 200);
    copy_op(&c[1], s.mfn, 0, d.mfn, 4090, 10);
    rc = gt_op(GNTTABOP_copy, c, 2);
    TEST_ASSERT(rc == 0 && c[0].status == GNTST_bad_copy_arg && c[1].status == GNTST_bad_copy_arg,
                "grant_table_op(copy, [src off 4000 len 200], [dst off 4090 len 10]) = %ld "
                "status %d %d, expected 0, bad_copy_arg twice", rc, c[0].status, c[1].status);
    TEST_ASSERT(d.va[0] == 0 && d.va[4095] == 0, "a refused copy wrote to the destination");
    conf_frame_put(&s);
    conf_frame_put(&d);
    return TEST_PASS;
}

/* An unknown grant_table_op: -ENOSYS. */
GUEST_TEST(gnttab_unknown_cmd, 0)
{
    long rc = gt_op(99, NULL, 0);

    TEST_ASSERT(rc == -XEN_ENOSYS, "grant_table_op(99) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}
