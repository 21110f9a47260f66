#!/bin/bash
# make pictures: boot minnow in the machine shapes the tests use, keep the
# lines it prints about its memory, and draw them (render.py).
#
#   scripts/pictures/pictures.sh [--from DIR] [--docs]
#     (default)   boot: three dom0 shapes (scripts/run-dom0.sh, ~10-30 s
#                 each) and one toolstack run (scripts/run-toolstack.sh
#                 pictures, ~2 min): data files in build/pictures/data/
#     --from DIR  no boot: draw the data files in DIR (docs/pictures/data
#                 holds the ones the committed pictures came from)
#     --docs      then copy pictures, numbers and data to docs/pictures/
#
# Pictures and their numbers go to build/pictures/; their paths are
# printed.  scripts/pictures/check.py (in make test) recomputes the numbers
# from the data files, and compares the dom0 ones with the same shapes'
# guest runs (p2m_runs on their runs.conf lines).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
OUT=build/pictures
DATA=$OUT/data
FROM=""
DOCS=0
while [ $# -gt 0 ]; do
    case $1 in
    --from) FROM=$2; shift 2 ;;
    --docs) DOCS=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "pictures: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
# The machine's python3 may lack matplotlib: Debian's (scripts/setup.sh).
PY=/usr/bin/python3

# The lines minnow prints about its memory (dumps.py reads them).
KEEP='^(E820|  \[|  RAM:|  (identity|move|release|kept|growth) |P2MR|P2MT|BALLOON|balloon: |suspend: |mm: |p2m: )'

# dom0 NAME RUN: one boot in the machine shape of tests/guest/runs.conf's
# line RUN (its scripts/run-dom0.sh options), p2m_runs on the command line.
# The first line names RUN: make test boots that line with p2m_runs too and
# compares its dump with this one (scripts/pictures/check.py --run).
dom0() {
    local name=$1 run=$2 log=$OUT/boot-$1.log opts
    opts=$(awk -F'|' -v run="$run" '{ n = $1; gsub(/ /, "", n) } n == run { print $2 }' \
           tests/guest/runs.conf | xargs)
    [ -n "$opts" ] || { echo "pictures: no line $run in tests/guest/runs.conf" >&2; return 1; }
    echo "pictures: booting $name (scripts/run-dom0.sh $opts)"
    # shellcheck disable=SC2086
    scripts/run-dom0.sh --log "$log" $opts build/minnow-test \
        p2m_runs tests=p2m_matches_start_info >/dev/null ||
        { echo "pictures: $name did not boot cleanly (log $log)" >&2; return 1; }
    { echo "# dom0: runs.conf $run: scripts/run-dom0.sh $opts build/minnow-test p2m_runs tests=p2m_matches_start_info"
      tr -d '\r' < "$log" | grep -aE "$KEEP"; } > "$DATA/$name.txt"
}

collect() {
    rm -rf "$DATA"
    mkdir -p "$DATA"
    # The dom0 shapes of tests/guest/runs.conf.
    dom0 dom0-64m dom0-64m
    dom0 dom0-4g-pci-hole e820-4g-pci-hole
    dom0 dom0-6g-above-4g e820-6g-above-4g
    echo "pictures: booting the toolstack for the domU (scripts/run-toolstack.sh pictures)"
    local out log
    out=$(scripts/run-toolstack.sh --timeout 600 pictures 2>&1) ||
        { echo "$out" >&2; echo "pictures: the toolstack run failed" >&2; return 1; }
    log=$(echo "$out" | sed -n 's/.*; log: //p' | tail -n1)
    echo "$out" | grep -a '^CHECK '
    for what in domu mfndump-before mfndump-after; do
        file=$DATA/${what/mfndump/domu-mfn}.txt
        { echo "# $what: tests/toolstack/checks/pictures.sh (extra=\"balloon_trace p2m_runs\")"
          tr -d '\r' < "$log" | sed -n "s/^PICTURES $what: //p" |
              { [ "$what" = domu ] && grep -aE "$KEEP" || cat; }; } > "$file"
    done
}

if [ -n "$FROM" ]; then
    [ -d "$FROM" ] || { echo "pictures: no directory $FROM" >&2; exit 2; }
    if [ "$(cd "$FROM" && pwd)" != "$(cd "$DATA" 2>/dev/null && pwd)" ]; then
        rm -rf "$DATA"
        mkdir -p "$DATA"
        cp "$FROM"/*.txt "$DATA/"
    fi
else
    collect
fi
rm -f "$OUT"/*.png "$OUT"/*.json
$PY scripts/pictures/render.py "$DATA" "$OUT"
if [ $DOCS = 1 ]; then
    rm -rf docs/pictures
    mkdir -p docs/pictures/data
    cp "$OUT"/*.png "$OUT"/*.json docs/pictures/
    cp "$DATA"/*.txt docs/pictures/data/
    echo "pictures: copied to docs/pictures/"
fi
