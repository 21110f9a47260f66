/*
 * bench_p2m (make bench): the p2m's lookup cost against a plain array load
 * in the same run, and the pages it uses for a few memory shapes against
 * the formula in docs/p2m.md.
 *
 * The p2m is built by the real mm/p2m.c on the Xen model.  For timing,
 * its leaves are then mapped into this process at the same offsets the
 * guest uses (mmap of the model's machine frames, shared pages mapped many
 * times), and the guest's own inline fast path -- this file is compiled
 * without the host-test indirection -- reads through that mapping: the
 * exact "bounds check + one load" the guest executes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "sim/xen_model.h"
#include "rng.h"
#include <minnow/pt.h>
#undef MINNOW_HOST_TEST             /* the guest's p2m_entry_load() */
#include "mm/p2m_internal.h"

#define P2M_VA  0xffffa00000000000UL

static struct rng rng = { 0x9e3779b97f4a7c15UL };

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct range { xen_pfn_t start, end; };
struct shape {
    const char *name;
    struct range ram[4];        /* RAM pfn ranges (first one is booted) */
    struct range id[4];         /* 1:1 ranges */
    xen_pfn_t reserve;
    uint32_t sif;
};

#define MB(x) ((xen_pfn_t)(x) * 256)
#define GB(x) ((xen_pfn_t)(x) * 262144)

static const struct shape shapes[] = {
    { "dom0 64 MiB", { { 0, MB(64) } }, { { 0, 0 } }, 0, SIF_INITDOMAIN },
    { "dom0 1 GiB", { { 0, GB(1) } }, { { 0, 0 } }, 0, SIF_INITDOMAIN },
    /* The shape of the example in Linux's arch/x86/xen/p2m.c: 1 GiB of
     * RAM, e820 holes at 1029 MB and 2001 MB (sizes 3 MiB and 47 MiB chosen
     * here) marked 1:1. */
    { "dom0 1 GiB, holes at 1029/2001 MB", { { 0, GB(1) } },
      { { MB(1029), MB(1032) }, { MB(2001), MB(2048) } }, 0, SIF_INITDOMAIN },
    /* runs.conf's e820-4g-pci-hole: 3500 MiB booted, GiB 3 then made 1:1
     * (its RAM moved above 4 GiB): GiB 3 keeps no page of its own. */
    { "dom0 3500 MiB, GiB 3 booted then 1:1", { { 0, MB(3500) }, { GB(4), GB(4) + MB(428) } },
      { { GB(3), GB(4) } }, 0, SIF_INITDOMAIN },
    { "domU 5 GiB around a 4 GiB PCI hole", { { 0, GB(3) }, { GB(4), GB(6) } },
      { { GB(3), GB(4) } }, 0, SIF_VIRT_P2M_4TOOLS },
    { "domU 4 GiB in 1 GiB islands over 1 TiB",
      { { 0, GB(1) }, { GB(300), GB(301) }, { GB(700), GB(701) }, { GB(1000), GB(1001) } },
      { { 0, 0 } }, GB(1024), SIF_VIRT_P2M_4TOOLS },
};

/* docs/p2m.md: leaves for populated 2 MiB chunks (and chunks a 1:1 range
 * covers partly), a PTE page per such GiB (or per GiB with 1:1 chunks), a
 * PMD page per 512 GiB touched, the L3 pages, 5 shared pages, and without
 * SIF_VIRT_P2M_4TOOLS the frame list: top, missing mid, a mid per GiB with
 * leaves.  Of the final layout: RAM in a wholly 1:1 GiB counts nothing. */
static uint64_t formula(const struct shape *s, xen_pfn_t limit)
{
    xen_pfn_t last = 0;
    uint64_t leaves = 0, ptes = 0, pmds = 0, mids = 0;
    bool tree = !(s->sif & SIF_VIRT_P2M_4TOOLS);

    for (int i = 0; i < 4; i++) {
        if (s->ram[i].end > last) last = s->ram[i].end;
        if (s->id[i].end > last) last = s->id[i].end;
    }
    for (xen_pfn_t pmd = 0; pmd < last; pmd += P2M_PFNS_PER_PMD_PAGE) {
        bool pmd_private = false;
        for (xen_pfn_t g = pmd; g < pmd + P2M_PFNS_PER_PMD_PAGE && g < last;
             g += P2M_PFNS_PER_PTE_PAGE) {
            bool gib_pte = false, gib_leaf = false, gib_whole_id = false;
            for (int i = 0; i < 4; i++)
                if (s->id[i].start <= g && s->id[i].end >= g + P2M_PFNS_PER_PTE_PAGE)
                    gib_whole_id = true;
            for (xen_pfn_t c = g; c < g + P2M_PFNS_PER_PTE_PAGE && !gib_whole_id;
                 c += P2M_PER_PAGE) {
                bool ram = false, id_part = false, id_whole = false;
                for (int i = 0; i < 4; i++) {
                    if (s->ram[i].start < c + P2M_PER_PAGE && s->ram[i].end > c)
                        ram = true;
                    if (s->id[i].start <= c && s->id[i].end >= c + P2M_PER_PAGE)
                        id_whole = true;
                    else if (s->id[i].start < c + P2M_PER_PAGE && s->id[i].end > c)
                        id_part = true;
                }
                if (ram || id_part) {
                    leaves++;
                    gib_leaf = gib_pte = true;
                } else if (id_whole) {
                    gib_pte = true;
                }
            }
            ptes += gib_pte;
            mids += gib_leaf && g < P2M_FL_MAX_PFNS;
            pmd_private |= gib_pte || gib_whole_id;
        }
        pmds += pmd_private;
    }
    return leaves + ptes + pmds + (limit + P2M_PFNS_PER_L3_PAGE - 1) / P2M_PFNS_PER_L3_PAGE + 5 +
           (tree ? 2 + mids : 0);
}

static int build(const struct shape *s)
{
    xen_pfn_t nr = s->ram[0].end, extra = 0;
    struct sim_config cfg = { .nr_pages = nr, .map_all = true, .start_info_flags = s->sif,
                              .seed = 1, .p2m_va = P2M_VA, .p2m_slots = 32 };
    struct p2m_config pc = { P2M_VA, 32, s->reserve, &sim_frames };

    for (int i = 1; i < 4; i++)
        extra += s->ram[i].end - s->ram[i].start;
    cfg.machine_frames = nr + extra + (1UL << 18);
    cfg.max_pages = nr + extra;
    memset(&p2m, 0, sizeof(p2m));
    p2m_table_va = 0;
    p2m_table_limit = 0;
    sim_init(&cfg);
    p2m_use_boot_list(&sim.start_info);
    /* pfn_to_mfn() here is the guest's, which cannot read the model's
     * memory: the page tables get Xen's list instead, right for every
     * table frame (all come from the booted RAM). */
    pt_init(sim.start_info.pt_base >> 12, &sim_frames, sim_boot_pfn_to_mfn);
    if (p2m_init(&pc))
        return -1;
    /* More RAM the way the balloon / e820 code adds it: populate, then set. */
    for (int i = 1; i < 4; i++)
        for (xen_pfn_t p = s->ram[i].start; p < s->ram[i].end; p++) {
            xen_pfn_t m = p;
            struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };
            set_xen_guest_handle(r.extent_start, &m);
            if (sim_memory_op(XENMEM_populate_physmap, &r) != 1 || p2m_set(p, m))
                return -1;
        }
    for (int i = 0; i < 4; i++)
        if (s->id[i].end && p2m_set_identity_range(s->id[i].start, s->id[i].end))
            return -1;
    return sim_take_violations() ? -1 : 0;
}

/* Map every leaf into this process at its guest offset. */
static uint8_t *mirror(xen_pfn_t frames)
{
    uint8_t *base = mmap(NULL, frames * 4096UL, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                         MAP_NORESERVE, -1, 0);

    for (xen_pfn_t k = 0; k < frames; k++) {
        uint64_t pte;
        xen_pfn_t mfn = sim_translate(P2M_VA + k * 4096UL, &pte);
        if (mfn == INVALID_MFN ||
            mmap(base + k * 4096UL, 4096, PROT_READ, MAP_SHARED | MAP_FIXED,
                 sim.machine_fd, mfn * 4096UL) == MAP_FAILED)
            return NULL;
    }
    return base;
}

static void bench_lookups(void)
{
    enum { N = 1 << 22, REPS = 8 };
    const struct shape *s = &shapes[1];
    xen_pfn_t nr = s->ram[0].end, *array, *idx;
    uint64_t sum_a = 0, sum_p = 0, saved_va;
    double t0, t_arr = 1e9, t_p2m = 1e9;
    uint8_t *m;

    if (build(s)) {
        printf("lookup: building the p2m failed\n");
        exit(1);
    }
    array = malloc(nr * sizeof(*array));
    idx = malloc(N * sizeof(*idx));
    for (xen_pfn_t p = 0; p < nr; p++)
        array[p] = sim.boot_mfn_list[p];
    for (int i = 0; i < N; i++)
        idx[i] = rng_next(&rng) % nr;
    m = mirror((nr + 511) / 512);
    if (!m) {
        printf("lookup: mirroring the p2m failed\n");
        exit(1);
    }
    saved_va = p2m_table_va;
    p2m_table_va = (uint64_t)m;
    for (int r = 0; r < REPS; r++) {      /* best of REPS, interleaved */
        t0 = now();
        for (int i = 0; i < N; i++)
            sum_a += array[idx[i]];
        double ta = now() - t0;
        t0 = now();
        for (int i = 0; i < N; i++)
            sum_p += pfn_to_mfn(idx[i]);
        double tp = now() - t0;
        if (ta < t_arr) t_arr = ta;
        if (tp < t_p2m) t_p2m = tp;
    }
    p2m_table_va = saved_va;
    if (sum_a != sum_p) {
        printf("lookup: p2m and array disagree\n");
        exit(1);
    }
    printf("lookup (random pfns of a 1 GiB dom0, %d per run, best of %d):\n", N, REPS);
    printf("  plain array load  %6.2f ns\n", t_arr / N * 1e9);
    printf("  pfn_to_mfn()      %6.2f ns   ratio %.2f\n", t_p2m / N * 1e9, t_p2m / t_arr);
    free(array);
    free(idx);
    sim_fini();
}

int main(void)
{
    int bad = 0;

    bench_lookups();
    printf("\npages used (4 KiB) vs the formula in docs/p2m.md:\n");
    printf("  %-40s %10s %8s %8s %8s %10s\n", "shape", "RAM MiB", "used", "formula",
           "leaves", "flat list");
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        const struct shape *s = &shapes[i];
        struct p2m_stats st;
        uint64_t ram = 0, want;

        if (build(s)) {
            printf("  %-40s build failed\n", s->name);
            bad = 1;
            continue;
        }
        for (int r = 0; r < 4; r++) {
            ram += s->ram[r].end - s->ram[r].start;
            for (int i = 0; i < 4; i++) {       /* RAM that became 1:1 */
                xen_pfn_t a = s->ram[r].start > s->id[i].start ? s->ram[r].start : s->id[i].start;
                xen_pfn_t b = s->ram[r].end < s->id[i].end ? s->ram[r].end : s->id[i].end;
                if (a < b)
                    ram -= b - a;
            }
        }
        p2m_get_stats(&st);
        want = formula(s, p2m_table_limit);
        printf("  %-40s %10lu %8lu %8lu %8lu %10lu%s\n", s->name, (unsigned long)(ram >> 8),
               (unsigned long)st.total, (unsigned long)want, (unsigned long)st.leaves,
               (unsigned long)((p2m_max_pfn() + 511) / 512),
               st.total == want ? "" : "  MISMATCH");
        if (st.total != want || p2m_self_check())
            bad = 1;
        sim_fini();
    }
    printf("  (flat list: pages a plain array up to max_pfn would need)\n");
    return bad;
}
