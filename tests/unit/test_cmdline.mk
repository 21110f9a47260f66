test_cmdline_SRCS := kernel/cmdline.c kernel/parse.c
