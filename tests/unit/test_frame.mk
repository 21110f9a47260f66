test_frame_SRCS := mm/frame.c tests/unit/host_console.c
