# `xl shutdown` ends minnow cleanly: it sees control/shutdown = poweroff,
# says "minnow: poweroff requested by the toolstack", and the domain goes
# away (a crash would leave it in state 'c', on_crash = preserve).
# order: 50
# timeout: 50
. /toolstack/lib.sh
need_minnow

id=$(domu_create shutdown minnow.cfg) || fail "$(xl_create_error)"
wait_ready shutdown 15
t0=$(cut -d' ' -f1 /proc/uptime)
timeout 20 xl shutdown -w shutdown || {
    state=$(domu_state shutdown)
    fail "xl shutdown -w failed or timed out (state '${state:-gone}')"
}
wait_for 5 eval '! domu_exists shutdown' || fail "domain $id still listed after xl shutdown -w"
secs=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
console_has shutdown "$(shutdown_ere poweroff)" ||
    fail "domain $id ended but minnow never printed 'minnow: poweroff requested by the toolstack'"
pass "domain $id powered off in $secs s"
