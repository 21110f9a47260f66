test_gnttab_refs_SRCS := drivers/xen/gnttab_refs.c tests/unit/host_console.c
