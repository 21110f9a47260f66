# The toolstack itself works: xl talks to Xen, xenstored answers, dom0 is
# registered.  Needs nothing from minnow.
# order: 10
# timeout: 20
. /toolstack/lib.sh

xl info > "$CHECK_DIR/xl-info" 2>&1 || { cat "$CHECK_DIR/xl-info"; fail "xl info failed"; }
ver=$(awk -F': *' '$1 ~ /^xen_version/ { print $2 }' "$CHECK_DIR/xl-info")
free=$(awk -F': *' '$1 ~ /^free_memory/ { print $2 }' "$CHECK_DIR/xl-info")
[ -n "$ver" ] || { cat "$CHECK_DIR/xl-info"; fail "xl info has no xen_version"; }

xl list > "$CHECK_DIR/xl-list" 2>&1 || { cat "$CHECK_DIR/xl-list"; fail "xl list failed"; }
grep -q '^Domain-0 *0 ' "$CHECK_DIR/xl-list" || { cat "$CHECK_DIR/xl-list"; fail "xl list has no Domain-0"; }

name=$(xenstore-read /local/domain/0/name 2>&1) || fail "xenstore-read /local/domain/0/name: $name"
[ "$name" = Domain-0 ] || fail "xenstore says dom0 is named '$name'"

# A write/read/rm round trip through xenstored.
xenstore-write /tool/minnow-harness "probe-$$" || fail "xenstore-write failed"
got=$(xenstore-read /tool/minnow-harness) || fail "xenstore-read after write failed"
[ "$got" = "probe-$$" ] || fail "xenstore read back '$got', wrote 'probe-$$'"
xenstore-rm /tool/minnow-harness || fail "xenstore-rm failed"

[ "$free" -ge 256 ] 2>/dev/null || fail "only ${free} MiB free for domUs"
pass "xen $ver, ${free} MiB free, xenstore round trip ok"
