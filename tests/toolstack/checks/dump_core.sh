# `xl dump-core` of a running minnow: libxenguest walks the published p2m
# and writes an ELF core holding every page; the domain survives it.
# (on_poweroff = preserve: a minnow that powers itself off is dumped too.)
# order: 80
# timeout: 90
. /toolstack/lib.sh
need_minnow

id=$(domu_create dumpcore minnow.cfg 'on_poweroff="preserve"') || fail "$(xl_create_error)"
wait_booted dumpcore 20
mem=$(domu_mem_mib dumpcore)
core=$CHECK_DIR/core
xl dump-core "$id" "$core" > "$CHECK_DIR/dump-core.log" 2>&1 || {
    cat "$CHECK_DIR/dump-core.log"
    fail "xl dump-core $id failed: $(tail -n1 "$CHECK_DIR/dump-core.log")"
}
magic=$(head -c 4 "$core" | od -An -c | tr -d ' ')
size=$(stat -c %s "$core")
rm -f "$core"
[ "$magic" = '177ELF' ] || fail "core file does not start with an ELF header ($magic)"
[ "$size" -ge $((mem * 1048576)) ] ||
    fail "core is $size bytes, less than the domain's $mem MiB"
state=$(domu_state dumpcore)
case $state in
""|*c*) fail "domain $id is '${state:-gone}' after dump-core" ;;
esac
pass "domain $id: $((size / 1048576)) MiB ELF core for $mem MiB, state $state after"
