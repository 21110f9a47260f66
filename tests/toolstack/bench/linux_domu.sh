# The Linux PV domU boots under xl and says it is ready (the smoke test of
# tests/toolstack/build-linux-domu.sh; run with --linux-domu).
# timeout: 120
. /toolstack/lib.sh
need_linux_domu
id=$(domu_create linux linux.cfg) || fail "$(xl_create_error)"
wait_console linux "$LINUX_READY_ERE" 100 ||
    fail "no 'linux: ready' (state '$(domu_state linux)', $(console_text linux | wc -l) console lines)"
pass "domain $id: $(console_text linux | grep -m1 '^LINUX MEM')"
