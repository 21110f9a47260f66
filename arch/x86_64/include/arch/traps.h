/*
 * Traps: the register frame every exception and event upcall builds, the
 * exception table that lets code expect a fault, and the record of the
 * last expected fault (in the spirit of XTF's exinfo).
 */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

/* Pseudo-vector used by the event-channel upcall in the common trap path
 * (entry.S includes this header for it). */
#define VECTOR_EVENT_UPCALL 0x100

#ifndef __ASSEMBLY__

#include <stdint.h>
#include <stdbool.h>

struct cpu_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint64_t vector, error_code;
    /* What Xen's bounce frame leaves, as a native CPU would: */
    uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * EXTABLE(fault, fixup): if the instruction at label `fault` traps, resume
 * at `fixup` instead of dying, and record the trap in last_trap.
 */
#define EXTABLE(fault, fixup)                       \
    ".pushsection .ex_table, \"a\"\n"               \
    ".balign 8\n"                                   \
    ".quad " fault ", " fixup "\n"                  \
    ".popsection\n"

struct trap_record {
    uint64_t vector, error_code, rip, cr2;
    unsigned long count;
};
extern struct trap_record last_trap;

/*
 * What the trap code needs from the kernel, passed in rather than called
 * by name (the arch layer never calls up).  Both may be NULL.
 */
struct trap_hooks {
    /* The event-channel upcall: Xen's PV equivalent of an interrupt. */
    void (*event_upcall)(struct cpu_regs *regs);
    /* Whether addr lies on the running thread's stack (stack traces). */
    bool (*stack_contains)(uint64_t addr);
};

/* PV equivalent of lidt, plus the event and failsafe callbacks. */
void traps_init(const struct trap_hooks *hooks);
const char *trap_name(unsigned int vector);
/* Walk the frame-pointer chain starting at rbp and print return addresses. */
void print_stack_trace(uint64_t rip, uint64_t rbp);

/*
 * Read a u64 that may not be mapped (e.g. the M2P at an mfn Xen never
 * populated): 0 and *val, or -EFAULT.
 */
int safe_read_u64(const uint64_t *addr, uint64_t *val);

/* Fatal-trap hook: the test runner reports the trap as the running test's FAIL. */
extern void (*fatal_trap_hook)(const struct cpu_regs *regs, uint64_t cr2);

#endif /* __ASSEMBLY__ */

#endif
