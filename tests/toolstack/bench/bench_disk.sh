# blkfront, side by side, on the same disk: dom0's /dev/ram0 (brd) through
# Linux blkback, phy:/dev/ram0 as xvda, memory 128 MiB.  Each guest runs the
# same benchmark (minnow: tests/bench/guest/minnow_bench.c bench=disk;
# Linux: tests/toolstack/linux-domu/blkbench.c): sequential writes and
# reads of MIB MiB in 4 KiB and 1 MiB requests, then IOS 4 KiB random
# reads at queue depth 1 and 32 (minnow's ring has 32 slots), RUNS rounds;
# every read is checked against the pattern written before it, and a bad
# sector costs the guest its disk rows.  Each guest has DISK_SECS after its
# ready line; what it printed by then counts, the rest is "not measured".
# timeout: 230
. /toolstack/bench/lib-bench.sh
need_bench_guests
[ -b /dev/ram0 ] || skip "no /dev/ram0 (brd not loaded by /init)"

MIB=${BENCH_DISK_MIB:-2}
IOS=${BENCH_DISK_IOS:-200}
DISK_SECS=${BENCH_DISK_SECS:-150}
for guest in minnow linux; do
    name=disk-$guest
    if [ $guest = minnow ]; then
        extra="bench=disk mib=$MIB ios=$IOS qd=32 rounds=$RUNS"
    else
        extra="linux.bench=disk linux.mib=$MIB linux.ios=$IOS linux.qd=32 linux.rounds=$RUNS"
    fi
    time_for 60 || { missing $guest disk "the check's time ran out before its boot"; continue; }
    dd if=/dev/zero of=/dev/ram0 bs=1M count=$MIB 2>/dev/null
    if ! out=$(BOOT_TIMEOUT=$(capped 120) bench_boot $guest $name $MEM_MIB "$extra" "disk=['phy:/dev/ram0,xvda,w']"); then
        missing $guest disk "boot: $out"
        destroy_wait $name
        continue
    fi
    secs=$(capped $DISK_SECS)
    wait_console $name '^(BENCH disk done|(minnow|linux): bench failed)' "$secs" ||
        missing $guest disk "no 'BENCH disk done' within $secs s of ready ($(console_text $name | grep -c '^BENCH disk') BENCH lines by then)"
    failed=$(console_text $name | grep -m1 -E '^(minnow|linux): bench failed')
    [ -n "$failed" ] && missing $guest disk "$failed"
    done_line=$(console_text $name | grep -m1 '^BENCH disk done')
    case $done_line in
    "") ;;
    *" bad=0") ;;
    *) missing $guest disk "data did not verify: $done_line" ;;
    esac
    # Results count only when every read of the guest verified so far.
    console_text $name | grep -q '^BENCH disk .* bad=[1-9]' ||
        console_text $name | sed -n 's/^BENCH disk \([a-z_]*\) \(bs=.*\)/\1 \2/p' |
        while read -r test rest; do
            bench disk guest=$guest test=$test $rest
        done
    # What each frontend negotiated with the same blkback (the features that
    # usually decide these numbers); "-" where the frontend wrote nothing.
    id=$(domu_domid $name) && fe=/local/domain/$id/device/vbd/51712 &&
        bench disk_features guest=$guest \
            $(for k in feature-persistent ring-page-order multi-queue-num-queues; do
                  printf '%s=%s ' "$k" "$(xenstore-read "$fe/$k" 2>/dev/null || echo -)"
              done) \
            backend_max_indirect=$(xenstore-read "$(xenstore-read "$fe/backend")/feature-max-indirect-segments" 2>/dev/null || echo -)
    destroy_wait $name
done
bench_end "$RUNS rounds each, every read verified"
