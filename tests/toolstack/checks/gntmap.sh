# Grant mapping as a domU (docs/gntmap.md): minnow grants pages to its own
# domid and maps them through gntmap, and a suspend with a page mapped is
# refused before anything changed (gntmap_suspend_refused_while_mapped
# skips as dom0, where no suspend happens at all).
# provides: balloon-pool
# order: 125
# timeout: 150
. /toolstack/lib.sh
need_minnow

tests=gntmap_self_map_batch,gntmap_refuses_bad_input,gntmap_copy_per_entry_status
tests=$tests,gntmap_suspend_refused_while_mapped,p2m_self_check
id=$(domu_create gntmap minnow.cfg 'on_poweroff="preserve"' "extra=\"tests=$tests\"") ||
    fail "$(xl_create_error)"
wait_console gntmap '^Test result: ' 120 || fail "no 'Test result:' line (state '$(domu_state gntmap)')"
console_text gntmap | grep -E '^(TEST |Test result: |gntmap: .*refusing)' | tee "$CHECK_DIR/results"
grep -q '^gntmap: 1 foreign pages mapped: refusing to suspend' "$CHECK_DIR/results" ||
    fail "domain $id: no refusal line from the suspend hook"
grep -q '^TEST gntmap_suspend_refused_while_mapped: PASS' "$CHECK_DIR/results" ||
    fail "domain $id: the suspend refusal test did not pass"
result=$(sed -n 's/^Test result: //p' "$CHECK_DIR/results" | head -n1)
[ "$result" = SUCCESS ] || fail "domain $id: Test result: $result"
pass "domain $id: $(grep -c ': PASS' "$CHECK_DIR/results") tests passed, suspend refused while mapped"
