# Data for scripts/pictures/ (make pictures, make lab), not a test of its
# own: one minnow domU with balloon_trace and p2m_runs; xl mem-set 20, 40,
# 32 MiB; its p2m as the tools see it (xen-mfndump, in runs); xl save and
# xl restore; the tools' view again.  Every line the pictures need is
# copied to the serial console as `PICTURES <what>: <line>`.
# manual: data for make pictures (1.5-3 min of QEMU); runs only when named
# timeout: 400
. /toolstack/lib.sh
need_minnow

emit() { sed "s|^|PICTURES $1: |" > /dev/console; }     # emit WHAT < lines

bal_read() { xenstore-read "/local/domain/$1/data/balloon/$2" 2>/dev/null; }
settled() {
    [ "$(bal_read "$1" state)" = reached ] && [ "$(bal_read "$1" current_kb)" = "$2" ]
}

# The tools' p2m in runs: pfns whose mfns are consecutive make one line,
# "<first>-<last> <mfn of first>" (hex), or "<first>-<last> missing".
mfndump_runs() {
    cat > "$CHECK_DIR/runs.awk" <<'AWK'
function flush() { if (n) printf "%x-%x %s\n", s, s + n - 1, (m < 0 ? "missing" : sprintf("%x", m)) }
$1 ~ /^pfn=/ {
    p = hex(substr($1, 5)); v = substr($3, 5)
    mf = (v == "0xffffffffffffffff") ? -1 : hex(v)
    if (n && p == s + n && ((mf < 0 && m < 0) || (mf >= 0 && m >= 0 && mf == m + n))) { n++; next }
    flush(); s = p; m = mf; n = 1
}
END { flush() }
AWK
    xen-mfndump dump-p2m "$1" 2> "$CHECK_DIR/mfndump.err" |
        awk -f /toolstack/hex.awk -f "$CHECK_DIR/runs.awk"
}

# The console has the P2MR lines of the settle at 32 MiB after the others.
last_dump_done() {
    console_text $name | awk '
        /^BALLOON-SETTLED / { s = / current_kb=32768 /; f = 0 }
        s && /^P2MR END / { f = 1 }
        END { exit !f }'
}

name=pictures
id=$(domu_create $name minnow.cfg 'extra="balloon_trace p2m_runs"') || fail "$(xl_create_error)"
wait_ready $name 15
wait_console $name '^P2MR END ' 20 || fail "no P2MR END line from minnow"
for mib in 20 40 32; do
    xl mem-set "$id" "${mib}m" || fail "xl mem-set $id ${mib}m failed"
    wait_for 30 settled "$id" $((mib * 1024)) ||
        fail "at $mib MiB: state $(bal_read "$id" state), current_kb $(bal_read "$id" current_kb)"
done
wait_for 20 last_dump_done || fail "no p2m runs after the last settle at 32 MiB"

mfndump_runs "$id" > "$CHECK_DIR/before"
[ -s "$CHECK_DIR/before" ] || fail "xen-mfndump gave no p2m: $(tail -n1 "$CHECK_DIR/mfndump.err")"
xl save "$id" /tmp/pictures.img > "$CHECK_DIR/save.log" 2>&1 ||
    fail "xl save failed: $(tail -n1 "$CHECK_DIR/save.log")"
xl restore /tmp/pictures.img > "$CHECK_DIR/restore.log" 2>&1 ||
    fail "xl restore failed: $(tail -n1 "$CHECK_DIR/restore.log")"
rm -f /tmp/pictures.img
id=$(domu_domid $name) || fail "no domain $name after xl restore"
wait_console $name '^suspend: resumed' 20 || fail "no 'suspend: resumed' after xl restore"
mfndump_runs "$id" > "$CHECK_DIR/after" || fail "xen-mfndump dump-p2m $id failed after the restore"

console_text $name | emit domu
emit mfndump-before < "$CHECK_DIR/before"
emit mfndump-after < "$CHECK_DIR/after"
pass "domU data: $(console_text $name | grep -c '^BALLOON-BATCH') balloon batches," \
     "$(wc -l < "$CHECK_DIR/before") p2m runs before the save, $(wc -l < "$CHECK_DIR/after") after"
