# The conformance tests that need minnow as a domU (TEST_NEEDS("domu") in
# tests/conformance/): the suite's image lists its tests (tests=list), then
# runs those in a domain; a test that ends the domain is a CRASH and the
# rest run in a new one (tests_after=).  Each result goes to the console as
# `CONFORMANCE-DOMU RESULT <test> <status> <message>` for
# scripts/conformance.sh, which puts it into its matrix.  XTF's words, as
# tests/toolstack/conformance.awk reads them from the domain's console and
# `xl dmesg` (what Xen said when it killed the domain).
# runs every test that needs: domu
# order: 130
# timeout: 240
. /toolstack/lib.sh

IMAGE=/toolstack/minnow-conformance
[ -f "$IMAGE" ] || skip "no $IMAGE (build/minnow-conformance was not built)"

# boot N EXTRA: one domain of the suite with command line EXTRA, until its
# `Test result:` line or its end; its console and Xen's messages go to
# $CHECK_DIR/boot-N.log.
boot() {
    local name=conformance$1
    xl dmesg -c >/dev/null 2>&1         # Xen's words about this domain only
    domu_create "$name" minnow.cfg "kernel=\"$IMAGE\"" 'on_poweroff="preserve"' \
        "extra=\"$2\"" >/dev/null || fail "xl create ($2): $(xl_create_error)"
    wait_console "$name" '^Test result: ' 120 || log "$name: no 'Test result:' line"
    { console_text "$name"; xl dmesg 2>&1 | tr -d '\r'; } >"$CHECK_DIR/boot-$1.log"
    xl destroy "$name" >/dev/null 2>&1
}

boot 0 tests=list
tests=$(sed -n 's/^TEST-LIST \([A-Za-z0-9_]*\) domu$/\1/p' "$CHECK_DIR/boot-0.log" | tr '\n' ' ')
grep -q '^Test result: SUCCESS' "$CHECK_DIR/boot-0.log" || fail "tests=list did not succeed"
[ -n "$tests" ] || skip "the suite has no test that needs a domU"

sel=$(echo $tests | tr ' ' ',')
after="" n=1 counts=""
while :; do
    rest=$(echo " $tests" | sed "s/.* $after //; s/^ //")
    [ -n "$after" ] || rest=$tests
    boot $n "tests=$sel${after:+ tests_after=$after}"
    next=""
    awk -v order="$rest" -f /toolstack/conformance.awk "$CHECK_DIR/boot-$n.log" >"$CHECK_DIR/parsed-$n"
    while read -r kind name status msg; do
        case $kind in
            RESULT) echo "CONFORMANCE-DOMU RESULT $name $status $msg" >/dev/console
                    echo "$name $status $msg"
                    counts="$counts $status" ;;
            RESUME) next=$name ;;
            NOBOOT) fail "minnow did not reach its tests (boot $n)" ;;
        esac
    done <"$CHECK_DIR/parsed-$n"
    [ -n "$next" ] || break
    after=$next n=$((n + 1))
done

summary=$(for s in $counts; do echo "$s"; done | sort | uniq -c | awk '{ printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2 }')
case " $counts " in
    *" FAILURE "*|*" CRASH "*|*" ERROR "*) fail "$summary in $n domain(s)" ;;
esac
[ -n "$counts" ] || fail "no result in $n domain(s)"
pass "$summary in $n domain(s)"
