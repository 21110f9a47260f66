/* Boot facts: what Xen told us is sane, and what we set up holds. */
#include <string.h>
#include "test.h"
#include <minnow/hypervisor.h>
#include <minnow/mm.h>
#include <minnow/frame.h>
#include <arch/hypercall.h>
#include <arch/layout.h>

extern char _text[], _end[];

GUEST_TEST(boot_start_info, 0)
{
    const start_info_t *si = &boot_start_info;

    TEST_ASSERT(strncmp(si->magic, "xen-3.0-x86_64", 14) == 0, "magic '%.32s'", si->magic);
    /* Xen populates at least what it built for us: kernel, its p2m list,
     * start_info, page tables, stack (xl's smallest PV domU: 4 MiB). */
    TEST_ASSERT(si->nr_pages >= mm_boot.bootstrap_end_pfn,
                "nr_pages %lu, but Xen's boot data runs to pfn %#lx", si->nr_pages,
                (unsigned long)mm_boot.bootstrap_end_pfn);
    TEST_ASSERT((si->shared_info & 0xfff) == 0, "shared_info %#lx", si->shared_info);
    TEST_ASSERT(si->pt_base % PAGE_SIZE == 0 && si->pt_base > (uint64_t)_end,
                "pt_base %#lx", si->pt_base);
    TEST_ASSERT(si->mfn_list >= (uint64_t)_end, "mfn_list %#lx", si->mfn_list);
    TEST_ASSERT(si->nr_pt_frames >= 4, "nr_pt_frames %lu", si->nr_pt_frames);
    TEST_ASSERT(start_info->flags == si->flags && start_info->nr_pages == si->nr_pages,
                "the boot copy differs from Xen's page (flags %#x vs %#x)", si->flags,
                start_info->flags);
    TEST_ASSERT(memchr(si->cmd_line, '\0', sizeof(si->cmd_line)), "cmd_line not terminated");
    test_detail("nr_pages %lu flags %#x", si->nr_pages, si->flags);
    return TEST_PASS;
}

GUEST_TEST(boot_features, 0)
{
    /* A PV guest never sees auto-translation; dom0 sees the dom0 feature. */
    TEST_ASSERT(!xen_feature(XENFEAT_auto_translated_physmap), "PV guest is auto-translated?");
    if (is_initial_domain())
        TEST_ASSERT(xen_feature(XENFEAT_dom0), "dom0 without XENFEAT_dom0");
    long ver = hypercall_xen_version(XENVER_version, NULL);
    TEST_ASSERT(ver >= 0x40000, "Xen version %#lx", ver);
    test_detail("Xen %ld.%ld", ver >> 16, ver & 0xffff);
    return TEST_PASS;
}

GUEST_TEST(boot_memory_mapped, 0)
{
    /* Every RAM page is mapped: touch the first and last byte of each. */
    volatile uint8_t *first = pfn_to_virt(1);
    volatile uint8_t *last = pfn_to_virt(mm_boot.nr_pages - 1);
    uint8_t a = first[0], b = last[PAGE_SIZE - 1];
    (void)a;
    (void)b;
    TEST_ASSERT(mm_boot.xen_mapped_end_pfn <= mm_boot.nr_pages, "mapped end %#lx",
                (unsigned long)mm_boot.xen_mapped_end_pfn);
    TEST_ASSERT(frame_free_count() > 0, "no free frames");
    test_detail("%lu pages mapped, %lu free", (unsigned long)mm_boot.nr_pages,
                (unsigned long)frame_free_count());
    return TEST_PASS;
}
