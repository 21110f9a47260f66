# xenbus against backends that misbehave.  dom0 gives a paused minnow
# frontend nodes whose backend path points into minnow's own data/ area,
# where the tests (tests/guest/test_xenbus.c) play the backend: one with a
# state that is no xenbus state, one with a path of over 80 characters.
# Both tests must PASS: without these nodes they skip.
# order: 125
# timeout: 45
. /toolstack/lib.sh
need_minnow

tests=xenbus_bad_backend_state_leaves_no_watch,xenbus_long_backend_path_unwatches
id=$(XL_CREATE_OPTS=-p domu_create xbdevs minnow.cfg 'on_poweroff="preserve"' \
     "extra=\"tests=$tests\"") || fail "$(xl_create_error)"
home=/local/domain/$id
be=$home/data/minnowtest-be
long=$be/a-backend-path-long-enough-to-be-cut-by-a-fixed-size-format/1
[ ${#long} -gt 80 ] && [ ${#long} -lt 128 ] || fail "test path of ${#long} characters"
for n in 0 1; do
    dev=$home/device/minnowtest/$n
    backend=$be/$n
    [ $n = 1 ] && backend=$long
    xenstore-write "$dev/backend" "$backend" "$dev/backend-id" 0 ||
        fail "cannot write $dev in dom0"
done
xenstore-chmod -r "$home/device/minnowtest" n0 "r$id" || fail "xenstore-chmod failed"
xl unpause "$id" || fail "xl unpause $id failed"

wait_console xbdevs '^Test result: ' 30 ||
    fail "no 'Test result:' ($(console_text xbdevs | grep -c '^TEST ') TEST lines, state '$(domu_state xbdevs)')"
console_text xbdevs | grep -E '^(TEST |Test result: )' > "$CHECK_DIR/results"
cat "$CHECK_DIR/results" >&2
bad=$(grep -E '^TEST [^:]+: (FAIL|SKIP)' "$CHECK_DIR/results" | head -n1)
[ -z "$bad" ] || fail "$bad"
grep -q '^Test result: SUCCESS' "$CHECK_DIR/results" ||
    fail "$(grep '^Test result: ' "$CHECK_DIR/results")"
pass "domain $id: $(grep -c ": PASS" "$CHECK_DIR/results") tests passed (backend state 9; a backend path of ${#long} characters)"
