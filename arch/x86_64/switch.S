/*
 * void arch_switch_stack(uint64_t *save_rsp, uint64_t next_rsp)
 *
 * Saves the callee-saved registers on the current stack, records the stack
 * pointer, and resumes the other thread where it last called this.  A new
 * thread's stack is laid out by arch_thread_stack_init() (arch/switch.h)
 * to "return" into arch_thread_entry, which calls the function left in r12.
 */
    .text
    .globl arch_switch_stack
arch_switch_stack:
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret

    .globl arch_thread_entry
arch_thread_entry:
    xorl    %ebp, %ebp          /* end of the stack trace */
    call    *%r12
    ud2

    .section .note.GNU-stack, "", @progbits
