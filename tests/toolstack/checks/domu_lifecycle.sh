# xl create / xl list / xl destroy of a minnow domU.  Needs no guest
# feature: a minnow that boots and powers itself off (the default app with
# nothing to do) is kept by on_poweroff = "preserve" and passes; one that
# crashes (state 'c') fails.
# order: 20
# timeout: 40
. /toolstack/lib.sh
need_minnow

id=$(domu_create lifecycle minnow.cfg 'on_poweroff="preserve"') || fail "$(xl_create_error)"
xl list | grep -q "^lifecycle  *$id " || { xl list; fail "domain $id not in xl list"; }

# Let it run a little: a guest that crashes at once must not pass.
sleep 3
state=$(domu_state lifecycle)
case $state in
"")  fail "domain $id vanished within 3 s of xl create" ;;
*c*) fail "domain $id crashed within 3 s (state $state)" ;;
esac

xl destroy lifecycle || fail "xl destroy failed"
domu_exists lifecycle && fail "domain $id still listed after xl destroy"
xenstore-exists "/local/domain/$id" && fail "/local/domain/$id left in xenstore"
pass "domain $id created, state $state after 3 s, destroyed"
