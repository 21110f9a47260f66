/*
 * minnow's first instructions, and the ELF notes that tell Xen how to boot it.
 *
 * Xen's domain builder reads the notes, maps the image at VIRT_BASE (0) plus
 * its link address, builds the initial page tables, start_info and the p2m
 * list, and jumps to ENTRY with:
 *     rsi = virtual address of start_info
 *     rsp = top of a small stack inside the bootstrap area
 * Event delivery is masked (vcpu_info.evtchn_upcall_mask = 1), which is the
 * PV equivalent of starting with interrupts disabled.
 */
#include <xen/elfnote.h>
#include <xen/xen.h>
#include <xen/features.h>

#define ELFNOTE(type, desctype, descdata...)          \
    .pushsection .note.Xen, "a", @note;               \
    .balign 4;                                        \
    .long 2f - 1f;   /* namesz */                     \
    .long 4f - 3f;   /* descsz */                     \
    .long type;                                       \
1:  .asciz "Xen";                                     \
2:  .balign 4;                                        \
3:  desctype descdata;                                \
4:  .balign 4;                                        \
    .popsection

ELFNOTE(XEN_ELFNOTE_GUEST_OS,        .asciz, "minnow")
ELFNOTE(XEN_ELFNOTE_GUEST_VERSION,   .asciz, "0.1")
ELFNOTE(XEN_ELFNOTE_XEN_VERSION,     .asciz, "xen-3.0")
ELFNOTE(XEN_ELFNOTE_LOADER,          .asciz, "generic")
ELFNOTE(XEN_ELFNOTE_VIRT_BASE,       .quad,  0)
ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET,    .quad,  0)
ELFNOTE(XEN_ELFNOTE_ENTRY,           .quad,  _start)
ELFNOTE(XEN_ELFNOTE_HYPERCALL_PAGE,  .quad,  hypercall_page)
/* minnow may run as the initial domain: without this bit Xen refuses it as dom0. */
ELFNOTE(XEN_ELFNOTE_SUPPORTED_FEATURES, .long, (1 << XENFEAT_dom0))
/* A cancelled suspend (xl save -c) returns 1 to the same domain: minnow copes. */
ELFNOTE(XEN_ELFNOTE_SUSPEND_CANCEL,  .long,  1)

    .section .text.head, "ax"
    .code64
    .globl _start
_start:
    cld
    /* Xen's stack page is the last bootstrap element: remember where it is. */
    movq    %rsp, xen_boot_rsp(%rip)
    /* Switch to minnow's own boot stack: Xen's is inside the bootstrap area
     * that the boot code later reuses. */
    leaq    boot_stack_top(%rip), %rsp
    xorl    %ebp, %ebp                  /* terminates stack traces */
    movq    %rsi, %rdi                  /* start_kernel(start_info) */
    call    start_kernel
    ud2                                 /* start_kernel never returns */

    /* Xen fills this page with one 32-byte stub per hypercall. */
    .section .text.hypercall_page, "ax"
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc

    .section .data
    .balign 8
    .globl xen_boot_rsp
xen_boot_rsp:
    .quad 0

    .section .bss.boot_stack, "aw", @nobits
    .balign 4096
    .globl boot_stack, boot_stack_top
boot_stack:
    .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
