# The memory side of grant mapping against the Xen model: ballooned pfns
# lent as the mapping pool, foreign p2m entries, the m2p override, and the
# page tables refusing to touch granted PTEs.
test_gntmap_mm_SRCS := mm/balloon.c mm/balloon_resync.c mm/frame.c mm/pfn_set.c \
                       mm/p2m.c mm/p2m_publish.c mm/p2m_check.c mm/m2p.c mm/pagetable.c \
                       tests/unit/sim/xen_model.c tests/unit/sim/xen_model_dom.c \
                       tests/unit/sim/sim_xen_mm.c tests/unit/host_console.c \
                       tests/unit/balloon_fixture.c
