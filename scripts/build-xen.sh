#!/bin/bash
# Build a Xen hypervisor from Debian 12's `xen` source package, with Debian's
# own config and one tweak, and print the path of the result (an ELF that
# QEMU's -kernel boots like the packaged /boot/xen-4.17-amd64.gz).
#
#   scripts/build-xen.sh VARIANT      VARIANT: shadow | debug (JOBS=N: make -jN)
#
#   shadow  CONFIG_SHADOW_PAGING=y: PV log-dirty, so `xl migrate` works
#   debug   CONFIG_DEBUG=y: assertions, Xen's debug checks and its messages
#           about what a guest did wrong (gdprintk, compiled out of a
#           release build; shown with guest_loglvl=all), and
#           CONFIG_VERBOSE_DEBUG=y (a guest's console_io output logged);
#           the boot banner says debug=y
#
# Only the hypervisor is built; the installed 4.17 tools drive it.  The
# source is fetched once through a private apt sources list that reuses the
# mirrors of the machine's own bookworm entries as deb-src (the machine's
# apt setup is not touched): the version of the installed
# xen-hypervisor-4.17-amd64 when a mirror serves its source, else the newest
# 4.17 one that does (security mirrors often carry no sources).  Shared by
# every variant:
#
#   build/xen-src/apt/           private sources.list, lists, cache
#   build/xen-src/source/        the unpacked, patched source; VERSION says which
#   build/xen-src/VARIANT/xen    the hypervisor (cached: built only when missing)
#   build/xen-src/VARIANT/tree/  that variant's copy of the source, built
set -euo pipefail

VARIANT=${1:-}
case "$VARIANT" in
    shadow) TWEAK="CONFIG_SHADOW_PAGING=y" ;;
    debug)  TWEAK="CONFIG_DEBUG=y CONFIG_VERBOSE_DEBUG=y" ;;
    *) echo "usage: $0 shadow|debug" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOP=$ROOT/build/xen-src
OUT=$TOP/$VARIANT
DEBIAN_CONFIG=/boot/xen-4.17-amd64.config

die() { echo "build-xen: $*" >&2; exit 1; }

[ -s "$OUT/xen" ] && { echo "$OUT/xen"; exit 0; }
# One build at a time (make test boots two shadow-Xen groups side by side):
# the second waits, then finds the first one's result.
mkdir -p "$TOP"
exec 8>"$TOP/.lock"
flock 8
[ -s "$OUT/xen" ] && { echo "$OUT/xen"; exit 0; }

[ -f "$DEBIAN_CONFIG" ] || die "no $DEBIAN_CONFIG (install xen-hypervisor-4.17-amd64)"
for tool in flex bison dpkg-source; do
    command -v $tool >/dev/null || die "no $tool (scripts/setup.sh installs flex, bison, dpkg-dev)"
done
SRC=$TOP/source

# The machine's bookworm entries (one-line .list or deb822 .sources), as
# deb-src lines with the same options, mirror, suite and components.
apt_src_lines() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" && / bookworm/ { $1 = "deb-src"; print }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function flush() {
                 if (types ~ /(^| )deb( |$)/ && suites ~ /bookworm/)
                     for (i = 1; i <= nu; i++) {
                         n = split(suites, s, " ")
                         for (j = 1; j <= n; j++)
                             printf "deb-src %s%s %s %s\n", opts, u[i], s[j], comps
                     }
                 types = suites = comps = opts = ""; nu = 0
             }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             { key = $1; sub(/:$/, "", key); $1 = ""; sub(/^ /, "") }
             key == "Types"      { types = $0 }
             key == "URIs"       { nu = split($0, u, " ") }
             key == "Suites"     { suites = $0 }
             key == "Components" { comps = $0 }
             key == "Signed-By"  { opts = "[signed-by=" $0 "] " }
             END { flush() }' "$f"
    done
}

fetch_source() {
    local apt=$TOP/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$TOP/download"
    apt_src_lines > "$apt/sources.list"
    [ -s "$apt/sources.list" ] || die "no bookworm entry in the machine's apt sources"
    local opts=(-o Dir::Etc::sourcelist="$apt/sources.list"
                -o Dir::Etc::sourceparts=/nonexistent
                -o Dir::State::Lists="$apt/lists"
                -o Dir::Cache="$apt/cache")
    apt-get "${opts[@]}" -qq update || die "apt-get update (private list) failed"
    local installed version got=""
    installed=$(dpkg-query -W -f='${Version}' xen-hypervisor-4.17-amd64)
    for version in $installed $(apt-cache "${opts[@]}" showsrc xen |
                                sed -n 's/^Version: \(4\.17\.\)/\1/p' |
                                grep -vxF "$installed" | sort -rV); do
        echo "build-xen: fetching the source of xen $version" >&2
        if (cd "$TOP/download" &&
            apt-get "${opts[@]}" -qq source --download-only "xen=$version" 2>/dev/null); then
            got=$version; break
        fi
    done
    [ -n "$got" ] || die "no mirror serves a 4.17 xen source package"
    rm -rf "$SRC.tmp"
    dpkg-source --no-check --no-copy -x "$TOP/download/xen_${got#*:}.dsc" "$SRC.tmp" >/dev/null ||
        die "dpkg-source -x failed"
    echo "$got" > "$SRC.tmp/VERSION"
    mv "$SRC.tmp" "$SRC"
}

[ -d "$SRC" ] || fetch_source

echo "build-xen: building the $VARIANT hypervisor from xen $(cat "$SRC/VERSION") ($TWEAK)" >&2
rm -rf "$OUT"
mkdir -p "$OUT"
cp -a "$SRC" "$OUT/tree"
cp "$DEBIAN_CONFIG" "$OUT/tree/xen/.config"
printf '%s\n' $TWEAK >> "$OUT/tree/xen/.config"
make -C "$OUT/tree/xen" olddefconfig > "$OUT/build.log" 2>&1 ||
    die "olddefconfig failed; log: $OUT/build.log"
for line in $TWEAK; do
    grep -qx "$line" "$OUT/tree/xen/.config" || die "$line did not stick in .config"
done
make -C "$OUT/tree/xen" -j"${JOBS:-$(nproc)}" >> "$OUT/build.log" 2>&1 ||
    { tail -20 "$OUT/build.log" >&2; die "build failed; log: $OUT/build.log"; }
cp "$OUT/tree/xen/xen" "$OUT/xen.tmp"
mv "$OUT/xen.tmp" "$OUT/xen"
echo "$OUT/xen"
