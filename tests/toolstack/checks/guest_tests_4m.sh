# The in-guest suite in the smallest PV domU xl builds (memory = 4, a stub
# domain's size): every test passes, or skips saying how much memory it
# needs (TEST_SKIP_UNLESS_FREE in tests/guest/test.h) -- never fails for
# want of it.
# order: 125
# timeout: 150
SUITE_NAME=guesttests4m
SUITE_XL='memory=4 maxmem=4'
. /toolstack/checks/guest_tests.sh
