/*
 * Trap and event entry points.
 *
 * Native x86 pushes ss/rsp/rflags/cs/rip (and an error code) and vectors
 * through the IDT.  Under PV, Xen "bounces" the trap into the guest: it
 * builds the same frame on the guest kernel stack but pushes rcx and r11
 * on top of it, because it re-enters the guest with SYSRET-style registers.
 * Each stub below undoes that, pushes a dummy error code where the CPU
 * pushes none, and the vector, so the common path sees one layout:
 * struct cpu_regs (arch/traps.h).
 *
 * Returning is the PV equivalent of iretq: the iret hypercall.  It also
 * restores the event mask from the saved rflags.IF, so an upcall handler
 * that runs with events masked re-enables them atomically on the way out
 * (and Xen re-delivers anything that became pending meanwhile).
 */
#include <xen/xen.h>
#include <arch/traps.h>

.macro TRAP_STUB name, vector, has_error_code
    .globl \name
\name:
    movq    (%rsp), %rcx
    movq    8(%rsp), %r11
    addq    $16, %rsp
    .if !\has_error_code
    pushq   $0
    .endif
    pushq   $\vector
    jmp     trap_common
.endm

    .text
TRAP_STUB trap_divide_error,        0,  0
TRAP_STUB trap_debug,               1,  0
TRAP_STUB trap_int3,                3,  0
TRAP_STUB trap_overflow,            4,  0
TRAP_STUB trap_bounds,              5,  0
TRAP_STUB trap_invalid_op,          6,  0
TRAP_STUB trap_no_device,           7,  0
TRAP_STUB trap_coproc_seg_overrun,  9,  0
TRAP_STUB trap_invalid_tss,         10, 1
TRAP_STUB trap_segment_not_present, 11, 1
TRAP_STUB trap_stack_fault,         12, 1
TRAP_STUB trap_general_protection,  13, 1
TRAP_STUB trap_page_fault,          14, 1
TRAP_STUB trap_spurious_int,        15, 0
TRAP_STUB trap_coproc_error,        16, 0
TRAP_STUB trap_alignment_check,     17, 1
TRAP_STUB trap_machine_check,       18, 0
TRAP_STUB trap_simd_error,          19, 0
TRAP_STUB hypervisor_callback,      VECTOR_EVENT_UPCALL, 0

trap_common:
    pushq   %rdi
    pushq   %rsi
    pushq   %rdx
    pushq   %rcx
    pushq   %rax
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %rbx
    pushq   %rbp
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, %rdi              /* struct cpu_regs * */
    /*
     * The kernel is built without SSE, but newlib (printf, memcpy) uses it
     * and may be the code that was interrupted: save the FPU/SSE state.
     */
    movq    %rsp, %rbx
    subq    $512, %rsp
    andq    $-16, %rsp
    fxsave64 (%rsp)
    call    do_trap
    fxrstor64 (%rsp)
    movq    %rbx, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbp
    popq    %rbx
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rax
    popq    %rcx
    popq    %rdx
    popq    %rsi
    popq    %rdi
    addq    $16, %rsp               /* vector, error code */
    pushq   $0                      /* iret flags: not returning from a syscall */
    jmp     hypercall_page + __HYPERVISOR_iret * 32

/*
 * Xen calls this when it cannot return to the guest (a bad segment selector
 * in the frame being restored).  There is nothing to recover: report it.
 */
    .globl failsafe_callback
failsafe_callback:
    andq    $-16, %rsp
    call    do_failsafe
    ud2

    .section .note.GNU-stack, "", @progbits
