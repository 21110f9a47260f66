# Boot, balloon, save/restore, side by side (one check: a Linux boot under
# TCG costs tens of seconds, so the last boot of each guest goes on):
#  - boot, RUNS times: xl create returning, the first complete console
#    line, the ready line (times from just before xl create); the memory in
#    use at ready as the guest counts it (pages Xen gave it less its free
#    ones).  memory = maxmem = 128 MiB for both, no devices.
#  - balloon, RUNS rounds on the last domain: 128 -> 96 -> 128 MiB through
#    xl mem-set, each step timed from just before xl mem-set until Xen's
#    count of the domain's pages (what xl list shows) is within 1 MiB of
#    the target.
#  - xl save / xl restore, RUNS rounds on the same domain: each command
#    until it returns, and the image size; the restored domain must not
#    have crashed or gone 1 s later (Xen's view: neither guest prints then).
# timeout: 700
. /toolstack/bench/lib-bench.sh
need_bench_guests

LOW=96
# dom0's root file system (the initramfs) is too small for a 128 MiB image.
mkdir -p /tmp/bench-save
mountpoint -q /tmp/bench-save || mount -t tmpfs -o size=160m tmpfs /tmp/bench-save ||
    fail "cannot mount a tmpfs for the saved images"
img=/tmp/bench-save/domain.img
trap 'rm -f "$img"; umount /tmp/bench-save 2>/dev/null' EXIT
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

balloon() {             # balloon GUEST NAME
    local id run step mib out
    id=$(domu_domid "$2") || fail "no domain $2"
    for run in $(seq "$RUNS"); do
        for step in down up; do
            [ $step = down ] && mib=$LOW || mib=$MEM_MIB
            out=$(benchwait mem "$id" $((mib * 1024)) 1024 60 -- xl mem-set "$id" "${mib}m" \
                  2>>"$CHECK_DIR/benchwait.err") ||
                fail "$1 run $run $step to $mib MiB: $out"
            bench balloon guest=$1 run=$run step=$step target_kb=$((mib * 1024)) $out
        done
    done
}

save_restore() {        # save_restore GUEST NAME
    local id run t0 t1 t2 size
    for run in $(seq "$RUNS"); do
        id=$(domu_domid "$2") || fail "$1 save run $run: no domain $2"
        t0=$(now)
        xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 ||
            fail "$1 run $run: xl save failed: $(tail -n1 "$CHECK_DIR/save.log")"
        t1=$(now)
        size=$(stat -c %s "$img")
        xl restore "$img" > "$CHECK_DIR/restore.log" 2>&1 ||
            fail "$1 run $run: xl restore failed: $(tail -n1 "$CHECK_DIR/restore.log")"
        t2=$(now)
        rm -f "$img"
        sleep 1
        case $(domu_state "$2") in
        *c*|"") fail "$1 run $run: the restored domain crashed or is gone" ;;
        esac
        bench save guest=$1 run=$run memory_mib=$MEM_MIB save=$(secs "$t0" "$t1") \
            restore=$(secs "$t1" "$t2") image_bytes=$size
    done
}

for run in $(seq "$RUNS"); do
    for guest in minnow linux; do
        name=boot-$guest-$run
        out=$(bench_boot $guest "$name" $MEM_MIB "") ||
            fail "$guest run $run: $out ($(console_text "$name" | tail -n1))"
        wait_console "$name" '^(MINNOW|LINUX) MEM ' 10 || fail "$guest: no MEM line"
        bench boot guest=$guest run=$run $out
        bench mem guest=$guest run=$run memory_mib=$MEM_MIB $(mem_line "$name")
        if [ "$run" = "$RUNS" ]; then
            balloon $guest "$name"
            save_restore $guest "$name"
        fi
        destroy_wait "$name"
    done
done
pass "$RUNS boots each of minnow and Linux; $RUNS balloon and save/restore rounds on the last"
