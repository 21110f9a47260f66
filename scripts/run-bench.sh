#!/bin/bash
# make bench: every host benchmark (build/host/bench/bench_*), then every
# scripts/bench-*.sh (benchmarks that boot minnow under Xen).  Each prints
# its own results, with ratios against a baseline measured in the same run.
set -u
cd "$(dirname "$0")/.."
build=${BUILD:-build}
status=0
for b in "$build"/host/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || status=1
done
for s in scripts/bench-*.sh; do
    [ -x "$s" ] || continue
    echo "== $(basename "$s")"
    "$s" || status=1
done
exit $status
