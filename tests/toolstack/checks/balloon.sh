# The balloon under the toolstack.
#  1. xl mem-set down to 20 MiB, up to 40 MiB (past the boot size of 32 MiB:
#     the p2m and max_pfn grow), back to 32: after each step minnow's report
#     (data/balloon/*), its target and `xl list` agree; after the first two,
#     minnow's own p2m dump (balloon_p2m_dump: printed each time the balloon
#     settles) agrees entry for entry with `xen-mfndump dump-p2m`
#     (p2m-compare.awk).
#  2. A second domain gets 200 rapid target changes between 24 and 56 MiB
#     without waiting (xenstore-write of memory/target, after one xl mem-set
#     56m raised Xen's maximum: starting xl 200 times under TCG would take a
#     minute), then xl mem-set 40m: xl list, minnow's report and the
#     tools' view of its p2m (distinct valid mfns, one per page) agree.
# timeout: 280
. /toolstack/lib.sh
need_minnow

bal_read() { xenstore-read "/local/domain/$1/data/balloon/$2" 2>/dev/null; }

# settled DOMID NAME KIB: minnow reached KIB, and xl list says the same.
settled() {
    [ "$(bal_read "$1" state)" = reached ] &&
    [ "$(bal_read "$1" target_kb)" = "$3" ] &&
    [ "$(bal_read "$1" current_kb)" = "$3" ] &&
    [ "$(domu_mem_mib "$2")" = "$(( $3 / 1024 ))" ]
}

why_not() {
    echo "state $(bal_read "$1" state), target_kb $(bal_read "$1" target_kb)," \
         "current_kb $(bal_read "$1" current_kb), xl list $(domu_mem_mib "$2") MiB"
}

# ---- 1: steps, with the p2m compared after each ----------------------------
name=balloon
id=$(domu_create $name minnow.cfg 'extra="balloon_p2m_dump"') || fail "$(xl_create_error)"
wait_ready $name 15
for mib in 20 40 32; do
    kb=$((mib * 1024))
    xl mem-set "$id" "${mib}m" || fail "xl mem-set $id ${mib}m failed"
    wait_for 30 settled "$id" $name $kb || fail "at ${mib} MiB: $(why_not "$id" $name)"
    # The p2m is compared after the step down and the step up (past the boot
    # size); comparing the third too would only cost time.
    [ $mib = 32 ] && continue
    # The dump printed when the balloon settled at this size, complete.
    ere="^balloon: p2m dump [0-9]+ at current_kb=$kb\$"
    wait_console $name "$ere" 20 || fail "at ${mib} MiB: no p2m dump from minnow"
    nth=$(console_text $name | grep -cE "$ere")
    dump_done() {
        console_text $name | awk -v ere="$ere" -v nth="$nth" '
            $0 ~ ere { n++; cap = (n == nth); next }
            cap && /^P2M END / { found = 1; exit }
            END { exit !found }'
    }
    wait_for 60 dump_done || fail "at ${mib} MiB: minnow's p2m dump did not finish"
    console_text $name | awk -v ere="$ere" -v nth="$nth" '
        $0 ~ ere { n++; cap = (n == nth); next }
        cap && /^P2M / { print }
        cap && /^P2M END / { exit }' > "$CHECK_DIR/guest-p2m-$mib"
    xen-mfndump dump-p2m "$id" > "$CHECK_DIR/mfndump-$mib" 2> "$CHECK_DIR/mfndump.err" ||
        fail "at ${mib} MiB: xen-mfndump dump-p2m failed: $(tail -n1 "$CHECK_DIR/mfndump.err")"
    awk -f /toolstack/hex.awk -f /toolstack/p2m-compare.awk "$CHECK_DIR/guest-p2m-$mib" "$CHECK_DIR/mfndump-$mib" \
        > "$CHECK_DIR/compare-$mib" 2>&1 ||
        { cat "$CHECK_DIR/compare-$mib"; fail "at ${mib} MiB: $(head -n1 "$CHECK_DIR/compare-$mib")"; }
    log "at ${mib} MiB: $(cat "$CHECK_DIR/compare-$mib")"
done
XX
grew=$(awk '/P2M size:/ { print $NF }' "$CHECK_DIR/mfndump-40")
[ "${grew:-0}" -ge 10240 ] || fail "the p2m did not grow to 40 MiB of pfns (P2M size $grew)"
xl destroy "$id"

# ---- 2: 200 rapid changes, then settle -------------------------------------
name=bcycle
id=$(domu_create $name minnow.cfg) || fail "$(xl_create_error)"
wait_ready $name 15
xl mem-set "$id" 56m || fail "xl mem-set $id 56m failed"
wait_for 30 settled "$id" $name 57344 || fail "at 56 MiB: $(why_not "$id" $name)"
start=$(cut -d' ' -f1 /proc/uptime)
# One write at a time: each xenstore-write takes about as long as minnow
# needs to move 32 MiB, so the balloon really goes up and down.
i=0
while [ $i -lt 200 ]; do
    i=$((i + 1))
    xenstore-write "/local/domain/$id/memory/target" "$(( i % 2 ? 24576 : 57344 ))" ||
        fail "cycle $i: xenstore-write failed"
done
took=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
xl mem-set "$id" 40m || fail "final xl mem-set failed"
wait_for 60 settled "$id" $name 40960 || fail "after 200 cycles: $(why_not "$id" $name)"
case $(domu_state $name) in *c*) fail "$name crashed during the cycles" ;; esac
xen-mfndump dump-p2m "$id" > "$CHECK_DIR/mfndump-cycles" 2> "$CHECK_DIR/mfndump.err" ||
    fail "after 200 cycles: xen-mfndump dump-p2m failed: $(tail -n1 "$CHECK_DIR/mfndump.err")"
summary=$(awk '
    $1 ~ /^pfn=/ {
        m = substr($3, 5); t = $5; sub(/\)$/, "", t)
        if (m == "0xffffffffffffffff" || t == "0xf") next
        valid++
        if (m in seen) dup++
        seen[m] = 1
    }
    END { printf "%d valid, %d duplicate", valid, dup; exit !(valid == 10240 && !dup) }' \
    "$CHECK_DIR/mfndump-cycles") || fail "after 200 cycles the tools see: $summary (want 10240 valid)"
pass "steps 20/40/32 MiB with p2m equal to the tools' view; 200 cycles in ${took} s, settled at 40 MiB ($summary)"
