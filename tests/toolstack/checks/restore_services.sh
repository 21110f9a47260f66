# Xen services across xl save / xl restore (tests/guest/test_restore.c):
# grant refs and event ports kept apart between owners, open xenstore
# transactions waited for, the clock stopped while saved; then a restore
# onto a config that allows fewer grant frames.  Each test prints
# "RESTORE NOW [xl-setting ...]"; this check saves the domain and restores
# it, with those settings added to its config.
# provides: xl-restore
# order: 175
# timeout: 200
. /toolstack/lib.sh
need_minnow

img=/tmp/minnow-restore.img

# run_domain NAME: run $tests in a new domain, saving and restoring it
# for every RESTORE NOW line, until its Test result line.
run_domain() {
    local name=$1 id rounds=0 line settings cfg
    id=$(domu_create "$name" minnow.cfg 'on_poweroff="preserve"' "extra=\"tests=$tests\"") ||
        fail "$(xl_create_error)"
    while :; do
        wait_for 120 _next_step "$name" "$rounds" ||
            fail "$name: neither RESTORE NOW nor Test result ($rounds rounds done, state '$(domu_state "$name")')"
        console_has "$name" '^Test result: ' && break
        line=$(console_text "$name" | grep '^RESTORE NOW' | sed -n "$((rounds + 1))p")
        settings=${line#RESTORE NOW}
        rounds=$((rounds + 1))
        log "$name: round $rounds: xl save $id; restore with '$settings'"
        xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 || {
            cat "$CHECK_DIR/save.log" >&2
            fail "$name: xl save failed: $(grep -m1 -i error "$CHECK_DIR/save.log" || tail -n1 "$CHECK_DIR/save.log")"
        }
        cfg=
        if [ -n "${settings// /}" ]; then
            cfg=$CHECK_DIR/restore-$name.cfg
            { cat "$CFG_DIR/minnow.cfg"
              echo "name = \"$name\""
              echo 'on_poweroff = "preserve"'
              echo "extra = \"tests=$tests\""
              for kv in $settings; do echo "$kv"; done; } > "$cfg"
        fi
        # shellcheck disable=SC2086
        xl restore $cfg "$img" > "$CHECK_DIR/restore.log" 2>&1 || {
            cat "$CHECK_DIR/restore.log" >&2
            fail "$name: xl restore failed: $(grep -m1 -i error "$CHECK_DIR/restore.log" || tail -n1 "$CHECK_DIR/restore.log")"
        }
        id=$(domu_domid "$name") || fail "$name: no domain after xl restore"
    done
    rm -f "$img"
    console_text "$name" | grep -E '^(TEST |Test result: )' > "$CHECK_DIR/results-$name"
    cat "$CHECK_DIR/results-$name" >&2
    bad=$(grep -E '^TEST [^:]+: (FAIL|SKIP)' "$CHECK_DIR/results-$name" | head -n1)
    [ -z "$bad" ] || fail "$name: $bad"
    grep -q '^Test result: SUCCESS' "$CHECK_DIR/results-$name" ||
        fail "$name: $(grep '^Test result: ' "$CHECK_DIR/results-$name")"
    [ "$rounds" = "$(grep -c ': PASS' "$CHECK_DIR/results-$name")" ] ||
        fail "$name: $rounds save/restore rounds for $(grep -c ': PASS' "$CHECK_DIR/results-$name") tests"
}
_next_step() {
    console_has "$1" '^Test result: ' ||
        [ "$(console_text "$1" | grep -c '^RESTORE NOW')" -gt "$2" ]
}

# Each domain in a subshell (fail exits it), so both always run.
problems=
tests=restore_keeps_grants_and_ports_apart,restore_waits_for_open_transactions
tests=$tests,restore_keeps_time_continuous
( run_domain restorer ) || problems="$(cat "$CHECK_DIR/detail")"
time=$(console_text restorer | sed -n 's/^TEST restore_keeps_time_continuous: PASS //p')

# Last, as it leaves the domain without grants.
tests=restore_with_fewer_grant_frames
( run_domain shrinker &&
  { console_has shrinker '^gnttab: the restored domain may have 2 grant-table frames' ||
    fail "shrinker: no message saying the restored domain has too few grant frames"; } ) ||
    problems="${problems:+$problems; }$(cat "$CHECK_DIR/detail")"
[ -z "$problems" ] || fail "$problems"
pass "4 tests over 4 save/restore rounds; $time"
