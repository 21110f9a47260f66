# The in-guest test suite passes when minnow runs as a domU (tests=all on
# its command line): TEST <name>: PASS|FAIL|SKIP lines, then an XTF-style
# "Test result: SUCCESS|FAILURE|ERROR|SKIP".  Another check may source
# this with SUITE_NAME (the domain's name) and SUITE_XL (xl key=value
# words, no spaces inside one) set: guest_tests_4m.sh.
# order: 120
# timeout: 150
. /toolstack/lib.sh
need_minnow

name=${SUITE_NAME:-guesttests}
# shellcheck disable=SC2086 # SUITE_XL is a list of words
id=$(domu_create "$name" minnow.cfg ${SUITE_XL:-} 'on_poweroff="preserve"' 'extra="tests=all"') ||
    fail "$(xl_create_error)"
# With tests= the default app runs the tests instead of printing the ready line.
wait_console "$name" '^Test result: ' 120 || {
    n=$(console_text "$name" | grep -c '^TEST ')
    fail "no 'Test result:' line ($n TEST lines so far, state '$(domu_state "$name")')"
}
console_text "$name" | grep -E '^(TEST |Test result: )' > "$CHECK_DIR/results"
cat "$CHECK_DIR/results"
console_text "$name" | grep -m1 '^mm: .* frames free' >&2
result=$(sed -n 's/^Test result: //p' "$CHECK_DIR/results" | head -n1)
npass=$(grep -cE '^TEST [^:]+: PASS' "$CHECK_DIR/results")
nfail=$(grep -cE '^TEST [^:]+: FAIL' "$CHECK_DIR/results")
nskip=$(grep -cE '^TEST [^:]+: SKIP' "$CHECK_DIR/results")
failed=$(grep -E '^TEST [^:]+: FAIL' "$CHECK_DIR/results" | sed 's/^TEST \([^:]*\):.*/\1/' | head -n 5 | tr '\n' ' ')
skipped=$(grep -E '^TEST [^:]+: SKIP' "$CHECK_DIR/results" | sed 's/^TEST \([^:]*\):.*/\1/' | tr '\n' ' ')
summary="$npass pass, $nfail fail, $nskip skip"
[ "$npass" -gt 0 ] || fail "domain $id: no passing TEST line ($summary, result '$result')"
[ "$nfail" = 0 ] || fail "domain $id: $summary; failed: $failed"
[ "$result" = SUCCESS ] || fail "domain $id: Test result: $result ($summary)"
pass "domain $id: $summary, Test result: SUCCESS${skipped:+; skipped: $skipped}"
