test_xenstore_wire_SRCS := drivers/xen/xenstore_wire.c kernel/byte_ring.c
