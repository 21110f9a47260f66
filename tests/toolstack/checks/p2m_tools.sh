# The toolstack can read minnow's published p2m (SIF_VIRT_P2M_4TOOLS:
# p2m_vaddr/p2m_cr3/max_pfn in shared_info): xen-mfndump dump-p2m maps it,
# every valid entry is a distinct mfn and there are as many as the domain
# has pages.  (on_poweroff = preserve: a minnow that powered itself off
# still has its memory and p2m, so this runs before the idle loop exists.)
# order: 70
# timeout: 60
. /toolstack/lib.sh
need_minnow

id=$(domu_create p2mtools minnow.cfg 'on_poweroff="preserve"') || fail "$(xl_create_error)"
wait_booted p2mtools 20
dump=$CHECK_DIR/mfndump
xen-mfndump dump-p2m "$id" > "$dump" 2>"$CHECK_DIR/mfndump.err" || {
    cat "$CHECK_DIR/mfndump.err"
    fail "xen-mfndump dump-p2m $id failed: $(tail -n1 "$CHECK_DIR/mfndump.err")"
}
mem=$(domu_mem_mib p2mtools)
awk -v mem="$mem" '
    /P2M size:/ { size = $NF }
    $1 ~ /^pfn=/ {
        m = substr($3, 5); t = $5; sub(/\)$/, "", t)
        if (m == "0xffffffffffffffff" || t == "0xf") next
        valid++
        if (m in seen) { dup++; if (dup <= 3) print "duplicate mfn " m }
        seen[m] = 1
    }
    END {
        printf "size %d, %d valid entries (%d MiB), domain has %d MiB\n", \
               size, valid, int(valid / 256), mem
        exit !(size > 0 && valid > 0 && !dup && int(valid / 256) == mem)
    }' "$dump" > "$CHECK_DIR/summary"
rc=$?
cat "$CHECK_DIR/summary"
[ $rc = 0 ] || fail "domain $id: $(tail -n1 "$CHECK_DIR/summary")"
pass "domain $id: $(tail -n1 "$CHECK_DIR/summary")"
