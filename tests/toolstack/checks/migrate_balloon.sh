# Live migration while the balloon moves, then a domain grown past its boot
# max_pfn migrated.
#
# 1. The stream is held after about 4 MiB (a gate in the local transport):
#    the save side has sent minnow's low pfns and waits; minnow runs.
#    memory/target goes down by half (written into xenstore: xl mem-set
#    refuses mid-migration) and minnow balloons out its lowest free pfns,
#    most of them already sent.  The receiving side populated every pfn it
#    got data for, never frees one a later round marks absent, and writes
#    its own p2m over minnow's: after the resume minnow must report that
#    Xen counts more pages than it does and give those frames back.  Then
#    (the receiving xl sets memory/target back to the config's memory)
#    minnow's p2m equals xen-mfndump's and adds up to Xen's count, and the
#    domain saves and restores.
# 2. xl mem-set above the boot memory (maxmem allows it): the balloon takes
#    fresh pfns past the boot max_pfn, then a migration; the p2m still
#    equals the tools' view, whose size now covers the grown pfns.
# timeout: 240
. /toolstack/lib.sh
need_minnow
. /toolstack/migrate-lib.sh

name=balloon-mover
incoming=$(incoming_name $name)
# 16 MiB (maxmem 32): every p2m dump is a console line per page.
id=$(domu_create $name minnow.cfg memory=16 maxmem=32 'extra="xenstore_test balloon_p2m_dump"') ||
    fail "$(xl_create_error)"
wait_ready $name 15
wait_console $name '^XS EVENT data/minnow-watch ' 10 ||
    fail "minnow's watch on data/minnow-watch never fired"
wait_console $name '^balloon: current_kb=.*state=reached' 30 || fail "no first balloon report"
kb0=$(xenstore-read /local/domain/$id/memory/target) || fail "no memory/target"
low=$((kb0 / 2))

# ---- 1. ballooning down in the middle of the live rounds
gate_arm 4
migrate_start "$id" "$CHECK_DIR/migrate.log" $MIGRATE_GATED
mpid=$!
wait_for 120 gate_reached || { gate_open; fail "the stream never passed its first 4 MiB"; }
xenstore-write /local/domain/$id/memory/target $low || { gate_open; fail "xenstore-write memory/target failed"; }
wait_console $name "^balloon: current_kb=$low .*state=reached" 60 ||
    { gate_open; fail "minnow did not balloon down to $low KiB while the stream was held"; }
log "held: $(xl list | awk -v n="$name" '$1 ~ n { printf "%s %s MiB; ", $1, $3 }')"
gate_open
wait $mpid || { cat "$CHECK_DIR/migrate.log" >&2; fail "xl migrate failed: $(first_error "$CHECK_DIR/migrate.log")"; }
log "the tools read the p2m: $(migrate_p2m_seen "$CHECK_DIR/migrate.log")"
id=$(domu_domid $name) || fail "no domain $name after xl migrate"
wait_console $incoming '^suspend: resumed \(suspend #1\)' 20 || fail "no 'suspend: resumed (suspend #1)'"
diverged=$(console_text $incoming | grep -m1 '^balloon: after the resume Xen counted') ||
    fail "minnow did not report the pages the restore populated behind its balloon"
log "$diverged"
case "$diverged" in
*"still differs"*) fail "not recovered: $diverged" ;;
esac
released=$(echo "$diverged" | sed -n 's/.*; released \([0-9]*\) frames.*/\1/p')
[ "${released:-0}" -gt 0 ] || fail "nothing released: $diverged"
counts=$(echo "$diverged" | sed -n 's/.*Xen counted \([0-9]*\) pages, minnow \([0-9]*\) .*/\1 \2/p')
# The receiving side's memory/target is the config's again: minnow refills.
kb1=$(xenstore-read /local/domain/$id/memory/target) || fail "no memory/target after the migration"
wait_for 30 eval '[ "$(p2m_dump_count $incoming $kb1)" -ge 1 ]' ||
    fail "no p2m dump at $kb1 KiB after the resume"
p2m_dump_matches "$id" $incoming $kb1 "after the migration"
save_restore_works $name $name 2 "after the migration"

# ---- 2. grown past the boot max_pfn, then migrated
grown_mib=$(( kb0 / 1024 + 8 ))
id=$(domu_domid $name) || fail "no domain $name"
xl mem-set "$id" ${grown_mib}m || fail "xl mem-set $id ${grown_mib}m failed"
wait_console $name "^balloon: current_kb=$((grown_mib * 1024)) .*state=reached" 60 ||
    fail "minnow did not grow to $grown_mib MiB ($(console_text $name | grep '^balloon: current_kb' | tail -n1))"
top=$(console_text $name | grep "^balloon: current_kb=$((grown_mib * 1024)) " | tail -n1 | sed -n 's/.* top_pfn=\(0x[0-9a-f]*\) .*/\1/p')
[ $((top)) -gt $((kb0 / 4)) ] || fail "grew to $grown_mib MiB without passing pfn $((kb0 / 4)) (top_pfn $top)"
migrate_start "$id" "$CHECK_DIR/migrate.log"
wait $! || { cat "$CHECK_DIR/migrate.log" >&2; fail "grown: xl migrate failed: $(first_error "$CHECK_DIR/migrate.log")"; }
seen=$(migrate_p2m_seen "$CHECK_DIR/migrate.log" | grep -oE 'max_pfn 0x[0-9a-f]+' | head -n1)
log "grown: the tools read the p2m: $(migrate_p2m_seen "$CHECK_DIR/migrate.log")"
id=$(domu_domid $name) || fail "grown: no domain $name after xl migrate"
wait_console $incoming '^suspend: resumed \(suspend #3\)' 20 || fail "grown: no 'suspend: resumed (suspend #3)'"
p2m_matches "$id" $incoming $((grown_mib - 2)) "grown"
size=$(sed -n 's/.*tools: size \([0-9]*\),.*/\1/p' "$CHECK_DIR/compare")
[ "${size:-0}" -ge $((top)) ] || fail "grown: the tools read $size pfns, fewer than minnow's top_pfn $top"
pass "balloon down $((kb0 - low)) KiB during the live rounds: Xen counted ${counts% *} pages after the resume, minnow ${counts#* }, $released released; p2m = xen-mfndump's, save/restore ok; grown to top_pfn $top ($grown_mib MiB), migrated, p2m = xen-mfndump's (tools' size $size, the save side read $seen)"
