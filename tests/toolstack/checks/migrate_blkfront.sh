# Live migration with blkfront busy: minnow (tests=blkfront_across_migrations)
# keeps two threads writing and reading back a verified, round-tagged
# pattern on its disk while dom0 migrates it to localhost three times;
# minnow's test fails on any lost or corrupted sector.  Afterwards dom0
# reads the sectors itself: each looper's range holds its last round.
# provides: xl-migrate-disk
# timeout: 240
. /toolstack/lib.sh
need_minnow
. /toolstack/migrate-lib.sh

disk=/dev/ram0
[ -b $disk ] || skip "no $disk (brd not loaded by /init)"

dd if=/dev/zero of=$disk bs=1M count=8 2>/dev/null || fail "cannot zero $disk"
sector_pattern minnow-sector 0 256 97 | dd of=$disk bs=512 conv=notrunc 2>/dev/null ||
    fail "cannot write the pattern to $disk"
sync

name=blk-mover
incoming=$(incoming_name $name)
id=$(domu_create $name minnow-disk.cfg 'extra="tests=blkfront_across_migrations"') ||
    fail "$(xl_create_error)"
wait_console $name '^BLKFRONT MIGRATE NOW' 30 ||
    fail "no 'BLKFRONT MIGRATE NOW' ($(console_text $name | grep -E '^TEST |blkfront' | tail -n1))"

for round in 1 2 3; do
    migrate_start "$id" "$CHECK_DIR/migrate.log"
    if ! wait $!; then
        cat "$CHECK_DIR/migrate.log" >&2
        if [ $round = 1 ] && grep -qiE 'log.?dirty|error 95|Operation not supported' \
                "$CHECK_DIR/migrate.log"; then
            skip "this Xen cannot migrate a PV guest (no shadow paging); run with --xen shadow"
        fi
        fail "round $round: xl migrate failed: $(first_error "$CHECK_DIR/migrate.log")"
    fi
    log "round $round: the tools read the p2m: $(migrate_p2m_seen "$CHECK_DIR/migrate.log")"
    id=$(domu_domid $name) || fail "round $round: no domain $name after xl migrate"
    wait_for 20 console_has $incoming "^suspend: resumed \\(suspend #$round\\)" ||
        fail "round $round: no 'suspend: resumed (suspend #$round)' from domain $id"
done

wait_console $incoming '^Test result: ' 90 ||
    fail "no 'Test result:' after 3 migrations (last: $(console_text $incoming | tail -n1))"
result=$(console_text $incoming | grep -E '^TEST blkfront_across_migrations: ')
echo "$result" >&2
case "$result" in
    *": PASS"*) ;;
    *) fail "${result:-no TEST blkfront_across_migrations line}" ;;
esac

# dom0's side: the last round of each looper is on the disk.
echo 3 > /proc/sys/vm/drop_caches
for i in 0 1; do
    line=$(console_text $incoming | grep -E "^BLKFRONT MIGRATE DONE looper $i ") ||
        fail "no 'BLKFRONT MIGRATE DONE looper $i'"
    set -- $line
    first=${7%..*} last=${7#*..} r=$9
    sector_pattern "mig$i-r$r" "$first" $((last - first + 1)) $((65 + i)) > "$CHECK_DIR/want.bin"
    dd if=$disk bs=512 skip="$first" count=$((last - first + 1)) 2>/dev/null > "$CHECK_DIR/got.bin"
    cmp "$CHECK_DIR/got.bin" "$CHECK_DIR/want.bin" >&2 ||
        fail "looper $i: sectors $first..$last on the disk are not round $r's"
done
pass "${result#*: PASS }"
