#!/bin/bash
# Build and run the libFuzzer target for the E820 sanitizer + planner.
#
#   scripts/fuzz.sh                 bounded: 20000 executions from the seeds
#                                   (make test); prints one line
#                                   "FUZZ e820: PASS|FAIL <detail>"
#   scripts/fuzz.sh --time SECONDS  long run (make fuzz), keeps its corpus in
#                                   build/fuzz/corpus-e820 between runs
#
# The target checks the invariants itself (tests/unit/e820_check.c) and
# aborts on a violation; libFuzzer then writes the input to
# build/fuzz/crash-*, which replays with: build/fuzz/fuzz_e820 FILE
set -u
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
OUT=$BUILD/fuzz
RUNS=20000
TIME=
case "${1:-}" in
    --time) TIME=${2:?--time needs seconds} ;;
    --runs) RUNS=${2:?--runs needs a count} ;;
    "") ;;
    *) echo "usage: $0 [--runs N | --time SECONDS]" >&2; exit 2 ;;
esac

result() { echo "FUZZ e820: $*"; }

CLANG=$(command -v clang-14 || command -v clang || true)
if [ -z "$CLANG" ]; then
    result "FAIL clang not found (apt-get install clang-14 libclang-rt-14-dev)"
    exit 1
fi

mkdir -p "$OUT"
SRCS="tests/fuzz/fuzz_e820.c mm/e820.c mm/e820_plan.c tests/unit/e820_check.c"
BIN=$OUT/fuzz_e820
# Rebuild only when a source or header changed.
if [ ! -x "$BIN" ] || [ -n "$(find $SRCS include/minnow/e820.h include/minnow/e820_plan.h \
        tests/unit/e820_check.h "$0" -newer "$BIN" 2>/dev/null)" ]; then
    if ! "$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
            -fno-sanitize-recover=undefined -Iinclude -Iarch/x86_64/include -Itests/unit \
            -DMINNOW_HOST_TEST -D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__ \
            $SRCS -o "$BIN" 2>"$OUT/build.log"; then
        result "FAIL build failed, see $OUT/build.log"
        exit 1
    fi
fi

# Seeds: the maps the unit tests know, in the target's input format.
SEEDS=$OUT/seeds-e820
mkdir -p "$SEEDS"
python3 - "$SEEDS" <<'EOF' || { result "FAIL could not write seeds"; exit 1; }
import struct, sys, os
d = sys.argv[1]
def header(mode, nr_pages, limit, keep=()):
    h = struct.pack('<BQQ', mode | (len(keep) << 1), nr_pages, limit)
    for s, l in list(keep) + [(0, 0)] * (3 - len(keep)):
        h += struct.pack('<II', s, l)
    return h
def e(a, s, t): return struct.pack('<QQI', a, s, t)
M, G = 1 << 20, 1 << 30
qemu1g = [e(0, 0x9fc00, 1), e(0x9fc00, 0x400, 2), e(0xf0000, 0x10000, 2),
          e(0x100000, 0x3fee0000, 1), e(0x3ffe0000, 0x20000, 2), e(0xfec00000, 0x1000, 2),
          e(0xfee00000, 0x100000, 2), e(0xfffc0000, 0x40000, 2),
          e(0xfd00000000, 0x10000000000 - 0xfd00000000, 2)]
qemu4g = qemu1g[:3] + [e(0x100000, 0xbfee0000, 1), e(0xbffe0000, 0x20000, 2)] + \
         qemu1g[5:8] + [e(0x100000000, 0x40000000, 1), qemu1g[8]]
seed = [e(0, 1029 * M, 1), e(1029 * M, M, 3), e(1792 * M, 128 * M, 2),
        e(2001 * M, (3072 - 1029) * M, 1)]
seeds = {
    'qemu-1g-64m': header(0, 0x4000, 1 << 27) + b''.join(qemu1g),
    'qemu-1g-keep': header(0, 0x4000, 1 << 27, [(1, 0xa8)]) + b''.join(qemu1g),
    'qemu-4g-3584m': header(0, 0xe0000, 1 << 27) + b''.join(qemu4g),
    'qemu-4g-4096m': header(0, 0x100000, 1 << 27) + b''.join(qemu4g),
    'seed-1g': header(0, 0x40000, 1 << 27) + b''.join(seed),
    'garbage': header(0, 0x800, 1 << 40) + e(M, 0, 1) + e(2**64 - 4096, 8192, 1) +
               e(2**52 - 4096, 2**64 - 2**48, 2) + e(2 * M, M, 99) + e(0, 8 * M, 1),
    # every type overlapping its neighbours, on ragged byte boundaries
    'precedence': header(0, 0x2000, 0x10000) +
                  b''.join(e(i * M + 0x123, 2 * M, t)
                           for i, t in enumerate([1, 3, 4, 12, 7, 2, 6, 5, 1, 5, 6, 2, 7, 12, 4, 3, 1])),
    'fragmented': header(1, 300, 1000) +
                  b''.join(struct.pack('<HHB', 0, 0, 0) + struct.pack('<HHB', 0, 0, 3)
                           for _ in range(150)) +
                  b''.join(struct.pack('<HHB', 1, 0, 0) for _ in range(150)),
}
for name, blob in seeds.items():
    with open(os.path.join(d, name), 'wb') as f:
        f.write(blob)
EOF

if [ -n "$TIME" ]; then
    CORPUS=$OUT/corpus-e820
    mkdir -p "$CORPUS"
    LIMIT_ARGS="-max_total_time=$TIME"
else
    CORPUS=$(mktemp -d "$OUT/corpus-run.XXXXXX")
    LIMIT_ARGS="-runs=$RUNS -seed=1"
fi

LOG=$OUT/fuzz_e820.log
start=$(date +%s)
# shellcheck disable=SC2086
"$BIN" $LIMIT_ARGS -max_len=12000 -artifact_prefix="$OUT/" -print_final_stats=1 \
    "$CORPUS" "$SEEDS" >"$LOG" 2>&1
rc=$?
secs=$(( $(date +%s) - start ))
[ -z "$TIME" ] && rm -rf "$CORPUS"

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -1)
if [ $rc -eq 0 ]; then
    result "PASS ${execs:-?} executions in ${secs}s, no invariant violated (log $LOG)"
    exit 0
fi
crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$LOG" | tail -1)
why=$(grep -m1 -E "invariant violated|ERROR: (AddressSanitizer|libFuzzer)|runtime error" "$LOG")
result "FAIL rc=$rc ${why:-see $LOG}${crash:+ (input: $crash)}"
exit 1
