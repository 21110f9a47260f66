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

# The example stub domain (examples/vchan-echo): its stripped image, and
# the memory it uses at ready (booted as a 4 MiB dom0, where it says so
# and stops: there is nobody to serve).  Mini-OS's default build, for
# scale: 137.7 KB stripped, 4 MiB.
echo "== example stub domain (build/vchan-echo)"
if [ -f "$build/vchan-echo" ] && strip -o "$build/vchan-echo.stripped" "$build/vchan-echo"; then
    echo "  stripped image: $(stat -c %s "$build/vchan-echo.stripped") bytes (Mini-OS default: 137.7 KB)"
    if scripts/run-dom0.sh --dom0-mem 4M --timeout 120 --log "$build/logs/bench-vchan-echo.log" \
            "$build/vchan-echo" >/dev/null 2>&1; then
        grep -a -m1 'memory in use at ready' "$build/logs/bench-vchan-echo.log" | tr -d '\r' | sed 's/^/  /'
    else
        echo "  boot at 4 MiB failed: $build/logs/bench-vchan-echo.log"; status=1
    fi
else
    echo "  no build/vchan-echo (make examples)"; status=1
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
