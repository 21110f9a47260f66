/*
 * The balloon test fixture (balloon_fixture.h): booting a domain in the
 * Xen model and checking minnow's view of it against the model's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <minnow/balloon.h>
#include <minnow/frame.h>
#include <minnow/pfn_set.h>
#include <minnow/xen_mm.h>
#include "balloon_fixture.h"

uint64_t free_at_boot;
static const struct balloon_config *booted;     /* the last boot()'s config */

void boot(xen_pfn_t nr, uint64_t max_pages, uint32_t sif,
          const struct balloon_config *bc)
{
    static const struct balloon_config def = { .pfn_limit = 4 * PFN_SET_CHUNK_PFNS };
    xen_pfn_t pfn;

    if (!bc)
        bc = &def;
    booted = bc;
    assert_int_equal(p2m_boot(nr, sif, 0, 7), 0);
    sim.cfg.max_pages = max_pages;
    /* As in the guest, the allocator's limit covers the balloon's growth. */
    frame_allocator_init(bc->pfn_limit > nr ? bc->pfn_limit : nr);
    while (sim_pool_count() > POOL_KEEP && sim_pool_take(&pfn) == 0)
        frame_free(pfn);
    free_at_boot = frame_free_count();
    assert_int_equal(balloon_init(bc), 0);
    host_console_reset();
}

int setup(void **state)
{
    (void)state;
    boot(NR, NR + 8192, SIF_PRIVILEGED | SIF_INITDOMAIN, NULL);
    return 0;
}

int teardown(void **state)
{
    (void)state;
    balloon_fini();
    p2m_shutdown();
    return 0;
}

struct balloon_stats stats(void)
{
    struct balloon_stats st;

    balloon_get_stats(&st);
    return st;
}

bool map_ram(xen_pfn_t pfn)
{
    for (unsigned int r = 0; r < booted->nr_ram; r++)
        if (booted->ram[r].start <= pfn && pfn < booted->ram[r].end)
            return true;
    return booted->nr_ram == 0;
}

void check_world(void)
{
    struct balloon_stats st = stats();
    xen_pfn_t end = st.top_pfn + 2048;
    uint64_t ram = 0, ballooned = 0;

    for (xen_pfn_t pfn = 0; pfn < end; pfn++) {
        enum p2m_kind kind = p2m_kind_of(pfn);
        uint64_t pte;
        xen_pfn_t mapped = sim_translate(pfn << 12, &pte);

        if (balloon_pfn_is_ballooned(pfn)) {
            ballooned++;
            assert_true(pfn < st.top_pfn);
            assert_int_equal(kind, P2M_MISSING);
            assert_int_equal(mapped, INVALID_MFN);
            continue;
        }
        if (kind == P2M_RAM) {
            xen_pfn_t m = pfn_to_mfn(pfn);
            ram++;
            assert_true(pfn < st.top_pfn);
            assert_int_equal(sim.frames[m].owner, SIM_DOMID);
            assert_int_equal(sim.m2p[m], pfn);
            if (frame_is_free(pfn)) {
                assert_int_equal(mapped, m);
                assert_true(pte & PTE_RW);
            }
        } else if (kind == P2M_MISSING && map_ram(pfn)) {
            /* Below top_pfn, a missing RAM pfn is a ballooned one. */
            assert_true(pfn >= st.top_pfn);
        }
    }
    assert_int_equal(ballooned, st.ballooned_pages);
    assert_int_equal(ram, sim.dom_pages);
    assert_int_equal(st.current_pages, sim.dom_pages);
    assert_int_equal(st.lost_pages, 0);
    assert_true(st.low_pages <= st.current_pages && st.current_pages <= st.high_pages);
    assert_int_equal(sim_take_violations(), 0);
    assert_int_equal(p2m_self_check(), 0);
    assert_int_equal(sim.shared.arch.max_pfn, p2m_max_pfn());
    assert_true(p2m_max_pfn() >= st.top_pfn);
}

void check_ownership(void)
{
    uint64_t owned = 0;

    for (xen_pfn_t m = 0; m < sim.cfg.machine_frames; m++) {
        if (sim.frames[m].owner != SIM_DOMID)
            continue;
        owned++;
        assert_int_equal(pfn_to_mfn(sim.m2p[m]), m);
    }
    assert_int_equal(owned, sim.dom_pages);
}

void fill_free_frames(void)
{
    for (xen_pfn_t pfn = 0; pfn < stats().top_pfn; pfn++)
        if (frame_is_free(pfn))
            *(uint64_t *)xen_mm_page(pfn) = PAT(pfn);
}

