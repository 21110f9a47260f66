# Check minnow's memory map and its identity p2m regions against each other.
#
#   awk -v expect=xen|fallback -f hex.awk -f e820-check.awk CONSOLE_LOG
#
# Reads minnow's console (boot output, p2m_dump on its command line):
#   E820: XENMEM_memory_map: not available (-ENOSYS); ...   -> source fallback
#   E820: XENMEM_memory_map failed, rc ...                  -> source failed
#   E820 (raw, from Xen) (N entries):                       -> source xen
#                                                              (if neither above)
#   E820 (sanitized) (N entries):      the map minnow uses (mm/e820.c
#     [0x<start>-0x<end>) <name> (type <n>), <k> KiB      e820_print(); the
#                                      last such block counts)
#   P2M <start>-<last> identity        pfns start..last are 1:1 (last inclusive)
#   P2M <pfn> <pfn> identity           one 1:1 pfn
#   P2M <pfn> <mfn> ram                (only counted here)
#
# expect=fallback: source is fallback, one RAM entry starting at 0, as many
#   ram pfns in the p2m as the entry covers, and no identity pfn inside it
#   (pfns beyond the end of RAM may be identity).
# expect=xen: source is xen, the map has a hole or a non-RAM entry (libxl
#   copies the host's reserved regions; for a small guest they may all lie
#   above its RAM), no identity pfn lies on a page that is fully RAM, every
#   page below the top of RAM that is not RAM at all is identity, and so is
#   every page of a non-RAM entry below the p2m's limit ("p2m limit" in
#   minnow's "E820 plan" line).  Pages that are part RAM may be either.
# expect=fallback also accepts a map from Xen that is one RAM entry at 0:
#   libxl 4.17 sets [0, maxmem) for a PV domU (measured), so the -ENOSYS
#   fallback shows only where no toolstack set a map.
# Prints "OK ..." and exits 0, or "BAD ..." lines and exits 1.

function bad(msg) {
    if (++nbad <= 8)
        print "BAD " msg
}
function floor_pfn(a) { return int(a / 4096) }
function ceil_pfn(a)  { return int((a + 4095) / 4096) }
# identity_covers(a, b): every pfn in [a, b) is in some identity run;
# returns the first pfn that is not, or -1.
function identity_uncovered(a, b,    x, i, moved) {
    x = a
    while (x < b) {
        moved = 0
        for (i = 1; i <= nid; i++)
            if (x >= id_s[i] && x < id_e[i]) {
                x = id_e[i]; moved = 1
                break
            }
        if (!moved)
            return x
    }
    return -1
}

{ sub(/\r$/, "") }

/^E820: XENMEM_memory_map: not available \(-ENOSYS\)/ { source = "fallback"; next }
/^E820: XENMEM_memory_map failed/ { source = "failed"; next }
/^E820 \(raw, from Xen\)/ { if (source == "") source = "xen"; next }
/^E820 plan: populated pfn / {   # "... p2m limit 0x<pfns>, ..."
    l = $0; sub(/.*p2m limit /, "", l); sub(/,.*/, "", l); limit = hex(l)
    next
}

/^E820 \(sanitized\)/ {           # a new map: forget any earlier one
    in_map = 1
    n = nram = topram = ramtotal = 0
    next
}
in_map && /^ +\[0x[0-9a-fA-F]+-0x[0-9a-fA-F]+\)/ {
    range = $1
    gsub(/[\[\)]/, "", range)
    split(range, r, "-")
    s = hex(r[1]); e = hex(r[2])
    type = $0
    sub(/.*\(type /, "", type); sub(/\).*/, "", type)
    if (s < 0 || e <= s) {
        bad("unparsable E820 line: " $0)
        next
    }
    n++
    es[n] = s; ee[n] = e; et[n] = (type == "1") ? "ram" : type
    if (type == "1") {
        nram++
        if (e > topram) topram = e
        ramtotal += floor_pfn(e) - ceil_pfn(s)
    }
    next
}
in_map && !/^ +RAM:/ { in_map = 0 }

$1 == "P2M" && $3 == "identity" && index($2, "-") {
    split($2, r, "-")
    nid++
    id_s[nid] = hex(r[1]); id_e[nid] = hex(r[2]) + 1
    nidpfn += id_e[nid] - id_s[nid]
    next
}
$1 == "P2M" && $4 == "identity" { nid++; id_s[nid] = hex($2); id_e[nid] = id_s[nid] + 1; nidpfn++; next }
$1 == "P2M" && $4 == "ram" { np2mram++; next }

END {
    if (source == "")
        bad("no E820 fetch line (raw map, -ENOSYS or failure) on the console")
    else if (expect == "fallback" && source == "xen" && n == 1 && es[1] == 0 && et[1] == "ram")
        source = "xen-one-region"   # libxl 4.17 gives a PV domU [0, maxmem) itself
    else if (source != expect)
        bad("the E820 came from " source ", expected " expect)
    if (n == 0)
        bad("no 'E820 (sanitized)' map on the console")
    if (nram == 0)
        bad("no ram entry in the E820 map")

    if (expect == "fallback") {
        if (n != 1 || es[1] != 0 || et[1] != "ram")
            bad(sprintf("fallback map should be one ram entry at 0, has %d entries", n))
        # pfns past the end of RAM may be 1:1 (that is minnow's choice);
        # none of [0, nr_pages) may be.
        for (j = 1; j <= nid; j++)
            if (id_s[j] < floor_pfn(topram))
                bad(sprintf("identity run 0x%x-0x%x overlaps the fallback RAM [0, 0x%x)", \
                            id_s[j], id_e[j] - 1, floor_pfn(topram)))
        # RAM the map has beyond what Xen populated (maxmem > memory) is
        # missing in the p2m, not identity: only an upper bound holds.
        if (np2mram == 0 || np2mram > ramtotal)
            bad(sprintf("p2m has %d ram pfns, the map covers %d", np2mram, ramtotal))
    } else {
        # Pages fully RAM must not be identity.
        for (i = 1; i <= n; i++) {
            if (et[i] != "ram")
                continue
            a = ceil_pfn(es[i]); b = floor_pfn(ee[i])
            for (j = 1; j <= nid; j++)
                if (id_s[j] < b && id_e[j] > a)
                    bad(sprintf("identity run 0x%x-0x%x overlaps ram 0x%x-0x%x", \
                                id_s[j], id_e[j], es[i], ee[i]))
        }
        # Pages with no RAM byte at all, below the top of RAM, must be
        # identity.  Walk the address space in order: sort entries by start.
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && es[j - 1] > es[j]; j--) {
                t = es[j]; es[j] = es[j - 1]; es[j - 1] = t
                t = ee[j]; ee[j] = ee[j - 1]; ee[j - 1] = t
                t = et[j]; et[j] = et[j - 1]; et[j - 1] = t
            }
        cursor = 0          # first byte not yet known to be RAM
        holes = 0
        for (i = 1; i <= n + 1; i++) {
            if (i <= n && et[i] != "ram")
                continue
            hs = cursor; he = (i <= n) ? es[i] : topram
            if (he > topram) he = topram
            if (he > hs) {
                holes++
                a = ceil_pfn(hs); b = floor_pfn(he)
                if (b > a && (x = identity_uncovered(a, b)) >= 0)
                    bad(sprintf("pfn 0x%x in the hole 0x%x-0x%x is not identity", x, hs, he))
            }
            if (i <= n && ee[i] > cursor) cursor = ee[i]
        }
        # Every non-RAM entry (libxl copies the host's reserved regions,
        # which may all lie above the guest's RAM) is identity up to the
        # p2m's limit; beyond it lookups are 1:1 by rule.
        nonram = 0
        for (i = 1; i <= n; i++) {
            if (et[i] == "ram")
                continue
            nonram++
            a = ceil_pfn(es[i]); b = floor_pfn(ee[i])
            if (limit > 0 && b > limit) b = limit
            if (b > a && (x = identity_uncovered(a, b)) >= 0)
                bad(sprintf("pfn 0x%x of the non-RAM entry 0x%x-0x%x is not identity", x, es[i], ee[i]))
        }
        if (holes == 0 && nonram == 0)
            bad("e820_host map has neither a hole nor a non-RAM entry")
        if (nid == 0)
            bad("e820_host map but no identity pfns in the p2m")
    }

    summary = sprintf("source %s, %d entries (%d ram, top 0x%x), %d identity pfns in %d runs, %d p2m ram pfns", \
                      source, n, nram, topram, nidpfn, nid, np2mram)
    if (nbad) {
        print nbad " problems; " summary
        exit 1
    }
    print "OK " summary
}
