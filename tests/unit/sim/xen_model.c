/*
 * The hypervisor model: frame types, page-table validation, mmu_update,
 * update_va_mapping, mmuext_op, loads/stores through the page tables.
 * See xen_model.h for the rules.  The domain builder and memory_op live
 * in xen_model_dom.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "sim/xen_model.h"

#define PRESENT     1UL
#define RW          2UL
#define PSE         0x80UL
#define ADDR_MASK   0x000ffffffffff000UL
#define GRANTED     0x200UL         /* GNTMAP_guest_avail0: minnow's PTE_GRANTED */
#define NX          (1UL << 63)
#define XEN_SLOT_LO 256u
#define XEN_SLOT_HI 272u            /* exclusive */

struct sim_state sim;
static long maps_before_failure = -1;       /* sim_fail_pte_maps_after() */
static xen_pfn_t refused_target = INVALID_MFN;  /* sim_refuse_maps_of() */

void sim_fail_pte_maps_after(long n)
{
    maps_before_failure = n;
}

void sim_refuse_maps_of(xen_pfn_t mfn)
{
    refused_target = mfn;
}

void sim_violation(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sim.last_violation, sizeof(sim.last_violation), fmt, ap);
    va_end(ap);
    sim.violations++;
    fprintf(stderr, "XEN MODEL REFUSED: %s\n", sim.last_violation);
}

uint64_t sim_take_violations(void)
{
    uint64_t v = sim.violations;

    sim.violations = 0;
    return v;
}

uint64_t *sim_machine_word(xen_pfn_t mfn, unsigned int index)
{
    return (uint64_t *)(sim.machine + mfn * 4096UL) + index;
}

static uint64_t *table_of(xen_pfn_t mfn)
{
    return sim_machine_word(mfn, 0);
}

static bool valid_mfn(xen_pfn_t mfn)
{
    return mfn < sim.cfg.machine_frames;
}

static void protect(xen_pfn_t mfn, bool ro)
{
    if (mprotect(sim.guest_view + mfn * 4096UL, 4096,
                 ro ? PROT_READ : PROT_READ | PROT_WRITE))
        sim_violation("mprotect of mfn %#lx failed", (unsigned long)mfn);
}

static const char *type_name(unsigned int t)
{
    static const char *const n[] = { "none", "writable", "L1", "L2", "L3", "L4" };
    return t <= SIM_L4 ? n[t] : "?";
}

static int validate_table(xen_pfn_t mfn, unsigned int type, bool p2m);
static void devalidate_table(xen_pfn_t mfn, unsigned int type);

/* Take a type reference: the first one (re)types and validates the frame. */
static int get_type(xen_pfn_t mfn, unsigned int type, bool p2m)
{
    struct sim_frame *f = &sim.frames[mfn];

    if (f->owner != SIM_DOMID) {
        sim_violation("mfn %#lx is not the domain's (owner %#x)", (unsigned long)mfn,
                      f->owner);
        return -EINVAL;
    }
    if (f->type_count == 0) {
        if (type >= SIM_L1) {
            f->type = type;
            f->type_count = 1;      /* hold it while validating (loops) */
            if (p2m)
                f->p2m_table = 1;
            if (validate_table(mfn, type, p2m)) {
                f->type_count = 0;
                f->type = SIM_NONE;
                return -EINVAL;
            }
            protect(mfn, true);
            return 0;
        }
        f->type = type;
    } else if (f->type != type) {
        sim_violation("mfn %#lx is in use as %s (count %u); cannot use it as %s",
                      (unsigned long)mfn, type_name(f->type), f->type_count,
                      type_name(type));
        return -EINVAL;
    }
    if (p2m && type >= SIM_L1)
        f->p2m_table = 1;
    f->type_count++;
    return 0;
}

static void put_type(xen_pfn_t mfn)
{
    struct sim_frame *f = &sim.frames[mfn];

    if (f->type_count == 0) {
        sim_violation("model bug: type count of mfn %#lx underflows", (unsigned long)mfn);
        return;
    }
    if (--f->type_count == 0 && f->type >= SIM_L1) {
        unsigned int t = f->type;
        f->type = SIM_NONE;
        devalidate_table(mfn, t);
        protect(mfn, false);
    }
}

/* References an entry of a `level` table holds; 0 or -EINVAL (reported). */
static int entry_get(uint64_t e, unsigned int level, unsigned int idx, bool p2m)
{
    xen_pfn_t target = (e & ADDR_MASK) >> 12;

    if (!(e & PRESENT)) {
        if (e != 0) {
            sim_violation("non-present L%u entry %#lx carries bits (L1TF)", level,
                          (unsigned long)e);
            return -EINVAL;
        }
        return 0;
    }
    if (level == 4 && idx >= XEN_SLOT_LO && idx < XEN_SLOT_HI) {
        sim_violation("L4 slot %u belongs to Xen", idx);
        return -EPERM;
    }
    if (!valid_mfn(target)) {
        sim_violation("L%u entry %#lx points outside machine memory", level,
                      (unsigned long)e);
        return -EINVAL;
    }
    if (level == 1) {
        if (sim.frames[target].owner != SIM_DOMID) {
            sim_violation("L1 entry maps mfn %#lx, not the domain's",
                          (unsigned long)target);
            return -EINVAL;
        }
        if (e & RW)
            return get_type(target, SIM_WRITABLE, false);
        sim.frames[target].ro_maps++;
        return 0;
    }
    if (e & PSE) {
        sim_violation("superpage L%u entry %#lx (PV has none)", level, (unsigned long)e);
        return -EINVAL;
    }
    return get_type(target, SIM_L1 + (level - 2), p2m);   /* an L(level-1) table */
}

static void entry_put(uint64_t e, unsigned int level)
{
    xen_pfn_t target = (e & ADDR_MASK) >> 12;

    if (!(e & PRESENT))
        return;
    if (level == 1 && !(e & RW)) {
        sim.frames[target].ro_maps--;
        return;
    }
    put_type(target);
}

static int validate_table(xen_pfn_t mfn, unsigned int type, bool p2m)
{
    uint64_t *t = table_of(mfn);
    unsigned int level = type - SIM_L1 + 1;

    if (sim.frames[mfn].type_count > 1 || (sim.frames[mfn].type == SIM_WRITABLE)) {
        sim_violation("model bug validating mfn %#lx", (unsigned long)mfn);
        return -EINVAL;
    }
    for (unsigned int i = 0; i < 512; i++) {
        if (level == 4 && i >= XEN_SLOT_LO && i < XEN_SLOT_HI)
            continue;
        if (entry_get(t[i], level, i, p2m)) {
            sim_violation("mfn %#lx does not validate as L%u (entry %u = %#lx)",
                          (unsigned long)mfn, level, i, (unsigned long)t[i]);
            while (i-- > 0)
                if (!(level == 4 && i >= XEN_SLOT_LO && i < XEN_SLOT_HI))
                    entry_put(t[i], level);
            return -EINVAL;
        }
    }
    /* Xen's rule behind all of this: a table may not be writable anywhere. */
    return 0;
}

static void devalidate_table(xen_pfn_t mfn, unsigned int type)
{
    uint64_t *t = table_of(mfn);
    unsigned int level = type - SIM_L1 + 1;

    for (unsigned int i = 0; i < 512; i++)
        if (!(level == 4 && i >= XEN_SLOT_LO && i < XEN_SLOT_HI))
            entry_put(t[i], level);
}

static bool published_and_even(void)
{
    return sim.shared.arch.p2m_cr3 != 0 && !(sim.shared.arch.p2m_generation & 1);
}

/* Write one entry of a page-table frame, with Xen's checks. */
static int write_entry(xen_pfn_t mfn, unsigned int idx, uint64_t val)
{
    struct sim_frame *f;
    unsigned int level;
    uint64_t old;
    int rc;

    if (!valid_mfn(mfn) || sim.frames[mfn].owner != SIM_DOMID) {
        sim_violation("mmu_update target mfn %#lx is not the domain's",
                      (unsigned long)mfn);
        return -EINVAL;
    }
    f = &sim.frames[mfn];
    if (f->type < SIM_L1 || f->type_count == 0) {
        sim_violation("mmu_update into mfn %#lx, which is not a live page table (%s)",
                      (unsigned long)mfn, type_name(f->type));
        return -EINVAL;
    }
    level = f->type - SIM_L1 + 1;
    old = table_of(mfn)[idx];
    if (level == 1 && (val & PRESENT) && maps_before_failure >= 0 &&
        maps_before_failure-- == 0) {
        maps_before_failure = 0;            /* every later one fails too */
        return -EINVAL;                     /* injected: not a violation */
    }
    if (level == 1 && (val & PRESENT) && ((val & ADDR_MASK) >> 12) == refused_target)
        return -EINVAL;                     /* injected too */
    if (f->p2m_table && level > 0) {
        if (published_and_even())
            sim_violation("p2m table mfn %#lx changed with even p2m_generation %lu",
                          (unsigned long)mfn, (unsigned long)sim.shared.arch.p2m_generation);
        else if (sim.shared.arch.p2m_cr3)
            sim.p2m_table_writes++;
    }
    if (level == 4 && idx >= XEN_SLOT_LO && idx < XEN_SLOT_HI) {
        sim_violation("L4 slot %u belongs to Xen", idx);
        return -EPERM;
    }
    if (old == val)
        return 0;
    if (level == 1 && (old & (PRESENT | GRANTED)) == (PRESENT | GRANTED)) {
        sim_violation("plain update of granted PTE %#lx (-> %#lx): only "
                      "GNTTABOP_unmap_grant_ref may take it down", (unsigned long)old,
                      (unsigned long)val);
        return -EINVAL;
    }
    {
        bool p2m = f->p2m_table;
        if (level == 4 && sim.cfg.p2m_slots) {
            unsigned int first = (sim.cfg.p2m_va >> 39) & 511;
            p2m = idx >= first && idx < first + sim.cfg.p2m_slots;
        }
        rc = entry_get(val, level, idx, p2m);
    }
    if (rc)
        return rc;
    table_of(mfn)[idx] = val;
    entry_put(old, level);
    return 0;
}

int sim_mmu_update(const mmu_update_t *req, unsigned int count, unsigned int *done)
{
    unsigned int i;
    int rc = 0;

    sim.mmu_update_calls++;
    for (i = 0; i < count && rc == 0; i++) {
        uint64_t ptr = req[i].ptr;
        xen_pfn_t mfn = ptr >> 12;

        switch (ptr & 3) {
        case MMU_NORMAL_PT_UPDATE:
            if (ptr & 4) {
                sim_violation("misaligned mmu_update ptr %#lx", (unsigned long)ptr);
                rc = -EINVAL;
                break;
            }
            rc = write_entry(mfn, (ptr & 0xfff) >> 3, req[i].val);
            break;
        case MMU_MACHPHYS_UPDATE:
            if (!valid_mfn(mfn) || sim.frames[mfn].owner != SIM_DOMID) {
                sim_violation("MMU_MACHPHYS_UPDATE for mfn %#lx, not the domain's",
                              (unsigned long)mfn);
                rc = -EINVAL;
                break;
            }
            sim.m2p[mfn] = req[i].val;
            break;
        default:
            sim_violation("mmu_update command %lu not modelled", (unsigned long)(ptr & 3));
            rc = -ENOSYS;
        }
        if (rc == 0)
            sim.mmu_update_entries++;
    }
    if (done)
        *done = rc ? i - 1 : i;
    return rc;
}

/* The L1 table and index that map va, or INVALID. */
static xen_pfn_t l1_slot(uint64_t va, unsigned int *idx, bool write, bool *ro)
{
    xen_pfn_t mfn = sim.root_mfn;

    *ro = false;
    for (unsigned int level = 4; level > 1; level--) {
        uint64_t e = table_of(mfn)[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(e & PRESENT))
            return INVALID_MFN;
        if (!(e & RW))
            *ro = true;
        mfn = (e & ADDR_MASK) >> 12;
    }
    (void)write;
    *idx = (va >> 12) & 511;
    return mfn;
}

xen_pfn_t sim_translate(uint64_t va, uint64_t *pte)
{
    unsigned int idx;
    bool ro;
    xen_pfn_t l1 = l1_slot(va, &idx, false, &ro);
    uint64_t e;

    *pte = 0;
    if (l1 == INVALID_MFN)
        return INVALID_MFN;
    e = table_of(l1)[idx];
    *pte = e;
    if (!(e & PRESENT))
        return INVALID_MFN;
    if (ro)
        *pte &= ~RW;
    return (e & ADDR_MASK) >> 12;
}

int sim_update_va_mapping(uint64_t va, uint64_t pte)
{
    unsigned int idx;
    bool ro;
    xen_pfn_t l1 = l1_slot(va, &idx, false, &ro);

    sim.uvm_calls++;
    if (l1 == INVALID_MFN) {
        sim_violation("update_va_mapping: no L1 table maps va %#lx", (unsigned long)va);
        return -EINVAL;
    }
    return write_entry(l1, idx, pte);
}

int sim_mmuext(unsigned int cmd, uint64_t arg)
{
    sim.mmuext_calls++;
    switch (cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        if (!valid_mfn(arg) || sim.frames[arg].pinned) {
            sim_violation("pin of mfn %#lx refused (invalid or already pinned)",
                          (unsigned long)arg);
            return -EINVAL;
        }
        if (get_type(arg, SIM_L1 + (cmd - MMUEXT_PIN_L1_TABLE), false))
            return -EINVAL;
        sim.frames[arg].pinned = 1;
        return 0;
    case MMUEXT_UNPIN_TABLE:
        if (!valid_mfn(arg) || !sim.frames[arg].pinned) {
            sim_violation("unpin of mfn %#lx, which is not pinned", (unsigned long)arg);
            return -EINVAL;
        }
        sim.frames[arg].pinned = 0;
        put_type(arg);
        return 0;
    case MMUEXT_TLB_FLUSH_LOCAL:
    case MMUEXT_INVLPG_LOCAL:
        sim.tlb_flushes++;
        return 0;
    default:
        sim_violation("mmuext command %u not modelled", cmd);
        return -ENOSYS;
    }
}

static uint64_t *va_word(uint64_t va, bool write)
{
    unsigned int idx;
    bool ro;
    xen_pfn_t l1 = l1_slot(va, &idx, write, &ro);
    uint64_t e;

    if (va & 7) {
        sim_violation("misaligned 8-byte access at va %#lx", (unsigned long)va);
        return NULL;
    }
    if (l1 == INVALID_MFN || !((e = table_of(l1)[idx]) & PRESENT)) {
        sim_violation("page fault: %s va %#lx (not mapped)", write ? "write" : "read",
                      (unsigned long)va);
        return NULL;
    }
    if (write && (ro || !(e & RW))) {
        sim_violation("page fault: write to read-only va %#lx", (unsigned long)va);
        return NULL;
    }
    return sim_machine_word((e & ADDR_MASK) >> 12, (va & 0xfff) >> 3);
}

uint64_t sim_va_load64(uint64_t va)
{
    uint64_t *w = va_word(va, false);

    sim.va_loads++;
    return w ? __atomic_load_n(w, __ATOMIC_RELAXED) : ~0UL;
}

void sim_va_store64(uint64_t va, uint64_t val)
{
    uint64_t *w = va_word(va, true);

    sim.va_stores++;
    if (w)
        __atomic_store_n(w, val, __ATOMIC_RELAXED);
}

/* ---- grant mappings (xen_model.h) ----------------------------------------- */

xen_pfn_t sim_foreign_frame(xen_pfn_t their_pfn)
{
    xen_pfn_t mfn;

    if (sim.nr_free_mfns == 0) {
        sim_violation("no machine frame left for a foreign domain");
        return INVALID_MFN;
    }
    mfn = sim.free_mfns[--sim.nr_free_mfns];
    sim.frames[mfn].owner = SIM_FOREIGN_DOMID;
    sim.m2p[mfn] = their_pfn;
    return mfn;
}

int sim_grant_map(uint64_t va, xen_pfn_t mfn, bool readonly)
{
    unsigned int idx;
    bool ro;
    xen_pfn_t l1 = l1_slot(va, &idx, false, &ro);

    /* Xen answers GNTST_general_error without an L1 table ("Could not find L1 PTE"). */
    if (l1 == INVALID_MFN)
        return -EINVAL;
    if (table_of(l1)[idx] & PRESENT) {
        sim_violation("grant map over present PTE %#lx at va %#lx",
                      (unsigned long)table_of(l1)[idx], (unsigned long)va);
        return -EINVAL;
    }
    table_of(l1)[idx] = (mfn << 12) | PRESENT | 4UL /* USER */ | 0x20UL | 0x40UL |
                        NX | GRANTED | (readonly ? 0 : RW);
    return 0;
}

int sim_grant_unmap(uint64_t va, xen_pfn_t mfn)
{
    unsigned int idx;
    bool ro;
    xen_pfn_t l1 = l1_slot(va, &idx, false, &ro);
    uint64_t e;

    if (l1 == INVALID_MFN)
        return -EINVAL;
    e = table_of(l1)[idx];
    if (!(e & PRESENT) || ((e & ADDR_MASK) >> 12) != mfn) {
        sim_violation("grant unmap at va %#lx: PTE %#lx does not map mfn %#lx",
                      (unsigned long)va, (unsigned long)e, (unsigned long)mfn);
        return -EINVAL;
    }
    table_of(l1)[idx] = 0;
    return 0;
}
