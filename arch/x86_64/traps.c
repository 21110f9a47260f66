/*
 * Exception handling for a PV guest.
 *
 * set_trap_table is the PV equivalent of lidt: Xen keeps the real IDT and
 * bounces each exception to the handler registered here (entry.S).  The
 * event-channel upcall and the failsafe callback are registered with
 * CALLBACKOP_register, the PV equivalent of wiring an interrupt vector.
 *
 * An exception is either expected (its rip is in the exception table: the
 * trap is recorded in last_trap and execution resumes at the fixup) or
 * fatal: a report with vector, error code, rip, cr2 (Xen passes cr2 in
 * vcpu_info, a PV guest cannot read %cr2 itself), registers and a stack
 * trace, and the run ends as a failure.
 */
#include <errno.h>
#include <minnow/console.h>
#include <minnow/hypervisor.h>
#include <minnow/panic.h>
#include <minnow/exit.h>
#include <arch/hypercall.h>
#include <arch/traps.h>

extern char trap_divide_error[], trap_debug[], trap_int3[], trap_overflow[],
    trap_bounds[], trap_invalid_op[], trap_no_device[], trap_coproc_seg_overrun[],
    trap_invalid_tss[], trap_segment_not_present[], trap_stack_fault[],
    trap_general_protection[], trap_page_fault[], trap_spurious_int[],
    trap_coproc_error[], trap_alignment_check[], trap_machine_check[],
    trap_simd_error[], hypervisor_callback[], failsafe_callback[];

/* flags: bits 0-1 = DPL that may raise it with INT n; bit 2 = mask events on entry. */
#define TI_MASK_EVENTS 4
#define TRAP(vec, dpl, handler) \
    { vec, TI_MASK_EVENTS | (dpl), FLAT_KERNEL_CS, (unsigned long)handler }

static const struct trap_info trap_table[] = {
    TRAP(0, 0, trap_divide_error),
    TRAP(1, 0, trap_debug),
    TRAP(3, 3, trap_int3),
    TRAP(4, 3, trap_overflow),
    TRAP(5, 3, trap_bounds),
    TRAP(6, 0, trap_invalid_op),
    TRAP(7, 0, trap_no_device),
    TRAP(9, 0, trap_coproc_seg_overrun),
    TRAP(10, 0, trap_invalid_tss),
    TRAP(11, 0, trap_segment_not_present),
    TRAP(12, 0, trap_stack_fault),
    TRAP(13, 0, trap_general_protection),
    TRAP(14, 0, trap_page_fault),
    TRAP(15, 0, trap_spurious_int),
    TRAP(16, 0, trap_coproc_error),
    TRAP(17, 0, trap_alignment_check),
    TRAP(18, 0, trap_machine_check),
    TRAP(19, 0, trap_simd_error),
    { 0, 0, 0, 0 }
};

static const char *const trap_names[] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "spurious", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error",
};

struct trap_record last_trap;
void (*fatal_trap_hook)(const struct cpu_regs *regs, uint64_t cr2);

struct extable_entry {
    uint64_t fault, fixup;
};
extern const struct extable_entry __start_ex_table[], __stop_ex_table[];

const char *trap_name(unsigned int vector)
{
    if (vector < sizeof(trap_names) / sizeof(trap_names[0]))
        return trap_names[vector];
    return "unknown";
}

static const struct extable_entry *extable_find(uint64_t rip)
{
    for (const struct extable_entry *e = __start_ex_table; e < __stop_ex_table; e++)
        if (e->fault == rip)
            return e;
    return NULL;
}

int safe_read_u64(const uint64_t *addr, uint64_t *val)
{
    uint64_t v;
    unsigned long before = last_trap.count;

    asm volatile("1: movq (%[addr]), %[v]\n"
                 "2:\n"
                 EXTABLE("1b", "2b")
                 : [v] "=r"(v)
                 : [addr] "r"(addr), "0"(0UL)
                 : "memory");
    if (last_trap.count != before)
        return -EFAULT;
    *val = v;
    return 0;
}

extern char boot_stack[], boot_stack_top[];
static struct trap_hooks hooks;

static bool frame_pointer_ok(uint64_t rbp)
{
    if (rbp & 7)
        return false;
    if (rbp >= (uint64_t)boot_stack && rbp + 16 <= (uint64_t)boot_stack_top)
        return true;
    return hooks.stack_contains && hooks.stack_contains(rbp) && hooks.stack_contains(rbp + 15);
}

void print_stack_trace(uint64_t rip, uint64_t rbp)
{
    printk("Stack trace (addr2line -e build/minnow ADDR):\n  %016lx\n", rip);
    for (int depth = 0; depth < 24 && rbp && frame_pointer_ok(rbp); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        printk("  %016lx\n", frame[1]);
        if (frame[0] <= rbp)
            break;              /* frames only go up the stack */
        rbp = frame[0];
    }
}

static void print_regs(const struct cpu_regs *r)
{
    printk("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    printk("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", r->rsi, r->rdi, r->rbp, r->rsp);
    printk("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", r->r8, r->r9, r->r10, r->r11);
    printk("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", r->r12, r->r13, r->r14, r->r15);
    printk("  cs %04lx ss %04lx rflags %08lx\n", r->cs, r->ss, r->rflags);
}

void do_trap(struct cpu_regs *regs)
{
    uint64_t cr2 = regs->vector == 14 ? this_vcpu()->arch.cr2 : 0;

    if (regs->vector == VECTOR_EVENT_UPCALL) {
        if (hooks.event_upcall)
            hooks.event_upcall(regs);
        return;
    }

    const struct extable_entry *fix = extable_find(regs->rip);
    if (fix) {
        last_trap.vector = regs->vector;
        last_trap.error_code = regs->error_code;
        last_trap.rip = regs->rip;
        last_trap.cr2 = cr2;
        last_trap.count++;
        regs->rip = fix->fixup;
        return;
    }

    printk("\nFATAL TRAP: vector %lu (%s) error_code %#lx rip %#lx cr2 %#lx\n",
           regs->vector, trap_name(regs->vector), regs->error_code, regs->rip, cr2);
    print_regs(regs);
    print_stack_trace(regs->rip, regs->rbp);
    if (fatal_trap_hook)
        fatal_trap_hook(regs, cr2);
    minnow_exit(EXIT_PANIC);
}

void do_failsafe(void)
{
    printk("\nFATAL: Xen failsafe callback (bad segment state on return to guest)\n");
    minnow_exit(EXIT_PANIC);
}

static void register_callback(unsigned int type, void *handler, const char *what)
{
    struct callback_register cb = {
        .type = type,
        .address = (unsigned long)handler,
        .flags = CALLBACKF_mask_events,
    };
    long rc = hypercall_callback_op(CALLBACKOP_register, &cb);
    if (rc)
        panic("CALLBACKOP_register(%s) failed: rc=%ld", what, rc);
}

void traps_init(const struct trap_hooks *h)
{
    hooks = *h;
    long rc = hypercall_set_trap_table(trap_table);
    if (rc)
        panic("set_trap_table failed: rc=%ld", rc);
    register_callback(CALLBACKTYPE_event, hypervisor_callback, "event");
    register_callback(CALLBACKTYPE_failsafe, failsafe_callback, "failsafe");
}
