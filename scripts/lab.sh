#!/bin/bash
# make lab: run docs/lab.md's exercises as written there, one after the
# other, and say for each whether it showed what the lab tells the student
# to look at.  About 5 minutes of QEMU (three dom0 boots, two toolstack
# boots, one fault).  Logs: build/lab/.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
LOGS=build/lab
mkdir -p "$LOGS"
failed=0

# exercise N TITLE LOG ERE...: every ERE must match a line of LOG.
exercise() {
    local n=$1 title=$2 log=$3 ere missing=""
    shift 3
    for ere in "$@"; do
        # grep -c reads to the end: with grep -q, a long log's tr would die
        # of SIGPIPE after the first match and pipefail would call it a miss.
        [ "$(tr -d '\r' < "$log" | grep -acE -- "$ere")" -gt 0 ] || missing="$missing '$ere'"
    done
    if [ -z "$missing" ]; then
        echo "LAB $n $title: PASS"
    else
        echo "LAB $n $title: FAIL (log $log) no line matching$missing"
        failed=$((failed + 1))
    fi
}

echo "lab 1-2: make run RUN_ARGS=\"p2m_runs tests=p2m_matches_start_info\""
make --no-print-directory run RUN_ARGS="p2m_runs tests=p2m_matches_start_info" \
    > "$LOGS/1-run.log" 2>&1 < /dev/null
exercise 1 "boot, and read the memory map" "$LOGS/1-run.log" \
    '^E820 \(raw, from Xen\)' '^E820 plan: populated pfn 0x0-0x4000' \
    '^  move +pfn 0x9f-0x100 -> ' '^P2MR 9f-ff identity$'
exercise 2 "the p2m's own page tables" "$LOGS/1-run.log" \
    '^P2MT leaf 0-[0-9a-f]+ private$' '^P2MT pages leaves=[0-9]+ ' '^P2MR END '

echo "lab 3: scripts/run-dom0.sh --mem 4096 --dom0-mem 3500M, then --mem 6144 --dom0-mem 4608M"
scripts/run-dom0.sh --show --mem 4096 --dom0-mem 3500M --timeout 300 \
    build/minnow-test p2m_runs tests=p2m_matches_start_info > "$LOGS/3-4g.log" 2>&1 < /dev/null
scripts/run-dom0.sh --show --mem 6144 --dom0-mem 4608M --timeout 300 \
    build/minnow-test p2m_runs tests=p2m_matches_start_info > "$LOGS/3-6g.log" 2>&1 < /dev/null
cat "$LOGS/3-4g.log" "$LOGS/3-6g.log" > "$LOGS/3-both.log"
exercise 3 "the PCI hole and RAM above 4 GiB" "$LOGS/3-both.log" \
    '^  move +pfn 0xbffe0-0xdac00 -> 0x100061-' '^  move +pfn 0xbffe0-0x100000 -> 0x120061-'

echo "lab 4: make run-domu DOMU_ARGS=\"p2m_runs\" DOMU_SECS=20"
make --no-print-directory run-domu DOMU_ARGS="p2m_runs" DOMU_SECS=60 \
    > "$LOGS/4-domu.log" 2>&1 < /dev/null
exercise 4 "the same code as a domU" "$LOGS/4-domu.log" \
    'running as a domU' '^  growth +pfn 0x2000-0x4000' 'P2MR 4000-[0-9a-f]+ identity$'

echo "lab 5-6: scripts/run-toolstack.sh --timeout 600 pictures"
scripts/run-toolstack.sh --timeout 600 pictures > "$LOGS/5-pictures.out" 2>&1 < /dev/null
log=$(sed -n 's/.*; log: //p' "$LOGS/5-pictures.out" | tail -n1)
cat "$LOGS/5-pictures.out" ${log:+"$log"} > "$LOGS/5-pictures.log" 2>/dev/null
exercise 5 "the balloon under xl mem-set" "$LOGS/5-pictures.log" \
    '^CHECK pictures: PASS' 'PICTURES domu: BALLOON-TARGET .* target_kb=20480$' \
    'PICTURES domu: BALLOON-BATCH .* pages=512 ' 'PICTURES domu: BALLOONED '
exercise 6 "save and restore: same pfns, new mfns" "$LOGS/5-pictures.log" \
    'PICTURES domu: suspend: resumed' 'PICTURES mfndump-before: ' 'PICTURES mfndump-after: '

echo "lab 7: scripts/run-dom0.sh build/minnow-test tests=fatal_write_pagetable"
scripts/run-dom0.sh --show build/minnow-test tests=fatal_write_pagetable \
    > "$LOGS/7-fault.log" 2>&1 < /dev/null
rip=$(tr -d '\r' < "$LOGS/7-fault.log" | grep -aoE 'rip[ =:]+(0x)?[0-9a-f]+' | head -n1 |
      grep -oE '[0-9a-f]+$')
[ -n "$rip" ] && addr2line -e build/minnow-test "$rip" >> "$LOGS/7-fault.log" 2>&1
exercise 7 "a deliberate fault" "$LOGS/7-fault.log" \
    'TEST fatal_write_pagetable: FAIL' 'cr2' 'test_traps\.c:[0-9]+'

echo "lab: $((7 - failed)) of 7 exercises ran as docs/lab.md says; logs in $LOGS/"
[ $failed = 0 ]
