# First, a suspend that comes while the disk is in its handshake with the
# backend must be refused (minnow asks itself, as control/shutdown would).
# Then a broken disk across xl save / xl restore: the restore replaced the grant
# table and every event channel, so closing the device afterwards must end
# no grant and close no channel under their new owners (xenstore, the
# console, the timer).  minnow breaks its disk on purpose (a bogus
# response), dom0 saves and restores it, then minnow closes the disk,
# checks those services, and opens and reads the disk again.
# provides: disk xl-save-restore
# timeout: 120
. /toolstack/lib.sh
need_minnow
[ -b /dev/ram0 ] || skip "no /dev/ram0 (brd not loaded by /init)"

name=blkbroken
test=blkfront_broken_across_save
first=blkfront_suspend_during_handshake
img=/tmp/minnow-blk-broken.img
id=$(domu_create $name minnow-disk.cfg "extra=\"tests=blkfront_suspend_during_handshake,blkfront_broken_across_save\"") || fail "$(xl_create_error)"
wait_console $name '^BLKFRONT BROKEN SAVE NOW' 30 ||
    fail "no 'BLKFRONT BROKEN SAVE NOW' ($(console_text $name | grep -E '^TEST |blkfront' | tail -n1))"
xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 || {
    cat "$CHECK_DIR/save.log" >&2
    fail "xl save with a broken disk failed: $(grep -m1 -i error "$CHECK_DIR/save.log" || tail -n1 "$CHECK_DIR/save.log")"
}
# -e: see blkfront.sh (xl's monitoring child dies after restores with a disk).
xl restore -e "$img" > "$CHECK_DIR/restore.log" 2>&1 || {
    cat "$CHECK_DIR/restore.log" >&2
    fail "xl restore failed: $(grep -m1 -i error "$CHECK_DIR/restore.log" || tail -n1 "$CHECK_DIR/restore.log")"
}
rm -f "$img"
id=$(domu_domid $name) || fail "no domain $name after xl restore"
wait_console $name '^Test result: ' 60 ||
    fail "no 'Test result:' after the restore (state '$(domu_state $name)'; last: $(console_text $name | tail -n1))"
for t in $first $test; do
    result=$(console_text $name | grep -E "^TEST $t: ")
    echo "$result" >&2
    case "$result" in
        *": PASS"*) ;;
        *) fail "${result:-no TEST $t line}" ;;
    esac
done
# What minnow wrote after closing the disk reached xenstore.
seen=$(xenstore-read "/local/domain/$id/data/minnow-blk" 2>/dev/null)
[ "$seen" = closed ] || fail "data/minnow-blk is '$seen', not 'closed'"
console_has $name '^BLKFRONT SERVICES closed' || fail "no 'BLKFRONT SERVICES closed' on the console"
pass "domain $id: ${result#*: PASS }"
