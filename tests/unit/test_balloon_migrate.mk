# The balloon's resync after a live migration's restore (frames populated
# behind ballooned-out pfns), on the same model and fixture as test_balloon.
test_balloon_migrate_SRCS = $(test_balloon_SRCS)
