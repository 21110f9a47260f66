# The smallest `memory =` (= maxmem) that reaches the ready line, for each
# guest: 4 MiB first (xl's smallest PV domain), then a bisection between it
# and 128 MiB (bench_boot's size), to 8 MiB.  A boot fails when xl create
# does (the kernel does not fit), when it does not reach ready within 90 s,
# or when its domain crashes or shuts down first.  The size reported is one
# that was seen to reach ready.
# timeout: 400
. /toolstack/bench/lib-bench.sh
need_bench_guests

# boots GUEST MIB: 0 when it reached ready.
n=0
boots() {
    local out rc
    n=$((n + 1))
    out=$(BOOT_TIMEOUT=90 bench_boot "$1" "minmem-$1-$n" "$2" "")
    rc=$?
    bench minmem_try guest=$1 memory_mib=$2 $out
    destroy_wait "minmem-$1-$n"
    [ $rc = 0 ] && booted=$2
    return $rc
}

for guest in minnow linux; do
    lo=4 hi=$MEM_MIB booted=    # lo fails (once tried), hi boots
    if boots $guest $lo; then
        hi=$lo
    else
        while [ $((hi - lo)) -gt 8 ]; do
            mid=$(( (lo + hi) / 2 / 4 * 4 ))
            if boots $guest $mid; then hi=$mid; else lo=$mid; fi
        done
    fi
    [ "$booted" = "$hi" ] || boots $guest $hi ||
        fail "$guest did not reach ready with $hi MiB ($(console_text "minmem-$guest-$n" | tail -n1))"
    bench minmem guest=$guest memory_mib=$hi failed_mib=$([ $hi = 4 ] && echo none || echo $lo)
done
pass "smallest memory found for both"
