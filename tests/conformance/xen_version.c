/*
 * Conformance: __HYPERVISOR_xen_version (xen/include/public/version.h,
 * implemented in xen/common/kernel.c:do_xen_version()).
 */
#include "conformance.h"
#include <xen/features.h>

/* XENVER_pagesize returns the page size a guest must use for the PV ABI
 * (PAGE_SIZE, 4 KiB on x86), as its return value, ignoring the argument. */
GUEST_TEST(xen_version_pagesize, 0)
{
    long rc = hypercall_xen_version(XENVER_pagesize, NULL);

    TEST_ASSERT(rc == 4096, "xen_version(XENVER_pagesize, NULL) = %ld, expected 4096", rc);
    return TEST_PASS;
}

/* XENVER_version: major << 16 | minor, no argument.  Every Xen this suite
 * targets is 4.x with x >= 17. */
GUEST_TEST(xen_version_version, 0)
{
    long rc = hypercall_xen_version(XENVER_version, NULL);

    TEST_ASSERT((rc >> 16) == 4 && (rc & 0xffff) >= 17,
                "xen_version(XENVER_version) = %#lx, expected 4.x (x >= 17) as 0x4000x", rc);
    return TEST_PASS;
}

/* XENVER_extraversion fills a xen_extraversion_t (16 bytes) with a
 * NUL-terminated string and returns 0; kernel.c copies it with
 * safe_strcpy, so a long extraversion is cut, never unterminated. */
GUEST_TEST(xen_version_extraversion, 0)
{
    xen_extraversion_t ev;
    long rc;

    memset(ev, 0xff, sizeof(ev));
    rc = hypercall_xen_version(XENVER_extraversion, ev);
    TEST_ASSERT(rc == 0, "xen_version(XENVER_extraversion) = %ld, expected 0", rc);
    TEST_ASSERT(memchr(ev, '\0', sizeof(ev)) != NULL,
                "XENVER_extraversion: no NUL within %zu bytes", sizeof(ev));
    return TEST_PASS;
}

/* XENVER_compile_info: four NUL-terminated strings, date non-empty. */
GUEST_TEST(xen_version_compile_info, 0)
{
    xen_compile_info_t ci;
    long rc;

    memset(&ci, 0xff, sizeof(ci));
    rc = hypercall_xen_version(XENVER_compile_info, &ci);
    TEST_ASSERT(rc == 0, "xen_version(XENVER_compile_info) = %ld, expected 0", rc);
    TEST_ASSERT(memchr(ci.compiler, 0, sizeof(ci.compiler)) &&
                memchr(ci.compile_by, 0, sizeof(ci.compile_by)) &&
                memchr(ci.compile_domain, 0, sizeof(ci.compile_domain)) &&
                memchr(ci.compile_date, 0, sizeof(ci.compile_date)),
                "XENVER_compile_info: a field without NUL");
    TEST_ASSERT(ci.compile_date[0] != '\0', "XENVER_compile_info: empty compile_date");
    return TEST_PASS;
}

/* XENVER_capabilities lists the guest ABIs Xen runs; a 64-bit PV guest
 * is running, so "xen-3.0-x86_64" must be among them
 * (xen/arch/x86/setup.c:arch_get_xen_caps()). */
GUEST_TEST(xen_version_capabilities, 0)
{
    xen_capabilities_info_t caps;
    long rc;

    memset(caps, 0, sizeof(caps));
    rc = hypercall_xen_version(XENVER_capabilities, caps);
    TEST_ASSERT(rc == 0, "xen_version(XENVER_capabilities) = %ld, expected 0", rc);
    caps[sizeof(caps) - 1] = '\0';
    TEST_ASSERT(strstr(caps, "xen-3.0-x86_64") != NULL,
                "XENVER_capabilities = \"%s\", expected to list xen-3.0-x86_64", caps);
    return TEST_PASS;
}

/* XENVER_changeset: a NUL-terminated string, 0. */
GUEST_TEST(xen_version_changeset, 0)
{
    xen_changeset_info_t cs;
    long rc;

    memset(cs, 0xff, sizeof(cs));
    rc = hypercall_xen_version(XENVER_changeset, cs);
    TEST_ASSERT(rc == 0, "xen_version(XENVER_changeset) = %ld, expected 0", rc);
    TEST_ASSERT(memchr(cs, 0, sizeof(cs)) != NULL, "XENVER_changeset: no NUL");
    return TEST_PASS;
}

/* XENVER_platform_parameters: virt_start is where Xen's part of the
 * address space begins; for a 64-bit PV guest HYPERVISOR_VIRT_START
 * (public/arch-x86/xen-x86_64.h). */
GUEST_TEST(xen_version_platform_parameters, 0)
{
    xen_platform_parameters_t pp = { .virt_start = 0 };
    long rc = hypercall_xen_version(XENVER_platform_parameters, &pp);

    TEST_ASSERT(rc == 0, "xen_version(XENVER_platform_parameters) = %ld, expected 0", rc);
    TEST_ASSERT(pp.virt_start == HYPERVISOR_VIRT_START,
                "XENVER_platform_parameters virt_start = %#lx, expected %#lx",
                (unsigned long)pp.virt_start, (unsigned long)HYPERVISOR_VIRT_START);
    return TEST_PASS;
}

/* XENVER_get_features submap 0 agrees with start_info: XENFEAT_dom0 is
 * set exactly for the initial domain (SIF_INITDOMAIN), and a PV guest
 * never sees auto_translated_physmap (kernel.c:do_xen_version()). */
GUEST_TEST(xen_version_features_agree_start_info, 0)
{
    xen_feature_info_t fi = { .submap_idx = 0 };
    long rc = hypercall_xen_version(XENVER_get_features, &fi);
    bool dom0_bit, initdom;

    TEST_ASSERT(rc == 0, "xen_version(XENVER_get_features, submap 0) = %ld, expected 0", rc);
    dom0_bit = fi.submap & (1u << XENFEAT_dom0);
    initdom = boot_start_info.flags & SIF_INITDOMAIN;
    TEST_ASSERT(dom0_bit == initdom,
                "XENVER_get_features submap %#x: XENFEAT_dom0 %d, start_info SIF_INITDOMAIN %d",
                fi.submap, dom0_bit, initdom);
    TEST_ASSERT(!(fi.submap & (1u << XENFEAT_auto_translated_physmap)),
                "XENVER_get_features submap %#x: auto_translated_physmap set for a PV guest",
                fi.submap);
    return TEST_PASS;
}

/* XENVER_get_features beyond XENFEAT_NR_SUBMAPS: -EINVAL. */
GUEST_TEST(xen_version_features_bad_submap, 0)
{
    xen_feature_info_t fi = { .submap_idx = XENFEAT_NR_SUBMAPS };
    long rc = hypercall_xen_version(XENVER_get_features, &fi);

    TEST_ASSERT(rc == -XEN_EINVAL, "xen_version(XENVER_get_features, submap %u) = %ld, expected -EINVAL",
                XENFEAT_NR_SUBMAPS, rc);
    return TEST_PASS;
}

/* XENVER_guest_handle: the domain's handle (xen_domain_handle_t, set by
 * the toolstack at createdomain); the hypervisor builds dom0 with all
 * zeroes. */
GUEST_TEST(xen_version_guest_handle_dom0, 0)
{
    xen_domain_handle_t h;
    long rc;

    TEST_SKIP_IF(!(boot_start_info.flags & SIF_INITDOMAIN), "not dom0");
    memset(h, 0xff, sizeof(h));
    rc = hypercall_xen_version(XENVER_guest_handle, h);
    TEST_ASSERT(rc == 0, "xen_version(XENVER_guest_handle) = %ld, expected 0", rc);
    for (unsigned i = 0; i < sizeof(h); i++)
        TEST_ASSERT(h[i] == 0, "XENVER_guest_handle byte %u = %#x, dom0's handle is all zero",
                    i, h[i]);
    return TEST_PASS;
}

/* XENVER_commandline: Xen's own command line, NUL-terminated; dom0 may
 * read it (XSM dummy: xsm_xen_version() XENVER_commandline is
 * XSM_PRIV).  run-dom0.sh always passes console=com1. */
GUEST_TEST(xen_version_commandline_dom0, 0)
{
    static xen_commandline_t cl;
    long rc;

    TEST_SKIP_IF(!(boot_start_info.flags & SIF_INITDOMAIN), "not dom0");
    rc = hypercall_xen_version(XENVER_commandline, cl);
    TEST_ASSERT(rc == 0, "xen_version(XENVER_commandline) = %ld, expected 0", rc);
    cl[sizeof(cl) - 1] = '\0';
    TEST_ASSERT(strstr(cl, "console=") != NULL,
                "XENVER_commandline = \"%s\", expected Xen's line (with console=)", cl);
    return TEST_PASS;
}

/* A domU may not read Xen's command line: -EPERM (xsm/dummy.h:
 * xsm_xen_version(), XENVER_commandline is privileged). */
GUEST_TEST(xen_version_commandline_domu_refused, TEST_NEEDS("domu"))
{
    static xen_commandline_t cl;
    long rc = hypercall_xen_version(XENVER_commandline, cl);

    TEST_ASSERT(rc == -XEN_EPERM, "xen_version(XENVER_commandline) as domU = %ld, expected -EPERM", rc);
    return TEST_PASS;
}

/* An unknown subop: -ENOSYS (kernel.c:do_xen_version() default). */
GUEST_TEST(xen_version_unknown_subop, 0)
{
    long rc = hypercall_xen_version(0x7fff, NULL);

    TEST_ASSERT(rc == -XEN_ENOSYS, "xen_version(0x7fff) = %ld, expected -ENOSYS", rc);
    return TEST_PASS;
}
