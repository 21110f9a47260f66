# Host benchmark of the balloon on the Xen model (make bench runs build/host/bench/bench_balloon).
bench_balloon_SRCS := mm/balloon.c mm/balloon_resync.c mm/frame.c mm/pfn_set.c \
                      mm/p2m.c mm/p2m_publish.c mm/p2m_check.c mm/m2p.c mm/pagetable.c \
                      tests/unit/sim/xen_model.c tests/unit/sim/xen_model_dom.c \
                      tests/unit/sim/sim_xen_mm.c tests/unit/host_console.c
