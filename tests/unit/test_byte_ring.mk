test_byte_ring_SRCS := kernel/byte_ring.c
