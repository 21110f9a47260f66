# e820_fetch()/e820_apply() against the Xen model, with the real p2m and page tables.
test_e820_apply_SRCS := mm/e820.c mm/e820_plan.c mm/e820_apply.c \
                        mm/p2m.c mm/p2m_publish.c mm/p2m_check.c mm/m2p.c mm/pagetable.c \
                        tests/unit/sim/xen_model.c tests/unit/sim/xen_model_dom.c \
                        tests/unit/sim/sim_xen_mm.c tests/unit/host_console.c
