# minnow's xenstore client: it writes and reads back a key under its home,
# dom0 reads the same value, and a key dom0 changes fires minnow's watch.
# Guest side (xenstore_test on its command line):
#   writes data/minnow-test, reads it back, prints  XS READBACK data/minnow-test <value>
#   watches data/minnow-watch, prints  XS EVENT data/minnow-watch <value>|(none)
# order: 40
# timeout: 45
. /toolstack/lib.sh
need_minnow

id=$(domu_create xenstore minnow.cfg 'extra="xenstore_test"') || fail "$(xl_create_error)"
wait_ready xenstore 15
home=/local/domain/$id

wait_console xenstore '^XS READBACK data/minnow-test ' 10 ||
    fail "no 'XS READBACK data/minnow-test' line from minnow"
guest_val=$(console_text xenstore | sed -n 's|^XS READBACK data/minnow-test ||p' | head -n1)
[ -n "$guest_val" ] || fail "minnow read back an empty data/minnow-test"
dom0_val=$(xenstore-read "$home/data/minnow-test" 2>&1) ||
    fail "dom0 cannot read $home/data/minnow-test: $dom0_val"
[ "$dom0_val" = "$guest_val" ] ||
    fail "minnow read back '$guest_val' but dom0 reads '$dom0_val'"

# The watch must be registered before dom0 writes: its first event (fired
# at registration) says so.
wait_console xenstore '^XS EVENT data/minnow-watch ' 10 ||
    fail "minnow's watch on data/minnow-watch never fired (no initial event)"
token="dom0-$(cut -d' ' -f1 /proc/uptime | tr . -)"
xenstore-write "$home/data/minnow-watch" "$token" || fail "xenstore-write in dom0 failed"
wait_console xenstore "^XS EVENT data/minnow-watch $token\$" 10 ||
    fail "minnow reported no watch event with the value '$token' dom0 wrote"

xenstore-rm "$home/data/minnow-watch" || fail "xenstore-rm in dom0 failed"
# A "(none)" event after the one carrying the token.
removal_seen() {
    console_text xenstore | awk -v t="XS EVENT data/minnow-watch $token" '
        $0 == t { after = 1 }
        after && $0 == "XS EVENT data/minnow-watch (none)" { found = 1 }
        END { exit !found }'
}
wait_for 10 removal_seen ||
    fail "minnow reported no '(none)' event after dom0 removed the key"
pass "domain $id: wrote/read '$guest_val', watch saw '$token' and its removal"
