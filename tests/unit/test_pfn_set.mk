test_pfn_set_SRCS := mm/pfn_set.c
