#!/bin/bash
# Build and run the libFuzzer targets (tests/fuzz/fuzz_NAME.c):
#   e820      the E820 sanitizer + planner (mm/e820.c, mm/e820_plan.c)
#   blkfront  blkfront's response handling (drivers/blk/blkfront_rsp.c)
#   xenstore  reading xenstored's replies (drivers/xen/xenstore_wire.c)
#
#   scripts/fuzz.sh [TARGET...]           bounded: 20000 executions each from
#                                         the seeds (make test); one line per
#                                         target: "FUZZ NAME: PASS|FAIL <detail>"
#   scripts/fuzz.sh --time SECONDS [...]  long run (make fuzz), SECONDS per
#                                         target; keeps its corpus in
#                                         build/fuzz/corpus-NAME between runs
#
# Each target checks its invariants itself and aborts on a violation;
# libFuzzer then writes the input to build/fuzz/crash-*, which replays
# with: build/fuzz/fuzz_NAME FILE
set -u
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
OUT=$BUILD/fuzz
RUNS=20000
TIME=
TARGETS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) TIME=${2:?--time needs seconds}; shift ;;
        --runs) RUNS=${2:?--runs needs a count}; shift ;;
        e820|blkfront|xenstore) TARGETS+=("$1") ;;
        *) echo "usage: $0 [--runs N | --time SECONDS] [e820] [blkfront] [xenstore]" >&2; exit 2 ;;
    esac
    shift
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(e820 blkfront xenstore)

CLANG=$(command -v clang-14 || command -v clang || true)
mkdir -p "$OUT"

# Per target: its sources, the headers it depends on, include dirs and the
# longest input; NAME_seeds DIR writes its seeds.
e820_srcs="tests/fuzz/fuzz_e820.c mm/e820.c mm/e820_plan.c tests/unit/e820_check.c"
e820_deps="include/minnow/e820.h include/minnow/e820_plan.h tests/unit/e820_check.h"
e820_incs="-Iinclude -Iarch/x86_64/include -Itests/unit"
e820_max_len=12000
blkfront_srcs="tests/fuzz/fuzz_blkfront.c drivers/blk/blkfront_rsp.c"
blkfront_deps="drivers/blk/blkfront_priv.h include/minnow/blkfront.h"
blkfront_incs="-Iinclude -Iarch/x86_64/include -Idrivers/blk"
blkfront_max_len=4096
xenstore_srcs="tests/fuzz/fuzz_xenstore.c drivers/xen/xenstore_wire.c kernel/byte_ring.c"
xenstore_deps="drivers/xen/xenstore_wire.h include/minnow/byte_ring.h"
xenstore_incs="-I. -Iinclude -Iarch/x86_64/include"
xenstore_max_len=16384

# The maps the unit tests know, in the target's input format.
e820_seeds() {
python3 - "$1" <<'EOF'
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
}

# Command scripts (tests/fuzz/fuzz_blkfront.c has the codes): an honest
# exchange, and one of each kind of violation.
blkfront_seeds() {
python3 - "$1" <<'EOF'
import os, sys
d = sys.argv[1]
issue = lambda op, slot: bytes([0, op, slot])
answer = lambda i, st: bytes([2, i, st])
def anyrsp(at, rid, op, status=0, raw=False):
    if raw:
        return bytes([3, at, 1]) + rid.to_bytes(8, 'little') + bytes([op]) + status.to_bytes(2, 'little')
    return bytes([3, at, 0, rid, op]) + status.to_bytes(2, 'little')
publish = lambda delta: bytes([4, (delta * 16) & 0xff])
take, reap = bytes([5]), lambda s: bytes([6, s])
honest = b''.join(issue(i % 4, i) + issue(0, i + 1) + answer(1, 1) + answer(0, 0) + take +
                  reap(i) + reap(i + 1) + bytes([7, 0, 7, 0]) for i in range(12))
seeds = {
    'honest': honest,
    'id-out-of-range': issue(0, 0) + anyrsp(0, 32, 0) + publish(0) + take,
    'id-huge': issue(0, 0) + anyrsp(0, 1 << 63, 0, raw=True) + publish(0) + take,
    'id-not-busy': issue(0, 0) + anyrsp(0, 5, 0) + publish(0) + take,
    'duplicate': issue(0, 0) + issue(1, 1) + answer(0, 0) + anyrsp(0, 0, 0) + publish(0) + take,
    'wrong-op': issue(1, 0) + anyrsp(0, 0, 0) + publish(0) + take,
    'runaway-prod': issue(0, 0) + bytes([4, 0xff, 5, 0, 0, 0]) + take + reap(0) + bytes([7, 0]),
    'prod-behind': issue(0, 0) + answer(0, 0) + take + publish(-3) + take,
    'backend-closes': issue(0, 0) + issue(1, 1) + bytes([7, 1]) + answer(0, 0) + take +
                      answer(0, 0) + take + bytes([7, 0]) + take + reap(0) + reap(1) + bytes([7, 0]),
    'full-ring': b''.join(issue(i % 2, i) for i in range(33)) +
                 b''.join(answer(0, 1) for _ in range(32)) + take,
}
for name, blob in seeds.items():
    with open(os.path.join(d, name), 'wb') as f:
        f.write(blob)
EOF
}

# Step scripts (tests/fuzz/fuzz_xenstore.c has the codes): replies and
# watch events whole, in pieces and across the ring's end; one of each
# kind of damage.
xenstore_seeds() {
python3 - "$1" <<'EOF'
import os, struct, sys
d = sys.argv[1]
def msg(typ, req, body, length=None):
    return struct.pack('<IIII', typ, req, 0, len(body) if length is None else length) + body
def produce(data):              # steps of at most 128 bytes
    return b''.join(bytes([len(data[i:i + 128]) - 1]) + data[i:i + 128]
                    for i in range(0, len(data), 128))
def take(waiting=1, req=0):
    return bytes([0x80 | waiting << 2 | req])
XS_READ, XS_WATCH_EVENT, XS_ERROR = 2, 15, 16
reply = msg(XS_READ, 2, b'abcdef')
seeds = {
    'reply': produce(msg(XS_READ, 1, b'value')) + take(1, 1),
    'pieces': produce(reply[:9]) + take() + produce(reply[9:]) + take(1, 2),
    'watch-event': produce(msg(XS_WATCH_EVENT, 0, b'device/vbd/768/state\0w3\0')) + take(0),
    'watch-no-token': produce(msg(XS_WATCH_EVENT, 0, b'path-without-nul')) + take(0),
    'wrong-req-id': produce(msg(XS_ERROR, 3, b'ENOENT\0')) + take(1, 2),
    'wrap': b''.join(produce(msg(XS_READ, 1, bytes(200))) + take(1, 1) for _ in range(8)),
    'too-long': produce(msg(XS_READ, 1, b'x', length=4097)) + take(),
    'longest': b''.join(produce(msg(XS_READ, 1, b'y' * 4096)[i:i + 512]) + take(1, 1)
                        for i in range(0, 4112, 512)),
    'prod-runaway': produce(msg(XS_READ, 1, b'z')) + bytes([0xf0]) + struct.pack('<I', 5000) + take(),
    'prod-behind': produce(msg(XS_READ, 1, b'z')) + take() + bytes([0xf0]) + struct.pack('<I', 3) + take(),
    'cons-moved': produce(msg(XS_READ, 1, b'abc')) + bytes([0xf8]) + struct.pack('<I', 7) + take(),
}
for name, blob in seeds.items():
    with open(os.path.join(d, name), 'wb') as f:
        f.write(blob)
EOF
}

# run_target NAME: build if stale, seed, run; prints its FUZZ line, 0 on PASS.
run_target() {
    local name=$1 bin=$OUT/fuzz_$1 log=$OUT/fuzz_$1.log seeds=$OUT/seeds-$1
    local srcs deps incs max_len corpus limit start rc secs execs rate crash why
    eval "srcs=\$${name}_srcs deps=\$${name}_deps incs=\$${name}_incs max_len=\$${name}_max_len"
    result() { echo "FUZZ $name: $*"; }

    if [ -z "$CLANG" ]; then
        result "FAIL clang not found (apt-get install clang-14 libclang-rt-14-dev)"
        return 1
    fi
    # Rebuild only when a source or header changed.
    # shellcheck disable=SC2086
    if [ ! -x "$bin" ] || [ -n "$(find $srcs $deps "$0" -newer "$bin" 2>/dev/null)" ]; then
        if ! "$CLANG" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined $incs \
                -DMINNOW_HOST_TEST -D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__ \
                $srcs -o "$bin" 2>"$OUT/build-$name.log"; then
            result "FAIL build failed, see $OUT/build-$name.log"
            return 1
        fi
    fi
    mkdir -p "$seeds"
    "${name}_seeds" "$seeds" || { result "FAIL could not write seeds"; return 1; }

    if [ -n "$TIME" ]; then
        corpus=$OUT/corpus-$name
        mkdir -p "$corpus"
        limit="-max_total_time=$TIME"
    else
        corpus=$(mktemp -d "$OUT/corpus-run.XXXXXX")
        limit="-runs=$RUNS -seed=1"
    fi
    start=$(date +%s%N)
    # shellcheck disable=SC2086
    "$bin" $limit -max_len="$max_len" -artifact_prefix="$OUT/" -print_final_stats=1 \
        "$corpus" "$seeds" >"$log" 2>&1
    rc=$?
    secs=$(awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN { printf "%.1f", ns / 1e9 }')
    [ -z "$TIME" ] && rm -rf "$corpus"

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        rate=$(awk -v n="${execs:-0}" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
        result "PASS ${execs:-?} executions in ${secs}s (${rate}/s), no invariant violated (log $log)"
        return 0
    fi
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    why=$(grep -m1 -E "invariant violated|ERROR: (AddressSanitizer|libFuzzer)|runtime error" "$log")
    result "FAIL rc=$rc ${why:-see $log}${crash:+ (input: $crash)}"
    return 1
}

status=0
for t in "${TARGETS[@]}"; do
    run_target "$t" || status=1
done
exit $status
