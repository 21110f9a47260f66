#!/bin/bash
# Fetch a Xen hypervisor packaged by another Debian release and print the
# path of its plain ELF (what QEMU's -kernel boots, like the gunzipped
# /boot/xen-4.17-amd64.gz).
#
#   scripts/fetch-xen-deb.sh SUITE PACKAGE    e.g. trixie xen-hypervisor-4.20-amd64
#
# The .deb comes through apt with a private sources list for SUITE (the
# machine's apt configuration is not touched), and is unpacked with
# dpkg-deb, not installed.  Cached: fetched only when the ELF is missing.
#
#   build/xen-deb/SUITE/apt/      sources.list, lists, cache
#   build/xen-deb/SUITE/PACKAGE/  the unpacked .deb (root/, less the EFI
#                                 image); VERSION says which
#   build/xen-deb/SUITE/PACKAGE/xen      the hypervisor ELF
set -euo pipefail

SUITE=${1:-} PACKAGE=${2:-}
[ -n "$SUITE" ] && [ -n "$PACKAGE" ] || { echo "usage: $0 SUITE PACKAGE" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOP=$ROOT/build/xen-deb/$SUITE
OUT=$TOP/$PACKAGE
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-$SUITE-automatic.gpg

die() { echo "fetch-xen-deb: $*" >&2; exit 1; }

[ -s "$OUT/xen" ] && { echo "$OUT/xen"; exit 0; }
[ -f "$KEYRING" ] || die "no $KEYRING (a newer debian-archive-keyring has it)"

apt=$TOP/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" > "$apt/sources.list"
opts=(-o Dir::Etc::sourcelist="$apt/sources.list"
      -o Dir::Etc::sourceparts=/nonexistent
      -o Dir::State::Lists="$apt/lists"
      -o Dir::Cache="$apt/cache"
      -o APT::Architectures=amd64
      -o Acquire::Languages=none
      -o APT::Sandbox::User=root)
echo "fetch-xen-deb: apt-get update ($SUITE, private list)" >&2
apt-get "${opts[@]}" -qq update || die "apt-get update for $SUITE failed"
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
(cd "$OUT.tmp" && apt-get "${opts[@]}" -qq download "$PACKAGE") ||
    die "apt-get download $PACKAGE from $SUITE failed"
deb=$(ls "$OUT.tmp"/*.deb)
dpkg-deb -x "$deb" "$OUT.tmp/root" || die "dpkg-deb -x $deb failed"
dpkg-deb -f "$deb" Version > "$OUT.tmp/VERSION"
gz=$(ls "$OUT.tmp"/root/boot/xen-*.gz 2>/dev/null | head -n1)
[ -n "$gz" ] || die "$deb has no boot/xen-*.gz"
gunzip -c "$gz" > "$OUT.tmp/xen"
# Keep the config (what the package enabled), not the 29 MB EFI image.
rm -f "$deb" "$OUT.tmp"/root/boot/*.efi
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "fetch-xen-deb: $PACKAGE $(cat "$OUT/VERSION") from $SUITE" >&2
echo "$OUT/xen"
