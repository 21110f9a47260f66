/*
 * Switching threads (arch/x86_64/switch.S): the PV guest does it exactly
 * as a native kernel does, on its own stacks; Xen is not involved.
 */
#ifndef ARCH_SWITCH_H
#define ARCH_SWITCH_H

#include <stddef.h>
#include <stdint.h>

/* Save the callee-saved registers and rsp in *save_rsp; resume next_rsp. */
void arch_switch_stack(uint64_t *save_rsp, uint64_t next_rsp);

extern char arch_thread_entry[];

/*
 * Lay out a new thread's stack for arch_switch_stack(): six callee-saved
 * registers (r12 carries entry), then the return address
 * arch_thread_entry, which calls entry() on a 16-byte aligned stack.
 * Returns the rsp to switch to.  entry() must never return.
 */
static inline uint64_t arch_thread_stack_init(void *stack, size_t size, void (*entry)(void))
{
    uint64_t *sp = (uint64_t *)(((uintptr_t)stack + size) & ~15UL);

    *--sp = 0;                          /* keeps the call in arch_thread_entry aligned */
    *--sp = (uint64_t)arch_thread_entry;
    *--sp = 0;                          /* rbp */
    *--sp = 0;                          /* rbx */
    *--sp = (uint64_t)entry;            /* r12 */
    *--sp = 0;                          /* r13 */
    *--sp = 0;                          /* r14 */
    *--sp = 0;                          /* r15 */
    return (uint64_t)sp;
}

#endif
