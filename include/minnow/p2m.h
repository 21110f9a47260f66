/*
 * The p2m: minnow's pseudo-physical -> machine frame list, as one linear
 * array of 8-byte entries mapped at a fixed virtual address (docs/p2m.md
 * draws it).  pfn_to_mfn() is one bounds check and one load.
 *
 * Entry values (as in Linux):
 *   mfn                       RAM: pfn is backed by machine frame mfn
 *   INVALID_P2M_ENTRY (~0)    missing: no frame (hole, ballooned out)
 *   IDENTITY_FRAME(pfn)       1:1: pfn == mfn (I/O holes of dom0's e820)
 *   FOREIGN_FRAME(mfn)        a frame of another domain mapped here
 * Holes cost almost nothing: uniform 2 MiB / 1 GiB / 512 GiB chunks of the
 * array share read-only pages ("missing" and "identity" leaves, and page
 * tables pointing only at them).  A shared identity leaf holds ~0 like the
 * missing one (the toolstack demands it); lookups tell them apart by the
 * page the mapping points at, and return IDENTITY_FRAME(pfn).
 *
 * The p2m is published in shared_info so the toolstack can read it (save,
 * restore, migrate, dump-core): max_pfn, p2m_vaddr, p2m_generation,
 * p2m_cr3 (last), and the 3-level pfn_to_mfn_frame_list_list when the
 * domain started without SIF_VIRT_P2M_4TOOLS (dom0, old tools).
 *
 * Boot call order (kernel/boot/mm_setup.c):
 *   p2m_use_boot_list(si)       before the page tables change: until the
 *                               p2m exists, pfn_to_mfn() reads Xen's list
 *                               (start_info mfn_list, still mapped by Xen).
 *   ... pt_init(), all RAM mapped (pt.h) ...
 *   p2m_init(&cfg)              copies Xen's list into minnow's own leaves,
 *                               maps them at cfg.virt_base, publishes.
 *                               From here on pfn_to_mfn() reads the p2m.
 *   p2m_set_identity_range(...) for e820 holes (dom0), if wanted.
 *   p2m_self_check()            optional; p2m_dump() for `p2m_dump`.
 * On resume: p2m_republish() (start_info flags are 0 then: the SIF flags
 * kept by p2m_use_boot_list() are used).
 */
#ifndef MINNOW_P2M_H
#define MINNOW_P2M_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <minnow/frame.h>
#include <minnow/xen_mm.h>

/*
 * The pages that map the array, named as in Linux; "level n" is pt.h's:
 * the level-n entry on a pfn's walk sits in an Ln page and points at the
 * page to its right.
 *
 *   L4 slot --> L3 page --> PMD page (L2) --> PTE page (L1) --> leaf
 *          level 4     level 3          level 2           level 1
 *
 * How many pfns one page of each kind covers (in pseudo-physical memory):
 */
#define P2M_PER_PAGE            512UL                           /* leaf: 2 MiB */
#define P2M_PFNS_PER_PTE_PAGE   (P2M_PER_PAGE * 512UL)          /* 1 GiB */
#define P2M_PFNS_PER_PMD_PAGE   (P2M_PFNS_PER_PTE_PAGE * 512UL) /* 512 GiB */
#define P2M_PFNS_PER_L3_PAGE    (P2M_PFNS_PER_PMD_PAGE * 512UL) /* 256 TiB */
/* Default pfn space covered: 512 GiB of pseudo-physical memory. */
#define P2M_DEFAULT_PFNS        P2M_PFNS_PER_PMD_PAGE

#define INVALID_P2M_ENTRY   NO_FRAME    /* the tools read ~0 as "no frame" */
#define FOREIGN_FRAME_BIT   (1UL << 63)
#define IDENTITY_FRAME_BIT  (1UL << 62)
#define FOREIGN_FRAME(m)    ((m) | FOREIGN_FRAME_BIT)
#define IDENTITY_FRAME(m)   ((m) | IDENTITY_FRAME_BIT)
#define P2M_FRAME_BITS      (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT)
/* 52-bit physical addresses: pfns at or above this are never valid. */
#define P2M_MAX_ARCH_PFN    (1UL << 40)

struct p2m_config {
    uint64_t virt_base;         /* P2M_VIRT_BASE: 512 GiB aligned */
    uint64_t virt_slots;        /* L4 slots the p2m may use (P2M_VIRT_SLOTS) */
    xen_pfn_t reserve_pfns;     /* pfn space to cover; 0 = P2M_DEFAULT_PFNS */
    const struct frame_source *frames;  /* for leaves, tables, frame lists */
};

/* Lookups answer from Xen's list in si until p2m_init() is done. */
void p2m_use_boot_list(const start_info_t *si);
/* 0, or -errno with the reason printed (then Xen's list stays in use). */
int p2m_init(const struct p2m_config *cfg);
/* Check cfg for nr_pages pfns; *limit = the pfn space p2m_init() will
 * cover (for planning before it runs).  0 or -EINVAL, printed. */
int p2m_limit_for(const struct p2m_config *cfg, xen_pfn_t nr_pages, xen_pfn_t *limit);
bool p2m_ready(void);

/* ---- lookups --------------------------------------------------------------- */

/* Set by p2m_init(): the array's address and how many pfns it covers. */
extern uint64_t p2m_table_va;
extern xen_pfn_t p2m_table_limit;

/*
 * The one load.  In the guest it is a plain 8-byte load from the array;
 * on the host the array lives in the hypervisor model's memory, so the
 * load goes through the model's page tables.  This is the only place the
 * two differ.
 */
static inline xen_pfn_t p2m_entry_load(xen_pfn_t pfn)
{
#ifdef MINNOW_HOST_TEST
    return xen_mm_load64(p2m_table_va + pfn * sizeof(xen_pfn_t));
#else
    return __atomic_load_n((const xen_pfn_t *)p2m_table_va + pfn,
                           __ATOMIC_RELAXED);
#endif
}

/* Slow path: out of range, ~0 (missing vs identity), or no p2m yet
 * (then Xen's list). */
xen_pfn_t p2m_lookup_slow(xen_pfn_t pfn);

/* The entry with its flag bits: mfn, ~0, IDENTITY_FRAME(pfn), FOREIGN_FRAME(m). */
static inline xen_pfn_t p2m_get(xen_pfn_t pfn)
{
    if (__builtin_expect(pfn < p2m_table_limit, 1)) {
        xen_pfn_t e = p2m_entry_load(pfn);
        if (__builtin_expect(e != INVALID_P2M_ENTRY, 1))
            return e;
    }
    return p2m_lookup_slow(pfn);
}

/* The machine frame: identity gives pfn, foreign gives the foreign mfn,
 * missing gives INVALID_P2M_ENTRY. */
static inline xen_pfn_t pfn_to_mfn(xen_pfn_t pfn)
{
    xen_pfn_t e = p2m_get(pfn);

    return e == INVALID_P2M_ENTRY ? e : (e & ~P2M_FRAME_BITS);
}

enum p2m_kind { P2M_MISSING, P2M_RAM, P2M_IDENTITY, P2M_FOREIGN };
enum p2m_kind p2m_kind_of(xen_pfn_t pfn);
const char *p2m_kind_name(enum p2m_kind kind);

/*
 * The first missing pfn in [from, end), or end when there is none; and
 * *run_end such that [that pfn, *run_end) is all missing (*run_end <= end;
 * it may stop at a chunk boundary before the run does).  A shared chunk
 * costs one look whatever its size, so a search through the 1:1 tail
 * above the end of RAM is a few hundred looks, not one per pfn.
 */
xen_pfn_t p2m_find_missing(xen_pfn_t from, xen_pfn_t end, xen_pfn_t *run_end);

/* ---- updates ---------------------------------------------------------------- */

/*
 * Set one entry (an atomic 8-byte store).  May allocate private pages when
 * the entry lies in a shared page; returns 0, -ENOMEM (reported; nothing
 * changed) or -ERANGE (pfn beyond the covered space).  Setting a pfn at or
 * above max_pfn to a frame raises the published max_pfn.
 */
int p2m_set(xen_pfn_t pfn, xen_pfn_t mfn);
/* The same, never allocating: false when the entry lies in a shared page
 * and would have to change (Linux's __set_phys_to_machine). */
bool p2m_try_set(xen_pfn_t pfn, xen_pfn_t mfn);
/* Mark [start, end) 1:1.  Whole 1 GiB / 2 MiB chunks become one entry
 * pointing at a shared identity page (a private leaf there is freed), so
 * the cost follows the number of boundaries, not the length. */
int p2m_set_identity_range(xen_pfn_t start, xen_pfn_t end);

/* The count published as shared_info max_pfn. */
xen_pfn_t p2m_max_pfn(void);

/*
 * Another domain's frame mfn is mapped at pfn (drivers/xen/gntmap.c):
 * p2m[pfn] = FOREIGN_FRAME(mfn), and the m2p override answers pfn for
 * mfn.  pfn must be missing (a ballooned-out pfn: p2m ~0).  0, or -EEXIST
 * (pfn is not missing), -ENOMEM / -ENOSPC (no room in the p2m or the
 * override); on failure nothing changed.  The published entry carries
 * FOREIGN_FRAME_BIT, which the toolstack reads as "no frame of this
 * domain"; max_pfn does not grow for it.
 */
int p2m_set_foreign(xen_pfn_t pfn, xen_pfn_t mfn);
/* Undo it: p2m[pfn] = ~0 again, override dropped.  0, or -EINVAL when
 * pfn holds no foreign frame (nothing changed). */
int p2m_clear_foreign(xen_pfn_t pfn);

/* ---- m2p (mm/m2p.c; Xen's raw table is mfn_to_pfn(), xen_mm.h) --------------- */

/* The pfn only if it is ours (p2m[m2p[mfn]] == mfn; or another domain's
 * frame mapped here, found in the m2p override; or mfn is a pfn made 1:1
 * inside the table, as the E820 plan does), else NO_FRAME.  An own frame
 * granted to ourselves and mapped (a self-grant) answers its owner pfn. */
xen_pfn_t mfn_to_local_pfn(xen_pfn_t mfn);

/* The m2p override (mm/m2p.c draws it): where a foreign mfn is mapped.
 * p2m_set_foreign() and p2m_clear_foreign() keep it; these are for them
 * and for tests.  add: 0, -ENOMEM, -ENOSPC; remove: 0 or -ENOENT. */
int m2p_override_add(xen_pfn_t mfn, xen_pfn_t pfn);
int m2p_override_remove(xen_pfn_t mfn, xen_pfn_t pfn);
/* A pfn mfn is mapped at (any, if several), or NO_FRAME. */
xen_pfn_t m2p_override_lookup(xen_pfn_t mfn);
struct m2p_override_stats {
    uint64_t entries;           /* (mfn, pfn) pairs */
    uint64_t pages;             /* frames holding the table (0 when empty) */
};
void m2p_override_get_stats(struct m2p_override_stats *out);
/* Forget everything, pages included (host tests boot many domains). */
void m2p_override_reset(void);
/* What a toolstack sees when it maps mfn: the page, if the frame is ours
 * and present in the direct map; else NULL. */
const void *mfn_to_local_page(xen_pfn_t mfn);

/* ---- publication, checks, debugging -------------------------------------- */

/* Re-write every shared_info field and rebuild the frame list (resume). */
int p2m_republish(void);
/* Read the p2m as libxenguest does and compare with minnow's lookups.
 * 0, or the number of problems found (each printed). */
int p2m_self_check(void);
/* `P2M <pfn> <mfn> ram|foreign`, `P2M <s>-<e> identity`, `P2M END <n>`. */
void p2m_dump(void);

struct p2m_stats {
    uint64_t leaves;            /* private leaf pages */
    uint64_t pte_pages;         /* private PTE pages */
    uint64_t pmd_pages;         /* private PMD pages */
    uint64_t l3_pages;          /* L3 tables of the p2m's L4 slots */
    uint64_t shared_pages;      /* missing/identity leaves and tables */
    uint64_t fl_pages;          /* frame-list-list top + mid pages */
    uint64_t total;
    uint64_t generation;        /* shared_info p2m_generation */
};
void p2m_get_stats(struct p2m_stats *out);

#endif
