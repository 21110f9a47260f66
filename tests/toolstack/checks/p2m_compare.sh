# minnow's own p2m dump (p2m_dump on its command line) and the toolstack's
# view (xen-mfndump dump-p2m) agree entry for entry; see p2m-compare.awk.
# order: 90
# timeout: 90
. /toolstack/lib.sh
need_minnow

id=$(domu_create p2mcmp minnow.cfg 'on_poweroff="preserve"' 'extra="p2m_dump"') || fail "$(xl_create_error)"
wait_ready p2mcmp 15
wait_output p2mcmp '^P2M END ' 60 ||
    fail "no 'P2M END' line from minnow ($(p2m_lines p2mcmp) P2M lines seen)"
console_text p2mcmp | grep '^P2M ' > "$CHECK_DIR/guest-p2m"
xen-mfndump dump-p2m "$id" > "$CHECK_DIR/mfndump" 2>"$CHECK_DIR/mfndump.err" || {
    cat "$CHECK_DIR/mfndump.err"
    fail "xen-mfndump dump-p2m $id failed: $(tail -n1 "$CHECK_DIR/mfndump.err")"
}
awk -f /toolstack/hex.awk -f /toolstack/p2m-compare.awk "$CHECK_DIR/guest-p2m" "$CHECK_DIR/mfndump" \
    > "$CHECK_DIR/compare" 2>&1
rc=$?
cat "$CHECK_DIR/compare"
[ $rc = 0 ] || fail "domain $id: $(head -n1 "$CHECK_DIR/compare"); $(tail -n1 "$CHECK_DIR/compare")"
pass "domain $id: $(sed 's/^OK //' "$CHECK_DIR/compare")"
