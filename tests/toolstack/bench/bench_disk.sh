# blkfront, side by side, on the same disk: dom0's /dev/ram0 (brd) through
# Linux blkback, phy:/dev/ram0 as xvda, memory 128 MiB.  Each guest runs the
# same benchmark (minnow: tests/bench/guest/minnow_bench.c bench=disk;
# Linux: tests/toolstack/linux-domu/blkbench.c): sequential writes and
# reads of 8 MiB in 4 KiB and 1 MiB requests, then 4 KiB random reads at
# queue depth 1 and 32 (minnow's ring has 32 slots), RUNS rounds; every
# read is checked against the pattern written before it, and a bad sector
# fails the benchmark.
# timeout: 500
. /toolstack/bench/lib-bench.sh
need_bench_guests
[ -b /dev/ram0 ] || skip "no /dev/ram0 (brd not loaded by /init)"

MIB=${BENCH_DISK_MIB:-8}
IOS=${BENCH_DISK_IOS:-500}
for guest in minnow linux; do
    name=disk-$guest
    if [ $guest = minnow ]; then
        extra="bench=disk mib=$MIB ios=$IOS qd=32 rounds=$RUNS"
    else
        extra="linux.bench=disk linux.mib=$MIB linux.ios=$IOS linux.qd=32 linux.rounds=$RUNS"
    fi
    dd if=/dev/zero of=/dev/ram0 bs=1M count=$MIB 2>/dev/null
    out=$(bench_boot $guest $name $MEM_MIB "$extra" "disk=['phy:/dev/ram0,xvda,w']") ||
        fail "$guest: $out"
    wait_console $name '^(BENCH disk done|(minnow|linux): bench failed)' 400 ||
        fail "$guest: no 'BENCH disk done' ($(console_text $name | grep -c '^BENCH disk') BENCH lines)"
    console_text $name | grep -E '^(minnow|linux): bench failed' && 
        fail "$guest: $(console_text $name | grep -m1 -E '^(minnow|linux): bench failed')"
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
    done_line=$(console_text $name | grep -m1 '^BENCH disk done')
    case $done_line in *" bad=0") ;; *) fail "$guest: data did not verify: $done_line" ;; esac
    destroy_wait $name
done
pass "$RUNS rounds each, every read verified"
