#!/bin/bash
# Boot minnow as dom0 under Xen 4.17 in QEMU (TCG) and report how it ended.
#
#   scripts/run-dom0.sh [options] KERNEL [minnow command line...]
#     --show            stream the serial console to stdout while it runs
#     --mem MIB         QEMU memory (default 1024)
#     --dom0-mem SIZE   Xen dom0_mem (default 64M)
#     --dom0-max SIZE   dom0's maximum reservation (default: --dom0-mem)
#     --timeout SEC     wall-clock deadline; QEMU is killed by PID (default 60)
#     --log FILE        serial log (default build/logs/dom0-<pid>.log)
#     --xen-args ARGS   extra Xen command-line options
#     --xen PATH        boot this hypervisor (an ELF, gzipped or plain)
#                       instead of the packaged /boot/xen-4.17-amd64.gz
#     -h, --help        this text
#
# Exit status: 0 success (or all tests skipped), 1 test failure, 2 test
# error, 3 panic/fatal trap, 4 QEMU ended some other way, 124 deadline hit.
set -u

show=0 mem=1024 dom0_mem=64M dom0_max="" timeout=60 log="" xen_args="" xen_path=""
while [ $# -gt 0 ]; do
    case "$1" in
        --show) show=1; shift ;;
        --mem) mem=$2; shift 2 ;;
        --dom0-mem) dom0_mem=$2; shift 2 ;;
        --dom0-max) dom0_max=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        --xen-args) xen_args=$2; shift 2 ;;
        --xen) xen_path=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        -*) echo "run-dom0: unknown option $1" >&2; exit 4 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: $0 [options] KERNEL [args...] (--help lists the options)" >&2; exit 4; }
kernel=$1; shift
args="$*"

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
mkdir -p "$build/logs"
[ -n "$log" ] || log="$build/logs/dom0-$$.log"

# Xen ships gzipped; QEMU's multiboot loader wants the plain 32-bit ELF,
# unpacked once per hypervisor into build/.
xen_src=${xen_path:-/boot/xen-4.17-amd64.gz}
[ -s "$xen_src" ] || { echo "run-dom0: no hypervisor at $xen_src (run: make deps)" >&2; exit 4; }
xen=$xen_src
if gzip -t "$xen_src" 2>/dev/null; then
    xen="$build/xen-4.17-amd64"
    [ -z "$xen_path" ] || xen="$build/xen-plain-$(cksum <"$xen_src" | cut -d' ' -f1)"
    if [ ! -s "$xen" ] || [ "$xen_src" -nt "$xen" ]; then
        gunzip -c "$xen_src" > "$xen.tmp.$$" && mv "$xen.tmp.$$" "$xen" || {
            echo "run-dom0: cannot unpack $xen_src" >&2; exit 4; }
    fi
fi

# QEMU splits -initrd on commas; a doubled comma is a literal one.
module="$kernel ${args//,/,,}"

# -smap: Linux-style PV kernels and Xen's bounce frames trip over SMAP under TCG.
qemu-system-x86_64 -accel tcg -cpu max,-smap -m "$mem" -smp 1 \
    -nographic -no-reboot -net none -monitor none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$xen" \
    -append "console=com1 com1=115200 dom0_mem=$dom0_mem,max:${dom0_max:-$dom0_mem} dom0_max_vcpus=1 $xen_args" \
    -initrd "$module" </dev/null >"$log" 2>&1 &
qpid=$!

tailpid=""
if [ "$show" = 1 ]; then
    tail -n +1 -f --pid=$qpid "$log" 2>/dev/null | tr -d '\r' &
    tailpid=$!
fi

deadline=$((SECONDS + timeout))
while kill -0 $qpid 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
        kill $qpid 2>/dev/null; sleep 0.5; kill -9 $qpid 2>/dev/null
        wait $qpid 2>/dev/null
        [ -n "$tailpid" ] && wait $tailpid 2>/dev/null
        echo "run-dom0: TIMEOUT after ${timeout}s (log: $log)" >&2
        exit 124
    fi
    sleep 0.1
done
wait $qpid
status=$?
[ -n "$tailpid" ] && wait $tailpid 2>/dev/null

case $status in
    33|39) exit 0 ;;          # success / skip
    35) exit 1 ;;             # failure
    37) exit 2 ;;             # error
    63) exit 3 ;;             # panic or fatal trap
    *) echo "run-dom0: QEMU exited with status $status (log: $log)" >&2; exit 4 ;;
esac
