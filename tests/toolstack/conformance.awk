# Read the console of one boot of build/minnow-conformance and say, in
# XTF's words, how each test it ran ended and where the next boot starts.
# Shared by scripts/conformance.sh (minnow as dom0: the serial log, Xen's
# lines included) and tests/toolstack/checks/conformance_domu.sh (minnow as
# a domU: its console, then `xl dmesg`).
#
#   awk -v order="t1 t2 t3" -f conformance.awk LOG
#       order: the tests this boot was to run, in run order
#
# Prints, one line each:
#   RESULT <test> SUCCESS|SKIP|ERROR|FAILURE|CRASH <message>
#   RESUME <test>     the boot ended in <test>; go on after it
#   END               nothing left to run
#   NOBOOT <why>      minnow never reached its tests (no `minnow: ready`)
#
# CRASH is a test that ended the domain: minnow's fatal trap or panic
# (reported by the runner as `FAIL fatal trap ...` / `FAIL panic`), or a
# boot that stopped with no result for the running test (Xen killed the
# domain, or it hung); the message then quotes what Xen said about it.
BEGIN {
    word["PASS"] = "SUCCESS"; word["SKIP"] = "SKIP"
    word["ERROR"] = "ERROR"; word["FAIL"] = "FAILURE"
    nxen = 0
}
{ sub(/\r$/, "") }
/minnow: ready/ { ready = 1 }
match($0, /TEST [A-Za-z0-9_]+: (PASS|SKIP|ERROR|FAIL)( |$)/) {
    line = substr($0, RSTART + 5)
    name = line; sub(/:.*/, "", name)
    rest = line; sub(/^[^:]*: /, "", rest)
    verdict = rest; sub(/ .*/, "", verdict)
    msg = rest; sub(/^[A-Z]+ ?/, "", msg)
    status = word[verdict]
    if (verdict == "FAIL" && (msg ~ /^fatal trap / || msg == "panic")) {
        status = "CRASH"; msg = "minnow: " msg; crashed = name
    }
    print "RESULT " name " " status " " msg
    seen[name] = 1
    nxen = 0                    # Xen's words about an earlier test do not count
    next
}
/Test result: / { finished = 1 }
# What Xen says when it kills a domain (and, for dom0, restarts the machine).
/domain_crash|[Cc]rashed|Pagefault|[Ff]atal|Panic|BUG|Assertion|Fault/ && /\(XEN\)|^\(d[0-9]|domain/ {
    if (nxen < 3) { sub(/^.*\(XEN\) */, ""); xen[++nxen] = $0 }
}
END {
    if (crashed != "") { resume = crashed }
    else if (!finished) {
        n = split(order, t, " ")
        for (i = 1; i <= n; i++)
            if (!(t[i] in seen)) { running = t[i]; break }
        if (running != "" && !ready) { print "NOBOOT minnow did not reach its tests"; exit }
        if (running != "") {
            why = ""
            for (j = 1; j <= nxen; j++) why = why (j > 1 ? "; " : "") xen[j]
            print "RESULT " running " CRASH the domain ended with no result: " \
                  (why != "" ? "Xen: " why : "no message from Xen (killed, hung or timed out)")
            resume = running
        }
    }
    if (resume != "" && order !~ ("(^| )" resume "$")) print "RESUME " resume
    else print "END"
}
