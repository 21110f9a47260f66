# Helpers for the side-by-side benchmarks (sourced after /toolstack/lib.sh).
# Each benchmark measures minnow (its bench app, /toolstack/minnow-bench)
# and the Linux PV domU (linux.cfg) in the same dom0, one guest at a time,
# with the same xl settings, and prints its results on dom0's console:
#
#   BENCH <what> guest=minnow|linux run=<n> key=value ...
#
# scripts/bench-linux.sh collects them into the side-by-side table.
# Runs alternate between the guests (minnow, linux, minnow, ...) so that a
# slow patch of the host hits both.

. /toolstack/lib.sh

RUNS=${BENCH_RUNS:-3}
MEM_MIB=128             # memory = maxmem for both, unless a benchmark varies it

bench() { echo "BENCH $*" | tee -a "$CHECK_DIR/bench" > /dev/console; }

# A step that fails or runs out of time costs its rows, not the run:
#   BENCH missing guest=G rows=PREFIX[,PREFIX] why: TEXT
# names the table rows (key prefixes in scripts/bench-linux.sh) that G did
# not measure; the table shows "not measured: TEXT" where a row got no
# value at all.  bench_end passes the check when nothing went missing.
missing() {
    local guest=$1 rows=$2
    shift 2
    log "not measured: $guest $rows: $*"
    bench missing guest=$guest rows=$rows "why: $*"
}
bench_end() {
    local n
    n=$(grep -c '^BENCH missing' "$CHECK_DIR/bench" 2>/dev/null)
    [ "${n:-0}" = 0 ] && pass "$*"
    fail "$n steps not measured, first: $(grep -m1 '^BENCH missing' "$CHECK_DIR/bench" | sed 's/.*why: //')"
}
# secs_left: whole seconds until the harness kills the check
# (CHECK_DEADLINE, from tests/toolstack/init), less 30 s for destroying the
# domain and reporting; time_for SECS: 0 when SECS more fit.
secs_left() { echo $(( ${CHECK_DEADLINE:-999999} - $(cut -d. -f1 /proc/uptime) - 30 )); }
time_for() { [ "$(secs_left)" -ge "$1" ]; }
# capped SECS: SECS, or what is left when that is less.
capped() { local l; l=$(secs_left); [ "$l" -lt "$1" ] && echo "$l" || echo "$1"; }

# ready_of GUEST: its ready line.
ready_of() { [ "$1" = minnow ] && echo "minnow: ready" || echo "linux: ready"; }
# bench_boot GUEST NAME MIB EXTRA [xl setting ...]: xl create through the
# stopwatch (ready within BOOT_TIMEOUT s, default 120); prints benchwait's
# line and returns its status.  Both guests get the same settings: memory =
# maxmem = MIB and the command line EXTRA; minnow runs the bench app,
# Linux keeps linux.cfg's console=hvc0 quiet.
bench_boot() {
    local guest=$1 name=$2 mib=$3 extra=$4 out rc
    shift 4
    echo "$name" >> "$CHECK_DIR/domains"
    rm -f "$(console_log "$name")"
    if [ "$guest" = minnow ]; then
        set -- minnow.cfg 'kernel="/toolstack/minnow-bench"' "extra=\"$extra\"" "$@"
    else
        set -- linux.cfg "extra=\"console=hvc0 quiet $extra\"" "$@"
    fi
    local cfg=$1
    shift
    log "xl create $cfg name=$name memory=$mib maxmem=$mib $*"
    out=$(benchwait boot "$(console_log "$name")" "$(ready_of "$guest")" "${BOOT_TIMEOUT:-120}" -- \
          xl create "$CFG_DIR/$cfg" "name=\"$name\"" "memory=$mib" "maxmem=$mib" "$@" \
          2>"$CHECK_DIR/xl-create.err")
    rc=$?
    [ -s "$CHECK_DIR/xl-create.err" ] && sed 's/^/  xl: /' "$CHECK_DIR/xl-create.err" >&2
    log "$name: $out (status $rc)"
    [ $rc = 1 ] && out="$out ($(grep -m1 -i error "$CHECK_DIR/xl-create.err" || tail -n1 "$CHECK_DIR/xl-create.err"))"
    echo "$out"
    return $rc
}

# destroy_wait NAME: xl destroy, and wait until the domain is gone.
destroy_wait() {
    local id
    id=$(domu_domid "$1") && timeout 20 xl destroy "$id" >/dev/null 2>&1
    wait_gone "$1" 20 || { log "domain $1 still there after xl destroy"; return 1; }
}

# mem_line NAME: the guest's "<X> MEM ..." line without its first two words.
mem_line() { console_text "$1" | sed -n 's/^\(MINNOW\|LINUX\) MEM //p' | head -n1; }
