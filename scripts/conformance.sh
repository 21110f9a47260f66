#!/bin/bash
# The hypervisor ABI conformance suite (tests/conformance/, linked as
# build/minnow-conformance) on several Xen hypervisors, side by side: does
# this Xen behave like that one?
#
#   scripts/conformance.sh [options]
#     --xen [LABEL=]PATH  run on this hypervisor (an ELF, gzipped or plain)
#                         instead of the defaults; may be given more than once
#     --default           only the installed Xen 4.17 (what make test runs)
#     --selftest          also the runner's self-tests (tests/conformance/selftest.c):
#                         a wrong expectation, a fault in minnow, a domain Xen kills
#     --no-domu           leave out the tests that run as a domU (toolstack)
#     --tests A,B,...     run only these tests as dom0 (in the image's order,
#                         whatever they need); implies --no-domu
#     --timeout SEC       deadline of one boot (default 150)
#     --image PATH        the suite (default build/minnow-conformance)
#     --out DIR           results (default build/conformance)
#     --counts            print the number of tests per ABI area and exit
#
# The default hypervisors, all from Debian (cached under build/):
#   4.17        Debian 12's xen-hypervisor-4.17-amd64, installed (/boot)
#   4.20        Debian 13's xen-hypervisor-4.20-amd64 (scripts/fetch-xen-deb.sh)
#   4.17-debug  Debian 12's xen source with debug=y (scripts/build-xen.sh debug)
#
# Each hypervisor boots minnow as dom0 (no toolstack) with tests=all; a
# test that ends the domain (minnow's fatal trap, or Xen killing it) is a
# CRASH and the rest run in a fresh boot (tests_after=, tests/guest/runner.c).
# The tests that need a domU (TEST_NEEDS("domu")) run on the first default
# hypervisor only, under the toolstack harness (check conformance_domu).
#
# Prints one line per test and hypervisor, then the matrix test x hypervisor,
# and writes OUT/results.json.  Exit status as xtf-runner's, the worst result
# wins: 0 SUCCESS, 3 SKIP, 4 ERROR, 5 FAILURE, 6 CRASH.
# (For scripts/check-runs-conf.sh, with --selftest:)
# runs every test that needs: selftest
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 4

image=build/minnow-conformance out=build/conformance timeout=150
selftest=0 domu=1 default_only=0 counts=0 only=""
hvs=()                          # LABEL=PATH, in matrix column order
while [ $# -gt 0 ]; do
    case $1 in
        --xen) case $2 in *=*) hvs+=("$2") ;; *) hvs+=("$(basename "$2")=$2") ;; esac
               domu=0; shift 2 ;;
        --default) default_only=1; shift ;;
        --selftest) selftest=1; shift ;;
        --no-domu) domu=0; shift ;;
        --tests) only=$2; domu=0; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --image) image=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --counts) counts=1; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "conformance: unknown argument '$1' (--help)" >&2; exit 4 ;;
    esac
done
[ -s "$image" ] || { echo "conformance: no $image (run make)" >&2; exit 4; }
mkdir -p "$out"
rm -rf "$out/boots" "$out"/results.tsv "$out"/hypervisors.tsv
mkdir -p "$out/boots"
: >"$out/results.tsv"
: >"$out/hypervisors.tsv"

if [ ${#hvs[@]} = 0 ]; then
    hvs=("4.17=/boot/xen-4.17-amd64.gz")
    if [ $default_only = 0 ] && [ $counts = 0 ]; then
        p=$(scripts/fetch-xen-deb.sh trixie xen-hypervisor-4.20-amd64) &&
            hvs+=("4.20=$p") || echo "conformance: no Xen 4.20 (fetch-xen-deb.sh failed)" >&2
        p=$(scripts/build-xen.sh debug) &&
            hvs+=("4.17-debug=$p") || echo "conformance: no debug Xen (build-xen.sh failed)" >&2
    fi
fi

# One boot of the suite as dom0: run_boot HYPERVISOR LOG ARGS...
run_boot() {
    local xen=$1 log=$2; shift 2
    # loglvl/guest_loglvl: a debug Xen says why it refused or killed something.
    # (its complaint about how QEMU ended goes to the log: a dom0 Xen kills
    # reboots the machine, which is how such a boot ends)
    scripts/run-dom0.sh --xen "$xen" --timeout "$timeout" --log "$log" \
        --xen-args "loglvl=all guest_loglvl=all" "$image" "$@" 2>>"$log.stderr"
}

# ---- the image's tests, in run order, with their needs (tests=list; one
# boot per image, kept next to the results)
list_log=$out/list-$(cksum <"$image" | cut -d' ' -f1).log
if ! grep -q 'Test result: SUCCESS' "$list_log" 2>/dev/null; then
    rm -f "$out"/list-*.log
    run_boot "${hvs[0]#*=}" "$list_log" tests=list
fi
declare -A need_of
order=()
while read -r _ name need; do
    need_of[$name]=$need
    order+=("$name")
done < <(tr -d '\r' <"$list_log" | grep -a -o 'TEST-LIST [A-Za-z0-9_]* [a-z0-9-]*')
[ ${#order[@]} -gt 0 ] ||
    { echo "conformance: $image listed no tests (log $list_log)" >&2; exit 4; }

# The ABI area of a test: the longest known prefix of its name, else its first word.
areas="xen_version memory_op mmu_update mmuext update_va_mapping uvm multicall
       grant_table gnttab event_channel evtchn sched_op vcpu_op set_trap_table
       stack_switch fpu_taskswitch debugreg set_segment_base vm_assist console_io
       physdev_op xsa selftest"
area_of() {
    local a best=""
    case $1 in xsa[0-9]*) echo xsa; return ;; esac   # xsa286_...: one area
    for a in $areas; do
        case $1 in "$a"_*) [ ${#a} -gt ${#best} ] && best=$a ;; esac
    done
    echo "${best:-${1%%_*}}"
}

if [ $counts = 1 ]; then
    for t in "${order[@]}"; do
        [ "${need_of[$t]}" = selftest ] || echo "$(area_of "$t") ${need_of[$t]}"
    done | sort | uniq -c | awk '
        { n[$2] += $1; if ($3 == "domu") d[$2] += $1; total += $1 }
        END { print "| ABI area | tests | of them as a domU |"; print "|---|---|---|"
              for (a in n) printf "| %s | %d | %d |\n", a, n[a], d[a] | "sort"
              close("sort"); printf "| **total** | **%d** | |\n", total }'
    exit 0
fi

# What each part runs: the dom0 part is `all` (tests that need nothing),
# plus the self-tests when asked, or the tests of --tests; the domU part is
# every test needing domu.
dom0_tests=() domu_tests=() dom0_arg=all
for t in ${only//,/ }; do
    [ -n "${need_of[$t]:-}" ] || { echo "conformance: --tests: no test named '$t'" >&2; exit 4; }
done
[ -z "$only" ] || dom0_arg=$only
for t in "${order[@]}"; do
    if [ -n "$only" ]; then
        [[ ",$only," == *",$t,"* ]] && dom0_tests+=("$t")
        continue
    fi
    case ${need_of[$t]} in
        -) dom0_tests+=("$t") ;;
        selftest) [ $selftest = 1 ] && { dom0_tests+=("$t"); dom0_arg="$dom0_arg,$t"; } ;;
        domu) domu_tests+=("$t") ;;
    esac
done

record() {      # record HV TEST STATUS MESSAGE
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$out/results.tsv"
    printf '[%s] %s: %s%s\n' "$1" "$2" "$3" "${4:+ $4}"
}

# The hypervisor's banner: version (with extraversion and Debian's
# version), debug=y|n and the build id, from Xen's boot messages.
identify() {    # identify LABEL PATH LOG
    local clean version debug build_id
    clean=$(tr -d '\r' <"$3")
    version=$(grep -a -o 'Xen version [^ ]* ([^)]*)' <<<"$clean" | head -n1 | sed 's/^Xen version //')
    debug=$(grep -a -o 'debug=[yn]' <<<"$clean" | head -n1 | cut -d= -f2)
    build_id=$(grep -a -o 'build-id: [0-9a-f]*' <<<"$clean" | head -n1 | cut -d' ' -f2)
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${version:-unknown}" "${build_id:-unknown}" \
        "${debug:-?}" >>"$out/hypervisors.tsv"
    echo "conformance: $1: Xen ${version:-(no banner)} debug=${debug:-?} build-id ${build_id:-?}"
}

# The suite as dom0 on one hypervisor, a fresh boot after each crash.
run_dom0() {    # run_dom0 LABEL PATH
    local label=$1 xen=$2 after="" boot=0 log rest skipping t kind name status msg
    while :; do
        boot=$((boot + 1))
        log=$out/boots/$label-$boot.log
        rest=() skipping=${after:+1}
        for t in "${dom0_tests[@]}"; do
            [ -n "$skipping" ] && { [ "$t" = "$after" ] && skipping=""; continue; }
            rest+=("$t")
        done
        run_boot "$xen" "$log" "tests=$dom0_arg" ${after:+tests_after=$after}
        [ $boot = 1 ] && identify "$label" "$xen" "$log"
        local next=""
        while read -r kind name status msg; do
            case $kind in
                RESULT) record "$label" "$name" "$status" "$msg" ;;
                RESUME) next=$name ;;
                NOBOOT)
                    for t in "${rest[@]}"; do
                        record "$label" "$t" ERROR "minnow did not reach its tests on this Xen (log $log)"
                    done ;;
            esac
        done < <(awk -v order="${rest[*]}" -f tests/toolstack/conformance.awk "$log")
        [ -n "$next" ] || break
        echo "conformance: [$label] $next ended the boot; the rest in a fresh boot"
        after=$next
    done
}

for hv in "${hvs[@]}"; do
    run_dom0 "${hv%%=*}" "${hv#*=}"
done

# ---- the domU part, on the first default hypervisor (the toolstack's own)
domu_label=""
if [ $domu = 1 ] && [ ${#domu_tests[@]} -gt 0 ]; then
    domu_label=${hvs[0]%%=*}
    echo "conformance: [$domu_label] ${#domu_tests[@]} tests as a domU (toolstack check conformance_domu)"
    ts_out=$(scripts/run-toolstack.sh --timeout 480 conformance_domu 2>&1)
    ts_log=$(grep -a -o 'log: [^ ]*' <<<"$ts_out" | tail -n1 | cut -d' ' -f2)
    got=0
    if [ -n "$ts_log" ] && [ -f "$ts_log" ]; then
        while read -r _ _ name status msg; do
            record "$domu_label" "$name" "$status" "$msg"
            got=$((got + 1))
        done < <(tr -d '\r' <"$ts_log" | grep -a -o 'CONFORMANCE-DOMU RESULT .*')
    fi
    if [ $got = 0 ]; then
        for t in "${domu_tests[@]}"; do
            record "$domu_label" "$t" ERROR "the toolstack run gave no result: $(grep -a '^CHECK' <<<"$ts_out" | head -n1)"
        done
    fi
fi

# ---- the matrix, the JSON, the exit status
labels=()
for hv in "${hvs[@]}"; do labels+=("${hv%%=*}"); done
echo
awk -F'\t' -v labels="${labels[*]}" -v order="${order[*]}" '
    BEGIN { nl = split(labels, L, " "); no = split(order, O, " "); w = 4 }
    { s[$2, $1] = $3; if (length($2) > w) w = length($2) }
    END {
        printf "  %-" w "s", "test"
        for (j = 1; j <= nl; j++) printf "  %-10s", L[j]
        printf "\n"
        for (i = 1; i <= no; i++) {
            t = O[i]; any = 0; diff = 0; first = ""
            for (j = 1; j <= nl; j++) if ((t, L[j]) in s) {
                any = 1
                if (first == "") first = s[t, L[j]]; else if (s[t, L[j]] != first) diff = 1
            }
            if (!any) continue
            printf "%s %-" w "s", diff ? "*" : " ", t
            for (j = 1; j <= nl; j++) printf "  %-10s", ((t, L[j]) in s) ? s[t, L[j]] : "-"
            printf "\n"
        }
        print "(* the result differs between hypervisors; - not run there)"
    }' "$out/results.tsv"

worst=SUCCESS
rank() { case $1 in SUCCESS) echo 0 ;; SKIP) echo 3 ;; ERROR) echo 4 ;; FAILURE) echo 5 ;; *) echo 6 ;; esac; }
while IFS=$'\t' read -r _ _ status _; do
    [ "$(rank "$status")" -gt "$(rank "$worst")" ] && worst=$status
done <"$out/results.tsv"
[ -s "$out/results.tsv" ] || worst=ERROR
code=$(rank "$worst")

json_escape='function j(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s);
                              gsub(/[\001-\037]/, "?", s); return "\"" s "\"" }'
{
    printf '{\n  "result": "%s",\n  "exit_status": %d,\n  "image": "%s",\n  "hypervisors": [\n' \
        "$worst" "$code" "$image"
    awk -F'\t' -v domu="$domu_label" "$json_escape"'
        { printf "%s    {\"name\": %s, \"path\": %s, \"version\": %s, \"build_id\": %s, \"debug\": %s, \"domu_tests\": %s}",
                 (NR > 1 ? ",\n" : ""), j($1), j($2), j($3), j($4), j($5),
                 $1 == domu ? "true" : "false" }
        END { print "" }' "$out/hypervisors.tsv"
    printf '  ],\n  "tests": {\n'
    awk -F'\t' -v order="${order[*]}" -v needs="$(for t in "${order[@]}"; do printf '%s ' "${need_of[$t]}"; done)" \
        -v areas="$(for t in "${order[@]}"; do printf '%s ' "$(area_of "$t")"; done)" "$json_escape"'
        BEGIN { no = split(order, O, " "); split(needs, N, " "); split(areas, A, " ") }
        { r[$2] = r[$2] (r[$2] != "" ? ", " : "") j($1) ": {\"status\": " j($3) ", \"message\": " j($4) "}" }
        END {
            for (i = 1; i <= no; i++) if (O[i] in r)
                printf "%s    %s: {\"area\": %s, \"needs\": %s, \"results\": {%s}}", (n++ ? ",\n" : ""),
                       j(O[i]), j(A[i]), j(N[i]), r[O[i]]
            print ""
        }' "$out/results.tsv"
    printf '  }\n}\n'
} >"$out/results.json"

echo "conformance: $(cut -f3 "$out/results.tsv" | sort | uniq -c | awk '{ printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2 }')"
echo "conformance: results in $out/results.json; boot logs in $out/boots/"
echo "Conformance result: $worst"
exit "$code"
