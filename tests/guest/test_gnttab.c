/*
 * Grant tables against the real Xen: minnow grants one of its pages to
 * itself and maps the grant back with GNTTABOP_map_grant_ref, as a backend
 * in another domain would; while mapped, ending the grant must fail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <minnow/frame.h>
#include <minnow/gnttab.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include "test.h"
#include <minnow/xenstore.h>
#include <arch/hypercall.h>
#include <arch/layout.h>

/* A VA in the same 2 MiB as the grant table, so its level-1 table exists. */
#define MAP_TEST_VA (MAP_AREA_BASE + 256 * PAGE_SIZE)

static int own_domid(domid_t *id)
{
    uint64_t v;

    if (is_initial_domain()) {
        *id = 0;
        return 0;
    }
    if (!xenstore_available() || xs_read_u64(XS_NO_TX, "domid", &v))
        return -ENOENT;
    *id = v;
    return 0;
}

GUEST_TEST(gnttab_self_map, 0)
{
    domid_t self;
    xen_pfn_t pfn;
    grant_ref_t ref;

    TEST_SKIP_IF(!gnttab_ready(), "no grant table");
    TEST_SKIP_IF(own_domid(&self), "own domid unknown");
    TEST_ASSERT(frame_alloc(&pfn) == 0, "no frame");
    uint64_t *page = pfn_to_virt(pfn);
    for (int i = 0; i < 512; i++)
        page[i] = 0x6772616e74000000ULL + i;
    uint32_t free_before = gnttab_free_refs();

    int rc = gnttab_grant_access(self, pfn, true, &ref);
    TEST_ASSERT(rc == 0, "grant: rc=%d", rc);
    TEST_ASSERT(ref >= GNTTAB_NR_RESERVED_ENTRIES, "ref %u is reserved", ref);

    struct gnttab_map_grant_ref map = {
        .host_addr = MAP_TEST_VA, .flags = GNTMAP_host_map | GNTMAP_readonly,
        .ref = ref, .dom = self,
    };
    long lrc = hypercall_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
    TEST_ASSERT(lrc == 0 && map.status == GNTST_okay, "map: rc=%ld status=%d", lrc, map.status);
    const volatile uint64_t *seen = (const volatile uint64_t *)MAP_TEST_VA;
    bool same = true;
    for (int i = 0; i < 512; i++)
        same &= seen[i] == 0x6772616e74000000ULL + (uint64_t)i;
    int busy = gnttab_end_access(ref);

    struct gnttab_unmap_grant_ref unmap = { .host_addr = MAP_TEST_VA, .handle = map.handle };
    lrc = hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
    TEST_ASSERT(same, "the mapping shows other data");
    TEST_ASSERT(busy == -EBUSY, "ending a mapped grant: rc=%d", busy);
    TEST_ASSERT(lrc == 0 && unmap.status == GNTST_okay, "unmap: rc=%ld status=%d", lrc,
                unmap.status);
    uint64_t pte;
    TEST_ASSERT(pt_lookup(MAP_TEST_VA, &pte) == 0 && pte == 0, "PTE after unmap %#lx",
                (unsigned long)pte);
    TEST_ASSERT(gnttab_end_access(ref) == 0, "ending the unmapped grant");
    TEST_ASSERT(gnttab_free_refs() == free_before, "refs %u -> %u", free_before,
                gnttab_free_refs());
    frame_free(pfn);
    test_detail("ref %u of %u, domain %u", ref, gnttab_nr_refs(), self);
    return TEST_PASS;
}

GUEST_TEST(gnttab_refuses_bad_pfns, 0)
{
    grant_ref_t ref;
    TEST_SKIP_IF(!gnttab_ready(), "no grant table");
    /* A 1:1 pfn is not RAM: granting it would hand out a device frame. */
    xen_pfn_t hole = is_initial_domain() ? 0xa0 : p2m_table_limit;
    TEST_ASSERT(p2m_kind_of(hole) == P2M_IDENTITY, "pfn %#lx is not 1:1", (unsigned long)hole);
    TEST_ASSERT(gnttab_grant_access(0, hole, false, &ref) == -EINVAL, "granted a 1:1 pfn");
    TEST_ASSERT(gnttab_end_access(gnttab_nr_refs()) == -EINVAL, "ended a ref past the table");
    return TEST_PASS;
}
