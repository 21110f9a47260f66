# Helpers for the toolstack checks (sourced by tests/toolstack/checks/*.sh
# inside the harness's dom0).  A check ends with pass, fail or skip; its
# output goes to $CHECK_DIR/log, which /init shows on FAIL.
#
#   pass "detail"   exit 0    -> CHECK name: PASS detail
#   fail "detail"   exit 1    -> CHECK name: FAIL detail
#   skip "detail"   exit 77   -> CHECK name: SKIP detail
#
# Guest-side line contract (printed by minnow on its PV console ring, read
# here from /var/log/xen/console/guest-NAME.log; see README.md):
#   minnow: ready                              boot done (kernel/boot/main.c)
#   XS READBACK data/minnow-test <value>       xenstore_test on the cmdline
#   XS EVENT data/minnow-watch <value>|(none)
#   minnow: <poweroff|reboot|suspend> requested by the toolstack
#                                              on control/shutdown
#   P2M <pfn> <mfn> ram|foreign                p2m_dump on the cmdline
#   P2M <start>-<last> identity                (mm/p2m_check.c)
#   P2M END <count>
#   E820 (sanitized) (N entries):              every boot (mm/e820.c)
#     [0x<start>-0x<end>) <name> (type <n>), <k> KiB
#   TEST <name>: PASS|FAIL|SKIP ...            tests=... on the cmdline
#   Test result: SUCCESS|FAILURE|ERROR|SKIP
#   RESTORE NOW [xl-setting ...]               tests/guest/test_restore.c
READY_ERE='^minnow: ready'
# shutdown_ere REASON: the line minnow prints when control/shutdown asks.
shutdown_ere() { echo "^minnow: $1 requested by the toolstack"; }

MINNOW_IMAGE=/toolstack/minnow
CFG_DIR=/toolstack
CONSOLE_DIR=/var/log/xen/console
: "${CHECK_DIR:=/tmp/check/manual}"
: "${CHECK_NAME:=manual}"
mkdir -p "$CHECK_DIR"

log()  { echo "[$(cut -d' ' -f1 /proc/uptime)] $*" >&2; }
pass() { echo "$*" > "$CHECK_DIR/detail"; log "PASS $*"; exit 0; }
fail() { echo "$*" > "$CHECK_DIR/detail"; log "FAIL $*"; exit 1; }
skip() { echo "$*" > "$CHECK_DIR/detail"; log "SKIP $*"; exit 77; }

need_minnow() {
    [ -f "$MINNOW_IMAGE" ] || skip "no minnow image (build/minnow was not built)"
}

console_log() { echo "$CONSOLE_DIR/guest-$1.log"; }

# The console log without the \r that guests may print.
console_text() { { tr -d '\r' < "$(console_log "$1")"; } 2>/dev/null; }

# domu_create NAME CFG [xl key=value ...]: xl create, print the domid.
# Every domain a check creates is recorded so /init can show its console
# on FAIL.  The console log is emptied first so old runs cannot match.
# XL_CREATE_OPTS=-p creates it paused (xl unpause lets it run).
domu_create() {
    local name=$1 cfg=$2 id
    shift 2
    echo "$name" >> "$CHECK_DIR/domains"
    rm -f "$(console_log "$name")"
    log "xl create $cfg name=$name $*"
    rm -f "$CHECK_DIR/create-error"
    # shellcheck disable=SC2086
    if ! xl create ${XL_CREATE_OPTS:-} "$CFG_DIR/$cfg" "name=\"$name\"" "$@" \
            > "$CHECK_DIR/xl-create.log" 2>&1; then
        cat "$CHECK_DIR/xl-create.log" >&2
        # Seen intermittently: xl's heap is corrupt when it forks its
        # monitoring daemon ("daemonizing child ... died").  The domain was
        # built and runs; only on_reboot handling is lost.  Carry on.
        if grep -q 'daemonizing child' "$CHECK_DIR/xl-create.log" &&
           id=$(domu_domid "$name"); then
            log "WARNING: xl's monitoring daemon for $name died; domain $id runs without it"
            echo "$id"
            return 0
        fi
        { grep -m1 -E 'error' "$CHECK_DIR/xl-create.log" ||
          tail -n1 "$CHECK_DIR/xl-create.log"; } > "$CHECK_DIR/create-error"
        return 1
    fi
    if ! id=$(domu_domid "$name"); then
        # xl create returned, but the domain is already gone: it shut
        # itself down (on_crash = preserve would have kept a crash).
        echo "domain $name ended right after xl create (it shut down by itself)" \
            > "$CHECK_DIR/create-error"
        log "$(cat "$CHECK_DIR/create-error")"
        return 1
    fi
    log "created $name as domain $id"
    echo "$id"
}

# xl_create_error: why the last domu_create failed.
xl_create_error() { cat "$CHECK_DIR/create-error" 2>/dev/null; }

# Name lookups parse the full `xl list`: `xl domid NAME` and `xl list NAME`
# go through libxl_name_to_domid, which segfaults (measured) when some
# domain has no name in xenstore, e.g. while one is being torn down.  Plain
# `xl list` has been seen to segfault too (a minnow in state "------" after
# its test run); then xenstore still knows the domain, and its state is
# reported as "unknown" (alive as far as the waits are concerned).
_xl_row() {             # _xl_row NAME: NAME's line of xl list, if any
    local out rc d try=0
    while :; do
        out=$(xl list 2>/dev/null)
        rc=$?
        [ "$rc" = 0 ] || [ $try -ge 2 ] && break
        try=$((try + 1))
        sleep 0.3
    done
    echo "$out" | awk -v n="$1" '$1 == n { print; found = 1 } END { exit !found }' &&
        return 0
    [ "$rc" = 0 ] && return 1
    log "xl list failed (status $rc); looking $1 up in xenstore"
    for d in $(xenstore-list /local/domain 2>/dev/null); do
        if [ "$(xenstore-read "/local/domain/$d/name" 2>/dev/null)" = "$1" ]; then
            echo "$1 $d ? ? unknown ?"
            return 0
        fi
    done
    return 1
}

# domu_domid NAME: the domid, or fail.
domu_domid() {
    local row
    row=$(_xl_row "$1") || return 1
    echo "$row" | awk '{ print $2 }'
}

# domu_state NAME: the state column of xl list ("r-----", "--p---", ...).
domu_state() { _xl_row "$1" | awk '{ print $5 }'; }

# domu_mem_mib NAME: the Mem column of xl list (tot_pages / 256).
domu_mem_mib() { _xl_row "$1" | awk '{ print $3 }'; }

domu_exists() { _xl_row "$1" >/dev/null; }

# wait_for SECS CMD...: run CMD every 0.2 s until it succeeds or SECS pass.
wait_for() {
    local secs=$1 end
    shift
    end=$(awk -v u="$(cut -d' ' -f1 /proc/uptime)" -v s="$secs" 'BEGIN { print u + s }')
    while :; do
        "$@" && return 0
        awk -v u="$(cut -d' ' -f1 /proc/uptime)" -v e="$end" 'BEGIN { exit !(u >= e) }' &&
            return 1
        sleep 0.2
    done
}

# console_has NAME ERE: the console log has a line matching ERE.
console_has() { console_text "$1" | grep -qE "$2"; }

# wait_console NAME ERE SECS: wait for a console line matching ERE; fails
# early when the domain has died.
wait_console() {
    local name=$1 ere=$2 secs=$3
    wait_for "$secs" _console_or_dead "$name" "$ere" || return 1
    console_has "$name" "$ere"
}
_console_or_dead() {
    console_has "$1" "$2" && return 0
    case $(domu_state "$1") in
    *c*|"") log "domain $1 crashed or is gone"; return 0 ;;
    esac
    return 1
}

# wait_output NAME ERE SECS [QUIET]: like wait_console, for output that
# streams (a p2m dump): also gives up once the console has not grown for
# QUIET seconds (default 6), so a dump cut short fails fast.
wait_output() {
    local name=$1 ere=$2 secs=$3 quiet=${4:-6} size=-1 still=0 end
    end=$(( $(cut -d. -f1 /proc/uptime) + secs ))
    while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
        console_has "$name" "$ere" && return 0
        local now_size
        now_size=$(wc -c < "$(console_log "$name")" 2>/dev/null || echo 0)
        if [ "$now_size" = "$size" ]; then
            still=$((still + 1))
            [ "$still" -ge "$quiet" ] && { log "$name: console quiet for $quiet s"; break; }
        else
            still=0; size=$now_size
        fi
        sleep 1
    done
    console_has "$name" "$ere"
}

# wait_ready NAME SECS: the ready line, or a FAIL naming what happened.
wait_ready() {
    wait_console "$1" "$READY_ERE" "$2" && return 0
    case $(domu_state "$1") in
    *c*) fail "$1 crashed before 'minnow: ready'" ;;
    "")  fail "$1 vanished before 'minnow: ready'" ;;
    *)   fail "no 'minnow: ready' from $1 within $2 s (console: $(console_text "$1" | wc -l) lines)" ;;
    esac
}

# p2m_lines NAME: how many P2M lines the console has (for FAIL details).
p2m_lines() { console_text "$1" | grep -c '^P2M '; }

# wait_booted NAME SECS: minnow is up far enough for the tools to look at
# its memory: it printed the ready line, or it shut itself down cleanly and
# was kept (create it with on_poweroff="preserve"; state 's', not 'c').
# This lets the p2m checks run without the console ring or an idle loop.
wait_booted() {
    wait_for "$2" _booted_or_dead "$1"
    console_has "$1" "$READY_ERE" && { log "$1: ready line seen"; return 0; }
    case $(domu_state "$1") in
    *c*) fail "$1 crashed during boot" ;;
    *s*) log "$1: shut down by itself (preserved); no ready line seen"; return 0 ;;
    "")  fail "$1 vanished during boot" ;;
    *)   fail "$1 neither printed 'minnow: ready' nor shut down within $2 s" ;;
    esac
}
_booted_or_dead() {
    console_has "$1" "$READY_ERE" && return 0
    case $(domu_state "$1") in *c*|*s*|"") return 0 ;; esac
    return 1
}

# wait_gone NAME SECS
wait_gone() { wait_for "$2" eval "! domu_exists $1"; }

# The Linux PV domU (tests/toolstack/linux.cfg; in dom0 only when the
# harness runs with --linux-domu).  Its /init prints (linux-domu/init):
#   LINUX MEM current_kb=<n> free_kb=<n> used_kb=<n>
#   linux: ready
LINUX_READY_ERE='^linux: ready'
need_linux_domu() {
    [ -f /toolstack/linux/vmlinux ] ||
        skip "no Linux domU in dom0 (scripts/run-toolstack.sh --linux-domu)"
}

# sector_pattern TAG FIRST COUNT FILLBASE: the 512-byte sectors FIRST..
# FIRST+COUNT-1 as tests/guest/blkfront_disk.h draws them: "TAG-<n>\n",
# then the byte FILLBASE + n % 26 (65 = 'A', 97 = 'a').
sector_pattern() {
    awk -v tag="$1" -v first="$2" -v n="$3" -v base="$4" 'BEGIN {
        for (s = first; s < first + n; s++) {
            h = tag "-" s "\n"
            f = sprintf("%c", base + s % 26)
            while (length(f) < 512) f = f f
            printf "%s%s", h, substr(f, 1, 512 - length(h))
        }
    }'
}
