/*
 * An in-process model of the parts of Xen a PV guest's memory code talks
 * to, for host tests of mm/ (tests/unit/sim/README.md).
 *
 *   machine memory   a memfd of sim.cfg.machine_frames 4 KiB frames, mapped
 *                    twice: the model's view (always writable) and the
 *                    guest's view (what xen_mm_page() hands out;
 *                    page-table frames are mprotect()ed read-only there,
 *                    so a stray direct write to a table is a SIGSEGV)
 *   frame_info[mfn]  owner, type (none / writable / L1..L4) with a type
 *                    count, pinned, and "part of the p2m" for the
 *                    generation check
 *   m2p[mfn]         the machine_to_phys table
 *   shared_info      a real shared_info_t
 *
 * Rules enforced as Xen does for PV guests (a refusal is a "violation":
 * printed to stderr, counted, and the call fails with Xen's -errno):
 *   - a frame has one type at a time while its type count is non-zero: a
 *     page mapped writable anywhere cannot become a page table and a page
 *     table cannot be mapped writable;
 *   - entries of an Ln table (n >= 2) must point at frames of this domain
 *     that validate as L(n-1) tables; no superpages; L4 slots 256..271
 *     belong to Xen;
 *   - L1 entries must point at frames this domain owns;
 *   - a table referenced for the first time (linked, pinned) is validated
 *     entry by entry; dropping the last reference drops its entries' refs;
 *   - non-present entries must be 0 (L1TF: no address bits);
 *   - mmu_update may only target page-table frames (stricter than Xen,
 *     which also allows plain writes to writable frames: minnow never
 *     does that, so doing it is a bug);
 *   - once the p2m is published (p2m_cr3 != 0), a page-table write into
 *     the p2m's tables needs an odd p2m_generation;
 *   - decrease_reservation of a frame that is still mapped is refused;
 *   - (sim_frames, the tests' frame source) a frame goes out mapped
 *     writable and comes back mapped writable, no longer a page table.
 */
#ifndef SIM_XEN_MODEL_H
#define SIM_XEN_MODEL_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <xen/memory.h>
#include <minnow/frame.h>

#define INVALID_MFN     (~0UL)
#define SIM_DOMID       1
#define SIM_NO_OWNER    0xffff

enum sim_type { SIM_NONE, SIM_WRITABLE, SIM_L1, SIM_L2, SIM_L3, SIM_L4 };

struct sim_frame {
    uint16_t owner;
    uint8_t type;
    uint8_t pinned : 1, p2m_table : 1;
    uint32_t type_count;    /* pin + links (tables) or writable mappings */
    uint32_t ro_maps;       /* read-only L1 mappings */
};

struct sim_config {
    uint64_t machine_frames;    /* default 1 << 20 (4 GiB) */
    uint64_t nr_pages;          /* the domain's RAM at boot */
    uint64_t max_pages;         /* reservation limit (default nr_pages + 4096) */
    bool map_all;               /* map every pfn, as after minnow's boot */
    uint32_t start_info_flags;
    uint64_t seed;
    uint64_t p2m_va;            /* where the p2m will live (generation check) */
    uint64_t p2m_slots;
};

struct sim_state {
    struct sim_config cfg;
    struct sim_frame *frames;
    int machine_fd;             /* the memfd (bench maps frames from it) */
    uint8_t *machine;           /* model's view */
    uint8_t *guest_view;        /* xen_mm_page() */
    xen_pfn_t *m2p;
    xen_pfn_t *boot_mfn_list;   /* Xen's start_info->mfn_list */
    xen_pfn_t *free_mfns;       /* machine frames nobody owns */
    uint64_t nr_free_mfns;
    uint64_t dom_pages;         /* frames the domain owns */
    xen_pfn_t root_mfn;         /* the L4 in "cr3" */
    xen_pfn_t mapped_pfns;      /* Xen's initial mapping covers [0, this) */
    xen_pfn_t first_free_pfn;   /* after the boot page tables */
    shared_info_t shared;
    start_info_t start_info;

    uint64_t violations;
    char last_violation[256];
    uint64_t mmu_update_calls, mmu_update_entries, mmuext_calls, tlb_flushes;
    uint64_t uvm_calls;
    uint64_t p2m_table_writes;  /* while published (generation odd) */
    uint64_t va_loads, va_stores;
    uint64_t page_lookups;      /* xen_mm_page() calls (a table or page read) */
};

extern struct sim_state sim;

/* Build a domain as Xen's domain builder would; sim_fini() frees it. */
void sim_init(const struct sim_config *cfg);
void sim_fini(void);

/* Violations since the last call (and reset). */
uint64_t sim_take_violations(void);

/*
 * The memory map the model hands out (n entries of Xen's 20-byte E820
 * format), to the initial domain by XENMEM_machine_memory_map with Xen's
 * rule: a buffer of fewer than n + 1 entries is refused with -EINVAL.
 * NULL: not modelled.  XENMEM_memory_map always answers -ENOSYS.
 */
void sim_set_machine_map(const void *entries, unsigned int n);

/* Failure injection. */
void sim_fail_frame_alloc_after(long n);     /* -1: never */
void sim_inject_memop(unsigned int cmd, long max_done, int rc); /* one shot */
/* After n more present level-1 entries are written, refuse every further
 * one with -EINVAL (as Xen refusing a mapping); -1: never. */
void sim_fail_pte_maps_after(long n);
/* Refuse every level-1 entry that maps mfn, with -EINVAL (INVALID_MFN: none). */
void sim_refuse_maps_of(xen_pfn_t mfn);

/*
 * The frames the tests hand to pt_init() and p2m_init(): a pool of mapped
 * free frames.  sim_frames checks each one (handed out mapped writable;
 * given back mapped writable and no longer a page table) and fails on
 * demand (sim_fail_frame_alloc_after).
 */
extern const struct frame_source sim_frames;
void sim_pool_add(xen_pfn_t start, uint64_t count);
uint64_t sim_pool_count(void);
int sim_pool_take(xen_pfn_t *pfn);
void sim_pool_give(xen_pfn_t pfn);

/*
 * What libxenguest's restore does for a pfn whose page a migration stream
 * carries: a new frame of the domain, m2p = pfn (populate_physmap), and,
 * at the end of the stream, that mfn written into the guest's p2m array
 * through its own mapping (update_guest_p2m).  Returns the mfn.
 */
xen_pfn_t sim_restore_populate(xen_pfn_t pfn);
void sim_tools_write_p2m(xen_pfn_t pfn, xen_pfn_t mfn);
/* A frame of nobody whose m2p entry still says pfn (as a frame another
 * domain freed may keep).  Returns the mfn. */
xen_pfn_t sim_stale_m2p_frame(xen_pfn_t pfn);

/* pfn -> mfn by Xen's boot list (start_info mfn_list), as before the p2m. */
xen_pfn_t sim_boot_pfn_to_mfn(xen_pfn_t pfn);

/* Xen operations (sim_xen_mm.c forwards the port to these). */
int sim_mmu_update(const mmu_update_t *req, unsigned int count, unsigned int *done);
int sim_update_va_mapping(uint64_t va, uint64_t pte);
int sim_mmuext(unsigned int cmd, uint64_t arg);
long sim_memory_op(unsigned int cmd, void *arg);

/* Walk the current page tables: the L1 entry's target mfn for va, or
 * INVALID (no fault recorded).  *pte gets the L1 entry. */
xen_pfn_t sim_translate(uint64_t va, uint64_t *pte);
/* Loads/stores through the page tables; a fault is a violation. */
uint64_t sim_va_load64(uint64_t va);
void sim_va_store64(uint64_t va, uint64_t val);

/*
 * Grant mappings, as GNTTABOP_map_grant_ref / unmap_grant_ref with
 * GNTMAP_host_map | GNTMAP_guest_avail0 at a linear address: Xen writes
 * the PTE itself (present, NX, bit 9 = PTE_GRANTED, RW unless read-only)
 * into an existing L1 table, and only the unmap may clear it; a plain
 * mmu_update / update_va_mapping of a granted PTE is a violation (Xen may
 * kill the domain for it).  sim_foreign_frame() makes a frame another
 * domain (SIM_FOREIGN_DOMID) owns, with m2p[mfn] = their_pfn.
 */
#define SIM_FOREIGN_DOMID 2
xen_pfn_t sim_foreign_frame(xen_pfn_t their_pfn);
int sim_grant_map(uint64_t va, xen_pfn_t mfn, bool readonly);   /* 0 or -EINVAL */
int sim_grant_unmap(uint64_t va, xen_pfn_t mfn);

/* Backdoors for tests that inject corruption (no checks at all). */
uint64_t *sim_machine_word(xen_pfn_t mfn, unsigned int index);

/* Internal: report a violation (printf-like). */
void sim_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
