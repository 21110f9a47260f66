/*
 * Self-tests of the conformance runner (scripts/conformance.sh): each one
 * misbehaves on purpose, so that a run shows the runner reports FAILURE
 * and CRASH truthfully, goes on after a crash in a fresh boot, and exits
 * with the worst status.  They need "selftest": only `make conformance
 * SELFTEST=1` (and make test's check of it) names them.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/version.h>
#include <arch/hypercall.h>
#include "../guest/test.h"

/*
 * A wrong expectation: XENVER_pagesize is 4096 on x86 (xen/common/kernel.c),
 * and this test expects 8192.  Must end as FAILURE, naming both numbers.
 */
GUEST_TEST(selftest_wrong_expectation, TEST_NEEDS("selftest"))
{
    long rc = hypercall_xen_version(XENVER_pagesize, NULL);

    TEST_ASSERT(rc == 8192, "xen_version(XENVER_pagesize, NULL) = %ld, expected 8192 "
                "(a deliberately wrong expectation)", rc);
    return TEST_PASS;
}

/*
 * A fault in the guest: a read of page 0, which minnow leaves unmapped.
 * minnow's trap handler reports it (vector, rip, cr2) and ends the boot;
 * must end as CRASH with that fault, the next tests in a fresh boot.
 */
GUEST_TEST(selftest_guest_fault, TEST_NEEDS("selftest"))
{
    uint64_t addr = 0x28;

    asm volatile("" : "+r"(addr));        /* hide the constant from the compiler */
    (void)*(volatile uint64_t *)addr;
    test_detail("reading address %#lx did not fault: page 0 is mapped", addr);
    return TEST_ERROR;
}

/*
 * Xen kills the domain: with the stack pointer on page 0 (unmapped), a
 * ud2 makes Xen build the exception frame on a stack it cannot write, and
 * it crashes the domain (the bounce-frame fault path of
 * xen/arch/x86/x86_64/entry.S, create_bounce_frame); for dom0 it then
 * restarts the machine.  No TEST line follows: must end as CRASH with
 * what Xen printed, the next tests in a fresh boot.
 */
GUEST_TEST(selftest_domain_killed, TEST_NEEDS("selftest"))
{
    asm volatile("mov $0x800, %%rsp\n\tud2" ::: "memory");
    test_detail("Xen delivered #UD on an unmapped stack");
    return TEST_ERROR;
}
