/*
 * Conformance: __HYPERVISOR_xen_version (xen/include/public/version.h,
 * implemented in xen/common/kernel.c:do_xen_version()).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/version.h>
#include <arch/hypercall.h>
#include "../guest/test.h"

/*
 * XENVER_pagesize returns the page size a guest must use for the PV ABI
 * (PAGE_SIZE, 4 KiB on x86), as its return value, ignoring the argument.
 */
GUEST_TEST(xen_version_pagesize, 0)
{
    long rc = hypercall_xen_version(XENVER_pagesize, NULL);

    TEST_ASSERT(rc == 4096, "xen_version(XENVER_pagesize, NULL) = %ld, expected 4096", rc);
    return TEST_PASS;
}
