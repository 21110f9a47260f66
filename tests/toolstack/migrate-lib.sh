# Helpers for the live-migration checks (checks/migrate*.sh), sourced after
# lib.sh.  Every migration goes to localhost: `xl migrate -s CMD` runs
# `CMD localhost xl migrate-receive ...` where ssh would, and CMD here
# drops the host name and runs the receiver.  The receiving domain is
# created as NAME--incoming and renamed once the stream is in;
# xenconsoled keeps naming its log after the first name it saw, so the
# console of a migrated domain is console_log NAME--incoming.

MIGRATE_LOCAL=/tmp/migrate-local
printf '#!/bin/sh\nshift\nexec "$@"\n' > $MIGRATE_LOCAL
chmod +x $MIGRATE_LOCAL

# The same with a gate in the stream: the first N MiB (gate_arm N) pass,
# then the stream stops (the sender blocks in the middle of its live
# rounds, the domain runs on) until the check calls gate_open.  dd never
# reads more than it writes (busybox's head -c does: it buffers); a short
# read from the pipe only makes the gate open a little later.
MIGRATE_GATED=/tmp/migrate-gated
GATE=/tmp/migrate-gate
cat > $MIGRATE_GATED <<'EOS'
#!/bin/bash
shift
{ dd bs=65536 count=$(( $(cat /tmp/migrate-gate.mib) * 16 )) 2>/dev/null
  touch /tmp/migrate-gate.reached
  while [ ! -e /tmp/migrate-gate.open ]; do sleep 0.1; done
  exec cat; } | "$@"
EOS
chmod +x $MIGRATE_GATED
gate_arm() { rm -f $GATE.*; echo "$1" > $GATE.mib; }
gate_reached() { [ -e $GATE.reached ]; }
gate_open() { touch $GATE.open; }

# incoming_name NAME: record the receiving domain for /init's FAIL output.
incoming_name() {
    echo "$1--incoming" >> "$CHECK_DIR/domains"
    rm -f "$(console_log "$1--incoming")"
    echo "$1--incoming"
}

# first_error FILE: the line that says why xl failed.
first_error() { grep -m1 -iE 'error|fail' "$1" || tail -n1 "$1"; }

# migrate_start ID LOG [CMD]: xl -vvv migrate in the background ($! is it).
migrate_start() {
    xl -vvv migrate -s "${3:-$MIGRATE_LOCAL}" "$1" localhost > "$2" 2>&1 &
}

# migrate_p2m_seen LOG: what xl -vvv says the tools read of the guest's p2m:
# the save side's "p2m list from .. to .., root at ..", "max_pfn M,
# p2m_frames N" (at setup; a p2m_generation change after that aborts the
# migration) and the restore's "Changed max_pfn".  xl migrate hides
# libxenguest's per-round progress (xl_migrate.c sets
# XTL_STDIOSTREAM_HIDE_PROGRESS while it sends), so rounds are not counted.
migrate_p2m_seen() {
    grep -oE 'p2m list from .*|max_pfn 0x[0-9a-f]+, p2m_frames [0-9]+|Changed max_pfn .*' "$1" |
        tr '\n' ';' | sed 's/;$//; s/;/; /g'
}

# watch_fires DOMID LOGNAME WHAT: a fresh value reaches minnow's watch.
watch_fires() {
    local token
    token="$3-$(cut -d' ' -f1 /proc/uptime | tr . -)"
    xenstore-write "/local/domain/$1/data/minnow-watch" "$token" || fail "$3: xenstore-write failed"
    wait_for 10 console_has "$2" "^XS EVENT data/minnow-watch $token\$" ||
        fail "$3: minnow's watch did not fire"
}

# p2m_dump_matches DOMID LOGNAME KB WHAT: the newest finished p2m dump minnow
# printed at current_kb=KB equals xen-mfndump's view.  The caller waits for
# that dump (p2m_dump_count).
p2m_dump_count() {
    console_text "$1" | grep -cE "^balloon: p2m dump [0-9]+ at current_kb=$2\$"
}
p2m_dump_matches() {
    local id=$1 clog=$2 kb=$3 what=$4 ere nth
    ere="^balloon: p2m dump [0-9]+ at current_kb=$kb\$"
    nth=$(p2m_dump_count "$clog" "$kb")
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
    awk -v xen_mib="$(xl list | awk -v id="$id" '$2 == id { print $3 }')" \
        -f /toolstack/hex.awk -f /toolstack/p2m-compare.awk \
        "$CHECK_DIR/guest-p2m" "$CHECK_DIR/mfndump" > "$CHECK_DIR/compare" 2>&1 ||
        { cat "$CHECK_DIR/compare"; fail "$what: $(head -n1 "$CHECK_DIR/compare")"; }
    log "$what: at $((kb / 1024)) MiB $(cat "$CHECK_DIR/compare")"
}

# p2m_matches DOMID LOGNAME MIB WHAT: xl mem-set MIB, then minnow's p2m dump
# at that size equals xen-mfndump's.
p2m_matches() {
    local id=$1 clog=$2 kb=$(($3 * 1024)) what=$4 nth
    nth=$(( $(p2m_dump_count "$clog" $kb) + 1 ))   # an earlier round's is older
    xl mem-set "$id" "$3m" || fail "$what: xl mem-set $id $3m failed"
    wait_for 30 eval '[ "$(p2m_dump_count "$clog" $kb)" -ge $nth ]' ||
        fail "$what: no p2m dump at $3 MiB from minnow"
    p2m_dump_matches "$id" "$clog" $kb "$what"
}

# save_restore_works NAME LOGNAME SUSPENDS WHAT: xl save, xl restore, and the
# domain resumes with suspend count SUSPENDS and its watch firing.
save_restore_works() {
    local name=$1 clog=$2 n=$3 what=$4 img=/tmp/minnow-migrate.img id
    id=$(domu_domid "$name") || fail "$what: no domain $name"
    xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 ||
        { cat "$CHECK_DIR/save.log" >&2; fail "$what: xl save failed: $(first_error "$CHECK_DIR/save.log")"; }
    xl restore "$img" > "$CHECK_DIR/restore.log" 2>&1 ||
        { cat "$CHECK_DIR/restore.log" >&2; fail "$what: xl restore failed: $(first_error "$CHECK_DIR/restore.log")"; }
    rm -f "$img"
    id=$(domu_domid "$name") || fail "$what: no domain $name after xl restore"
    wait_for 20 console_has "$clog" "^suspend: resumed \\(suspend #$n\\)" ||
        fail "$what: no 'suspend: resumed (suspend #$n)' after xl restore of domain $id"
    watch_fires "$id" "$clog" "$what"
}
