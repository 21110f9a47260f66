# Boot, balloon, save/restore, side by side (one check: a Linux boot under
# TCG costs tens of seconds, so the last boot of each guest goes on):
#  - boot, RUNS times: xl create returning, the first complete console
#    line, the ready line (times from just before xl create); the memory in
#    use at ready as the guest counts it (pages Xen gave it less its free
#    ones).  memory = maxmem = 128 MiB for both, no devices.
#  - balloon, RUNS rounds on the last domain: 128 -> 96 -> 128 MiB through
#    xl mem-set, each step timed from just before xl mem-set until Xen's
#    count of the domain's pages (what xl list shows) is within 1 MiB of
#    the target.  minnow's balloon prints its hypercall count; Linux's
#    shows dom0 nothing of the kind.
#  - xl save / xl restore, RUNS rounds on the same domain: each command
#    until it returns, and the image size; the restored domain must not
#    have crashed or gone 1 s later (Xen's view: neither guest prints then).
# Every step has a deadline; one that fails or runs out costs its rows
# ("BENCH missing"), and the benchmark goes on with the next.
# timeout: 330
. /toolstack/bench/lib-bench.sh
need_bench_guests

LOW=96
STEP_SECS=40            # a balloon step
SAVE_SECS=60            # one xl save or xl restore (about 10 s here)
# dom0's root file system (the initramfs) is too small for a 128 MiB image.
mkdir -p /tmp/bench-save
grep -q ' /tmp/bench-save ' /proc/mounts || mount -t tmpfs -o size=160m tmpfs /tmp/bench-save ||
    fail "cannot mount a tmpfs for the saved images"
img=/tmp/bench-save/domain.img
trap 'rm -f "$img"; umount /tmp/bench-save 2>/dev/null' EXIT
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# minnow's balloon prints a status line each time it reaches a target,
# with its hypercall count so far:
#   balloon: current_kb=K target_kb=K ... state=reached moved=P ms=.. calls=C
reached() { console_text "$1" | grep "current_kb=$2 target_kb=$2 .*state=reached"; }
# minnow_calls NAME KB N: the count of the first such line for KB after N.
minnow_calls() {
    wait_for 10 eval "[ \$(reached $1 $2 | wc -l) -gt $3 ]" || return 1
    reached "$1" "$2" | sed -n "$(($3 + 1))s/.* calls=\([0-9]*\).*/\1/p"
}

balloon() {             # balloon GUEST NAME
    local id run step mib out calls prev=0 seen
    id=$(domu_domid "$2") || { missing "$1" balloon "no domain $2"; return; }
    for run in $(seq "$RUNS"); do
        for step in down up; do
            [ $step = down ] && mib=$LOW || mib=$MEM_MIB
            time_for 10 || { missing "$1" balloon "the check's time ran out"; return; }
            seen=$(reached "$2" $((mib * 1024)) | wc -l)
            out=$(benchwait mem "$id" $((mib * 1024)) 1024 "$(capped $STEP_SECS)" -- xl mem-set "$id" "${mib}m" \
                  2>>"$CHECK_DIR/benchwait.err") || {
                missing "$1" balloon "run $run $step to $mib MiB: $out (limit $STEP_SECS s)"
                xl mem-set "$id" "${MEM_MIB}m" 2>/dev/null   # leave it whole for save/restore
                benchwait mem "$id" $((MEM_MIB * 1024)) 1024 $STEP_SECS -- true >/dev/null 2>&1
                return
            }
            bench balloon guest=$1 run=$run step=$step target_kb=$((mib * 1024)) $out
            [ "$1" = minnow ] || continue
            if calls=$(minnow_calls "$2" $((mib * 1024)) "$seen") && [ -n "$calls" ]; then
                bench balloon_calls guest=$1 run=$run step=$step \
                    pages=$(((MEM_MIB - LOW) * 256)) calls=$((calls - prev))
                prev=$calls
            else
                missing "$1" balloon_calls "no balloon status line for run $run $step"
            fi
        done
    done
}

save_restore() {        # save_restore GUEST NAME
    local id run t0 t1 t2 size
    for run in $(seq "$RUNS"); do
        time_for 30 || { missing "$1" save,restore,image "the check's time ran out"; return; }
        id=$(domu_domid "$2") || { missing "$1" save,restore,image "run $run: no domain $2"; return; }
        t0=$(now)
        timeout "$(capped $SAVE_SECS)" xl save "$id" "$img" > "$CHECK_DIR/save.log" 2>&1 || {
            missing "$1" save,restore,image "run $run: xl save failed or took over $SAVE_SECS s: $(tail -n1 "$CHECK_DIR/save.log")"
            return
        }
        t1=$(now)
        size=$(stat -c %s "$img")
        timeout "$(capped $SAVE_SECS)" xl restore "$img" > "$CHECK_DIR/restore.log" 2>&1 || {
            missing "$1" save,restore,image "run $run: xl restore failed or took over $SAVE_SECS s: $(tail -n1 "$CHECK_DIR/restore.log")"
            return
        }
        t2=$(now)
        rm -f "$img"
        sleep 1
        case $(domu_state "$2") in
        *c*|"") missing "$1" save,restore,image "run $run: the restored domain crashed or is gone"; return ;;
        esac
        bench save guest=$1 run=$run memory_mib=$MEM_MIB save=$(secs "$t0" "$t1") \
            restore=$(secs "$t1" "$t2") image_bytes=$size
    done
}

for run in $(seq "$RUNS"); do
    for guest in minnow linux; do
        name=boot-$guest-$run
        last=$([ "$run" = "$RUNS" ] && echo yes)
        if ! time_for 60; then
            missing $guest boot,mem "run $run: the check's time ran out"
            [ "$last" ] && missing $guest balloon,save,restore,image "the check's time ran out"
            continue
        fi
        if ! out=$(BOOT_TIMEOUT=$(capped 120) bench_boot $guest "$name" $MEM_MIB ""); then
            missing $guest boot,mem "run $run: $out ($(console_text "$name" | tail -n1))"
            [ "$last" ] && missing $guest balloon,save,restore,image "its last boot failed"
            destroy_wait "$name"
            continue
        fi
        bench boot guest=$guest run=$run $out
        if wait_console "$name" '^(MINNOW|LINUX) MEM ' 10; then
            bench mem guest=$guest run=$run memory_mib=$MEM_MIB $(mem_line "$name")
        else
            missing $guest mem "run $run: no MEM line"
        fi
        if [ "$last" ]; then
            balloon $guest "$name"
            save_restore $guest "$name"
        fi
        destroy_wait "$name" || missing $guest boot "domain $name still there after xl destroy"
    done
done
bench unseen guest=linux rows=balloon_calls "why: Linux's balloon driver does not report its hypercalls"
bench_end "$RUNS boots each of minnow and Linux; $RUNS balloon and save/restore rounds on the last"
