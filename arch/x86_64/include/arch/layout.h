/*
 * minnow's virtual address-space layout (x86_64 PV).  docs/boot.md draws it.
 *
 *  0x0000000000000000  page 0: never mapped, so a NULL dereference faults
 *  0x0000000000001000  free RAM below 640 KiB; 0x9f000-0x100000 is 1:1 (E820)
 *  0x0000000000100000  kernel image (VIRT_BASE = 0, linked at 1 MiB)
 *        ...           direct map: pseudo-physical page pfn lives at
 *                      va = pfn << 12, for every RAM pfn minnow owns
 *  0x0000400000000000  HEAP_VIRT_BASE: the heap behind malloc (64 GiB max)
 *  0x00007fffffffffff  end of the lower canonical half
 *  0xffff800000000000  Xen (read-only M2P at the bottom); not ours
 *  0xffff880000000000  end of Xen's reservation
 *  0xffffa00000000000  P2M_VIRT_BASE: the linear p2m, one 8-byte entry per
 *                      pfn, P2M_VIRT_SLOTS L4 slots of 512 GiB each
 *  0xffffc00000000000  MAP_AREA_BASE: grant, foreign and I/O mappings
 *
 * Keeping VIRT_BASE at 0 makes the direct map trivial (va == pseudo-physical
 * address), which is what a student expects to see when reading the code.
 */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

#include <stdint.h>
#include <xen/xen.h>
#include <arch/page.h>

#define KERNEL_VIRT_BASE  0x0UL
#define KERNEL_LOAD_VA    0x100000UL
#define P2M_VIRT_BASE     0xffffa00000000000UL
#define P2M_VIRT_SLOTS    32UL            /* 16 TiB of VA: 2^41 pfns */
#define MAP_AREA_BASE     0xffffc00000000000UL

/* The heap (mm/heap.c) has its own VA range, far above any direct-mapped RAM. */
#define HEAP_VIRT_BASE    0x0000400000000000UL
#define HEAP_VIRT_MAX     (64UL << 30)

static inline void *pfn_to_virt(xen_pfn_t pfn)
{
    return (void *)(KERNEL_VIRT_BASE + (pfn << PAGE_SHIFT));
}

static inline xen_pfn_t virt_to_pfn(const void *va)
{
    return ((uintptr_t)va - KERNEL_VIRT_BASE) >> PAGE_SHIFT;
}

#endif
