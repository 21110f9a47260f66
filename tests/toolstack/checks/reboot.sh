# `xl reboot`: minnow sees control/shutdown = reboot, says "minnow: reboot
# requested by the toolstack" and shuts down with SHUTDOWN_reboot; xl
# (on_reboot = restart) builds a new domain of the same name, which boots to
# "minnow: ready" again.
# order: 60
# timeout: 60
. /toolstack/lib.sh
need_minnow

id=$(domu_create reboot minnow.cfg) || fail "$(xl_create_error)"
wait_ready reboot 15
xl reboot reboot || fail "xl reboot failed"
new_domid() { n=$(domu_domid reboot) && [ "$n" != "$id" ]; }
wait_for 25 new_domid || {
    state=$(domu_state reboot)
    fail "no new domain after xl reboot (domain $id state '${state:-gone}')"
}
new=$(domu_domid reboot)
console_has reboot "$(shutdown_ere reboot)" ||
    fail "minnow never printed 'minnow: reboot requested by the toolstack'"
two_ready() { [ "$(console_text reboot | grep -cE "$READY_ERE")" -ge 2 ]; }
wait_for 20 two_ready || fail "rebooted domain $new did not print 'minnow: ready'"
pass "domain $id rebooted as domain $new and is ready again"
