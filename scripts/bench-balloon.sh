#!/bin/bash
# The balloon's throughput under real Xen (QEMU TCG): minnow boots as dom0
# with room to balloon (64M, max 128M) and runs the balloon_bench guest test,
# which moves 32 MiB down and up for batch sizes 64 (Mini-OS's), 512 (Linux's)
# and 2048, scrub off and on, and prints one `BENCH balloon ...` line each.
# The host-side numbers (the Xen model) come from build/host/bench/bench_balloon.
#
#   scripts/bench-balloon.sh        (make bench calls it through run-bench.sh)
#
# provides: dom0-balloon-headroom
set -u
cd "$(dirname "$0")/.."
build=${BUILD:-build}
log="$build/logs/bench-balloon.log"
mkdir -p "$build/logs"

scripts/run-dom0.sh --log "$log" --mem 1024 --dom0-mem 64M --dom0-max 128M \
    --timeout 180 "$build/minnow-test" tests=balloon_bench
rc=$?
tr -d '\r' <"$log" | grep -a -o 'BENCH balloon .*' | sed 's/^BENCH /  /'
result=$(tr -d '\r' <"$log" | grep -a -o 'TEST balloon_bench: [A-Z]*.*')
echo "  ${result:-TEST balloon_bench: no result (log $log)}"
[ $rc -eq 0 ] && echo "$result" | grep -q ': PASS'
