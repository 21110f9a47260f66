/*
 * mm_env: everything the page-table layer (mm/pagetable.c) and the p2m
 * (mm/p2m*.c) need from the world around them, and nothing more.
 *
 *            mm/pagetable.c   mm/p2m.c   mm/m2p.c
 *                   \            |          /
 *                    +---- mm_env.h (this) ----+
 *                    |                         |
 *     arch/x86_64/mm_env.c           tests/unit/sim/sim_env.c
 *     (hypercalls, frame_alloc,      (an in-process model of Xen's PV
 *      the direct map)                memory rules; refusals are loud)
 *
 * The same mm/ code runs on both sides, so every rule Xen enforces can be
 * checked on the host in milliseconds.
 *
 * Nothing here caches a machine frame number across calls: after a restore
 * every mfn changes, pfns do not.  Callers keep pfns and ask for mfns.
 */
#ifndef MINNOW_MM_ENV_H
#define MINNOW_MM_ENV_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>

#ifndef INVALID_MFN_VALUE
#define INVALID_MFN_VALUE (~(xen_pfn_t)0)
#endif

/* ---- frames for page tables and p2m pages ------------------------------- */

/* A frame minnow owns that is mapped (RW) in the direct map; not zeroed.
 * 0, or -ENOMEM. */
int mm_env_frame_alloc(xen_pfn_t *pfn);
/* Give a frame back (it must be writable in the direct map again). */
void mm_env_frame_free(xen_pfn_t pfn);
/* Direct-map address of a mapped pfn (guest: pfn << 12). */
void *mm_env_pfn_to_va(xen_pfn_t pfn);

/* pfn -> mfn: Xen's start_info mfn_list until p2m_init() is done, the p2m
 * afterwards.  INVALID_MFN_VALUE when the pfn has no machine frame. */
xen_pfn_t mm_env_pfn_to_mfn(xen_pfn_t pfn);

/* Xen's read-only machine_to_phys table, bounds-checked: INVALID_MFN_VALUE
 * for an mfn above the largest one Xen can look up. */
xen_pfn_t mm_env_m2p(xen_pfn_t mfn);
xen_pfn_t mm_env_max_mfn(void);

/* Read-only view of a machine frame of this domain (what a toolstack sees
 * when it maps the frame), or NULL when the frame is not ours. */
const void *mm_env_machine_page(xen_pfn_t mfn);

/* ---- Xen's MMU operations ------------------------------------------------ */

/* MMU_NORMAL_PT_UPDATE / MMU_MACHPHYS_UPDATE batch.  0 or Xen's -errno;
 * a failure is printed with the index of the refused request and the rc. */
int mm_env_mmu_update(const mmu_update_t *req, unsigned int count);
/* Rewrite the L1 entry that maps va; flush that va from the local TLB. */
int mm_env_update_va_mapping(uint64_t va, uint64_t pte);
/* MMUEXT_PIN_Ln_TABLE / UNPIN_TABLE (arg = mfn), TLB_FLUSH_LOCAL (arg
 * unused), INVLPG_LOCAL (arg = va).  0 or -errno, printed. */
int mm_env_mmuext(unsigned int cmd, uint64_t arg);

/* ---- memory reservation and shared_info --------------------------------- */

/* HYPERVISOR_memory_op as is (balloon, e820, reservation queries). */
long mm_env_memory_op(unsigned int cmd, void *arg);

/* The arch part of shared_info: max_pfn, frame list list, p2m_cr3, ... */
struct arch_shared_info *mm_env_arch_shared_info(void);

/* ---- host only ----------------------------------------------------------- */
#ifdef MINNOW_HOST_TEST
/* Loads and stores through a guest virtual address: the model walks its
 * page tables (a missing or read-only mapping is a loud test failure). */
uint64_t mm_env_va_load64(uint64_t va);
void mm_env_va_store64(uint64_t va, uint64_t val);
#endif

#endif
