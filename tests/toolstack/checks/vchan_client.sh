# minnow as a vchan CLIENT (examples/vchan-echo with vchan=client:<path>, at
# memory = 4) of dom0 servers: minnow maps dom0's grants.
#  1. Xen's own vchan-socket-proxy -m server: ping, stats (one page mapped:
#     the proxy's rings live in the shared page), sum of 100 KiB with the
#     same CRC-32 as dom0's, a bad request -> an error line;
#  2. vchan-serve (libxenvchan, 64 KiB rings: 1 + 16 + 16 pages mapped):
#     "p2m" (minnow dumps its p2m), then 16 MiB of random bytes through
#     echo.  While it streams: xen-mfndump dump-p2m agrees with minnow's
#     dump (p2m-compare.awk: mapped pfns foreign in minnow, invalid for the
#     tools), and `xl save` is refused by minnow (its gntmap suspend hook)
#     while the domain keeps serving; dom0's CRC-32s equal minnow's;
#  3. after the close: nothing mapped, the pool whole again (pool-free =
#     pool-in-use + pool-free while connected);
#  4. xl save / xl restore now works; the restored domain connects to a
#     new proxy (one page mapped again) and gives it back;
#  5. xl shutdown ends it cleanly.
# order: 195
# timeout: 300
. /toolstack/lib.sh
IMG=/toolstack/vchan-echo
[ -f "$IMG" ] || skip "no vchan-echo image (make examples)"
command -v vchan-serve > /dev/null || skip "no vchan-serve in dom0 (build-initramfs.sh)"
NAME=vchan_client
path=/local/domain/0/data/vchan-echo
img=/tmp/vchan-client.save
xenstore-rm "$path" 2> /dev/null

id=$(domu_create $NAME vchan-echo.cfg "kernel=\"$IMG\"" "extra=\"vchan=client:$path\"") ||
    fail "$(xl_create_error)"
wait_ready $NAME 20
mem=$(domu_mem_mib $NAME)

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# crc_len FILE [SKIP]: busybox's CRC-32 and the length of FILE after its
# first SKIP bytes, as minnow prints them (busybox is slow under TCG: one
# pass over the bytes, no copy).
crc_len() {
    local skip=${2:-0}
    tail -c +$((skip + 1)) "$1" | crc32 | tr -d '\n'
    echo " $(( $(size_of "$1") - skip ))"
}
# waiting N: minnow waits for a server to publish connection N.
waiting() { console_has $NAME "^vchan-echo: connection $1: waiting for the server"; }
# closed_counts N: the counts minnow printed when connection N closed.
closed_counts() {
    console_text $NAME | sed -n "s/^vchan-echo: connection $1: .*; closed (\(.*\))\$/\1/p"
}
# field NAME COUNTS: one number of a counts line ("mapped 33 pool-in-use ...").
field() { echo "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

# start_server CMD FEED OUT: a dom0 server whose stdin is fed by the
# command FEED and stays open until stop_server (at end of input a server
# closes the vchan, so closing early would lose the replies).
start_server() {
    local fifo=$CHECK_DIR/fifo
    rm -f "$fifo"; mkfifo "$fifo"
    $1 < "$fifo" > "$3" 2>> "$CHECK_DIR/server.err" &
    SERVER_PID=$!
    exec 3> "$fifo"
    eval "$2" >&3 &
    FEED_PID=$!
}
# stop_server: end its input; it closes the vchan and exits.
stop_server() {
    kill "$FEED_PID" 2>/dev/null; wait "$FEED_PID" 2>/dev/null
    exec 3>&-
    wait_for 10 eval '! kill -0 $SERVER_PID 2>/dev/null' || {
        log "server $SERVER_PID did not exit at the end of its input: killed"
        kill -9 "$SERVER_PID" 2>/dev/null
        xenstore-rm "$path" 2> /dev/null        # a killed server leaves its nodes
    }
    wait "$SERVER_PID" 2>/dev/null
}

# The stream's bytes, and their CRC-32 computed while the rest runs.
head -c 16777216 /dev/urandom > /tmp/echo.bin
crc_len /tmp/echo.bin > /tmp/echo.crc &
crc_pid=$!

# 1. Xen's vchan-socket-proxy as the server.
wait_console $NAME '^vchan-echo: connection 1: waiting for the server' 10 ||
    fail "minnow never waited for a server (vchan=client:$path)"
head -c 102400 /dev/urandom > /tmp/sum.bin
start_server "vchan-socket-proxy -m server $id $path -" \
    "{ printf 'ping\nstats\nsum 102400\n'; cat /tmp/sum.bin; printf 'frobnicate\n'; }" /tmp/req.out
wait_for 40 grep -q '^error' /tmp/req.out; rc=$?
stop_server
log "replies: $(tr '\n' '|' < /tmp/req.out)"
[ $rc = 0 ] || fail "no reply to the bad request within 40 s; replies '$(tr '\n' '|' < /tmp/req.out)'"
want_sum=$(crc_len /tmp/sum.bin)
sed -n 1p /tmp/req.out | grep -qx pong || fail "ping answered '$(sed -n 1p /tmp/req.out)'"
stats=$(sed -n 2p /tmp/req.out)
[ "$(field mapped "$stats")" = 1 ] && [ "$(field pool-in-use "$stats")" = 1 ] ||
    fail "proxy's vchan: stats '$stats', want mapped 1 pool-in-use 1 (its rings are in the shared page)"
[ "$(sed -n 3p /tmp/req.out)" = "$want_sum" ] || fail "sum: minnow '$(sed -n 3p /tmp/req.out)', dom0 '$want_sum'"
sed -n 4p /tmp/req.out | grep -q '^error unknown request: frobnicate' ||
    fail "a bad request answered '$(sed -n 4p /tmp/req.out)'"
wait_for 20 waiting 2 || fail "minnow never closed connection 1 and waited again"
after1=$(closed_counts 1)
[ "$(field mapped "$after1")" = 0 ] && [ "$(field pool-in-use "$after1")" = 0 ] ||
    fail "after the proxy's connection: '$after1', want mapped 0 pool-in-use 0"

# 2. A libxenvchan server with 64 KiB rings: p2m, then 16 MiB echoed.
t0=$(now)
start_server "vchan-serve $id $path 65536" "{ printf 'p2m\necho\n'; cat /tmp/echo.bin; }" /tmp/echo.out
streaming() { ! console_has $NAME '^vchan-echo: connection 2: .*; closed'; }
wait_output $NAME '^P2M END ' 60 ||
    fail "no 'P2M END' line from minnow ($(p2m_lines $NAME) P2M lines seen)"
console_text $NAME | grep '^P2M ' > "$CHECK_DIR/guest-p2m"
xen-mfndump dump-p2m "$id" > "$CHECK_DIR/mfndump" 2> "$CHECK_DIR/mfndump.err" ||
    fail "xen-mfndump dump-p2m $id failed: $(tail -n1 "$CHECK_DIR/mfndump.err")"
streaming || fail "the stream ended before xen-mfndump had read the p2m (nothing to compare)"
got=$(size_of /tmp/echo.out)
stats=$(sed -n 1p /tmp/echo.out)
mapped=$(field mapped "$stats")
awk -f /toolstack/hex.awk -f /toolstack/p2m-compare.awk "$CHECK_DIR/guest-p2m" "$CHECK_DIR/mfndump" \
    > "$CHECK_DIR/compare" 2>&1
rc=$?
cat "$CHECK_DIR/compare" >&2
[ $rc = 0 ] || fail "mid-stream p2m: $(head -n1 "$CHECK_DIR/compare"); $(tail -n1 "$CHECK_DIR/compare")"
foreign=$(grep -c '^P2M [0-9a-fx]* [0-9a-fx]* foreign' "$CHECK_DIR/guest-p2m")
[ "$mapped" = 33 ] && [ "$foreign" = 33 ] ||
    fail "mid-stream: minnow maps '$mapped' pages, its dump shows $foreign foreign; want 33 (1 + 16 + 16)"
log "mid-stream ($got bytes back): $(cat "$CHECK_DIR/compare"); stats: $stats"

# xl save while 33 pages are mapped: minnow refuses at once; xl gives up
# when its wait for the suspend times out (60 s, libxl's).  Not on the
# server's input (fd 3): that would keep it open for as long.
xl save "$id" "$img" > "$CHECK_DIR/save-refused.log" 2>&1 3>&- &
save_pid=$!
wait_console $NAME '^gntmap: 33 foreign pages mapped: refusing to suspend' 30 ||
    fail "no refusal from minnow's gntmap hook on xl save (state '$(domu_state $NAME)')"
streaming || fail "the stream had ended when minnow refused the save (it must refuse while mapped)"
log "minnow refused mid-stream: $(console_text $NAME | grep -m1 '^gntmap: .*refusing')"

hdr=$(head -n2 /tmp/echo.out | wc -c)
wait_for 150 eval '[ "$(size_of /tmp/echo.out)" -ge $((hdr + 16777216)) ]' ||
    fail "echo: $(size_of /tmp/echo.out) of $((hdr + 16777216)) bytes back within 150 s"
secs=$(since "$t0")
stop_server
wait_console $NAME '^vchan-echo: echo in ' 10 || fail "minnow printed no echo checksums"
wait "$crc_pid"
sent=$(cat /tmp/echo.crc)
back=$(crc_len /tmp/echo.out "$hdr")
line=$(console_text $NAME | grep -m1 '^vchan-echo: echo in ')
log "dom0 sent $sent, got back $back; minnow: $line ($secs s)"
[ "$line" = "vchan-echo: echo in $sent out $back" ] ||
    fail "checksums differ: dom0 sent '$sent' got '$back', minnow said '$line'"
rm -f /tmp/echo.out

# 3. Closed: nothing mapped, every borrowed pfn back in the pool.
wait_for 20 waiting 3 || fail "minnow never closed connection 2 and waited again"
after2=$(closed_counts 2)
pool=$(( $(field pool-in-use "$stats") + $(field pool-free "$stats") ))
[ "$(field mapped "$after2")" = 0 ] && [ "$(field pool-in-use "$after2")" = 0 ] &&
    [ "$(field pool-free "$after2")" = "$pool" ] ||
    fail "after the close: '$after2'; want mapped 0 pool-in-use 0 pool-free $pool (connected: '$stats')"
log "after the close: $after2"

# The refused save ends; the domain is the same one, and runs.
wait_for 120 eval '! kill -0 $save_pid 2>/dev/null' || fail "xl save still running after 120 s"
wait "$save_pid"; save_rc=$?
log "xl save while mapped: status $save_rc: $(tr '\n' '|' < "$CHECK_DIR/save-refused.log")"
[ $save_rc != 0 ] || fail "xl save succeeded while minnow had pages mapped"
[ "$(domu_domid $NAME)" = "$id" ] || fail "after the refused save the domain is gone or changed"
case $(domu_state $NAME) in *[sc]*|"") fail "after the refused save: state '$(domu_state $NAME)'" ;; esac
xl_said=$(grep -m1 -iE 'did not suspend|timed out|error' "$CHECK_DIR/save-refused.log" |
          sed 's/^libxl: //')

# 4. Nothing mapped now: save and restore work, and the client goes on.
rm -f "$img"
xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 ||
    fail "xl save with nothing mapped failed: $(grep -m1 -i error "$CHECK_DIR/save.log" || tail -n1 "$CHECK_DIR/save.log")"
xl restore "$img" > "$CHECK_DIR/restore.log" 2>&1 ||
    fail "xl restore failed: $(grep -m1 -i error "$CHECK_DIR/restore.log" || tail -n1 "$CHECK_DIR/restore.log")"
rm -f "$img"
id=$(domu_domid $NAME) || fail "no domain $NAME after xl restore"
wait_console $NAME '^suspend: resumed \(suspend #1\)' 20 ||
    fail "no 'suspend: resumed (suspend #1)' from the restored domain $id"
start_server "vchan-socket-proxy -m server $id $path -" "printf 'ping\nstats\n'" /tmp/req.out
wait_for 30 eval '[ "$(wc -l < /tmp/req.out)" -ge 2 ]'; rc=$?
stop_server
[ $rc = 0 ] && sed -n 1p /tmp/req.out | grep -qx pong ||
    fail "after the restore: replies '$(tr '\n' '|' < /tmp/req.out)'"
wait_for 20 waiting 4 || fail "the restored domain never closed connection 3"
after3=$(closed_counts 3)
[ "$(field mapped "$(sed -n 2p /tmp/req.out)")" = 1 ] && [ "$(field mapped "$after3")" = 0 ] &&
    [ "$(field pool-in-use "$after3")" = 0 ] ||
    fail "after the restore: connected '$(sed -n 2p /tmp/req.out)', closed '$after3'"

# 5. xl shutdown.
timeout 20 xl shutdown -w $NAME || fail "xl shutdown -w failed or timed out"
console_has $NAME "$(shutdown_ere poweroff)" || fail "no poweroff line from minnow"
pass "domain $id (${mem} MiB): proxy requests; 16 MiB echo of dom0's 64 KiB rings in $secs s (CRC-32s equal), mid-stream p2m equal to xen-mfndump's (33 foreign), xl save refused (xl: $xl_said) while serving, pool whole after close ($after2); save/restore then works"
