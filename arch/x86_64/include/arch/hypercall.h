/*
 * Hypercall wrappers for x86_64 PV.
 *
 * A PV guest cannot execute privileged instructions; it asks Xen instead.
 * Xen fills a "hypercall page" (declared by the HYPERCALL_PAGE ELF note)
 * with one 32-byte stub per hypercall number; calling stub N is the PV
 * equivalent of a system call into the hypervisor.  Arguments travel in
 * rdi, rsi, rdx, r10, r8; the result comes back in rax; rcx and r11 are
 * clobbered (the stub uses SYSCALL).  Debug builds of Xen also scribble
 * over unused argument registers, so every argument register is an
 * in/out operand here.
 *
 * Every wrapper returns Xen's raw result: 0 or a positive count on
 * success, -errno (Xen's errno values, <xen/errno.h>) on failure.  Callers
 * report failures with the rc; nothing here hides an error.
 */
#ifndef ARCH_HYPERCALL_H
#define ARCH_HYPERCALL_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/physdev.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/callback.h>
#include <xen/grant_table.h>

extern uint8_t hypercall_page[4096];

static inline long hypercall5(unsigned int nr, unsigned long a1,
                              unsigned long a2, unsigned long a3,
                              unsigned long a4, unsigned long a5)
{
    register unsigned long r10 asm("r10") = a4;
    register unsigned long r8 asm("r8") = a5;
    long rc;

    asm volatile("call *%[stub]"
                 : "=a"(rc), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                 : [stub] "r"(&hypercall_page[nr * 32])
                 : "memory", "rcx", "r11");
    return rc;
}

#define hypercall0(nr)             hypercall5(nr, 0, 0, 0, 0, 0)
#define hypercall1(nr, a)          hypercall5(nr, (unsigned long)(a), 0, 0, 0, 0)
#define hypercall2(nr, a, b)       hypercall5(nr, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
#define hypercall3(nr, a, b, c)    hypercall5(nr, (unsigned long)(a), (unsigned long)(b), \
                                              (unsigned long)(c), 0, 0)
#define hypercall4(nr, a, b, c, d) hypercall5(nr, (unsigned long)(a), (unsigned long)(b), \
                                              (unsigned long)(c), (unsigned long)(d), 0)

/* PV equivalent of lidt: install the guest's exception handlers. */
static inline long hypercall_set_trap_table(const struct trap_info *table)
{ return hypercall1(__HYPERVISOR_set_trap_table, table); }

/* PV equivalent of writing PTEs: Xen validates every update. */
static inline long hypercall_mmu_update(const mmu_update_t *req, unsigned int count,
                                        unsigned int *done, domid_t dom)
{ return hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom); }

/* PV equivalent of invlpg/cr3 reloads, pinning, and other MMU extended ops. */
static inline long hypercall_mmuext_op(const struct mmuext_op *op, unsigned int count,
                                       unsigned int *done, domid_t dom)
{ return hypercall4(__HYPERVISOR_mmuext_op, op, count, done, dom); }

/* Change the PTE that maps one virtual address (plus a TLB flush in flags). */
static inline long hypercall_update_va_mapping(unsigned long va, uint64_t pte,
                                               unsigned long flags)
{ return hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags); }

/* PV equivalent of loading rsp0 into the TSS: the kernel stack for traps. */
static inline long hypercall_stack_switch(unsigned long ss, unsigned long sp)
{ return hypercall2(__HYPERVISOR_stack_switch, ss, sp); }

static inline long hypercall_callback_op(int cmd, const void *arg)
{ return hypercall2(__HYPERVISOR_callback_op, cmd, arg); }

/* PV equivalent of clts/setting CR0.TS. */
static inline long hypercall_fpu_taskswitch(int set)
{ return hypercall1(__HYPERVISOR_fpu_taskswitch, set); }

static inline long hypercall_memory_op(unsigned int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_memory_op, cmd, arg); }

static inline long hypercall_multicall(multicall_entry_t *calls, unsigned int nr)
{ return hypercall2(__HYPERVISOR_multicall, calls, nr); }

/* PV equivalent of programming the local APIC timer (absolute system time, ns). */
static inline long hypercall_set_timer_op(uint64_t deadline_ns)
{ return hypercall1(__HYPERVISOR_set_timer_op, deadline_ns); }

static inline long hypercall_xen_version(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_xen_version, cmd, arg); }

static inline long hypercall_console_io(int cmd, unsigned int count, const char *str)
{ return hypercall3(__HYPERVISOR_console_io, cmd, count, str); }

static inline long hypercall_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{ return hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count); }

static inline long hypercall_vm_assist(unsigned int cmd, unsigned int type)
{ return hypercall2(__HYPERVISOR_vm_assist, cmd, type); }

static inline long hypercall_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{ return hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg); }

/* PV equivalent of wrmsr FS_BASE / GS_BASE / swapgs. */
static inline long hypercall_set_segment_base(unsigned int which, unsigned long base)
{ return hypercall2(__HYPERVISOR_set_segment_base, which, base); }

/* PV equivalent of hlt/shutdown: block, yield, poll, or end the domain. */
static inline long hypercall_sched_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_sched_op, cmd, arg); }

static inline long hypercall_event_channel_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_event_channel_op, cmd, arg); }

static inline long hypercall_physdev_op(int cmd, void *arg)
{ return hypercall2(__HYPERVISOR_physdev_op, cmd, arg); }

#endif
