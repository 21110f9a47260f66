# Host benchmark of the p2m (make bench runs build/host/bench/bench_p2m).
bench_p2m_SRCS := mm/p2m.c mm/p2m_publish.c mm/p2m_check.c mm/m2p.c mm/pagetable.c \
                  tests/unit/sim/xen_model.c tests/unit/sim/xen_model_dom.c \
                  tests/unit/sim/sim_xen_mm.c tests/unit/host_console.c
