#!/bin/bash
# Run every test minnow has and print one closing line: "N passed, M failed".
#
#   tree checks        the runs against the tests' declared needs
#                      (scripts/check-runs-conf.sh and its self-test), the
#                      layers (scripts/check-layers.sh), and no test code
#                      in the product image build/minnow
#   host unit tests    build/host/tests/test_*      (cmocka, TAP output)
#   in-guest tests     minnow booted as dom0 under Xen in QEMU, one run per
#                      machine shape in tests/guest/runs.conf (TEST lines)
#   expected crashes   tests that must end the run with a FAIL report
#   conformance        the hypervisor ABI suite as dom0 on the installed Xen
#                      (scripts/conformance.sh --default), one case per
#                      test, and the runner's self-tests (exit 5 and 6)
#   fuzz               bounded fuzzing runs (scripts/fuzz.sh), if present
#   toolstack checks   Linux dom0 + xl against minnow domUs (CHECK lines),
#                      if scripts/run-toolstack.sh is present
#
# Environment: ONLY=host|guest|toolstack|fuzz runs one group (host: the tree
# checks and the unit tests; guest starts with the runs.conf check too);
# GUEST_RUN=name runs one line of runs.conf.  Logs go to build/logs/.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${BUILD:-build}
logs="$build/logs"
mkdir -p "$logs"
passed=0 failed=0

count() {   # count <pass|fail> <name> <detail...>
    local verdict=$1 name=$2; shift 2
    if [ "$verdict" = pass ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $name $*"
    fi
}

want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

# check NAME LOG COMMAND...: one case, passed when COMMAND exits 0.
check() {
    local name=$1 log=$2; shift 2
    if "$@" >"$log" 2>&1; then
        count pass "$name"
        echo "$name: PASS ($(tail -n1 "$log"))"
    else
        count fail "$name" "(log $log)"
        sed 's/^/  /' "$log"
    fi
}

# count_pictures RC LOG NAME: one case per `PICTURE ...: PASS|FAIL` line of
# scripts/pictures/check.py's LOG; a failure without such a line fails NAME.
count_pictures() {
    local rc=$1 log=$2 name=$3 line n
    while read -r line; do
        case "$line" in
            "PICTURE "*": PASS"*) count pass "${line%%:*}" ;;
            "PICTURE "*": FAIL"*) count fail "$line" ;;
        esac
    done <"$log"
    n=$(grep -c '^PICTURE .*: \(PASS\|FAIL\)' "$log")
    if [ "$n" = 0 ] || { [ "$rc" -ne 0 ] && ! grep -q ': FAIL' "$log"; }; then
        count fail "$name" "(rc=$rc, log $log)"
    fi
    echo "$name: $n pictures checked, rc=$rc"
}

# The shadow-paging Xen the migration checks boot takes minutes to build the
# first time: build it on one core while the stages below keep the other
# busy (the toolstack stage waits for it: build-xen.sh holds a lock).
if want toolstack && [ -x scripts/build-xen.sh ] && [ ! -s "$build/xen-src/shadow/xen" ]; then
    JOBS=1 scripts/build-xen.sh shadow >"$logs/build-xen-shadow.log" 2>&1 &
fi

# ---- tree checks ------------------------------------------------------------
# Test code the product image must not carry (it lives in build/minnow-test):
# nm symbol patterns, one case each.
forbidden_in_product=(
    guest_test          # tests/guest/: the GUEST_TEST table and bodies
    xs_probe            # tests/guest/xs_probe.c: the toolstack's xenstore round trip
    blkfront_test_      # blkfront's test hooks: injected responses, unchecked reads
)

if want host || want guest; then
    check "check-runs-conf" "$logs/check-runs-conf.log" scripts/check-runs-conf.sh
fi
if want host; then
    scripts/check-runs-conf.sh --self-test >"$logs/check-runs-conf-self-test.log" 2>&1
    while read -r line; do
        case "$line" in
            "SELFTEST "*": PASS"*) count pass "${line%%:*}" ;;
            "SELFTEST "*": FAIL"*) count fail "$line" ;;
        esac
    done <"$logs/check-runs-conf-self-test.log"
    grep -q '^SELFTEST .*: \(PASS\|FAIL\)' "$logs/check-runs-conf-self-test.log" ||
        count fail "check-runs-conf self-test" "printed no SELFTEST line (log $logs/check-runs-conf-self-test.log)"
    tail -n1 "$logs/check-runs-conf-self-test.log" | sed 's/^SELFTEST:/check-runs-conf self-test:/'
    check "check-layers" "$logs/check-layers.log" scripts/check-layers.sh "$build"
    # docs/map.md matches the tree, and its checker fails on a broken copy.
    check "check-map" "$logs/check-map.log" scripts/check-map.sh
    check "check-map self-test" "$logs/check-map-self-test.log" scripts/check-map.sh --self-test
    # docs/pictures: each picture's numbers recomputed from its dump, and
    # the check catches a wrong number (scripts/pictures/check.py).
    for mode in "" --self-test; do
        /usr/bin/python3 scripts/pictures/check.py $mode >"$logs/check-pictures$mode.log" 2>&1
        count_pictures $? "$logs/check-pictures$mode.log" "check-pictures$mode"
    done
    for pattern in "${forbidden_in_product[@]}"; do
        found=$(nm "$build/minnow" | awk '{ print $NF }' | grep -E -- "$pattern" | head -n3 | tr '\n' ' ')
        if [ ! -s "$build/minnow" ]; then
            count fail "product image: $pattern" "no $build/minnow (run make)"
        elif [ -n "$found" ]; then
            count fail "product image: $pattern" "$build/minnow has test symbols: $found..."
        else
            count pass "product image: $pattern"
            echo "product image: no $pattern symbol in $build/minnow"
        fi
    done
fi


# ---- host unit tests --------------------------------------------------------
if want host; then
    for t in "$build"/host/tests/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        log="$logs/$name.log"
        CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" >"$log" 2>&1
        rc=$?
        planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -1)
        ok=$(grep -c '^ok ' "$log")
        notok=$(grep -c '^not ok ' "$log")
        grep '^not ok ' "$log" | sed "s/^/  $name: /"
        passed=$((passed + ok))
        failed=$((failed + notok))
        missing=$(( ${planned:-0} - ok - notok ))
        if [ "$missing" -gt 0 ] || [ -z "$planned" ] || { [ $rc -ne 0 ] && [ "$notok" = 0 ]; }; then
            count fail "$name" "crashed or stopped early (rc=$rc, log $log)"
            [ "$missing" -gt 1 ] && failed=$((failed + missing - 1))
        fi
        echo "host $name: $ok passed, $notok failed"
    done
fi

# ---- in-guest tests ---------------------------------------------------------
# runs.conf: NAME | run-dom0.sh options | minnow command line | provides
run_guest() {
    local name=$1 opts=$2 args=$3 provides=$4
    local log="$logs/guest-$name.log"
    # shellcheck disable=SC2086
    scripts/run-dom0.sh --log "$log" $opts "$build/minnow-test" $args
    local rc=$?
    local lines
    lines=$(tr -d '\r' <"$log" | grep -a -o 'TEST [A-Za-z0-9_]*: \(PASS\|FAIL\|SKIP\|ERROR\).*')
    if [ "$provides" = crash ]; then
        # The named test must be reported as FAIL with the trap's rip and cr2,
        # and the run must end with the panic status.
        local test=${args##*tests=}
        test=${test%% *}
        if [ $rc -eq 3 ] && echo "$lines" | grep -q "^TEST $test: FAIL fatal trap .*rip=0x[0-9a-f]* cr2="; then
            count pass "guest $name"
            echo "guest $name: PASS (reported: $(echo "$lines" | head -1))"
        else
            count fail "guest $name" "expected $test's fatal trap reported as its FAIL, rc=$rc (log $log)"
        fi
        return
    fi
    local p f s
    p=$(echo "$lines" | grep -c ': PASS')
    f=$(echo "$lines" | grep -c ': \(FAIL\|ERROR\)')
    s=$(echo "$lines" | grep -c ': SKIP')
    echo "$lines" | grep ': \(FAIL\|ERROR\|SKIP\)' | sed "s/^/  $name: /"
    passed=$((passed + p))
    failed=$((failed + f))
    if [ $rc -ne 0 ] || ! tr -d '\r' <"$log" | grep -a -q 'Test result: \(SUCCESS\|SKIP\)'; then
        count fail "guest $name" "run ended badly (rc=$rc, log $log)"
        tr -d '\r' <"$log" | grep -a -A12 'FATAL\|PANIC' | head -30 | sed 's/^/    /'
    fi
    echo "guest $name: $p passed, $f failed, $s skipped"
    # p2m_runs: the committed pictures of this shape must be what the code
    # draws today (same p2m kinds, tree, page counts and E820 plan).
    if [[ " $args " == *" p2m_runs "* ]]; then
        /usr/bin/python3 scripts/pictures/check.py --run "$name" "$log" \
            >"$logs/guest-$name-pictures.log" 2>&1
        count_pictures $? "$logs/guest-$name-pictures.log" "guest $name pictures"
    fi
}

if want guest; then
    trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }
    while IFS='|' read -r name opts args provides; do
        name=$(trim "$name")
        case "$name" in ''|\#*) continue ;; esac
        [ -n "${GUEST_RUN:-}" ] && [ "$GUEST_RUN" != "$name" ] && continue
        run_guest "$name" "$(trim "$opts")" "$(trim "$args")" "$(trim "$provides")"
    done < tests/guest/runs.conf
fi

# ---- the hypervisor conformance suite (scripts/conformance.sh) -----------------
# As dom0 on the installed Xen, one case per test (SUCCESS or SKIP passes);
# then the runner's self-tests: a wrong expectation must come out as
# FAILURE naming both values (exit 5), and a fault in minnow and a domain
# Xen kills as CRASH naming the fault, with the test after them still run
# in a fresh boot (exit 6).
conformance_case() {   # conformance_case NAME EXPECTED-EXIT LOG CHECKS... -- ARGS...
    local name=$1 want=$2 log=$3 rc missing=""
    shift 3
    local checks=()
    while [ "$1" != -- ]; do checks+=("$1"); shift; done
    shift
    scripts/conformance.sh --default --out "$build/conformance-test" "$@" >"$log" 2>&1
    rc=$?
    for c in "${checks[@]}"; do grep -q -E -- "$c" "$log" || missing="$missing '$c'"; done
    if [ $rc = "$want" ] && [ -z "$missing" ]; then
        count pass "$name"
        echo "$name: PASS (exit $rc; $(grep -c '^\[' "$log") results)"
    else
        count fail "$name" "exit $rc (want $want)${missing:+, no line matching$missing} (log $log)"
    fi
}
if want guest && [ -z "${GUEST_RUN:-}" ]; then
    log="$logs/conformance-dom0.log"
    scripts/conformance.sh --default --no-domu --out "$build/conformance-test" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^\[[^]]*\] [A-Za-z0-9_]*: \(SUCCESS\|SKIP\)' "$log")
    f=$(grep -c '^\[[^]]*\] [A-Za-z0-9_]*: \(ERROR\|FAILURE\|CRASH\)' "$log")
    grep '^\[[^]]*\] [A-Za-z0-9_]*: \(ERROR\|FAILURE\|CRASH\|SKIP\)' "$log" | sed 's/^/  conformance: /'
    passed=$((passed + p))
    failed=$((failed + f))
    [ $rc = 0 ] || [ $rc = 3 ] || [ "$f" -gt 0 ] ||
        count fail "conformance dom0" "exit $rc with no failing test (log $log)"
    echo "conformance dom0: $p passed, $f failed ($(tail -n1 "$log"))"
    conformance_case "conformance self-test: FAILURE" 5 "$logs/conformance-selftest-failure.log" \
        'selftest_wrong_expectation: FAILURE .*= 4096, expected 8192' \
        'xen_version_pagesize: SUCCESS' 'Conformance result: FAILURE' \
        -- --tests selftest_wrong_expectation,xen_version_pagesize
    conformance_case "conformance self-test: CRASH" 6 "$logs/conformance-selftest-crash.log" \
        'selftest_guest_fault: CRASH minnow: fatal trap .*rip=0x[0-9a-f]+ cr2=0x28' \
        'selftest_domain_killed: CRASH the domain ended with no result: Xen: ' \
        'xen_version_pagesize: SUCCESS' 'Conformance result: CRASH' \
        -- --tests selftest_guest_fault,selftest_domain_killed,xen_version_pagesize
fi

# ---- fuzzing (bounded) ------------------------------------------------------
if want fuzz && [ -x scripts/fuzz.sh ]; then
    out=$(scripts/fuzz.sh 2>&1)
    while read -r line; do
        case "$line" in
            "FUZZ "*": PASS"*) count pass "$line"; echo "$line" ;;
            "FUZZ "*": FAIL"*) count fail "$line" ;;
        esac
    done <<<"$out"
    echo "$out" | grep -q '^FUZZ ' || count fail "fuzz" "scripts/fuzz.sh printed no FUZZ line"
fi

# ---- toolstack checks -------------------------------------------------------
# The checks run in more than one QEMU boot, each well inside its deadline
# (a run that grows is split, never given a longer deadline), two boots at a
# time: QEMU emulates its one vCPU on one host core, and the machine has two.
# Longest first, so that the two lanes end together: the first boot runs
# every check no group names (a new check is never left out), then the
# groups below in the order given.  The shadow-paging groups boot a Xen
# built for live migration, which Debian's Xen cannot do
# (scripts/build-xen.sh, once, under a lock; two boots: the migrate checks
# together pass 300 s); that build starts on one core at the top of this
# script, beside the single-QEMU stages, and is done long before they come.
# A group's words go to scripts/run-toolstack.sh as they are: options, then
# checks.  Each boot has its own directory (--out), built from one shared
# copy of the dom0 initrd's cached base.  QEMU seconds measured on 2 cores
# with both lanes busy, for balancing: rest 224, blkfront.. 198, migrate..
# 186, balloon.. 171, vchan_server 168, migrate_blkfront 155, vchan_client 115.
toolstack_groups=(
    "blkfront blkfront_restore blkfront_detach restore_services"
    "--xen shadow migrate migrate_balloon"
    "balloon save_restore"
    "vchan_server"
    "--xen shadow migrate_blkfront"
    "vchan_client"
)
toolstack_parallel=2
toolstack_tally() {   # toolstack_tally LABEL OUTFILE RC
    local label=$1 out rc=$3 p f
    out=$(cat "$2")
    echo "$out" | grep -a '^CHECK ' | tee -a "$logs/toolstack-checks.txt" | grep -v ': PASS' | sed 's/^/  /'
    p=$(echo "$out" | grep -a -c '^CHECK [^:]*: PASS')
    f=$(echo "$out" | grep -a -c '^CHECK [^:]*: FAIL')
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$rc" -ne 0 ] && [ "$f" = 0 ] && count fail "toolstack $label" "harness failed (rc=$rc): $(echo "$out" | tail -3)"
    echo "toolstack $label: $p passed, $f failed ($(echo "$out" | grep -ao 'QEMU [0-9.]* s' | tail -1))"
}
if want toolstack && [ -x scripts/run-toolstack.sh ]; then
    : >"$logs/toolstack-checks.txt"
    named=" ${toolstack_groups[*]} "
    rest=()
    for c in $(scripts/run-toolstack.sh --list); do
        case "$named" in *" $c "*) ;; *) rest+=("$c") ;; esac
    done
    groups=()
    [ ${#rest[@]} -gt 0 ] && groups+=("${rest[*]}")
    groups+=("${toolstack_groups[@]}")
    # The dom0 initrd's base (Debian's files, about 20 MB) is built once and
    # hard-linked into each boot's directory; the scripts replace files by
    # renaming, so no boot writes into another's copy.
    seed="$build/toolstack"
    tests/toolstack/build-initramfs.sh --out "$seed" >"$logs/toolstack-initrd.log" 2>&1 ||
        count fail "toolstack initrd" "(log $logs/toolstack-initrd.log)"
    n=0 lanes=()
    lanes_busy() {   # how many boots still run (the Xen build is not a lane)
        local pid busy=0
        for pid in "${lanes[@]}"; do kill -0 "$pid" 2>/dev/null && busy=$((busy + 1)); done
        echo "$busy"
    }
    for g in "${groups[@]}"; do
        n=$((n + 1))
        dir="$build/toolstack-run$n"
        mkdir -p "$dir"
        for f in base.cpio base.key vmlinux vmlinux.key xen kernel-version; do
            [ -e "$seed/$f" ] && ln -f "$seed/$f" "$dir/$f"
        done
        while [ "$(lanes_busy)" -ge "$toolstack_parallel" ]; do sleep 1; done
        # shellcheck disable=SC2086
        ( scripts/run-toolstack.sh --timeout 480 --out "$dir" $g \
              >"$logs/toolstack-run$n.out" 2>&1
          echo $? >"$logs/toolstack-run$n.rc" ) &
        lanes+=($!)
    done
    wait
    for i in $(seq 1 "$n"); do
        toolstack_tally "run $i" "$logs/toolstack-run$i.out" "$(cat "$logs/toolstack-run$i.rc" 2>/dev/null || echo 99)"
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
