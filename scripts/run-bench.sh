#!/bin/bash
# make bench: the sizes of the two images, every host benchmark
# (build/host/bench/bench_*), then every scripts/bench-*.sh (benchmarks that
# boot minnow under Xen).  Each prints its own results, with ratios against
# a baseline measured in the same run.
set -u
cd "$(dirname "$0")/.."
build=${BUILD:-build}
status=0

# What the in-guest suite adds to the unikernel: size(1)'s text, data and
# bss of build/minnow (no tests) and build/minnow-test.
echo "== image sizes (bytes)"
if sizes=$(size "$build/minnow" "$build/minnow-test"); then
    awk 'NR == 1 { printf "  %-20s %9s %9s %9s %9s\n", "image", "text", "data", "bss", "total"; next }
         { printf "  %-20s %9d %9d %9d %9d\n", $6, $1, $2, $3, $4; text[NR] = $1; total[NR] = $4 }
         END { printf "  minnow-test / minnow: %.2fx text, %.2fx total\n",
                      text[3] / text[2], total[3] / total[2] }' <<<"$sizes"
else
    status=1
fi

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
