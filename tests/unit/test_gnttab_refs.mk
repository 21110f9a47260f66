test_gnttab_refs_SRCS := mm/gnttab_refs.c tests/unit/host_console.c
