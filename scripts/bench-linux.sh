#!/bin/bash
# minnow next to a Linux PV domU, in one QEMU run of the toolstack harness:
# the same Xen, the same dom0, the same backends, one guest at a time.
# Linux is Debian's own kernel (the dom0's) with a busybox initramfs
# (tests/toolstack/build-linux-domu.sh); minnow is its bench app
# (tests/bench/guest/minnow_bench.c: the product plus the same benchmark
# code as Linux's blkbench).  The benchmarks are tests/toolstack/bench/*.sh;
# each measures both guests RUNS times (3) and prints BENCH lines, which
# this script turns into the side-by-side table (min / median / max) and
# build/bench/side-by-side.json.  Absolute times under QEMU's TCG mean
# little; the ratios of one run are the result.
#
#   scripts/bench-linux.sh [--log FILE]   re-print the table of an earlier run's log
#
# (make bench runs it through scripts/run-bench.sh.)
set -u
cd "$(dirname "$0")/.."
build=${BUILD:-build}
out=$build/bench
mkdir -p "$out"
BENCHES="bench_boot bench_disk bench_minmem"

if [ "${1:-}" = --log ]; then
    log=$2
    rc=0
else
    app=$build/minnow-bench
    obj=$build/guest/tests/bench/guest/minnow_bench.o
    { make -s "$obj" && make -s app APP_OBJS="$obj" APP="$app"; } >&2 ||
        { echo "  bench-linux: cannot build $app"; exit 1; }
    # The host's load while QEMU ran: the machine is shared, and a loaded
    # host slows both guests (the ratios hold, the absolute numbers do not).
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    t0=$(date +%s)
    # shellcheck disable=SC2086
    scripts/run-toolstack.sh --quiet --timeout 800 --linux-domu --minnow-bench "$app" \
        $BENCHES > "$out/side-by-side.run" 2>&1
    rc=$?
    echo "load average $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after; QEMU run $(( $(date +%s) - t0 )) s" \
        > "$out/side-by-side.load"
    log=$(sed -n 's/.*; log: //p' "$out/side-by-side.run" | tail -n1)
    grep -v '^toolstack: ' "$out/side-by-side.run" | sed 's/^/  /'
    grep -h '^toolstack: ' "$out/side-by-side.run" | sed 's/^/  /'
fi
[ -f "$log" ] || { echo "  bench-linux: no log ($log)"; exit 1; }
tr -d '\r' < "$log" | grep -aoE '(BENCH|CHECK) .*$' > "$out/side-by-side.lines"

machine="$(cat "$out/side-by-side.load" 2>/dev/null); $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1); $(qemu-system-x86_64 --version | head -n1); Xen $(ls /boot/xen-*.gz 2>/dev/null | sed 's|.*/xen-||; s|-amd64.gz||' | head -n1); Linux $(cat "$build/toolstack/kernel-version" 2>/dev/null)"

awk -v json="$out/side-by-side.json" -v machine="$machine" \
    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v commit="$(git rev-parse --short HEAD 2>/dev/null)" '
function kv(line,    n, i, a, p) {
    delete V
    n = split(line, a, " ")
    for (i = 1; i <= n; i++)
        if ((p = index(a[i], "=")) > 0) V[substr(a[i], 1, p - 1)] = substr(a[i], p + 1)
}
function add(metric, guest, value) {
    if (value == "" || value !~ /^[0-9.eE+-]+$/) return
    N[metric, guest]++
    S[metric, guest, N[metric, guest]] = value + 0
}
# metric: key, label, unit, lower/higher is better
function def(key, label, unit, better) {
    nm++; M[nm] = key; L[key] = label; U[key] = unit; B[key] = better
}
BEGIN {
    def("boot_create", "boot: xl create returns", "s", "lower")
    def("boot_first", "boot: first console line", "s", "lower")
    def("boot_ready", "boot: ready line", "s", "lower")
    def("mem_used", "memory in use at ready (128 MiB domain)", "MiB", "lower")
    def("minmem", "smallest memory= reaching ready", "MiB", "lower")
    def("balloon_down_s", "balloon 128->96 MiB: xl mem-set to Xen count", "s", "lower")
    def("balloon_down_pps", "balloon 128->96 MiB", "pages/s", "higher")
    def("balloon_up_s", "balloon 96->128 MiB: xl mem-set to Xen count", "s", "lower")
    def("balloon_up_pps", "balloon 96->128 MiB", "pages/s", "higher")
    def("balloon_calls", "balloon hypercalls per page (both steps)", "calls/page", "lower")
    def("disk_seq_write_4k", "blkfront seq write, 4 KiB requests", "MB/s", "higher")
    def("disk_seq_read_4k", "blkfront seq read, 4 KiB requests", "MB/s", "higher")
    def("disk_seq_write_1m", "blkfront seq write, 1 MiB requests", "MB/s", "higher")
    def("disk_seq_read_1m", "blkfront seq read, 1 MiB requests", "MB/s", "higher")
    def("disk_rand_qd1", "blkfront 4 KiB random read, QD 1", "IOPS", "higher")
    def("disk_rand_qd32", "blkfront 4 KiB random read, QD 32", "IOPS", "higher")
    def("save_per_mib", "xl save (128 MiB domain), per MiB", "ms/MiB", "lower")
    def("restore_per_mib", "xl restore, per MiB", "ms/MiB", "lower")
    def("image_mib", "saved image size", "MiB", "lower")
}
/^CHECK / { checks = checks (checks == "" ? "" : "; ") $0; next }
# BENCH missing|unseen guest=G rows=P1,P2 why: TEXT -- the first reason per
# row and guest; it shows only where the row got no value.
/^BENCH (missing|unseen) / {
    kv($0); why = substr($0, index($0, "why: ") + 5)
    gsub(/["|\\]/, "\047", why)
    n = split(V["rows"], r, ",")
    for (k = 1; k <= nm; k++)
        for (i = 1; i <= n; i++)
            if (index(M[k], r[i]) == 1 && !((M[k], V["guest"]) in WHY))
                { WHY[M[k], V["guest"]] = why; if ($2 == "unseen") UNSEEN[M[k], V["guest"]] = 1 }
    next
}
/^BENCH / {
    kv($0); g = V["guest"]; what = $2
    if (what == "boot") { add("boot_create", g, V["create"]); add("boot_first", g, V["first"]); add("boot_ready", g, V["ready"]) }
    else if (what == "mem") add("mem_used", g, V["used_kb"] / 1024)
    else if (what == "minmem") add("minmem", g, V["memory_mib"])
    else if (what == "balloon" && V["secs"] > 0) {
        d = V["from_kb"] - V["tot_kb"]; if (d < 0) d = -d
        add("balloon_" V["step"] "_s", g, V["secs"])
        add("balloon_" V["step"] "_pps", g, d / 4 / V["secs"])
    }
    else if (what == "balloon_calls" && V["pages"] > 0) add("balloon_calls", g, V["calls"] / V["pages"])
    else if (what == "disk" && V["us"] > 0) {
        if (V["test"] == "rand_read") add("disk_rand_qd" V["qd"], g, V["ios"] * 1e6 / V["us"])
        else add("disk_" V["test"] "_" (V["bs"] == 4096 ? "4k" : "1m"), g, V["bytes"] / V["us"])
    }
    else if (what == "save") {
        add("save_per_mib", g, V["save"] * 1000 / V["memory_mib"])
        add("restore_per_mib", g, V["restore"] * 1000 / V["memory_mib"])
        add("image_mib", g, V["image_bytes"] / 1048576)
    }
}
function stats(metric, guest,    n, i, j, t, a) {
    n = N[metric, guest]
    if (!n) { MIN = MED = MAX = ""; return 0 }
    for (i = 1; i <= n; i++) a[i] = S[metric, guest, i]
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    MIN = a[1]; MAX = a[n]
    MED = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    return n
}
function fmt(x) { return x == "" ? "-" : (x >= 1000 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.3g", x)) }
function triple(a, b, c, n) { return n == 1 ? fmt(b) : fmt(a) " / " fmt(b) " / " fmt(c) }
END {
    printf "| measurement | unit | minnow (min / median / max) | Linux (min / median / max) | minnow / Linux | |\n"
    printf "|---|---|---|---|---|---|\n"
    printf "{\n  \"date\": \"%s\",\n  \"commit\": \"%s\",\n  \"machine\": \"%s\",\n  \"rows\": [", date, commit, machine > json
    for (k = 1; k <= nm; k++) {
        m = M[k]
        nmn = stats(m, "minnow"); mmin = MIN; mmed = MED; mmax = MAX
        nlx = stats(m, "linux"); lmin = MIN; lmed = MED; lmax = MAX
        ratio = ""; verdict = ""
        if (!nmn) verdict = "minnow not measured: " (((m, "minnow") in WHY) ? WHY[m, "minnow"] : "no result")
        if (!nlx) verdict = verdict (verdict == "" ? "" : "; ") "Linux " (((m, "linux") in UNSEEN) ? "not visible" : "not measured") ": " (((m, "linux") in WHY) ? WHY[m, "linux"] : "no result")
        if (nmn && nlx && lmed > 0 && mmed > 0) {
            ratio = mmed / lmed
            ahead = B[m] == "lower" ? mmed <= lmed : mmed >= lmed
            verdict = ahead ? "minnow ahead" : "**minnow behind**"
            if (!ahead) behind++
        } else if (!nmn || !((m, "linux") in UNSEEN)) missing++
        else unseen++
        printf "| %s | %s | %s | %s | %s | %s |\n", L[m], U[m], triple(mmin, mmed, mmax, nmn),
               triple(lmin, lmed, lmax, nlx), ratio == "" ? "-" : sprintf("%.2f", ratio), verdict
        sep = k > 1 ? "," : ""
        printf "%s\n    {\"key\": \"%s\", \"label\": \"%s\", \"unit\": \"%s\", \"better\": \"%s\", \"verdict\": \"%s\"", sep, m, L[m], U[m], B[m], verdict > json
        printf ",\n     \"minnow\": {\"n\": %d, \"min\": %s, \"median\": %s, \"max\": %s}", nmn, mmin == "" ? "null" : mmin, mmed == "" ? "null" : mmed, mmax == "" ? "null" : mmax > json
        printf ",\n     \"linux\": {\"n\": %d, \"min\": %s, \"median\": %s, \"max\": %s}", nlx, lmin == "" ? "null" : lmin, lmed == "" ? "null" : lmed, lmax == "" ? "null" : lmax > json
        printf ",\n     \"ratio_minnow_over_linux\": %s}", ratio == "" ? "null" : sprintf("%.4f", ratio) > json
    }
    printf "\n  ]\n}\n" > json
    printf "\n%d of %d rows: minnow behind Linux; %d not measured; %d not visible for Linux.\n", behind, nm, missing, unseen
    gsub(/"/, "", checks)
    print "checks: " checks
    exit missing > 0
}' "$out/side-by-side.lines" > "$out/side-by-side.md"
table_rc=$?
echo "  machine: $machine"
sed 's/^/  /' "$out/side-by-side.md"
echo "  (table: $out/side-by-side.md, JSON: $out/side-by-side.json, log: $log)"
[ "$rc" = 0 ] && [ "$table_rc" = 0 ]
