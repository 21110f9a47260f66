# minnow's PV console ring works: the ready line reaches xenconsoled's log
# (/var/log/xen/console/guest-NAME.log) and an `xl console` client.
# order: 30
# timeout: 45
. /toolstack/lib.sh
need_minnow

# `xl create -c` attaches the console client before the guest runs, so it
# sees the ring from its first byte.  Its stdin is a pipe kept open: the
# client would leave at end of input.
out=$CHECK_DIR/xl-console.out
echo console >> "$CHECK_DIR/domains"
rm -f "$(console_log console)"
(sleep 40 | xl create -c "$CFG_DIR/minnow.cfg" 'name="console"' >"$out" 2>&1) &
wait_for 15 domu_exists console || { cat "$out"; fail "xl create -c did not create the domain"; }
id=$(domu_domid console)
wait_ready console 15
lines=$(console_text console | wc -l)
on_client() { tr -d '\r' < "$out" | grep -qE "$READY_ERE"; }
wait_for 5 on_client ||
    { tail -n 5 "$out"; fail "'minnow: ready' in xenconsoled's log but not on the xl console client"; }
pass "domain $id: ready line in the log ($lines lines) and on xl console"
