# hex(s): a hex string ("0x1f", "1F") as a number, or -1 if it is not one.
# Shared by the harness's awk scripts: awk -f hex.awk -f SCRIPT.awk ...
function hex(s,    i, c, v) {
    s = tolower(s)
    sub(/^0x/, "", s)
    if (s == "")
        return -1
    v = 0
    for (i = 1; i <= length(s); i++) {
        c = index("0123456789abcdef", substr(s, i, 1)) - 1
        if (c < 0)
            return -1
        v = v * 16 + c
    }
    return v
}
