# The smallest `memory =` (= maxmem) that reaches the ready line, for each
# guest: 4 MiB first (xl's smallest PV domain), then a bisection between it
# and 128 MiB (bench_boot's size), to 8 MiB.  A boot fails when xl create
# does (the kernel does not fit), when it does not reach ready within 90 s,
# or when its domain crashes or shuts down first.  The size reported is one
# that was seen to reach ready, with the largest seen to fail.  minnow has a
# third of the check's time, Linux the rest; the bisection stops early (a
# coarser answer, which failed_mib shows) when the time runs out.  A boot
# cut short by the deadline proves nothing and ends the bisection.
# timeout: 170
. /toolstack/bench/lib-bench.sh
need_bench_guests
BOOT_SECS=90

# boots GUEST MIB: 0 when it reached ready, 1 when it failed, 2 when the
# time ran out first.
n=0
boots() {
    local out rc cap
    n=$((n + 1))
    cap=$(capped $BOOT_SECS)
    out=$(BOOT_TIMEOUT=$cap bench_boot "$1" "minmem-$1-$n" "$2" "")
    rc=$?
    destroy_wait "minmem-$1-$n"
    [ $rc = 3 ] && [ "$cap" -lt $BOOT_SECS ] && return 2
    bench minmem_try guest=$1 memory_mib=$2 $out
    [ $rc = 0 ] && booted=$2 && return 0
    return 1
}
# (A boot that fails mostly fails at once: xl create finds that the kernel
# does not fit.  One that reaches ready takes a Linux tens of seconds.)
fits() { [ "$(cut -d. -f1 /proc/uptime)" -lt $((guest_end - 30)) ] && time_for 30; }

start=$(cut -d. -f1 /proc/uptime)
share=$(( (${CHECK_DEADLINE:-$((start + 170))} - start) / 3 ))
for guest in minnow linux; do
    guest_end=$(( $(cut -d. -f1 /proc/uptime) + share ))
    [ $guest = linux ] && guest_end=${CHECK_DEADLINE:-$guest_end}
    lo=4 hi=$MEM_MIB booted=    # lo fails (once tried), hi boots
    fits || { missing $guest minmem "the check's time ran out"; continue; }
    boots $guest $lo
    case $? in
    0) hi=$lo ;;
    2) missing $guest minmem "the check's time ran out during the boot at $lo MiB"; continue ;;
    esac
    while [ $((hi - lo)) -gt 8 ] && fits; do
        mid=$(( (lo + hi) / 2 / 4 * 4 ))
        boots $guest $mid
        case $? in
        0) hi=$mid ;;
        1) lo=$mid ;;
        2) break ;;
        esac
    done
    if [ "$booted" != "$hi" ]; then
        # Nothing seen to boot yet: 128 MiB is bench_boot's size, but seen here.
        if ! fits || ! boots $guest $hi; then
            missing $guest minmem "no boot seen to reach ready in the time the check had (largest failure: $lo MiB)"
            continue
        fi
    fi
    bench minmem guest=$guest memory_mib=$hi failed_mib=$([ "$booted" = 4 ] && echo none || echo $lo)
done
bench_end "smallest memory found for both"
