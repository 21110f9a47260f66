/*
 * The page-table update routine (mm/pagetable.c; docs/pagetable.md).
 *
 * x86_64 4-level paging, 4 KiB leaves only (Xen refuses PV superpages):
 *
 *   va bits  47..39    38..30    29..21    20..12    11..0
 *            L4 index  L3 index  L2 index  L1 index  offset
 *
 *   level 4 entry -> L3 table, level 3 entry -> L2 table,
 *   level 2 entry -> L1 table, level 1 entry -> 4 KiB page
 *
 * Every write goes through Xen (mmu_update, batched); tables minnow
 * creates are zeroed while still writable, made read-only in the direct
 * map (Xen never lets a page table be mapped writable), then linked.
 *
 * Like Xen's ARM xen_pt_update(), the routine refuses what is usually a
 * bug unless the caller says it means it (the `opts` bits):
 *
 *   PT_ALLOW_CHANGE_LIVE    overwrite a present level-1 entry with a
 *                           different one (remapping a live page)
 *   PT_ALLOW_REPLACE_TABLE  overwrite a present level-2..4 entry with a
 *                           different one (what was a table becomes
 *                           another mapping; PV has no superpages, so the
 *                           "other mapping" is always another table)
 *   PT_ALLOW_REMOVE_TABLE   clear a present level-2..4 entry; and for
 *                           pt_unmap_range(): unlink and free L1 tables
 *                           whose whole 2 MiB lies in the range
 *   PT_SKIP_PRESENT         pt_map_*(): leave present entries as they are
 *                           (mapping "all RAM" over Xen's initial mapping)
 *
 * pt_unmap_range() clears live level-1 entries by definition (passing
 * PT_ALLOW_CHANGE_LIVE is accepted and changes nothing).
 *
 * A refused request returns -EEXIST (or -EBUSY for a table), prints the
 * reason, and changes nothing: pt_map_*() checks every entry before it
 * writes the first one.  Non-present entries written are always 0: no
 * address bits (Xen's L1TF check would kill the domain otherwise).
 *
 * Boot call order (the steps of mm_init(), kernel/boot/mm_setup.c):
 *   p2m_use_boot_list(si)     pfn_to_mfn() reads Xen's list until step 4
 *   pt_init(pfn of start_info->pt_base, &frame_allocator, pfn_to_mfn)
 *   pt_map_mfns(...)          3: RAM beyond Xen's initial map
 *                             (PT_SKIP_PRESENT), mfns from Xen's list
 *   p2m_init(...)             4: (p2m.h); then 5, the E820 plan
 *   pt_unmap_range(0, 1, PT_ALLOW_CHANGE_LIVE)
 *                             6: page 0, so that NULL faults
 */
#ifndef MINNOW_PT_H
#define MINNOW_PT_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <arch/page.h>
#include <minnow/frame.h>

#define PT_ENTRIES      512u

#define PTE_PRESENT     (1UL << 0)
#define PTE_RW          (1UL << 1)
#define PTE_USER        (1UL << 2)
#define PTE_PWT         (1UL << 3)
#define PTE_PCD         (1UL << 4)
#define PTE_ACCESSED    (1UL << 5)
#define PTE_DIRTY       (1UL << 6)
#define PTE_PSE         (1UL << 7)
#define PTE_GLOBAL      (1UL << 8)
#define PTE_NX          (1UL << 63)
#define PTE_ADDR_MASK   0x000ffffffffff000UL
#define PTE_FLAGS_MASK  (~PTE_ADDR_MASK)

/* A 64-bit PV kernel runs in ring 3, so its mappings carry USER (Xen
 * would add it anyway; writing it ourselves keeps read-back equal). */
#define PTE_KERNEL_RW   (PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED | PTE_DIRTY)
#define PTE_KERNEL_RO   (PTE_PRESENT | PTE_USER | PTE_ACCESSED)
#define PTE_TABLE       (PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED)

#define PT_ALLOW_CHANGE_LIVE    (1u << 0)
#define PT_ALLOW_REPLACE_TABLE  (1u << 1)
#define PT_ALLOW_REMOVE_TABLE   (1u << 2)
#define PT_SKIP_PRESENT         (1u << 3)

/* The direct map: pfn lives at va = pfn << 12 (KERNEL_VIRT_BASE is 0;
 * kernel/boot/mm_setup.c asserts the two agree). */
#define PT_DIRECTMAP_BASE 0UL
static inline uint64_t pt_directmap_va(xen_pfn_t pfn)
{
    return PT_DIRECTMAP_BASE + ((uint64_t)pfn << PAGE_SHIFT);
}

/* x86_64 addresses are 48 bits, sign-extended: bits 63..47 all equal. */
static inline bool pt_canonical(uint64_t va)
{
    return ((int64_t)va >> 47) == ((int64_t)va >> 63);
}

/* Does [first, last] touch Xen's own part of the address space
 * (HYPERVISOR_VIRT_START..END, the m2p at its bottom)?  A PV guest may
 * map nothing there. */
static inline bool pt_touches_xen(uint64_t first, uint64_t last)
{
    return first < HYPERVISOR_VIRT_END && last >= HYPERVISOR_VIRT_START;
}

/* Size of one mmu_update batch (one hypercall). */
#define PT_BATCH        512u

static inline uint64_t pte_make(xen_pfn_t mfn, uint64_t flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | flags;
}

static inline xen_pfn_t pte_mfn(uint64_t pte)
{
    return (pte & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

static inline unsigned int pt_index(uint64_t va, unsigned int level)
{
    return (va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/*
 * The root is the L4 Xen built (pfn of start_info->pt_base).  The routine
 * takes from around it where new tables come from and the machine frame
 * of a pfn: boot passes the frame allocator and pfn_to_mfn() (which reads
 * Xen's boot list until the p2m exists); host tests pass the Xen model's.
 */
void pt_init(xen_pfn_t l4_pfn, const struct frame_source *frames,
             xen_pfn_t (*pfn_to_mfn)(xen_pfn_t pfn));
xen_pfn_t pt_root_pfn(void);
/* Asked on every call: the mfn changes across save/restore. */
xen_pfn_t pt_root_mfn(void);

/* Map nr pages: va + i*4K -> mfn + i (MMIO, grants) or -> mfns[i] (RAM). */
int pt_map_range(uint64_t va, xen_pfn_t mfn, uint64_t nr, uint64_t flags,
                 unsigned int opts);
int pt_map_mfns(uint64_t va, const xen_pfn_t *mfns, uint64_t nr,
                uint64_t flags, unsigned int opts);
/* Clear nr level-1 entries (absent ones are fine). */
int pt_unmap_range(uint64_t va, uint64_t nr, unsigned int opts);

/* The level-1 entry for va: 0 (*pte set, maybe non-present) or -ENOENT
 * when a table above it is missing (*pte = 0). */
int pt_lookup(uint64_t va, uint64_t *pte);
/* The entry at `level` (1..4) on va's walk; -ENOENT if its table is absent. */
int pt_get_entry(uint64_t va, unsigned int level, uint64_t *entry);
/* Write the entry at `level` on va's walk, creating missing tables above
 * it; the refusal rules above apply. */
int pt_set_entry(uint64_t va, unsigned int level, uint64_t entry,
                 unsigned int opts);

/* A fresh table page: every entry = fill, read-only in the direct map,
 * ready to link.  0 or -ENOMEM / hypercall error. */
int pt_table_alloc(xen_pfn_t *pfn, uint64_t fill);
/* Undo pt_table_alloc() for a page that is no longer linked anywhere. */
int pt_table_free(xen_pfn_t pfn);

/* Make the direct-map mapping of a page read-only or writable again. */
int pt_set_page_ro(xen_pfn_t pfn, bool ro);

/*
 * Grant mappings.  Xen writes a granted PTE itself (GNTTABOP_map_grant_ref
 * with GNTMAP_host_map at a linear address: drivers/xen/gntmap.c), and
 * minnow asks it to set PTE_GRANTED, a software bit, in that PTE
 * (GNTMAP_guest_avail0 lands in bit 9).  Only GNTTABOP_unmap_grant_ref
 * may take such an entry down: a plain update would drop the mapping
 * without telling the grant's accounting, which Xen may punish by killing
 * the domain.  So every routine above refuses to overwrite or clear a
 * granted entry, changing nothing (-EBUSY, printed, counted in refusals):
 * pt_map_*() over one (even with PT_ALLOW_CHANGE_LIVE), pt_unmap_range()
 * on a range holding one, pt_set_entry() on one or on a table above one,
 * pt_set_page_ro() of one.  minnow's own mappings never carry the bit
 * (pt_map_*() refuse flags with it).
 */
#define PTE_GRANTED     (1UL << 9)

/* Before Xen maps a grant at va: va's level-1 table exists (made if it
 * was missing) and the entry is empty.  0, -EEXIST (a page is mapped
 * there), or another -errno. */
int pt_grant_prepare(uint64_t va);
/* Is va's level-1 entry present and granted? */
bool pt_is_granted(uint64_t va);

/* Push queued mmu_updates to Xen (the routines above do it themselves). */
int pt_flush(void);

/* Counters for tests and the boot summary. */
struct pt_stats {
    uint64_t tables_allocated;
    uint64_t tables_freed;
    uint64_t hypercalls;        /* mmu_update batches */
    uint64_t entries_written;
    uint64_t refusals;
};
void pt_get_stats(struct pt_stats *out);

#endif
