# The balloon growing past its boot pfns, on the same model and fixture as
# test_balloon (deferred: test_balloon.mk may be read after this file).
test_balloon_growth_SRCS = $(test_balloon_SRCS)
