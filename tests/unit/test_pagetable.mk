# Host test of the page-table update routine against the Xen model: the
# routine alone (its frames and pfn -> mfn come from the model, as boot
# passes them before the p2m exists).
test_pagetable_SRCS := mm/pagetable.c \
                       tests/unit/sim/xen_model.c tests/unit/sim/xen_model_dom.c \
                       tests/unit/sim/sim_xen_mm.c tests/unit/host_console.c
