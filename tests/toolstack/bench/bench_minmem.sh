# The smallest `memory =` (= maxmem) that reaches the ready line, for each
# guest: 4 MiB first (xl's smallest PV domain), then a bisection between it
# and 128 MiB (bench_boot's size), to 8 MiB.  A boot fails when xl create
# does (the kernel does not fit), when it does not reach ready within 90 s,
# or when its domain crashes or shuts down first.  The size reported is one
# that was seen to reach ready, with the largest seen to fail; each guest
# has half the check's time, and the bisection stops early (a coarser
# answer, said so in failed_mib) when its next boot would not fit.
# timeout: 280
. /toolstack/bench/lib-bench.sh
need_bench_guests
BOOT_SECS=90

# boots GUEST MIB: 0 when it reached ready.
n=0
boots() {
    local out rc
    n=$((n + 1))
    out=$(BOOT_TIMEOUT=$BOOT_SECS bench_boot "$1" "minmem-$1-$n" "$2" "")
    rc=$?
    bench minmem_try guest=$1 memory_mib=$2 $out
    destroy_wait "minmem-$1-$n"
    [ $rc = 0 ] && booted=$2
    return $rc
}
# fits: the guest's share of the time has room for one more boot.
fits() { [ "$(cut -d. -f1 /proc/uptime)" -lt $((guest_end - BOOT_SECS - 10)) ] && time_for $((BOOT_SECS + 10)); }

start=$(cut -d. -f1 /proc/uptime)
half=$(( (${CHECK_DEADLINE:-$((start + 300))} - start) / 2 ))
for guest in minnow linux; do
    guest_end=$(( $(cut -d. -f1 /proc/uptime) + half ))
    [ $guest = linux ] && guest_end=${CHECK_DEADLINE:-$guest_end}
    lo=4 hi=$MEM_MIB booted=    # lo fails (once tried), hi boots
    fits || { missing $guest minmem "the check's time ran out"; continue; }
    if boots $guest $lo; then
        hi=$lo
    else
        while [ $((hi - lo)) -gt 8 ] && fits; do
            mid=$(( (lo + hi) / 2 / 4 * 4 ))
            if boots $guest $mid; then hi=$mid; else lo=$mid; fi
        done
    fi
    if [ "$booted" != "$hi" ]; then
        if ! fits; then
            missing $guest minmem "no boot seen to reach ready in the time the check had (last tried: failed at $lo MiB)"
            continue
        fi
        boots $guest $hi || {
            missing $guest minmem "did not reach ready with $hi MiB ($(console_text "minmem-$guest-$n" | tail -n1))"
            continue
        }
    fi
    bench minmem guest=$guest memory_mib=$hi failed_mib=$([ $hi = 4 ] && echo none || echo $lo)
done
bench_end "smallest memory found for both"
