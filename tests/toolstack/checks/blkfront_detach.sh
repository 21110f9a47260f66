# xl block-detach while minnow reads its disk: the backend goes Closing,
# minnow must drain, fail new I/O, go Closed and mark the device gone, so
# the detach completes without libxl's 10 s timeout and forced removal.
# Then minnow closes the device, finds no disk left, and keeps running.
# provides: block-detach
# timeout: 120
. /toolstack/lib.sh
need_minnow
[ -b /dev/ram0 ] || skip "no /dev/ram0 (brd not loaded by /init)"

name=blkdetach
test=blkfront_backend_closes
id=$(domu_create $name minnow-disk.cfg "extra=\"tests=blkfront_backend_closes\"") || fail "$(xl_create_error)"
wait_console $name '^BLKFRONT DETACH NOW' 30 ||
    fail "no 'BLKFRONT DETACH NOW' ($(console_text $name | grep -E '^TEST |blkfront' | tail -n1))"
t0=$(cut -d' ' -f1 /proc/uptime)
timeout 60 xl block-detach "$id" xvda > "$CHECK_DIR/detach.log" 2>&1
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
cat "$CHECK_DIR/detach.log" >&2
[ $rc = 0 ] || fail "xl block-detach failed (rc=$rc after $secs s): $(tail -n1 "$CHECK_DIR/detach.log")"
# libxl gives the frontend 10 s, then removes the backend by force.
awk -v s="$secs" 'BEGIN { exit !(s < 8) }' ||
    fail "xl block-detach took $secs s: the frontend did not close (libxl forced it)"
grep -qi 'timeout\|timed out\|forc' "$CHECK_DIR/detach.log" &&
    fail "xl block-detach: $(grep -m1 -i 'timeout\|timed out\|forc' "$CHECK_DIR/detach.log")"
left=$(xl block-list "$id" 2>/dev/null | awk 'NR > 1 && NF' | wc -l)
[ "$left" = 0 ] || fail "xl block-list still shows $left disks after the detach"
wait_console $name '^Test result: ' 60 ||
    fail "no 'Test result:' after the detach (state '$(domu_state $name)'; last: $(console_text $name | tail -n1))"
result=$(console_text $name | grep -E "^TEST $test: ")
echo "$result" >&2
case "$result" in
    *": PASS"*) ;;
    *) fail "${result:-no TEST line}" ;;
esac
state=$(domu_state $name)
case "$state" in
    *c*) fail "domain $id crashed after the detach (state $state)" ;;
esac
pass "domain $id: block-detach in $secs s; ${result#*: PASS }"
