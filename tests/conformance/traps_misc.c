/*
 * Conformance: the small PV CPU-state hypercalls -- set_trap_table,
 * stack_switch, fpu_taskswitch, set/get_debugreg, set_segment_base,
 * vm_assist (public/xen.h, public/arch-x86/xen-x86_64.h;
 * xen/arch/x86/pv/callback.c, xen/arch/x86/pv/misc-hypercalls.c,
 * xen/common/domain.c:do_vm_assist()).
 */
#include "conformance.h"
#include <minnow/events.h>

/* set_trap_table refuses a handler address that is not canonical:
 * -EINVAL, before the entry is installed (pv/callback.c:
 * do_set_trap_table()). */
GUEST_TEST(set_trap_table_noncanonical, 0)
{
    struct trap_info t[2] = {
        { .vector = 0x81, .flags = 0, .cs = FLAT_KERNEL_CS, .address = 0x8000000000000000UL },
        { 0 },
    };
    long rc = hypercall_set_trap_table(t);

    TEST_ASSERT(rc == -XEN_EINVAL, "set_trap_table([vector 0x81 -> %#lx]) = %ld, expected -EINVAL",
                (unsigned long)t[0].address, rc);
    return TEST_PASS;
}

/* set_trap_table with a table Xen cannot read: -EFAULT. */
GUEST_TEST(set_trap_table_unreadable, 0)
{
    long rc = hypercall_set_trap_table((const struct trap_info *)HYPERVISOR_VIRT_START);

    TEST_ASSERT(rc == -XEN_EFAULT, "set_trap_table(%#lx) = %ld, expected -EFAULT",
                (unsigned long)HYPERVISOR_VIRT_START, rc);
    return TEST_PASS;
}

/* stack_switch records the kernel stack for traps from guest user mode
 * (minnow never runs user mode, so it is harmless): 0. */
GUEST_TEST(stack_switch_records, 0)
{
    static uint8_t stack[256] __attribute__((aligned(16)));
    long rc = hypercall_stack_switch(FLAT_KERNEL_SS, (unsigned long)(stack + sizeof(stack)));

    TEST_ASSERT(rc == 0, "stack_switch(FLAT_KERNEL_SS, %p) = %ld, expected 0",
                (void *)(stack + sizeof(stack)), rc);
    return TEST_PASS;
}

/* fpu_taskswitch(1) sets the guest's CR0.TS, fpu_taskswitch(0) clears
 * it; Xen's emulated `mov %cr0` shows it (pv/emul-priv-op.c:read_cr()).
 * Upcalls stay masked in between: minnow's trap entry saves the FPU
 * state, which would fault (#NM) while TS is set. */
GUEST_TEST(fpu_taskswitch_ts, 0)
{
    unsigned long flags = local_events_save();
    long rc1 = hypercall_fpu_taskswitch(1);
    uint64_t cr0_set = conf_read_cr0();
    long rc0 = hypercall_fpu_taskswitch(0);
    uint64_t cr0_clear = conf_read_cr0();

    local_events_restore(flags);

    TEST_ASSERT(rc1 == 0 && (cr0_set & 8), "fpu_taskswitch(1) = %ld, cr0 %#lx, expected 0 and TS",
                rc1, (unsigned long)cr0_set);
    TEST_ASSERT(rc0 == 0 && !(cr0_clear & 8), "fpu_taskswitch(0) = %ld, cr0 %#lx, expected 0, "
                "TS clear", rc0, (unsigned long)cr0_clear);
    return TEST_PASS;
}

static long set_dr(int reg, unsigned long v)
{
    return hypercall2(__HYPERVISOR_set_debugreg, reg, v);
}

static long get_dr(int reg)
{
    return hypercall1(__HYPERVISOR_get_debugreg, reg);
}

/* A breakpoint address in the guest's range is accepted and read back;
 * one in Xen's range is refused, -EPERM (set_debugreg():
 * breakpoint_addr_ok()). */
GUEST_TEST(debugreg_breakpoint_address, 0)
{
    unsigned long mine = CONF_SCRATCH_VA;
    long rc = set_dr(0, mine), back = get_dr(0);
    long rc_xen = set_dr(0, HYPERVISOR_VIRT_START);
    long after = get_dr(0);

    set_dr(0, 0);
    TEST_ASSERT(rc == 0 && (unsigned long)back == mine,
                "set_debugreg(0, %#lx) = %ld, get_debugreg(0) = %#lx, expected 0 and the value",
                mine, rc, (unsigned long)back);
    TEST_ASSERT(rc_xen == -XEN_EPERM && (unsigned long)after == mine,
                "set_debugreg(0, %#lx) = %ld (DR0 now %#lx), expected -EPERM, DR0 unchanged",
                (unsigned long)HYPERVISOR_VIRT_START, rc_xen, (unsigned long)after);
    return TEST_PASS;
}

/* DR7: the upper 32 bits are reserved (-EINVAL); general detect (bit
 * 13) is Xen's (-EPERM). */
GUEST_TEST(debugreg_dr7_refusals, 0)
{
    long rc_high = set_dr(7, 1UL << 40);
    long rc_gd = set_dr(7, 1UL << 13);

    TEST_ASSERT(rc_high == -XEN_EINVAL, "set_debugreg(7, 1<<40) = %ld, expected -EINVAL", rc_high);
    TEST_ASSERT(rc_gd == -XEN_EPERM, "set_debugreg(7, GD) = %ld, expected -EPERM", rc_gd);
    return TEST_PASS;
}

/* A debug register that does not exist: -ENODEV for get (the read is
 * x86emul_read_dr(), which cannot handle it) and for set. */
GUEST_TEST(debugreg_no_such_register, 0)
{
    long rc_get = get_dr(8), rc_set = set_dr(8, 0);

    TEST_ASSERT(rc_get == -XEN_ENODEV, "get_debugreg(8) = %ld, expected -ENODEV", rc_get);
    TEST_ASSERT(rc_set == -XEN_ENODEV, "set_debugreg(8, 0) = %ld, expected -ENODEV", rc_set);
    return TEST_PASS;
}

/* set_segment_base(SEGBASE_FS) moves %fs: a load through %fs:8 reads the
 * word at base + 8.  minnow does not use %fs; it is put back to 0. */
GUEST_TEST(set_segment_base_fs, 0)
{
    static uint64_t words[2] = { 0x1111, 0x66697273745f6673UL };
    uint64_t seen = 0;
    long rc = hypercall_set_segment_base(SEGBASE_FS, (unsigned long)words);

    if (rc == 0)
        asm volatile("movq %%fs:8, %0" : "=r"(seen));
    TEST_ERROR_IF(hypercall_set_segment_base(SEGBASE_FS, 0) != 0, "restore fs base");
    TEST_ASSERT(rc == 0 && seen == words[1],
                "set_segment_base(FS, %p) = %ld, %%fs:8 reads %#lx, expected 0 and %#lx",
                (void *)words, rc, (unsigned long)seen, (unsigned long)words[1]);
    return TEST_PASS;
}

/* set_segment_base: a non-canonical base -> -EINVAL; an unknown
 * selector -> -EINVAL. */
GUEST_TEST(set_segment_base_refusals, 0)
{
    long rc_nc = hypercall_set_segment_base(SEGBASE_FS, 0x8000000000000000UL);
    long rc_which = hypercall_set_segment_base(99, 0);

    TEST_ASSERT(rc_nc == -XEN_EINVAL, "set_segment_base(FS, 0x8000000000000000) = %ld, "
                "expected -EINVAL", rc_nc);
    TEST_ASSERT(rc_which == -XEN_EINVAL, "set_segment_base(99, 0) = %ld, expected -EINVAL",
                rc_which);
    return TEST_PASS;
}

/* vm_assist: a type Xen knows for 64-bit PV (runstate_update_flag)
 * enables and disables, 0; a type it does not know -> -EINVAL; a
 * command other than enable/disable -> -ENOSYS (do_vm_assist()). */
GUEST_TEST(vm_assist_types, 0)
{
    long on = hypercall_vm_assist(VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag);
    long off = hypercall_vm_assist(VMASST_CMD_disable, VMASST_TYPE_runstate_update_flag);
    long bad_type = hypercall_vm_assist(VMASST_CMD_enable, 31);
    long bad_cmd = hypercall_vm_assist(7, VMASST_TYPE_runstate_update_flag);

    TEST_ASSERT(on == 0 && off == 0, "vm_assist(enable/disable, runstate_update_flag) = %ld / %ld, "
                "expected 0 / 0", on, off);
    TEST_ASSERT(bad_type == -XEN_EINVAL, "vm_assist(enable, 31) = %ld, expected -EINVAL", bad_type);
    TEST_ASSERT(bad_cmd == -XEN_ENOSYS, "vm_assist(7, runstate_update_flag) = %ld, expected -ENOSYS",
                bad_cmd);
    return TEST_PASS;
}
