#!/bin/bash
# Boot Xen + a Debian Linux dom0 with the Xen toolstack in QEMU (TCG) and
# run the toolstack checks of tests/toolstack/checks/ against minnow domUs.
#
#   scripts/run-toolstack.sh [options] [check ...]   default: every check
#     --list             list the checks and exit (not the "# manual:" ones,
#                        which run only when named)
#     --domu [SECS]      instead of checks: start one minnow domU and show
#                        its console until it ends or SECS (60) pass
#     --extra "ARGS"     minnow command line for --domu
#     --shell            instead of checks: a dom0 shell on this terminal
#     --minnow PATH      guest image (default build/minnow-test)
#     --linux-domu       carry a Linux PV domU into dom0 (Debian's kernel and
#                        a busybox initramfs: tests/toolstack/linux.cfg)
#     --minnow-bench PATH  minnow's bench app, /toolstack/minnow-bench
#     --xen VARIANT      boot a hypervisor built from Debian's xen source
#                        (scripts/build-xen.sh: shadow, debug; built once)
#                        instead of the packaged one
#     --timeout SECS     wall-clock limit for QEMU (default 280)
#     --out DIR          where the initrd, the logs and the lock go
#                        (default build/toolstack); runs with different
#                        DIRs can go on at the same time
#     --quiet            print only the summary line, not the CHECK lines
#
# Prints the dom0's CHECK/DIAG/TOOLSTACK lines (see tests/toolstack/init)
# and the path of the full serial log.  Exit status: 0 when every check
# ran and none failed; 1 when a check failed; 2 when the run timed out or
# the toolstack never came up.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/build/toolstack
MINNOW=$REPO/build/minnow-test
MODE=checks
DOMU_SECS=60
DOMU_EXTRA=""
TIMEOUT=280
TIMEOUT_SET=0
QUIET=0
XEN_VARIANT=""
CHECKS=()
EXTRA_PARTS=()

while [ $# -gt 0 ]; do
    case $1 in
    --list)     # not the "# manual:" ones (make test runs what this lists)
        for f in "$REPO"/tests/toolstack/checks/*.sh; do
            grep -q '^# manual:' "$f" || basename "$f" .sh
        done
        exit 0 ;;
    --domu)
        MODE=domu
        if [[ ${2:-} =~ ^[0-9]+$ ]]; then DOMU_SECS=$2; shift; fi
        shift ;;
    --extra)   DOMU_EXTRA=$2; shift 2 ;;
    --shell)   MODE=shell; shift ;;
    --minnow)  MINNOW=$2; shift 2 ;;
    --linux-domu) EXTRA_PARTS+=(--linux-domu); shift ;;
    --minnow-bench) EXTRA_PARTS+=(--minnow-bench "$2"); shift 2 ;;
    --xen)     XEN_VARIANT=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; TIMEOUT_SET=1; shift 2 ;;
    --out)     OUT=$2; shift 2 ;;
    --quiet)   QUIET=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-toolstack: unknown option '$1'" >&2; exit 2 ;;
    *)
        [ -f "$REPO/tests/toolstack/checks/$1.sh" ] ||
            [ -f "$REPO/tests/toolstack/bench/$1.sh" ] ||
            { echo "run-toolstack: no check or benchmark '$1' (see --list)" >&2; exit 2; }
        CHECKS+=("$1"); shift ;;
    esac
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# The lock covers building the initrd (all modes) and, for checks, the whole
# run (run.log is shared).  --domu/--shell boot a private copy of the initrd
# and write their own log, so a long interactive session blocks nobody.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
    echo "run-toolstack: another run holds $OUT/.lock; waiting" >&2
    flock 9
fi

T_START=$(now)
RUNCONF=$OUT/run.conf
{
    printf 'DOMU_SECS=%q\n' "$DOMU_SECS"
    printf 'DOMU_EXTRA=%q\n' "$DOMU_EXTRA"
} > "$RUNCONF"
"$REPO/tests/toolstack/build-initramfs.sh" --minnow "$MINNOW" --out "$OUT" \
    --run-conf "$RUNCONF" ${EXTRA_PARTS[@]+"${EXTRA_PARTS[@]}"}
T_INITRD=$(elapsed "$T_START")
# The packaged Xen, gunzipped by build-initramfs.sh, or a source-built one.
XEN_ELF=$OUT/xen
if [ -n "$XEN_VARIANT" ]; then
    XEN_ELF=$("$REPO/scripts/build-xen.sh" "$XEN_VARIANT") ||
        { echo "run-toolstack: no $XEN_VARIANT Xen (scripts/build-xen.sh failed)" >&2; exit 2; }
fi

# ------------------------------------------------------------ command lines
# Xen: serial console, a fixed-size dom0 so the rest is free for domUs.
# bootscrub=0: scrubbing 600 MiB in TCG would slow down the first domain
# builds for no benefit in a throw-away machine.
# xsave=0: with XSAVE, dom0 processes crash now and then (segfaults, ld.so
# inconsistencies) while a domU uses SSE heavily, e.g. minnow ballooning
# (measured under QEMU TCG; gone with xsave=0, Xen then uses fxsave).
XEN_ARGS="console=com1 dom0_mem=384M,max:384M dom0_max_vcpus=1 bootscrub=0 xsave=0"
XEN_ARGS="$XEN_ARGS loglvl=all guest_loglvl=all"
# The dom0 must finish its checks before our deadline: leave 30 s for Xen's
# boot and the power-off.
BUDGET=$((TIMEOUT > 60 ? TIMEOUT - 30 : TIMEOUT / 2))
# dom0 Linux: console on Xen's console (hvc0), quiet serial, our /init.
DOM0_ARGS="console=hvc0 loglevel=3 rdinit=/init minnow.mode=$MODE minnow.budget=$BUDGET"
if [ ${#CHECKS[@]} -gt 0 ]; then
    DOM0_ARGS="$DOM0_ARGS minnow.checks=$(IFS=+; echo "${CHECKS[*]}")"
fi

QEMU=(qemu-system-x86_64 -accel tcg -cpu max,-smap -m 1024 -smp 1
      -nographic -no-reboot -net none
      -kernel "$XEN_ELF" -append "$XEN_ARGS"
      -initrd "$OUT/vmlinux $DOM0_ARGS,$OUT/dom0-initrd.img")

# Each run keeps its own log (run.log points at the latest; the last 5 stay)
# so a run that follows cannot overwrite the one you are reading.
LOG=$OUT/run-$(date +%Y%m%d-%H%M%S)-$$.log
if [ "$MODE" != checks ]; then
    PRIVATE_INITRD=$OUT/initrd-$MODE-$$.img
    cp "$OUT/dom0-initrd.img" "$PRIVATE_INITRD"
    trap 'rm -f "$PRIVATE_INITRD"' EXIT
    QEMU[${#QEMU[@]}-1]="$OUT/vmlinux $DOM0_ARGS,$PRIVATE_INITRD"
    LOG=$OUT/$MODE-$$.log
    exec 9>&-
fi
: > "$LOG"
if [ "$MODE" = checks ]; then
    ln -sfn "$(basename "$LOG")" "$OUT/run.log"
    ls -t "$OUT"/run-*.log 2>/dev/null | tail -n +6 | xargs -r rm -f
fi
T_QEMU=$(now)
if [ "$MODE" != checks ]; then
    # Interactive: the terminal is the serial line; the log is a copy.
    # --shell has no deadline unless --timeout was given.
    echo "run-toolstack: QEMU serial on this terminal (Ctrl-A X quits); log: $LOG"
    # (explicit <&0: a background job would otherwise read /dev/null)
    "${QEMU[@]}" <&0 > >(tee "$LOG") 2>&1 &
    QEMU_PID=$!
    if [ "$MODE" = shell ] && [ "$TIMEOUT_SET" = 0 ]; then
        wait "$QEMU_PID"
        exit $?
    fi
    [ "$MODE" = domu ] && [ "$TIMEOUT_SET" = 0 ] && TIMEOUT=$((DOMU_SECS + 60))
    deadline=$(( $(date +%s) + TIMEOUT ))
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "run-toolstack: QEMU killed after ${TIMEOUT} s"
            kill "$QEMU_PID" 2>/dev/null || true
            sleep 2
            kill -KILL "$QEMU_PID" 2>/dev/null || true
            exit 2
        fi
        sleep 0.5
    done
    wait "$QEMU_PID"
    exit $?
fi

# ------------------------------------------------------------ checks
"${QEMU[@]}" </dev/null >"$LOG" 2>&1 &
QEMU_PID=$!

# Stream the harness lines while QEMU runs (serial lines end in \r\n and may
# carry Xen/SeaBIOS bytes in front: match anywhere, print from the keyword).
# Also note when the toolstack came up, in host seconds since QEMU started.
show_lines() {
    local line
    grep --line-buffered -aoE '(CHECK|DIAG|TOOLSTACK|BENCH) .*$' |
    while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
        "TOOLSTACK UP "*) elapsed "$T_QEMU" > "$OUT/up.time" ;;
        esac
        [ "$QUIET" = 1 ] || printf '%s\n' "$line"
    done
}
rm -f "$OUT/up.time"
tail -n +1 -f --pid="$QEMU_PID" "$LOG" 2>/dev/null | show_lines &
TAIL_PID=$!

TIMED_OUT=0
deadline=$(( $(date +%s) + TIMEOUT ))
while kill -0 "$QEMU_PID" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        TIMED_OUT=1
        kill "$QEMU_PID" 2>/dev/null || true
        sleep 2
        kill -KILL "$QEMU_PID" 2>/dev/null || true
        break
    fi
    sleep 0.5
done
wait "$QEMU_PID" 2>/dev/null || true
wait "$TAIL_PID" 2>/dev/null || true
T_RUN=$(elapsed "$T_QEMU")

clean=$(tr -d '\r' < "$LOG")
up=$(grep -aoE 'TOOLSTACK UP [0-9.]+' <<<"$clean" | awk '{ print $3 }' | head -n1)
done_line=$(grep -aoE 'TOOLSTACK DONE .*$' <<<"$clean" | head -n1 || true)
npass=$(grep -acE 'CHECK [A-Za-z0-9_-]+: PASS' <<<"$clean" || true)
nfail=$(grep -acE 'CHECK [A-Za-z0-9_-]+: FAIL' <<<"$clean" || true)
nskip=$(grep -acE 'CHECK [A-Za-z0-9_-]+: SKIP' <<<"$clean" || true)

status=0
[ "$nfail" -gt 0 ] && status=1
if [ "$TIMED_OUT" = 1 ]; then
    echo "CHECK toolstack_run: FAIL QEMU killed after ${TIMEOUT} s"
    status=2
elif [ -z "$done_line" ]; then
    err=$(grep -aoE 'TOOLSTACK ERROR .*$' <<<"$clean" | head -n1 || true)
    echo "CHECK toolstack_run: FAIL ${err:-dom0 ended without TOOLSTACK DONE}"
    status=2
fi
host_up=$(cat "$OUT/up.time" 2>/dev/null || echo '?')
echo "toolstack${XEN_VARIANT:+ ($XEN_VARIANT Xen)}: pass=$npass fail=$nfail skip=$nskip; initrd ${T_INITRD} s," \
     "xl list ${host_up} s after QEMU start (dom0 uptime ${up:-?} s), QEMU ${T_RUN} s; log: $LOG"
exit $status
