test_pvclock_SRCS := kernel/pvclock.c
