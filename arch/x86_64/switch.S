/*
 * void arch_switch_stack(uint64_t *save_rsp, uint64_t next_rsp)
 *
 * Saves the callee-saved registers on the current stack, records the stack
 * pointer, and resumes the other thread where it last called this.  A new
 * thread's stack is prepared by kernel/sched.c to "return" into
 * thread_entry, which calls thread_main() on a 16-byte aligned stack.
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

    .globl thread_entry
thread_entry:
    xorl    %ebp, %ebp          /* end of the stack trace */
    call    thread_main
    ud2

    .section .note.GNU-stack, "", @progbits
