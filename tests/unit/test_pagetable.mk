# Host test of the page-table update routine against the Xen model.
test_pagetable_SRCS := mm/pagetable.c mm/p2m.c mm/p2m_publish.c mm/p2m_check.c \
                       mm/m2p.c tests/unit/sim/xen_model.c \
                       tests/unit/sim/xen_model_dom.c tests/unit/sim/sim_env.c \
                       tests/unit/host_console.c
