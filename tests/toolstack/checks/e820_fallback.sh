# A default domU (no e820_host) sees one RAM region: -ENOSYS from
# XENMEM_memory_map and minnow's fallback [0, nr_pages), or (measured with
# libxl 4.17) the map xl set itself, [0, maxmem).  Its p2m has no identity
# pfn inside that region, and no more ram pfns than it covers.
# order: 100
# timeout: 60
. /toolstack/lib.sh
need_minnow

id=$(domu_create e820def minnow.cfg 'on_poweroff="preserve"' 'extra="p2m_dump"') || fail "$(xl_create_error)"
wait_ready e820def 15
wait_output e820def '^P2M END ' 60 ||
    fail "no 'P2M END' line from minnow ($(p2m_lines e820def) P2M lines seen)"
console_text e820def > "$CHECK_DIR/console"
awk -v expect=fallback -f /toolstack/hex.awk -f /toolstack/e820-check.awk "$CHECK_DIR/console" > "$CHECK_DIR/e820" 2>&1
rc=$?
cat "$CHECK_DIR/e820"
[ $rc = 0 ] || fail "domain $id: $(head -n1 "$CHECK_DIR/e820"); $(tail -n1 "$CHECK_DIR/e820")"
pass "domain $id: $(sed 's/^OK //' "$CHECK_DIR/e820")"
