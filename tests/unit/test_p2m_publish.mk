# Host test of p2m publication, self-check and dump against the Xen model.
test_p2m_publish_SRCS := mm/p2m.c mm/p2m_publish.c mm/p2m_check.c mm/m2p.c mm/pagetable.c \
                 tests/unit/sim/xen_model.c tests/unit/sim/xen_model_dom.c \
                 tests/unit/sim/sim_xen_mm.c tests/unit/host_console.c
