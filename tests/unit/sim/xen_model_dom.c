/*
 * The model's domain: built as Xen's PV domain builder does (RAM scattered
 * over machine frames, page tables mapping the start of the guest
 * read-only where they are tables, the L4 pinned), Xen's boot list, a
 * pool of mapped free frames handed to pt_init() and p2m_init() as
 * sim_frames (checked going out and coming back), and XENMEM_* reservation
 * operations with injectable failures and partial results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sim/xen_model.h"
#include "rng.h"

#define KERNEL_PAGES     64          /* boot tables start after the "kernel" */
#define INITIAL_MAP      1024        /* Xen maps up to a 4 MiB boundary */
#define BOOT_EXTRA       8           /* start_info, stack, ... */
#define PTE_RW_FLAGS     0x67UL      /* P|RW|USER|A|D */
#define PTE_RO_FLAGS     0x25UL      /* P|USER|A */
#define PTE_TABLE_FLAGS  0x27UL      /* P|RW|USER|A */

static xen_pfn_t *pool;
static uint64_t pool_len, pool_cap;
static long fail_after = -1;
static struct { bool armed; unsigned int cmd; long max_done; int rc; } inject;

static struct rng rng;
static struct { const void *entries; unsigned int n; } machine_map;

#define E820_ENTRY_BYTES 20         /* addr, size (8 each), type (4), packed */

void sim_set_machine_map(const void *entries, unsigned int n)
{
    machine_map.entries = entries;
    machine_map.n = n;
}

/* Xen 4.17 arch/x86/mm.c: room for one entry more than the map is needed. */
static long machine_memory_map(struct xen_memory_map *arg)
{
    void *buffer = *(void **)&arg->buffer;

    if (!machine_map.entries) {
        sim_violation("XENMEM_machine_memory_map: no map set (sim_set_machine_map)");
        return -ENOSYS;
    }
    if (arg->nr_entries < machine_map.n + 1)
        return -EINVAL;
    memcpy(buffer, machine_map.entries, (size_t)machine_map.n * E820_ENTRY_BYTES);
    arg->nr_entries = machine_map.n;
    return 0;
}

void sim_fail_frame_alloc_after(long n)
{
    fail_after = n;
}

static bool frame_alloc_should_fail(void)
{
    if (fail_after < 0)
        return false;
    if (fail_after == 0)
        return true;
    fail_after--;
    return false;
}

void sim_inject_memop(unsigned int cmd, long max_done, int rc)
{
    inject.armed = true;
    inject.cmd = cmd;
    inject.max_done = max_done;
    inject.rc = rc;
}

void sim_pool_give(xen_pfn_t pfn)
{
    if (pool_len == pool_cap) {
        pool_cap = pool_cap ? 2 * pool_cap : 4096;
        pool = realloc(pool, pool_cap * sizeof(*pool));
    }
    pool[pool_len++] = pfn;
}

void sim_pool_add(xen_pfn_t start, uint64_t count)
{
    /* Pushed backwards so that frames come out in ascending order. */
    for (uint64_t i = count; i-- > 0;)
        sim_pool_give(start + i);
}

int sim_pool_take(xen_pfn_t *pfn)
{
    if (pool_len == 0)
        return -ENOMEM;
    *pfn = pool[--pool_len];
    return 0;
}

uint64_t sim_pool_count(void)
{
    return pool_len;
}

static int checked_alloc(xen_pfn_t *pfn)
{
    uint64_t pte;

    if (frame_alloc_should_fail() || sim_pool_take(pfn))
        return -ENOMEM;
    if (sim_translate(*pfn << 12, &pte) == INVALID_MFN || !(pte & 2))
        sim_violation("frame allocator handed out pfn %#lx, not mapped writable",
                      (unsigned long)*pfn);
    return 0;
}

static void checked_free(xen_pfn_t pfn)
{
    uint64_t pte;
    xen_pfn_t mfn = sim_translate(pfn << 12, &pte);

    if (mfn == INVALID_MFN || !(pte & 2))
        sim_violation("pfn %#lx freed while not mapped writable", (unsigned long)pfn);
    else if (sim.frames[mfn].type >= SIM_L1 && sim.frames[mfn].type_count)
        sim_violation("pfn %#lx freed while still a page table", (unsigned long)pfn);
    sim_pool_give(pfn);
}

const struct frame_source sim_frames = { checked_alloc, checked_free };

xen_pfn_t sim_boot_pfn_to_mfn(xen_pfn_t pfn)
{
    return pfn < sim.start_info.nr_pages ? sim.boot_mfn_list[pfn] : INVALID_MFN;
}

static xen_pfn_t take_free_mfn(void)
{
    return sim.nr_free_mfns ? sim.free_mfns[--sim.nr_free_mfns] : INVALID_MFN;
}

static void write_tables(xen_pfn_t first_table_pfn, xen_pfn_t mapped, xen_pfn_t n1,
                         xen_pfn_t n2, xen_pfn_t n3)
{
    xen_pfn_t l1 = first_table_pfn, l2 = l1 + n1, l3 = l2 + n2, l4 = l3 + n3;
    xen_pfn_t ntables = n1 + n2 + n3 + 1;
    xen_pfn_t *mfn = sim.boot_mfn_list;

    for (xen_pfn_t p = 0; p < mapped; p++) {
        bool table = p >= first_table_pfn && p < first_table_pfn + ntables;
        *sim_machine_word(mfn[l1 + p / 512], p % 512) =
            (mfn[p] << 12) | (table ? PTE_RO_FLAGS : PTE_RW_FLAGS);
    }
    for (xen_pfn_t i = 0; i < n1; i++)
        *sim_machine_word(mfn[l2 + i / 512], i % 512) = (mfn[l1 + i] << 12) | PTE_TABLE_FLAGS;
    for (xen_pfn_t i = 0; i < n2; i++)
        *sim_machine_word(mfn[l3 + i / 512], i % 512) = (mfn[l2 + i] << 12) | PTE_TABLE_FLAGS;
    for (xen_pfn_t i = 0; i < n3; i++)
        *sim_machine_word(mfn[l4], i) = (mfn[l3 + i] << 12) | PTE_TABLE_FLAGS;
    sim.root_mfn = mfn[l4];
}

void sim_init(const struct sim_config *cfg)
{
    uint64_t n;
    xen_pfn_t mapped, n1, n2, n3, ntables;
    int fd;

    memset(&sim, 0, sizeof(sim));
    sim.cfg = *cfg;
    if (!sim.cfg.machine_frames)
        sim.cfg.machine_frames = 1UL << 20;
    if (!sim.cfg.max_pages)
        sim.cfg.max_pages = sim.cfg.nr_pages + 4096;
    n = sim.cfg.machine_frames;
    rng.state = cfg->seed ? cfg->seed : 0x2545f4914f6cdd1dUL;
    pool_len = 0;
    fail_after = -1;
    inject.armed = false;
    machine_map.entries = NULL;
    sim_fail_pte_maps_after(-1);
    sim_refuse_maps_of(INVALID_MFN);

    fd = memfd_create("sim-machine", 0);
    if (fd < 0 || ftruncate(fd, n * 4096UL)) {
        perror("sim: machine memory");
        abort();
    }
    sim.machine = mmap(NULL, n * 4096UL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    sim.guest_view = mmap(NULL, n * 4096UL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    sim.machine_fd = fd;
    if (sim.machine == MAP_FAILED || sim.guest_view == MAP_FAILED) {
        perror("sim: mmap");
        abort();
    }
    sim.frames = calloc(n, sizeof(*sim.frames));
    sim.m2p = malloc(n * sizeof(*sim.m2p));
    sim.free_mfns = malloc(n * sizeof(*sim.free_mfns));
    sim.boot_mfn_list = malloc((sim.cfg.nr_pages + 1) * sizeof(xen_pfn_t));
    for (uint64_t m = 0; m < n; m++) {
        sim.frames[m].owner = SIM_NO_OWNER;
        sim.m2p[m] = INVALID_MFN;
    }
    /* Machine frames 0..15 stay Xen's; the rest are shuffled so that no
     * test can get away with confusing pfns and mfns. */
    for (uint64_t m = 16; m < n; m++)
        sim.free_mfns[sim.nr_free_mfns++] = m;
    for (uint64_t i = sim.nr_free_mfns - 1; i > 0; i--) {
        uint64_t j = rng_next(&rng) % (i + 1), t = sim.free_mfns[i];
        sim.free_mfns[i] = sim.free_mfns[j];
        sim.free_mfns[j] = t;
    }
    for (xen_pfn_t p = 0; p < sim.cfg.nr_pages; p++) {
        xen_pfn_t m = take_free_mfn();
        sim.boot_mfn_list[p] = m;
        sim.frames[m].owner = SIM_DOMID;
        sim.m2p[m] = p;
        sim.dom_pages++;
    }

    mapped = sim.cfg.map_all || sim.cfg.nr_pages < INITIAL_MAP ? sim.cfg.nr_pages
                                                               : INITIAL_MAP;
    n1 = (mapped + 511) / 512;
    n2 = (n1 + 511) / 512;
    n3 = (n2 + 511) / 512;
    ntables = n1 + n2 + n3 + 1;
    if (KERNEL_PAGES + ntables + BOOT_EXTRA + 16 > mapped) {
        fprintf(stderr, "sim: %lu pages are too few for a domain\n",
                (unsigned long)sim.cfg.nr_pages);
        abort();
    }
    write_tables(KERNEL_PAGES, mapped, n1, n2, n3);
    if (sim_mmuext(MMUEXT_PIN_L4_TABLE, sim.root_mfn) || sim.violations) {
        fprintf(stderr, "sim: the boot page tables do not validate\n");
        abort();
    }
    sim.mapped_pfns = mapped;
    sim.first_free_pfn = KERNEL_PAGES + ntables + BOOT_EXTRA;
    sim_pool_add(sim.first_free_pfn, mapped - sim.first_free_pfn);

    sim.start_info.nr_pages = sim.cfg.nr_pages;
    sim.start_info.mfn_list = (unsigned long)sim.boot_mfn_list;
    sim.start_info.pt_base = (KERNEL_PAGES + ntables - 1) << 12;
    sim.start_info.nr_pt_frames = ntables;
    sim.start_info.flags = sim.cfg.start_info_flags;
    strcpy(sim.start_info.magic, "xen-3.0-x86_64");
    sim.mmu_update_calls = sim.mmu_update_entries = sim.mmuext_calls = 0;
}

void sim_fini(void)
{
    uint64_t bytes = sim.cfg.machine_frames * 4096UL;

    munmap(sim.machine, bytes);
    close(sim.machine_fd);
    munmap(sim.guest_view, bytes);
    free(sim.frames);
    free(sim.m2p);
    free(sim.free_mfns);
    free(sim.boot_mfn_list);
    free(pool);
    pool = NULL;
    pool_len = pool_cap = 0;
    memset(&sim, 0, sizeof(sim));
}

xen_pfn_t sim_restore_populate(xen_pfn_t pfn)
{
    xen_pfn_t m = take_free_mfn();

    if (m == INVALID_MFN) {
        sim_violation("restore: no free machine frame for pfn %#lx", (unsigned long)pfn);
        return m;
    }
    sim.frames[m].owner = SIM_DOMID;
    sim.dom_pages++;
    sim.m2p[m] = pfn;
    return m;
}

void sim_tools_write_p2m(xen_pfn_t pfn, xen_pfn_t mfn)
{
    uint64_t pte;
    xen_pfn_t leaf = sim_translate(sim.shared.arch.p2m_vaddr + pfn * 8, &pte);

    if (leaf == INVALID_MFN) {
        sim_violation("tools: the p2m entry of pfn %#lx is not mapped", (unsigned long)pfn);
        return;
    }
    *sim_machine_word(leaf, pfn % 512) = mfn;
}

xen_pfn_t sim_stale_m2p_frame(xen_pfn_t pfn)
{
    xen_pfn_t m = take_free_mfn();

    if (m != INVALID_MFN)
        sim.m2p[m] = pfn;
    return m;
}

/* XENMEM_{increase,decrease}_reservation and populate_physmap, order 0. */
static long reservation(unsigned int cmd, struct xen_memory_reservation *r, long max_done)
{
    /* A guest handle is a pointer or a struct holding one. */
    xen_pfn_t *list = *(xen_pfn_t **)&r->extent_start;
    long i;

    if (r->domid != DOMID_SELF || r->extent_order != 0) {
        sim_violation("memory_op %u: only DOMID_SELF and order 0 are modelled", cmd);
        return -EINVAL;
    }
    for (i = 0; i < (long)r->nr_extents && i < max_done; i++) {
        if (cmd == XENMEM_decrease_reservation) {
            xen_pfn_t m = list[i];
            struct sim_frame *f = m < sim.cfg.machine_frames ? &sim.frames[m] : NULL;
            if (!f || f->owner != SIM_DOMID) {
                sim_violation("decrease_reservation of mfn %#lx, not the domain's",
                              (unsigned long)m);
                break;
            }
            if (f->type_count || f->ro_maps || f->pinned) {
                sim_violation("decrease_reservation of mfn %#lx, still mapped or a table",
                              (unsigned long)m);
                break;
            }
            memset(sim.machine + m * 4096UL, 0, 4096);
            f->owner = SIM_NO_OWNER;
            f->type = SIM_NONE;
            sim.m2p[m] = INVALID_MFN;
            sim.free_mfns[sim.nr_free_mfns++] = m;
            sim.dom_pages--;
            continue;
        }
        if (sim.dom_pages >= sim.cfg.max_pages || sim.nr_free_mfns == 0)
            break;
        xen_pfn_t m = take_free_mfn();
        sim.frames[m].owner = SIM_DOMID;
        sim.dom_pages++;
        if (cmd == XENMEM_populate_physmap)
            sim.m2p[m] = list[i];
        list[i] = m;
    }
    return i;
}

long sim_memory_op(unsigned int cmd, void *arg)
{
    long max_done = 1L << 62;

    if (inject.armed && inject.cmd == cmd) {
        inject.armed = false;
        if (inject.rc)
            return inject.rc;
        max_done = inject.max_done;
    }
    switch (cmd) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return reservation(cmd, arg, max_done);
    case XENMEM_current_reservation:
        return sim.dom_pages;
    case XENMEM_maximum_reservation:
        return sim.cfg.max_pages;
    case XENMEM_maximum_gpfn:
        return sim.shared.arch.max_pfn ? (long)sim.shared.arch.max_pfn - 1 : 0;
    case XENMEM_machphys_mapping: {
        struct xen_machphys_mapping *m = arg;
        m->v_start = 0xffff800000000000UL;
        m->v_end = m->v_start + sim.cfg.machine_frames * 8;
        m->max_mfn = sim.cfg.machine_frames - 1;
        return 0;
    }
    case XENMEM_memory_map:
        return -ENOSYS;     /* as Xen 4.17 answers a PV dom0 */
    case XENMEM_machine_memory_map:
        return machine_memory_map(arg);
    default:
        sim_violation("memory_op %u not modelled", cmd);
        return -ENOSYS;
    }
}
