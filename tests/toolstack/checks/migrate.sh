# Live migration to localhost, three times in a row: `xl migrate` copies
# minnow's memory while it runs (reading its published p2m, and again when
# p2m_generation says it changed), suspends it for the last copy and resumes
# it in the new domain.  After each round: the resumed line with the suspend
# count, the xenstore watch fires, and a p2m change made after the move
# (xl mem-set, balloon_p2m_dump) gives a dump equal to xen-mfndump's view.
# Then xl save / xl restore still work.  Needs a Xen with shadow paging (PV
# log-dirty): scripts/run-toolstack.sh --xen shadow; SKIPs on Debian's.
# timeout: 300
. /toolstack/lib.sh
need_minnow

. /toolstack/migrate-lib.sh

name=mover
incoming=$(incoming_name $name)

id=$(domu_create $name minnow.cfg 'extra="xenstore_test balloon_p2m_dump"') ||
    fail "$(xl_create_error)"
wait_ready $name 15
wait_console $name '^XS EVENT data/minnow-watch ' 10 ||
    fail "minnow's watch on data/minnow-watch never fired"

took=""
for round in 1 2 3; do
    log "round $round: xl migrate $id localhost"
    t0=$(cut -d' ' -f1 /proc/uptime)
    # By domid: name lookups in xl segfault while an old domain is torn down.
    migrate_start "$id" "$CHECK_DIR/migrate.log"
    if ! wait $!; then
        cat "$CHECK_DIR/migrate.log" >&2
        # Debian's Xen has no shadow paging, so no log-dirty mode for PV.
        if [ $round = 1 ] && grep -qiE 'log.?dirty|error 95|Operation not supported' \
                "$CHECK_DIR/migrate.log"; then
            skip "this Xen cannot migrate a PV guest (no shadow paging: $(first_error "$CHECK_DIR/migrate.log")); run with --xen shadow"
        fi
        fail "round $round: xl migrate failed: $(first_error "$CHECK_DIR/migrate.log")"
    fi
    log "round $round: the tools read the p2m: $(migrate_p2m_seen "$CHECK_DIR/migrate.log")"
    took="$took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')s"
    domu_exists $incoming && fail "round $round: $incoming was never renamed to $name"
    id=$(domu_domid $name) || fail "round $round: no domain $name after xl migrate"
    wait_for 20 console_has $incoming "^suspend: resumed \\(suspend #$round\\)" ||
        fail "round $round: no 'suspend: resumed (suspend #$round)' from domain $id (state $(domu_state $name))"
    watch_fires "$id" $incoming "round$round"
    p2m_matches "$id" $incoming $(( round % 2 ? 30 : 32 )) "round $round"
    log "round $round: domain $id resumed, watch fired, p2m equal to the tools' view"
done

# A migrated domain still saves and restores.
save_restore_works $name $name 4 "after 3 migrations"
id=$(domu_domid $name)
pass "3 live migrations (${took# }), each resumed with watch and p2m equal to the tools'; then save/restore, domain $id"
