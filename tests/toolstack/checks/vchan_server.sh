# minnow as a vchan server (examples/vchan-echo at memory = 4) and Xen's
# own vchan-socket-proxy as its client in dom0:
#  1. requests: ping -> pong, stats, sum of 100 KiB -> the same CRC-32 as
#     dom0's, a bad request -> an error line;
#  2. 16 MiB of random bytes through echo: dom0's CRC-32 and length of what
#     it sent are minnow's "in", of what came back minnow's "out";
#  3. peer death: the proxy is killed (-9) mid-stream; minnow reports the
#     connection closed and serves the next;
#  4. 100 connect/disconnect cycles: minnow's counts (free grant refs,
#     bound ports, free frames, pages kept) after the last equal those
#     after the first;
#  5. xl shutdown ends it cleanly.
# order: 190
# timeout: 280
. /toolstack/lib.sh
IMG=/toolstack/vchan-echo
[ -f "$IMG" ] || skip "no vchan-echo image (make examples)"
PROXY=vchan-socket-proxy
NAME=vchan_echo

id=$(domu_create $NAME vchan-echo.cfg "kernel=\"$IMG\"") || fail "$(xl_create_error)"
wait_ready $NAME 20
path=/local/domain/$id/data/vchan-echo
mem=$(domu_mem_mib $NAME)

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# waiting N: minnow is serving connection N (its nodes are published).
waiting() { console_has $NAME "^vchan-echo: connection $1: waiting" && xenstore-exists "$path/ring-ref"; }
# closed_counts N: the counts minnow printed when connection N closed.
# crc_len: busybox's CRC-32 of stdin and its length, as minnow prints them.
crc_len() { tee /tmp/crc.part | crc32 | tr -d '\n'; echo " $(wc -c < /tmp/crc.part)"; }
closed_counts() {
    console_text $NAME | sed -n "s/^vchan-echo: connection $1: .*; closed (\(.*\))\$/\1/p"
}

# session FEED OUT COND SECS: the proxy as minnow's client, fed by the
# command FEED; its stdin
# stays open until COND holds (or SECS pass), then closes, and the proxy
# closes the vchan and exits.  (At end of input the proxy stops reading the
# vchan at once, so closing early would lose the replies.)
session() {
    local feed=$1 out=$2 cond=$3 secs=$4 fifo=$CHECK_DIR/fifo cat_pid
    rm -f "$fifo"; mkfifo "$fifo"
    $PROXY -m client "$id" "$path" - < "$fifo" > "$out" 2>> "$CHECK_DIR/proxy.err" &
    PROXY_PID=$!
    exec 3> "$fifo"
    eval "$feed" >&3 &
    cat_pid=$!
    wait_for "$secs" eval "$cond"
    local rc=$?
    kill "$cat_pid" 2>/dev/null; wait "$cat_pid" 2>/dev/null
    exec 3>&-
    wait_for 10 eval '! kill -0 $PROXY_PID 2>/dev/null' || kill -9 "$PROXY_PID" 2>/dev/null
    wait "$PROXY_PID" 2>/dev/null
    return $rc
}

# 1. Requests.
wait_for 10 waiting 1 || fail "minnow never published $path (connection 1)"
head -c 102400 /dev/urandom > /tmp/sum.bin
session "{ printf 'ping\nstats\nsum 102400\n'; cat /tmp/sum.bin; printf 'frobnicate\n'; }" /tmp/req.out 'grep -q "^error" /tmp/req.out' 30
want_sum=$(crc_len < /tmp/sum.bin)
log "replies: $(tr '\n' '|' < /tmp/req.out)"
sed -n 1p /tmp/req.out | grep -qx pong || fail "ping answered '$(sed -n 1p /tmp/req.out)'"
sed -n 2p /tmp/req.out | grep -q '^refs-free [0-9]* ports-bound' || fail "stats answered '$(sed -n 2p /tmp/req.out)'"
[ "$(sed -n 3p /tmp/req.out)" = "$want_sum" ] || fail "sum: minnow '$(sed -n 3p /tmp/req.out)', dom0 '$want_sum'"
sed -n 4p /tmp/req.out | grep -q '^error unknown request: frobnicate' ||
    fail "a bad request answered '$(sed -n 4p /tmp/req.out)'"

# 2. 16 MiB each way through echo.
wait_for 20 waiting 2 || fail "connection 2 never offered after the requests"
head -c 16777216 /dev/urandom > /tmp/echo.bin
t0=$(cut -d' ' -f1 /proc/uptime)
session "{ printf 'echo\n'; cat /tmp/echo.bin; }" /tmp/echo.out '[ "$(size_of /tmp/echo.out)" -ge $((16777216 + 3)) ]' 150 ||
    fail "echo: $(size_of /tmp/echo.out) of $((16777216 + 3)) bytes back within 150 s"
secs=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
wait_console $NAME '^vchan-echo: echo in ' 10 || fail "minnow printed no echo checksums"
sent=$(crc_len < /tmp/echo.bin)
back=$(tail -c +4 /tmp/echo.out | crc_len)
line=$(console_text $NAME | grep -m1 '^vchan-echo: echo in ')
log "dom0 sent $sent, got back $back; minnow: $line ($secs s)"
[ "$line" = "vchan-echo: echo in $sent out $back" ] ||
    fail "checksums differ: dom0 sent '$sent' got '$back', minnow said '$line'"
rm -f /tmp/echo.out

# 3. Peer death mid-stream.
wait_for 20 waiting 3 || fail "connection 3 never offered after the echo"
rm -f "$CHECK_DIR/fifo"; mkfifo "$CHECK_DIR/fifo"
$PROXY -m client "$id" "$path" - < "$CHECK_DIR/fifo" > /tmp/kill.out 2>> "$CHECK_DIR/proxy.err" &
PROXY_PID=$!
exec 3> "$CHECK_DIR/fifo"
{ printf 'echo\n'; cat /tmp/echo.bin; } >&3 &
cat_pid=$!
wait_for 60 eval '[ "$(size_of /tmp/kill.out)" -ge 1048576 ]' || fail "no MiB back before the kill"
kill -9 "$PROXY_PID"
kill "$cat_pid" 2>/dev/null; exec 3>&-
wait "$PROXY_PID" "$cat_pid" 2>/dev/null
wait_console $NAME '^vchan-echo: connection 3: .*; closed' 20 ||
    fail "minnow never reported connection 3 closed after its client was killed"
wait_for 20 waiting 4 || fail "no connection 4 offered after the killed client"
log "after the kill: $(console_text $NAME | grep '^vchan-echo: connection 3: .*closed')"

# 4. 100 connect/disconnect cycles, back to back.  Each proxy waits for
# minnow's nodes itself (a watch); one that finds the nodes of a server
# that is just closing cannot bind its port and waits for the next.
before=$(closed_counts 3)
printf 'ping\n' > /tmp/ping.in
t1=$(cut -d' ' -f1 /proc/uptime)
for n in $(seq 4 103); do
    timeout 20 $PROXY -m client "$id" "$path" - < /tmp/ping.in > /dev/null 2>> "$CHECK_DIR/proxy.err" ||
        fail "cycle $((n - 3)): vchan-socket-proxy failed or hung (status $?)"
done
wait_console $NAME '^vchan-echo: connection 103: .*; closed' 20 || fail "connection 103 never closed"
cycles=$(awk -v a="$t1" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
after=$(closed_counts 103)
log "counts after connection 3: $before; after 103: $after ($cycles s)"
[ -n "$before" ] && [ "$before" = "$after" ] || fail "leak over 100 cycles: '$before' -> '$after'"
case $after in *"pages-kept 0") ;; *) fail "pages kept: $after" ;; esac

# 5. xl shutdown.
timeout 20 xl shutdown -w $NAME || fail "xl shutdown -w failed or timed out"
console_has $NAME "$(shutdown_ere poweroff)" || fail "no poweroff line from minnow"
pass "domain $id (${mem} MiB): requests, 16 MiB echo in $secs s (CRC-32s equal), peer kill, 100 cycles in $cycles s without a leak ($after)"
