/*
 * Helpers shared by the conformance tests (tests/conformance/, one file
 * per ABI area).
 *
 * The tests talk to Xen through the raw hypercall wrappers
 * (arch/hypercall.h).  minnow itself is used only to get material to test
 * with, and every helper here gives it back:
 *
 *   conf_frame_get()     a scratch frame from minnow's allocator, zeroed,
 *                        mapped writable in the direct map
 *     conf_frame_ro()      ... its direct-map mapping made read-only
 *                          (what Xen needs before it types a page as a
 *                          page table)
 *     conf_frame_detach()  ... unmapped and out of the p2m: the frame is
 *                          held by nothing but its allocation, so Xen may
 *                          take it (decrease_reservation, exchange)
 *     conf_frame_attach()  ... the reverse, with the frame Xen gave back
 *   conf_frame_put()     back to the allocator (mapped writable again)
 *
 *   conf_scratch_va      one virtual page whose level-1 entry tests may
 *                        rewrite: conf_scratch_l1e() gives the entry's
 *                        machine address for mmu_update; unmap it after.
 *
 * A test that cannot get its material returns TEST_ERROR (CONF_ERR_IF):
 * that says nothing about Xen.
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <errno.h>
#include <xen/errno.h>      /* Xen's values: XEN_EINVAL ... (newlib's ENOSYS differs) */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/version.h>
#include <arch/hypercall.h>
#include <arch/layout.h>
#include <minnow/frame.h>
#include <minnow/hypervisor.h>
#include <minnow/p2m.h>
#include <minnow/pt.h>
#include "../guest/test.h"

/* ---- which Xen ---------------------------------------------------------- */

/* XENVER_version: major << 16 | minor.  XEN(4, 20) compares with it. */
#define XEN(major, minor)   (((major) << 16) | (minor))
static inline unsigned long conf_xen_version(void)
{
    return (unsigned long)hypercall_xen_version(XENVER_version, NULL);
}

/*
 * A debug build of Xen (debug=y, NDEBUG undefined) corrupts the argument
 * registers a hypercall used, on purpose, before returning
 * (xen/arch/x86/include/asm/hypercall.h:clobber_regs64()): rdi comes back
 * 0xdeadbeefdeadf00d.  A release build leaves it.  Some checks exist only
 * in debug builds; tests that meet one ask this.
 */
static inline bool conf_xen_is_debug(void)
{
    unsigned long rdi = XENVER_version, rsi = 0;
    long rc;

    asm volatile("call *%[stub]"
                 : "=a"(rc), "+D"(rdi), "+S"(rsi)
                 : [stub] "r"(&hypercall_page[__HYPERVISOR_xen_version * 32])
                 : "memory", "rcx", "r11", "rdx", "r10", "r8");
    (void)rc;
    return rdi == 0xdeadbeefdeadf00dUL;
}

/* ---- scratch frames ------------------------------------------------------- */

struct conf_frame {
    xen_pfn_t pfn;
    xen_pfn_t mfn;
    uint8_t *va;                /* direct map; NULL while detached */
    bool ro;
};

static inline int conf_frame_get(struct conf_frame *f)
{
    int rc = frame_alloc(&f->pfn);

    if (rc)
        return rc;
    f->mfn = pfn_to_mfn(f->pfn);
    f->va = pfn_to_virt(f->pfn);
    f->ro = false;
    memset(f->va, 0, PAGE_SIZE);
    return 0;
}

static inline int conf_frame_ro(struct conf_frame *f, bool ro)
{
    int rc = pt_set_page_ro(f->pfn, ro);

    if (!rc)
        f->ro = ro;
    return rc;
}

/* Unmap from the direct map and drop from the p2m (the balloon's first
 * steps): only the allocation holds the frame now. */
static inline int conf_frame_detach(struct conf_frame *f)
{
    int rc = pt_unmap_range(pt_directmap_va(f->pfn), 1, PT_ALLOW_CHANGE_LIVE);

    if (rc)
        return rc;
    f->va = NULL;
    return p2m_set(f->pfn, INVALID_P2M_ENTRY);
}

/* Put mfn (ours: populated or exchanged for us) at f's pfn again. */
static inline int conf_frame_attach(struct conf_frame *f, xen_pfn_t mfn)
{
    mmu_update_t m2p = {
        .ptr = ((uint64_t)mfn << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE,
        .val = f->pfn,
    };
    int rc = (int)hypercall_mmu_update(&m2p, 1, NULL, DOMID_SELF);

    if (rc)
        return rc;
    rc = p2m_set(f->pfn, mfn);
    if (rc)
        return rc;
    rc = pt_map_range(pt_directmap_va(f->pfn), mfn, 1, PTE_KERNEL_RW, 0);
    if (rc)
        return rc;
    f->mfn = mfn;
    f->va = pfn_to_virt(f->pfn);
    return 0;
}

static inline void conf_frame_put(struct conf_frame *f)
{
    if (f->ro)
        conf_frame_ro(f, false);
    frame_free(f->pfn);
}

/* ---- a scratch virtual page ------------------------------------------------ */

/* An otherwise unused part of the lower half (minnow's own test area,
 * tests/guest/test_pagetable.c, is 0x7000'0000'0000). */
#define CONF_SCRATCH_VA     0x0000710000000000UL

/* Make sure the tables above CONF_SCRATCH_VA exist (mapping a page once
 * builds them; they stay) and give the level-1 entry's machine address,
 * as mmu_update's ptr wants it.  The entry is left non-present. */
static inline int conf_scratch_l1e(uint64_t va, uint64_t *maddr)
{
    uint64_t l2e;
    int rc;

    if (pt_get_entry(va, 2, &l2e) != 0 || !(l2e & PTE_PRESENT)) {
        struct conf_frame f;

        rc = conf_frame_get(&f);
        if (rc)
            return rc;
        rc = pt_map_range(va, f.mfn, 1, PTE_KERNEL_RW, 0);
        if (!rc)
            rc = pt_unmap_range(va, 1, 0);
        conf_frame_put(&f);
        if (rc)
            return rc;
        if (pt_get_entry(va, 2, &l2e) != 0 || !(l2e & PTE_PRESENT))
            return -ENOENT;
    }
    *maddr = (pte_mfn(l2e) << PAGE_SHIFT) + pt_index(va, 1) * sizeof(uint64_t);
    return 0;
}

/* One MMU_NORMAL_PT_UPDATE (or another cmd in the low bits of ptr). */
static inline long conf_mmu_update1(uint64_t maddr, unsigned int cmd, uint64_t val,
                                    unsigned int *done)
{
    mmu_update_t u = { .ptr = maddr | cmd, .val = val };

    return hypercall_mmu_update(&u, 1, done, DOMID_SELF);
}

static inline long conf_mmuext1(unsigned int cmd, xen_pfn_t mfn)
{
    struct mmuext_op op = { .cmd = cmd, .arg1.mfn = mfn };

    return hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* A zeroed frame, read-only in the direct map: ready to be typed as a
 * page table (pinned) by Xen. */
static inline int conf_table_get(struct conf_frame *f)
{
    int rc = conf_frame_get(f);

    if (!rc && (rc = conf_frame_ro(f, true)) != 0)
        frame_free(f->pfn);
    return rc;
}

/* Map mfn at va through its level-1 entry (maddr from conf_scratch_l1e)
 * and flush va from the TLB; pte 0 unmaps. */
static inline long conf_scratch_set(uint64_t va, uint64_t maddr, uint64_t pte)
{
    struct mmuext_op inv = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = va };
    long rc = conf_mmu_update1(maddr, MMU_NORMAL_PT_UPDATE, pte, NULL);

    if (!rc)
        rc = hypercall_mmuext_op(&inv, 1, NULL, DOMID_SELF);
    return rc;
}

/* ---- multicall builder ------------------------------------------------------ */

struct conf_mc {
    multicall_entry_t e[8];
    unsigned int n;
};

/* Append op(args...); returns the entry's index. */
static inline unsigned int conf_mc_add(struct conf_mc *mc, unsigned long op,
                                       unsigned long a0, unsigned long a1,
                                       unsigned long a2)
{
    multicall_entry_t *e = &mc->e[mc->n];

    memset(e, 0, sizeof(*e));
    e->op = op;
    e->args[0] = a0;
    e->args[1] = a1;
    e->args[2] = a2;
    e->result = 0x5a5a5a5a;     /* must be overwritten */
    return mc->n++;
}

/* ---- privileged instructions Xen emulates for a PV kernel ------------------ */

/* mov from cr0 / cr3: a PV kernel traps, Xen answers with its virtual
 * value (xen/arch/x86/pv/emul-priv-op.c:read_cr()). */
static inline uint64_t conf_read_cr0(void)
{
    uint64_t v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline uint64_t conf_read_cr3(void)
{
    uint64_t v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

#endif
