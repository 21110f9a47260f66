/*
 * xen_mm: what mm/ needs from Xen and the CPU, and nothing more.  The port
 * is called and never calls back: frames, the p2m and the page tables are
 * mm/'s business, one layer up.
 *
 *      mm/pagetable.c  mm/p2m*.c  mm/m2p.c  mm/e820_apply.c  mm/balloon.c
 *                  \        |        |          |            /
 *                   +-------------- xen_mm.h (this) --------+
 *                   |                                        |
 *      arch/x86_64/xen_mm.c                  tests/unit/sim/sim_xen_mm.c
 *      (hypercalls, Xen's m2p,               (an in-process model of Xen's PV
 *       the direct map)                       memory rules; refusals are loud)
 *
 * The same mm/ code runs on both sides, so every rule Xen enforces can be
 * checked on the host in milliseconds.
 *
 * Nothing here caches a machine frame number across calls: after a restore
 * every mfn changes, pfns do not.  Callers keep pfns and ask for mfns.
 */
#ifndef MINNOW_XEN_MM_H
#define MINNOW_XEN_MM_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>

/* No such frame: a pfn or mfn that does not exist.  It is what Xen's m2p
 * holds for an unused mfn, and what the p2m stores for a missing pfn. */
#define NO_FRAME        (~(xen_pfn_t)0)

/* ---- memory ---------------------------------------------------------------- */

/* The page of a mapped pfn, through the direct map (guest: va pfn << 12). */
void *xen_mm_page(xen_pfn_t pfn);

/* Xen's read-only machine_to_phys table, bounds-checked: NO_FRAME for an
 * mfn Xen cannot look up.  The answer is whatever pfn the frame's owner
 * last declared; whether it is ours is the p2m's to say (p2m.h). */
xen_pfn_t mfn_to_pfn(xen_pfn_t mfn);
/* The largest mfn Xen's m2p covers. */
xen_pfn_t xen_max_mfn(void);

/* ---- the MMU ---------------------------------------------------------------- */

/* MMU_NORMAL_PT_UPDATE / MMU_MACHPHYS_UPDATE batch.  0 or Xen's -errno;
 * a failure is printed with the index of the refused request and the rc. */
int xen_mmu_update(const mmu_update_t *req, unsigned int count);
/* Rewrite the L1 entry that maps va; flush that va from the local TLB. */
int xen_update_va_mapping(uint64_t va, uint64_t pte);
/* MMUEXT_PIN_Ln_TABLE / UNPIN_TABLE (arg = mfn), TLB_FLUSH_LOCAL (arg
 * unused), INVLPG_LOCAL (arg = va).  0 or -errno, printed. */
int xen_mmuext(unsigned int cmd, uint64_t arg);

/* ---- memory reservation and shared_info --------------------------------- */

/* HYPERVISOR_memory_op as is (balloon, E820, reservation queries). */
long xen_memory_op(unsigned int cmd, void *arg);

/* The arch part of shared_info: max_pfn, frame list list, p2m_cr3, ... */
struct arch_shared_info *xen_arch_shared_info(void);

/* ---- host only ----------------------------------------------------------- */
#ifdef MINNOW_HOST_TEST
/* Loads and stores through a guest virtual address: the model walks its
 * page tables (a missing or read-only mapping is a loud test failure). */
uint64_t xen_mm_load64(uint64_t va);
void xen_mm_store64(uint64_t va, uint64_t val);
#endif

#endif
