#!/bin/bash
# Every in-guest test that needs something of its run (TEST_CRASHES,
# TEST_NEEDS(...) in its GUEST_TEST line; tests/guest/test.h says what each
# need means) is named by a run that provides it, and every run says true
# things.  The runs:
#
#   tests/guest/runs.conf          one dom0 boot a line; its last column
#                                  says what the line provides (or -)
#   tests/toolstack/checks/*.sh    minnow domUs under xl; and
#   scripts/bench-*.sh             make bench's boots: tests=... in the
#                                  script, what it provides on a line
#                                  `# provides: NEED ...`
#   scripts/conformance.sh and     the conformance suite (tests/conformance/),
#   checks/conformance_domu.sh     which pick tests by need at run time and
#                                  say so: `# runs every test that needs: NEED`
#
# The rules:
#   - each GUEST_TEST line reads as 0, TEST_CRASHES or TEST_NEEDS("need"),
#     with a need test.h lists, and no two tests share a name;
#   - every name in a run's tests= is a test (or `all`);
#   - a run that names a test needing X provides X, and a run that
#     provides X names a test needing X;
#   - what a run provides is true of it: crash is a runs.conf line naming
#     that one test; dom0-balloon-headroom has --dom0-max above --dom0-mem;
#     disk, xl-save-restore, xl-restore and xl-migrate-disk come from
#     toolstack checks only; balloon-pool may come from any run;
#   - a runs.conf line naming a test with a need does not also run `all`;
#   - every test with a need is named by some run.
#
# Usage: scripts/check-runs-conf.sh [--root DIR]   check the tree at DIR
#        scripts/check-runs-conf.sh --self-test     break each rule once on
#                                                   a copy; each must be caught
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
[ "${1:-}" = --root ] && { root=$2; shift 2; }

errors=0
err() { echo "check-runs-conf: $*"; errors=$((errors + 1)); }

# size_mib 64M -> 64; "" when it cannot be read.
size_mib() {
    case $1 in
        *[0-9]G) echo $(( ${1%G} * 1024 )) ;;
        *[0-9]M) echo "${1%M}" ;;
        *[0-9]K) echo $(( ${1%K} / 1024 )) ;;
        *) echo "" ;;
    esac
}

# headroom_problem TEXT: why TEXT's run-dom0.sh options give no balloon
# headroom, or nothing when they do.
headroom_problem() {
    local mem max
    mem=$(sed -n 's/.*--dom0-mem  *\([0-9]*[KMG]\).*/\1/p' <<<"$1" | head -n1)
    max=$(sed -n 's/.*--dom0-max  *\([0-9]*[KMG]\).*/\1/p' <<<"$1" | head -n1)
    [ -n "$mem" ] || { echo "has no --dom0-mem"; return; }
    [ -n "$max" ] || { echo "has no --dom0-max"; return; }
    [ "$(size_mib "$max")" -gt "$(size_mib "$mem")" ] ||
        echo "--dom0-max $max is not above --dom0-mem $mem"
}

self_test() {
    local tmp fails=0 n=0
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    # case_ NAME SED-SCRIPT FILE EXPECTED: the copy with FILE edited must
    # fail, saying EXPECTED.
    case_() {
        local name=$1 script=$2 file=$3 expected=$4 out rc
        rm -rf "$tmp/t" && mkdir -p "$tmp/t/tests/guest" "$tmp/t/tests/toolstack/checks" "$tmp/t/scripts"
        cp "$root"/tests/guest/*.c "$root"/tests/guest/test.h "$root"/tests/guest/runs.conf "$tmp/t/tests/guest/"
        mkdir -p "$tmp/t/tests/conformance" && cp "$root"/tests/conformance/*.c "$tmp/t/tests/conformance/"
        cp "$root"/scripts/conformance.sh "$tmp/t/scripts/"
        cp "$root"/tests/toolstack/checks/*.sh "$tmp/t/tests/toolstack/checks/"
        cp "$root"/scripts/bench-*.sh "$tmp/t/scripts/"
        n=$((n + 1))
        [ -z "$file" ] || sed -i "$script" "$tmp/t/$file"
        out=$("$0" --root "$tmp/t" 2>&1); rc=$?
        if [ -z "$file" ]; then
            [ $rc = 0 ] && echo "SELFTEST $name: PASS" ||
                { echo "SELFTEST $name: FAIL: $out"; fails=$((fails + 1)); }
        elif cmp -s "$root/$file" "$tmp/t/$file"; then
            echo "SELFTEST $name: FAIL (the edit changed nothing in $file)"; fails=$((fails + 1))
        elif [ $rc = 0 ] || ! grep -q -F -- "$expected" <<<"$out"; then
            echo "SELFTEST $name: FAIL (no '$expected' in: ${out:-no output})"; fails=$((fails + 1))
        else
            echo "SELFTEST $name: PASS ($(grep -m1 -F -- "$expected" <<<"$out" | sed 's/^check-runs-conf: //'))"
        fi
    }
    case_ copy-passes '' '' ''
    case_ unknown-test 's/tests=p2m_self_check,/tests=p2m_selfcheck,/' \
        tests/guest/runs.conf 'names p2m_selfcheck, which is no test'
    case_ crash-test-in-ok-line '/^dom0-p2m-dump/s/tests=p2m_matches_start_info/tests=fatal_null_deref/' \
        tests/guest/runs.conf "needs 'crash' (tests/guest/test_traps.c:78), but the run does not provide it"
    case_ two-tests-in-crash-line '/^fatal-null/s/tests=fatal_null_deref/tests=fatal_null_deref,fatal_invalid_opcode/' \
        tests/guest/runs.conf 'fatal-null: provides crash, so it names one test alone'
    case_ ok-test-in-crash-line '/^fatal-null/s/tests=fatal_null_deref/tests=p2m_self_check/' \
        tests/guest/runs.conf "fatal-null: provides 'crash' but names no test that needs it"
    case_ need-never-run '/^dom0-balloon /d' \
        tests/guest/runs.conf "balloon_grow needs 'dom0-balloon-headroom' and no run names it"
    case_ no-headroom '/^dom0-balloon /s/--dom0-max 128M/--dom0-max 64M/' \
        tests/guest/runs.conf '--dom0-max 64M is not above --dom0-mem 64M'
    case_ provides-unused '/^dom0-p2m-dump/s/| -$/| dom0-balloon-headroom/' \
        tests/guest/runs.conf "dom0-p2m-dump: provides 'dom0-balloon-headroom' but names no test that needs it"
    case_ need-with-all '/^dom0-balloon /s/tests=/tests=all,/' \
        tests/guest/runs.conf 'dom0-balloon: runs all and balloon_down_up'
    case_ same-name-twice '$a GUEST_TEST(p2m_self_check, 0)' \
        tests/guest/test_mm.c 'a second test named p2m_self_check'
    case_ unreadable-declaration 's/^GUEST_TEST(malloc_stress, 0)$/GUEST_TEST(malloc_stress, 1)/' \
        tests/guest/test_mm.c "cannot read 'GUEST_TEST(malloc_stress, 1)'"
    case_ unknown-need 's/TEST_NEEDS("disk")/TEST_NEEDS("a-disk")/' \
        tests/guest/test_blkfront.c "blkfront_connect needs 'a-disk', which tests/guest/test.h does not list"
    case_ toolstack-unknown-test 's/blkfront_close_reopen$/blkfront_close_reopen,blkfront_reopen/' \
        tests/toolstack/checks/blkfront.sh 'names blkfront_reopen, which is no test'
    case_ toolstack-not-providing '/^# provides:/d' \
        tests/toolstack/checks/blkfront.sh "blkfront.sh: names blkfront_connect, which needs 'disk'"
    case_ selftest-never-run '/^# runs every test that needs: selftest/d' \
        scripts/conformance.sh "selftest_wrong_expectation needs 'selftest' and no run names it"
    case_ dom0-providing-disk '/^dom0-64m/s/| -$/| disk/' \
        tests/guest/runs.conf 'provides disk, which only a toolstack check can'
    echo "SELFTEST: $((n - fails)) of $n passed"
    [ "$fails" = 0 ]
}
[ "${1:-}" = --self-test ] && { self_test; exit; }

cd "$root" || exit 2

# ---- the tests and their needs
known_needs=" $(grep -o 'TEST_NEEDS("[a-z0-9-]*")' tests/guest/test.h | sed 's/.*("\(.*\)")/\1/' | sort -u | tr '\n' ' ')"
declare -A need_of where_of
while IFS=: read -r file line text; do
    text=${text%% \{*}                  # a one-line test's body
    name=${text#GUEST_TEST(}; name=${name%%,*}
    arg=${text#*,}; arg=${arg# }; arg=${arg%)}
    case $arg in
        0)                   need=- ;;
        TEST_CRASHES)        need=crash ;;
        TEST_NEEDS\(\"*\"\)) need=${arg#TEST_NEEDS(\"}; need=${need%\")} ;;
        *) err "$file:$line: cannot read '$text': want GUEST_TEST(name, 0 | TEST_CRASHES | TEST_NEEDS(\"need\"))"; continue ;;
    esac
    [ "$need" = - ] || [[ $known_needs == *" $need "* ]] ||
        err "$file:$line: $name needs '$need', which tests/guest/test.h does not list (it lists $(echo $known_needs))"
    [ -z "${need_of[$name]:-}" ] ||
        err "$file:$line: a second test named $name (the first is at ${where_of[$name]})"
    need_of[$name]=$need
    where_of[$name]=$file:$line
done < <(grep -n '^GUEST_TEST(' tests/guest/*.c tests/conformance/*.c 2>/dev/null)

# ---- the runs
declare -A named            # test -> the first run naming it

# check_run WHERE KIND PROVIDES TESTS OPTIONS
#   KIND: runs.conf, toolstack or bench; TESTS: comma-separated names.
check_run() {
    local where=$1 kind=$2 provides=$3 tests=$4 options=$5 t p n=0 used="" all=0 why
    for t in ${tests//,/ }; do
        [ "$t" = all ] && { all=1; continue; }
        [ "$t" = list ] && continue         # tests=list names the tests, runs none
        n=$((n + 1))
        if [ -z "${need_of[$t]:-}" ]; then
            err "$where: names $t, which is no test (no GUEST_TEST($t, ...) in tests/guest/*.c)"
            continue
        fi
        named[$t]=${named[$t]:-$where}
        p=${need_of[$t]}
        [ "$p" = - ] && continue
        used="$used $p"
        [[ " $provides " == *" $p "* ]] ||
            err "$where: names $t, which needs '$p' (${where_of[$t]}), but the run does not provide it"
        [ "$kind" = runs.conf ] && [ $all = 1 ] &&
            err "$where: runs all and $t, which needs '$p': a test with a need gets a run of its own"
    done
    for p in $provides; do
        [[ $known_needs == *" $p "* ]] ||
            { err "$where: provides '$p', which tests/guest/test.h does not list (it lists $(echo $known_needs))"; continue; }
        [[ "$used " == *" $p "* ]] ||
            err "$where: provides '$p' but names no test that needs it"
        case $p in
            crash)
                [ "$kind" = runs.conf ] ||
                    err "$where: provides crash: only a runs.conf line can (scripts/run-tests.sh expects the crash)"
                [ $n = 1 ] && [ $all = 0 ] ||
                    err "$where: provides crash, so it names one test alone (the crash ends the run)" ;;
            dom0-balloon-headroom)
                [ "$kind" = toolstack ] &&
                    err "$where: provides $p, which is minnow as dom0: a runs.conf line or a bench script"
                why=$(headroom_problem "$options")
                [ -z "$why" ] || err "$where: provides $p but $why" ;;
            balloon-pool)
                ;;  # any run can: it only must not also run all (checked above)
            disk|xl-save-restore|block-detach|xl-restore|xl-migrate-disk)
                [ "$kind" = toolstack ] ||
                    err "$where: provides $p, which only a toolstack check can (minnow as dom0 has no backend)" ;;
            *)
                err "$where: provides $p, and this script does not know how to check that a run does: teach it" ;;
        esac
    done
}

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }
declare -A line_of
lineno=0
while IFS= read -r raw; do
    lineno=$((lineno + 1))
    case $(trim "$raw") in ''|\#*) continue ;; esac
    IFS='|' read -r name opts args provides extra <<<"$raw"
    name=$(trim "$name") provides=$(trim "${provides:-}")
    where="tests/guest/runs.conf:$lineno: $name"
    if [ -z "$provides" ] || [ -n "${extra:-}" ]; then
        err "$where: want 4 columns: NAME | run-dom0.sh options | command line | provides"
        continue
    fi
    [ -z "${line_of[$name]:-}" ] || err "$where: a second line named $name (the first is line ${line_of[$name]})"
    line_of[$name]=$lineno
    [ "$provides" = - ] && provides=""
    tests=$(grep -o '\(^\| \)tests=[^ ]*' <<<"$args" | sed 's/.*tests=//' | tr '\n' ',')
    [ -n "$tests" ] || err "$where: no tests= on the command line"
    check_run "$where" runs.conf "$provides" "$tests" "$opts"
done < tests/guest/runs.conf

for f in tests/toolstack/checks/*.sh scripts/bench-*.sh; do
    [ -f "$f" ] || continue
    case $f in tests/toolstack/*) kind=toolstack ;; *) kind=bench ;; esac
    provides=$(sed -n 's/^# provides: *//p' "$f" | head -n1)
    # tests=a,b and tests=$tests,c: the literal names, whatever the quoting.
    tests=$(grep -o 'tests=[$A-Za-z0-9_,]*' "$f" | sed 's/^tests=//; s/\$[A-Za-z_]*//g' | tr '\n' ',')
    [ -n "$tests$provides" ] || continue
    check_run "$f" "$kind" "$provides" "$tests" "$(cat "$f")"
done

# A harness that picks its tests by need at run time (from tests=list)
# says so: `# runs every test that needs: NEED`.
for f in tests/toolstack/checks/*.sh scripts/conformance.sh; do
    [ -f "$f" ] || continue
    for p in $(sed -n 's/^# runs every test that needs: *//p' "$f"); do
        [[ $known_needs == *" $p "* ]] ||
            { err "$f: runs every test that needs '$p', which tests/guest/test.h does not list"; continue; }
        case $p:$f in
            domu:tests/toolstack/*|selftest:scripts/conformance.sh) ;;
            *) err "$f: runs every test that needs '$p', which this kind of run cannot provide" ;;
        esac
        for t in "${!need_of[@]}"; do
            [ "${need_of[$t]}" = "$p" ] && named[$t]=${named[$t]:-$f}
        done
    done
done

for t in "${!need_of[@]}"; do
    [ "${need_of[$t]}" = - ] || [ -n "${named[$t]:-}" ] ||
        err "${where_of[$t]}: $t needs '${need_of[$t]}' and no run names it (runs.conf, a toolstack check or a bench script)"
done

if [ "$errors" != 0 ]; then
    echo "check-runs-conf: $errors problems (tests/guest/test.h says what each need means)"
    exit 1
fi
echo "check-runs-conf: ${#need_of[@]} tests, $(grep -c '^[^#[:space:]]' tests/guest/runs.conf) runs.conf lines; every test with a need has a run that provides it"
