#!/bin/bash
# Build the Linux PV domU of the toolstack harness: Debian's own kernel (the
# one dom0 runs) and a tiny initramfs made here.
#
#   tests/toolstack/build-linux-domu.sh [--out DIR] [--kernel VMLINUX]
#
#   DIR/initrd.cpio    busybox (busybox-static), /init
#                      (tests/toolstack/linux-domu/init), blkbench
#                      (linux-domu/blkbench.c, gcc -static) and the
#                      xen-blkfront module of the kernel; not compressed
#   DIR/vmlinux        the kernel: VMLINUX (default build/toolstack/vmlinux,
#                      which build-initramfs.sh cuts out of /boot/vmlinuz-*)
#   DIR/dom0-part.cpio both, at /toolstack/linux/ for the dom0 initrd
#                      (build-initramfs.sh --linux-domu appends it)
#
# xl boots it with tests/toolstack/linux.cfg.  Nothing is compressed, for
# the reason build-initramfs.sh gives: under TCG each decompression is paid
# at every boot.  Rebuilt when this script, its inputs, the kernel or
# busybox change (a few seconds: the static link).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$REPO/build/linux-domu
KERNEL=$REPO/build/toolstack/vmlinux

while [ $# -gt 0 ]; do
    case $1 in
    --out)    OUT=$2; shift 2 ;;
    --kernel) KERNEL=$2; shift 2 ;;
    *) echo "build-linux-domu: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
die() { echo "build-linux-domu: $*" >&2; exit 1; }

KVER=${KVER:-$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n1)}
[ -n "$KVER" ] || die "no /boot/vmlinuz-* (install linux-image-amd64)"
[ -s "$KERNEL" ] || die "no kernel at $KERNEL (tests/toolstack/build-initramfs.sh makes it)"
[ -x /bin/busybox ] || die "no /bin/busybox (install busybox-static)"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || die "no static libc (install libc6-dev)"
MODLINE=$(grep -E '(^|/)xen-blkfront\.ko(\.xz|\.zst|\.gz)?:' "/lib/modules/$KVER/modules.dep") ||
    die "no xen-blkfront in /lib/modules/$KVER/modules.dep"
MOD=/lib/modules/$KVER/${MODLINE%%:*}
[ -z "$(echo "${MODLINE#*:}" | tr -d ' ')" ] ||
    die "xen-blkfront has dependencies (${MODLINE#*:}): teach this script to load them"

mkdir -p "$OUT"
KEY=$( { sha256sum "${BASH_SOURCE[0]}" "$HERE/linux-domu/init" "$HERE/linux-domu/blkbench.c" |
         cut -d' ' -f1; echo "$KVER"; stat -c '%s %Y' "$KERNEL" /bin/busybox; } |
       sha256sum | cut -d' ' -f1)
if [ -s "$OUT/dom0-part.cpio" ] && [ "$(cat "$OUT/key" 2>/dev/null)" = "$KEY" ]; then
    exit 0
fi

ROOT=$OUT/root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,lib/modules}
# The kernel opens /dev/console for /init before devtmpfs is mounted.
mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null ||
    echo "build-linux-domu: not root: no /dev/console in the initrd" >&2
cp /bin/busybox "$ROOT/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$ROOT/bin/$applet"
done
install -m 755 "$HERE/linux-domu/init" "$ROOT/init"
gcc -O2 -static -pthread -Wall -Wextra -Werror -o "$ROOT/bin/blkbench" \
    "$HERE/linux-domu/blkbench.c"
strip "$ROOT/bin/blkbench"
# busybox insmod loads plain ELF only.
case $MOD in
*.ko.xz)  xz -dc "$MOD" ;;
*.ko.zst) zstd -qdc "$MOD" ;;
*.ko.gz)  gzip -dc "$MOD" ;;
*)        cat "$MOD" ;;
esac > "$ROOT/lib/modules/xen-blkfront.ko"
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc --quiet --owner=0:0) > "$OUT/initrd.cpio"
rm -rf "$ROOT"
cp "$KERNEL" "$OUT/vmlinux"

# The same two files as dom0 sees them: /toolstack/linux/{vmlinux,initrd.cpio}.
PART=$OUT/part
rm -rf "$PART"
mkdir -p "$PART/toolstack/linux"
ln "$OUT/vmlinux" "$PART/toolstack/linux/vmlinux"
ln "$OUT/initrd.cpio" "$PART/toolstack/linux/initrd.cpio"
(cd "$PART" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc --quiet --owner=0:0) > "$OUT/dom0-part.cpio"
rm -rf "$PART"
echo "$KEY" > "$OUT/key"
echo "build-linux-domu: $(du -h "$OUT/initrd.cpio" | cut -f1) initramfs, kernel $KVER ($(du -h "$OUT/vmlinux" | cut -f1))" >&2
