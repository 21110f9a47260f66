# Compare minnow's own p2m dump with what the toolstack reads from it.
#
#   awk [-v xen_mib=N] -f hex.awk -f p2m-compare.awk GUEST_P2M MFNDUMP
#
# GUEST_P2M: the P2M lines of minnow's console (mm/p2m_check.c p2m_dump(),
# printed when p2m_dump is on its command line):
#   P2M <pfn> <mfn> ram            pfn is backed by machine frame mfn
#   P2M <pfn> <mfn> foreign        pfn maps another domain's frame
#   P2M <start>-<last> identity    pfns start..last are 1:1 (last inclusive)
#   P2M <pfn> <pfn> identity       one 1:1 pfn
#   P2M END <count>                count = number of ram + foreign lines,
#                                  in decimal
# (other numbers in hex, 0x optional)
#
# MFNDUMP: the output of `xen-mfndump dump-p2m <domid>`, whose entry lines are
#   "  pfn=0x1f ==> mfn=0x3a2b1 (type 0x0)"  and whose header says
#   " Guest Width: 8, PT Levels: 4 P2M size: = 8192".
#
# Rules (the toolstack treats identity and foreign entries as absent):
#   - every ram entry of minnow is the same mfn in the tools' view;
#   - every frame the tools see as valid is a ram entry of minnow;
#   - identity and foreign pfns are invalid (type 0xf) in the tools' view;
#   - minnow's END count matches its lines (the dump is complete) and every
#     pfn it lists is below the tools' P2M size;
#   - with xen_mib (`xl list`'s Mem: the domain's pages as Xen counts them,
#     in whole MiB): minnow's ram pfns come to the same MiB -- a frame the
#     domain holds behind no pfn shows here and nowhere else.
# Prints "OK ..." and exits 0, or prints up to 8 "MISMATCH ..." lines, a
# summary, and exits 1.

# mfns are compared as text: 64-bit values do not fit awk's doubles.
function norm(s) {
    s = tolower(s)
    sub(/^0x/, "", s)
    sub(/^0+/, "", s)
    return s == "" ? "0" : s
}
function mismatch(msg) {
    if (++nbad <= 8)
        print "MISMATCH " msg
}
function is_identity(pfn,    i) {
    for (i = 1; i <= nid; i++)
        if (pfn >= id_s[i] && pfn < id_e[i])
            return 1
    return 0
}

BEGIN { gcount = -1; tsize = -1 }

# ---- file 1: minnow's lines
FNR == NR {
    sub(/\r$/, "")
    if ($1 != "P2M")
        next
    if ($2 == "END") {          # the count is decimal, unlike the rest
        gcount = $3 + 0
        next
    }
    if ($3 == "identity" && index($2, "-")) {
        split($2, r, "-")
        nid++
        id_s[nid] = hex(r[1]); id_e[nid] = hex(r[2]) + 1
        if (id_s[nid] < 0 || id_e[nid] <= id_s[nid])
            mismatch("bad identity run in minnow's dump: " $0)
        nidpfn += id_e[nid] - id_s[nid]
        next
    }
    p = hex($2)
    if (p < 0 || hex($3) < 0) {
        mismatch("unparsable line in minnow's dump: " $0)
        next
    }
    if ($4 == "ram") {
        if (p in gram)
            mismatch(sprintf("minnow lists pfn 0x%x twice", p))
        gram[p] = norm($3); nram++
    } else if ($4 == "foreign") {
        gforeign[p] = 1; nforeign++
    } else if ($4 == "identity") {
        nid++; id_s[nid] = p; id_e[nid] = p + 1; nidpfn++
    } else {
        mismatch("unknown kind in minnow's dump: " $0)
    }
    next
}

# ---- file 2: xen-mfndump dump-p2m
/P2M size:/ {
    tsize = $NF + 0
    next
}
$1 ~ /^pfn=/ && $3 ~ /^mfn=/ {
    p = hex(substr($1, 5))
    m = norm(substr($3, 5))
    type = $5; sub(/\)$/, "", type)
    valid = (m != "ffffffffffffffff" && tolower(type) != "0xf")
    nt++
    seen[p] = 1
    if (valid) {
        ntvalid++
        if (m in owner)
            mismatch(sprintf("tools see mfn 0x%s at pfn 0x%x and 0x%x", m, owner[m], p))
        owner[m] = p
    }
    if (p in gram) {
        if (!valid)
            mismatch(sprintf("pfn 0x%x: minnow has ram mfn 0x%s, tools see an invalid entry (mfn=0x%s type %s)", p, gram[p], m, type))
        else if (gram[p] != m)
            mismatch(sprintf("pfn 0x%x: minnow has mfn 0x%s, tools see mfn 0x%s", p, gram[p], m))
    } else if (valid) {
        if (p in gforeign)
            mismatch(sprintf("pfn 0x%x: foreign in minnow, tools see a valid mfn 0x%s", p, m))
        else if (is_identity(p))
            mismatch(sprintf("pfn 0x%x: identity in minnow, tools see a valid mfn 0x%s", p, m))
        else
            mismatch(sprintf("pfn 0x%x: absent in minnow's dump, tools see mfn 0x%s", p, m))
    }
    next
}

END {
    if (gcount < 0)
        mismatch("minnow's dump has no P2M END line")
    if (tsize < 0)
        mismatch("xen-mfndump printed no P2M size")
    if (gcount >= 0 && gcount != nram + nforeign)
        mismatch(sprintf("minnow's P2M END says %d entries, it listed %d", gcount, nram + nforeign))
    for (p in gram)
        if (!(p in seen))
            mismatch(sprintf("pfn 0x%x (minnow ram mfn 0x%s) is beyond what the tools read (size %d)", p, gram[p], tsize))
    if (nram == 0)
        mismatch("minnow's dump has no ram entries")
    if (xen_mib != "" && int(nram / 256) != xen_mib + 0)
        mismatch(sprintf("Xen counts %d MiB, minnow's %d ram pfns are %d MiB", \
                         xen_mib, nram, int(nram / 256)))
    summary = sprintf("%d ram, %d identity, %d foreign pfns; tools: size %d, %d valid", \
                      nram, nidpfn, nforeign, tsize, ntvalid)
    if (nbad) {
        print nbad " mismatches; " summary
        exit 1
    }
    print "OK " summary
}
