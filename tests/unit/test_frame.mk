test_frame_SRCS := mm/frame.c mm/pfn_set.c tests/unit/host_console.c
