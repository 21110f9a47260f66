# An e820_host=1 domU gets the host's memory map (holes included) from
# XENMEM_memory_map and marks the holes identity in its p2m (p2m_dump on
# its command line); the toolstack agrees with its p2m.  See e820-check.awk.
# order: 110
# timeout: 90
. /toolstack/lib.sh
need_minnow

id=$(domu_create e820host minnow-e820.cfg 'on_poweroff="preserve"' 'extra="p2m_dump"') || fail "$(xl_create_error)"
wait_ready e820host 15
wait_output e820host '^P2M END ' 60 ||
    fail "no 'P2M END' line from minnow ($(p2m_lines e820host) P2M lines seen)"
console_text e820host > "$CHECK_DIR/console"
awk -v expect=xen -f /toolstack/hex.awk -f /toolstack/e820-check.awk "$CHECK_DIR/console" > "$CHECK_DIR/e820" 2>&1
rc=$?
cat "$CHECK_DIR/e820"
[ $rc = 0 ] || fail "domain $id: $(head -n1 "$CHECK_DIR/e820"); $(tail -n1 "$CHECK_DIR/e820")"

grep '^P2M ' "$CHECK_DIR/console" > "$CHECK_DIR/guest-p2m"
xen-mfndump dump-p2m "$id" > "$CHECK_DIR/mfndump" 2>&1 || fail "xen-mfndump dump-p2m $id failed"
awk -f /toolstack/hex.awk -f /toolstack/p2m-compare.awk "$CHECK_DIR/guest-p2m" "$CHECK_DIR/mfndump" > "$CHECK_DIR/compare" 2>&1 ||
    { cat "$CHECK_DIR/compare"; fail "domain $id p2m vs tools: $(head -n1 "$CHECK_DIR/compare")"; }
pass "domain $id: $(sed 's/^OK //' "$CHECK_DIR/e820"); tools agree"
