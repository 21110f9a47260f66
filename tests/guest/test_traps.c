/*
 * Every exception path: each test provokes a fault at a label listed in the
 * exception table, so the handler records it in last_trap and resumes at
 * the fixup.  That checks Xen's bounce frame is decoded right (vector,
 * error code, rip, cr2) without ending the run.  The fatal_* tests are off
 * by default: they check that an unexpected fault is reported (with rip and
 * cr2) and ends the run as a failure; the harness runs them by name.
 */
#include "test.h"
#include <minnow/hypervisor.h>
#include <arch/traps.h>

#define EXPECT_TRAP(vec, insn_asm, ...)                                     \
    ({                                                                      \
        unsigned long before_ = last_trap.count;                           \
        asm volatile("1: " insn_asm "\n2:\n" EXTABLE("1b", "2b")           \
                     __VA_ARGS__);                                          \
        last_trap.count == before_ + 1 && last_trap.vector == (vec);        \
    })

GUEST_TEST(trap_page_fault, 0)
{
    uint64_t v = 0;
    bool ok = EXPECT_TRAP(14, "movq (%1), %0", : "+r"(v) : "r"(0x10UL) : "memory");

    TEST_ASSERT(ok, "no #PF recorded (vector %lu)", last_trap.vector);
    TEST_ASSERT(last_trap.cr2 == 0x10, "cr2 %#lx, want 0x10", last_trap.cr2);
    TEST_ASSERT(!(last_trap.error_code & 1), "error code %#lx says present",
                last_trap.error_code);
    /* Writing: error code bit 1 (W). */
    ok = EXPECT_TRAP(14, "movq %0, (%1)", : : "r"(v), "r"(0x20UL) : "memory");
    TEST_ASSERT(ok && last_trap.cr2 == 0x20 && (last_trap.error_code & 2),
                "write #PF: cr2 %#lx error code %#lx", last_trap.cr2, last_trap.error_code);
    test_detail("rip %#lx cr2 %#lx error_code %#lx", last_trap.rip, last_trap.cr2,
                last_trap.error_code);
    return TEST_PASS;
}

GUEST_TEST(trap_general_protection, 0)
{
    uint64_t v = 0;
    /* A non-canonical address raises #GP(0), not #PF. */
    bool ok = EXPECT_TRAP(13, "movq (%1), %0", : "+r"(v) : "r"(0x8000000000000000UL) : "memory");

    TEST_ASSERT(ok, "no #GP recorded (vector %lu)", last_trap.vector);
    TEST_ASSERT(last_trap.error_code == 0, "error code %#lx", last_trap.error_code);
    return TEST_PASS;
}

GUEST_TEST(trap_invalid_opcode, 0)
{
    bool ok = EXPECT_TRAP(6, "ud2", ::: "memory");

    TEST_ASSERT(ok, "no #UD recorded (vector %lu)", last_trap.vector);
    return TEST_PASS;
}

GUEST_TEST(trap_divide_error, 0)
{
    uint64_t a = 1, d = 0, zero = 0;
    bool ok = EXPECT_TRAP(0, "divq %2", : "+a"(a), "+d"(d) : "r"(zero) : "memory");

    TEST_ASSERT(ok, "no #DE recorded (vector %lu)", last_trap.vector);
    return TEST_PASS;
}

GUEST_TEST(trap_safe_read, 0)
{
    uint64_t v = 0, here = 0x1234;

    TEST_ASSERT(safe_read_u64((const uint64_t *)0x8, &v) == -14, "read of page 0 succeeded");
    TEST_ASSERT(safe_read_u64(&here, &v) == 0 && v == 0x1234, "read %#lx", v);
    return TEST_PASS;
}

/* ---- off by default: these end the run ---------------------------------- */

GUEST_TEST(fatal_null_deref, TEST_CRASHES)
{
    uint64_t addr = 0x18;

    asm volatile("" : "+r"(addr));        /* hide the constant from the compiler */
    (void)*(volatile uint64_t *)addr;
    test_detail("reading NULL+0x18 did not fault: page 0 is mapped");
    return TEST_FAIL;
}

GUEST_TEST(fatal_write_pagetable, TEST_CRASHES)
{
    /* Xen maps page tables read-only: a direct write must fault. */
    *(volatile uint64_t *)boot_start_info.pt_base = 0;
    test_detail("writing a page table did not fault");
    return TEST_FAIL;
}

GUEST_TEST(fatal_invalid_opcode, TEST_CRASHES)
{
    asm volatile("ud2");
    test_detail("ud2 did not trap");
    return TEST_FAIL;
}
