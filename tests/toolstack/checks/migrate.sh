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

name=mover
# The receiving domain is created as NAME--incoming and renamed once the
# stream is in; xenconsoled keeps naming its log after the first name.
incoming=$name--incoming
echo "$incoming" >> "$CHECK_DIR/domains"
rm -f "$(console_log $incoming)"

# xl migrate runs `CMD localhost xl migrate-receive ...` where ssh would be.
local_cmd=/tmp/migrate-local
printf '#!/bin/sh\nshift\nexec "$@"\n' > $local_cmd
chmod +x $local_cmd

id=$(domu_create $name minnow.cfg 'extra="xenstore_test balloon_p2m_dump"') ||
    fail "$(xl_create_error)"
wait_ready $name 15
wait_console $name '^XS EVENT data/minnow-watch ' 10 ||
    fail "minnow's watch on data/minnow-watch never fired"

# watch_fires DOMID LOGNAME WHAT: a fresh value reaches minnow's watch.
watch_fires() {
    local token
    token="$3-$(cut -d' ' -f1 /proc/uptime | tr . -)"
    xenstore-write "/local/domain/$1/data/minnow-watch" "$token" || fail "$3: xenstore-write failed"
    wait_for 10 console_has "$2" "^XS EVENT data/minnow-watch $token\$" ||
        fail "$3: minnow's watch did not fire"
}

# p2m_matches DOMID LOGNAME MIB WHAT: xl mem-set MIB, then minnow's p2m dump
# at that size equals xen-mfndump's.
p2m_matches() {
    local id=$1 clog=$2 kb=$(($3 * 1024)) what=$4 ere nth
    ere="^balloon: p2m dump [0-9]+ at current_kb=$kb\$"
    nth=$(( $(console_text "$clog" | grep -cE "$ere") + 1 ))   # an earlier round's is older
    xl mem-set "$id" "$3m" || fail "$what: xl mem-set $id $3m failed"
    wait_for 30 eval '[ "$(console_text "$clog" | grep -cE "$ere")" -ge $nth ]' ||
        fail "$what: no p2m dump at $3 MiB from minnow"
    dump_of() {
        console_text "$clog" | awk -v ere="$ere" -v nth="$nth" '
            $0 ~ ere { n++; cap = (n == nth); next }
            cap && /^P2M / { print }
            cap && /^P2M END / { done = 1; exit }
            END { exit !done }'
    }
    wait_for 60 eval 'dump_of > /dev/null' || fail "$what: minnow's p2m dump did not finish"
    dump_of > "$CHECK_DIR/guest-p2m"
    xen-mfndump dump-p2m "$id" > "$CHECK_DIR/mfndump" 2> "$CHECK_DIR/mfndump.err" ||
        fail "$what: xen-mfndump dump-p2m $id failed: $(tail -n1 "$CHECK_DIR/mfndump.err")"
    awk -f /toolstack/hex.awk -f /toolstack/p2m-compare.awk \
        "$CHECK_DIR/guest-p2m" "$CHECK_DIR/mfndump" > "$CHECK_DIR/compare" 2>&1 ||
        { cat "$CHECK_DIR/compare"; fail "$what: $(head -n1 "$CHECK_DIR/compare")"; }
    log "$what: at $3 MiB $(cat "$CHECK_DIR/compare")"
}

# first_error FILE: the line that says why xl failed.
first_error() { grep -m1 -iE 'error|fail' "$1" || tail -n1 "$1"; }

took=""
for round in 1 2 3; do
    log "round $round: xl migrate $id localhost"
    t0=$(cut -d' ' -f1 /proc/uptime)
    # By domid: name lookups in xl segfault while an old domain is torn down.
    if ! xl migrate -s $local_cmd "$id" localhost > "$CHECK_DIR/migrate.log" 2>&1; then
        cat "$CHECK_DIR/migrate.log" >&2
        # Debian's Xen has no shadow paging, so no log-dirty mode for PV.
        if [ $round = 1 ] && grep -qiE 'log.?dirty|error 95|Operation not supported' \
                "$CHECK_DIR/migrate.log"; then
            skip "this Xen cannot migrate a PV guest (no shadow paging: $(first_error "$CHECK_DIR/migrate.log")); run with --xen shadow"
        fi
        fail "round $round: xl migrate failed: $(first_error "$CHECK_DIR/migrate.log")"
    fi
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
img=/tmp/minnow-migrate.img
xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 ||
    { cat "$CHECK_DIR/save.log" >&2; fail "after 3 migrations: xl save failed: $(first_error "$CHECK_DIR/save.log")"; }
xl restore "$img" > "$CHECK_DIR/restore.log" 2>&1 ||
    { cat "$CHECK_DIR/restore.log" >&2; fail "after 3 migrations: xl restore failed: $(first_error "$CHECK_DIR/restore.log")"; }
rm -f "$img"
id=$(domu_domid $name) || fail "no domain $name after xl restore"
wait_for 20 console_has $name '^suspend: resumed \(suspend #4\)' ||
    fail "after xl restore: no 'suspend: resumed (suspend #4)' from domain $id"
watch_fires "$id" $name restored
pass "3 live migrations (${took# }), each resumed with watch and p2m equal to the tools'; then save/restore, domain $id"
