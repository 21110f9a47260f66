test_heap_SRCS := mm/heap.c tests/unit/host_console.c
