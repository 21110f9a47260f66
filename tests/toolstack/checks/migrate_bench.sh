# A benchmark, not a test: scripts/bench-migrate.sh runs it alone on the
# shadow-paging Xen (make bench); named with other checks it SKIPs.
# The same 32 MiB minnow domU, idle, three times each: xl save + xl restore
# (minnow's own save/restore, the baseline) and xl migrate to localhost;
# wall time of each (xl migrate hides libxenguest's per-round progress, so
# pages per round are not measured).  The detail line carries the numbers:
# "save S S S restore R R R migrate M M M".
# timeout: 200
. /toolstack/lib.sh
need_minnow
. /toolstack/migrate-lib.sh
[ "$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^minnow.checks=//p')" = migrate_bench ] ||
    skip "a benchmark: scripts/bench-migrate.sh runs it alone"

name=bench-mover
incoming=$(incoming_name $name)
id=$(domu_create $name minnow.cfg) || fail "$(xl_create_error)"
wait_ready $name 15
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
img=/tmp/minnow-bench.img
saves="" restores="" migrates=""
for i in 1 2 3; do
    id=$(domu_domid $name) || fail "no domain $name"
    t0=$(now)
    xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 || fail "xl save failed: $(first_error "$CHECK_DIR/save.log")"
    t1=$(now)
    xl restore "$img" > "$CHECK_DIR/restore.log" 2>&1 || fail "xl restore failed: $(first_error "$CHECK_DIR/restore.log")"
    t2=$(now)
    rm -f "$img"
    id=$(domu_domid $name) || fail "no domain $name after xl restore"
    wait_for 20 console_has $name "^suspend: resumed \\(suspend #$((2 * i - 1))\\)" ||
        fail "no resume after xl restore $i"
    saves="$saves $(secs "$t0" "$t1")" restores="$restores $(secs "$t1" "$t2")"

    t0=$(now)
    migrate_start "$id" "$CHECK_DIR/migrate.log"
    wait $! || fail "xl migrate failed: $(first_error "$CHECK_DIR/migrate.log")"
    t1=$(now)
    migrates="$migrates $(secs "$t0" "$t1")"
    wait_for 20 console_has $incoming "^suspend: resumed \\(suspend #$((2 * i))\\)" ||
        fail "no resume after xl migrate $i"
done
pass "save$saves restore$restores migrate$migrates"
