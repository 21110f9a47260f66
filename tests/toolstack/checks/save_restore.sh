# xl save -c (a checkpoint: the suspend is cancelled), then xl save /
# xl restore three times over: minnow suspends when
# control/shutdown says "suspend", comes back in the restored domain,
# re-publishes its p2m and re-attaches xenstore and the console ring
# (drivers/xen/suspend.c).  After each restore its xenstore watch still fires
# and the toolstack can read its p2m again (Mini-OS fails the second save).
# timeout: 200
. /toolstack/lib.sh
need_minnow

name=saver
img=/tmp/minnow-save.img
id=$(domu_create $name minnow.cfg 'extra="xenstore_test"') || fail "$(xl_create_error)"
wait_ready $name 15
wait_console $name '^XS EVENT data/minnow-watch ' 10 ||
    fail "minnow's watch on data/minnow-watch never fired"

# A checkpoint first: `xl save -c` leaves the domain running, so the
# suspend is cancelled and minnow carries on in the same domain.
xl save -c "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 || {
    cat "$CHECK_DIR/save.log" >&2
    fail "checkpoint: xl save -c failed: $(grep -m1 -i error "$CHECK_DIR/save.log" || tail -n1 "$CHECK_DIR/save.log")"
}
wait_console $name '^suspend: cancelled, still the same domain' 20 ||
    fail "checkpoint: no 'suspend: cancelled' line"
[ "$(domu_domid $name)" = "$id" ] || fail "checkpoint: the domain changed"
token="checkpoint-$(cut -d' ' -f1 /proc/uptime | tr . -)"
xenstore-write "/local/domain/$id/data/minnow-watch" "$token" || fail "xenstore-write failed"
wait_console $name "^XS EVENT data/minnow-watch $token\$" 10 ||
    fail "checkpoint: minnow's watch did not fire after the cancelled suspend"

for round in 1 2 3; do
    # By domid: name lookups in xl segfault while an old domain is torn down.
    log "round $round: xl save $id ($name)"
    xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 || {
        cat "$CHECK_DIR/save.log" >&2
        fail "round $round: xl save failed: $(grep -m1 -i error "$CHECK_DIR/save.log" || tail -n1 "$CHECK_DIR/save.log")"
    }
    domu_exists $name && fail "round $round: $name still exists after xl save"
    xl restore "$img" > "$CHECK_DIR/restore.log" 2>&1 || {
        cat "$CHECK_DIR/restore.log" >&2
        fail "round $round: xl restore failed: $(grep -m1 -i error "$CHECK_DIR/restore.log" || tail -n1 "$CHECK_DIR/restore.log")"
    }
    id=$(domu_domid $name) || fail "round $round: no domain $name after xl restore"
    wait_console $name "^suspend: resumed \\(suspend #$round\\)" 20 ||
        fail "round $round: no 'suspend: resumed (suspend #$round)' from domain $id (state $(domu_state $name))"

    token="round$round-$(cut -d' ' -f1 /proc/uptime | tr . -)"
    xenstore-write "/local/domain/$id/data/minnow-watch" "$token" ||
        fail "round $round: xenstore-write failed"
    wait_console $name "^XS EVENT data/minnow-watch $token\$" 10 ||
        fail "round $round: minnow's watch did not fire after the restore"

    xen-mfndump dump-p2m "$id" > "$CHECK_DIR/mfndump" 2> "$CHECK_DIR/mfndump.err" ||
        fail "round $round: xen-mfndump dump-p2m $id failed: $(tail -n1 "$CHECK_DIR/mfndump.err")"
    valid=$(awk '$1 ~ /^pfn=/ && $3 != "mfn=0xffffffffffffffff" { n++ } END { print n + 0 }' \
            "$CHECK_DIR/mfndump")
    [ "$valid" -gt 0 ] || fail "round $round: the restored p2m has no valid entry"
    log "round $round: domain $id, watch fired, p2m readable ($valid entries)"
done
rm -f "$img"
pass "checkpoint, then 3 save/restore rounds; last domain $id, watch and p2m fine after each"
