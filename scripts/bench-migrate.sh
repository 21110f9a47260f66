#!/bin/bash
# Live migration against minnow's own save/restore, under the shadow-paging
# Xen (scripts/build-xen.sh shadow; built once) in the toolstack harness:
# the migrate_bench check times xl save + xl restore and xl migrate to
# localhost of one idle 32 MiB minnow domU, three times each.  Prints the
# medians and the ratio migrate / (save + restore), both measured in this
# run.  Pages per round are not measured: xl migrate hides libxenguest's
# progress while it sends.
#
#   scripts/bench-migrate.sh        (make bench calls it through run-bench.sh)
set -u
cd "$(dirname "$0")/.."
build=${BUILD:-build}
log="$build/logs/bench-migrate.log"
mkdir -p "$build/logs"

scripts/run-toolstack.sh --xen shadow --timeout 400 --minnow "$build/minnow" migrate_bench \
    > "$log" 2>&1
rc=$?
line=$(grep -a -o 'CHECK migrate_bench: .*' "$log" | head -n1)
case "$line" in
*": PASS "*) ;;
*) echo "  ${line:-no CHECK migrate_bench line (log $log)}"; exit 1 ;;
esac
# "save A B C restore D E F migrate G H I (N s)": the medians.
med() { tr ' ' '\n' | grep . | sort -n | sed -n 2p; }
detail=${line#*: PASS }
s=$(echo "$detail" | sed 's/^save \(.*\) restore .*/\1/' | med)
r=$(echo "$detail" | sed 's/.* restore \(.*\) migrate .*/\1/' | med)
m=$(echo "$detail" | sed 's/.* migrate \([0-9. ]*\).*/\1/' | med)
awk -v s="$s" -v r="$r" -v m="$m" 'BEGIN {
    printf "  save %.2f s + restore %.2f s = %.2f s (median of 3)\n", s, r, s + r
    printf "  live migration %.2f s (median of 3): %.2fx save + restore\n", m, m / (s + r)
    print "  pages per round: not measured (xl migrate hides libxenguest'"'"'s progress)"
}'
[ $rc -eq 0 ]
