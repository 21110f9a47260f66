#!/bin/bash
# Build the dom0 initrd of the toolstack harness from Debian packages only.
#
#   tests/toolstack/build-initramfs.sh [--minnow PATH] [--out DIR]
#                                      [--run-conf FILE] [--linux-domu]
#                                      [--minnow-bench PATH] [--conformance PATH]
#
# --linux-domu adds a Linux PV domU (build-linux-domu.sh: this kernel and a
# busybox initramfs) at /toolstack/linux/, for tests/toolstack/linux.cfg: a
# third archive, about the kernel's size, so only when asked.
# --minnow-bench PATH adds minnow's bench app (tests/bench/guest/) as
# /toolstack/minnow-bench, for the benchmarks of tests/toolstack/bench/.
#
# --conformance PATH (default build/minnow-conformance, when built) is the
# hypervisor conformance suite, /toolstack/minnow-conformance (the check
# conformance_domu boots it).
#
# --run-conf FILE is copied to /toolstack/run.conf (shell variables that
# /init sources: DOMU_SECS, DOMU_EXTRA for minnow.mode=domu).
#
# The initrd is two cpio archives glued together (Linux unpacks every archive
# it finds in the initrd, later ones on top of earlier ones):
#
#   +--------------------------------------+------------------------------+
#   | base.cpio     (cached, ~19 MB)       | overlay.cpio (rebuilt always)|
#   | busybox, bash, xl, xenstored,        | /init, /toolstack/lib.sh,    |
#   | xenconsoled, xen-init-dom0, xenstore | /toolstack/checks/*.sh,      |
#   | tools, xen-mfndump, libraries,       | /toolstack/*.cfg, *.awk,     |
#   | /etc/xen/scripts, kernel modules     | /toolstack/minnow            |
#   +--------------------------------------+------------------------------+
#
# Why two: minnow changes on every build, the Debian files almost never.  The
# base is keyed by a hash of this script, the kernel version and the versions
# of every package it takes files from; the overlay is a few hundred KiB and
# costs a few milliseconds, so it is simply rebuilt on every run.
#
# Outputs (in $OUT, default build/toolstack):
#   base.cpio, base.key       cached base archive and the key it was built for
#   overlay.cpio              this run's overlay
#   dom0-initrd.img           base.cpio + overlay.cpio, given to Xen as the
#                             dom0 ramdisk
#   vmlinux, xen              the dom0 kernel (ELF, unpacked from the
#                             bzImage) and the gunzipped hypervisor
#
# Nothing is compressed: under TCG every decompression is paid at every boot
# (the bzImage's xz payload alone costs Xen 5-7 s), while QEMU loads
# uncompressed files from the host at memcpy speed.
#   kernel-version            the kernel the modules belong to
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$REPO/build/toolstack
MINNOW=$REPO/build/minnow-test
CONFORMANCE=$REPO/build/minnow-conformance
RUNCONF=
LINUX_DOMU=0
MINNOW_BENCH=

while [ $# -gt 0 ]; do
    case $1 in
    --minnow) MINNOW=$2; shift 2 ;;
    --out)    OUT=$2; shift 2 ;;
    --run-conf) RUNCONF=$2; shift 2 ;;
    --linux-domu) LINUX_DOMU=1; shift ;;
    --minnow-bench) MINNOW_BENCH=$2; shift 2 ;;
    --conformance) CONFORMANCE=$2; shift 2 ;;
    *) echo "build-initramfs: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

die() { echo "build-initramfs: $*" >&2; exit 1; }

XEN_BIN=/usr/lib/xen-4.17/bin
XEN_GZ=/boot/xen-4.17-amd64.gz

# Packages whose files end up in the base (their versions key the cache).
PACKAGES="xen-utils-4.17 xen-utils-common xenstore-utils libxen-dev
          libxenstore4 busybox-static bash util-linux coreutils libc6
          libgcc-s1 libyajl2 libuuid1 zlib1g liblzma5 libzstd1 libtinfo6
          libselinux1 libpcre2-8-0 xen-hypervisor-4.17-amd64"

# Modules the harness loads, in any order: dependencies come from modules.dep.
MODULES="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback brd"

# Binaries copied at their Debian paths (libxl finds its helpers and hotplug
# scripts by compiled-in absolute paths, so the paths must not change).
BINARIES="$XEN_BIN/xl $XEN_BIN/xenstored $XEN_BIN/xenconsoled
          $XEN_BIN/xenconsole $XEN_BIN/xen-init-dom0 $XEN_BIN/xen-mfndump
          $XEN_BIN/libxl-save-helper $XEN_BIN/xenctx $XEN_BIN/lsevtchn
          $XEN_BIN/vchan-socket-proxy
          /usr/bin/xenstore /bin/bash /usr/bin/flock /usr/bin/stat"
XENSTORE_TOOLS="xenstore-read xenstore-write xenstore-rm xenstore-ls
                xenstore-list xenstore-exists xenstore-watch xenstore-chmod"

# ----------------------------------------------------------------- inputs
newest_kernel() {
    ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n1
}
KVER=${KVER:-$(newest_kernel)}
[ -n "$KVER" ] || die "no /boot/vmlinuz-* (install linux-image-amd64)"
[ -d /lib/modules/$KVER ] || die "no /lib/modules/$KVER"
[ -f $XEN_GZ ] || die "no $XEN_GZ (install xen-hypervisor-4.17-amd64)"
for b in $BINARIES /bin/busybox; do
    [ -x "$b" ] || die "missing $b (install xen-utils-4.17 busybox-static)"
done

mkdir -p "$OUT"

pkg_versions() {       # one dpkg-query for all (absent ones are just missing)
    # shellcheck disable=SC2086
    dpkg-query -W -f='${Package} ${Version}\n' $PACKAGES "linux-image-$KVER" 2>/dev/null |
        sort || true
}
KEY=$( { sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1; echo "$KVER";
         pkg_versions; } | sha256sum | cut -d' ' -f1)

# -------------------------------------------------- hypervisor and kernel
# QEMU's -kernel loads the 32-bit multiboot ELF inside xen-4.17-amd64.gz.
if [ ! -s "$OUT/xen" ] || [ "$XEN_GZ" -nt "$OUT/xen" ]; then
    gzip -dc "$XEN_GZ" > "$OUT/xen.tmp" && mv "$OUT/xen.tmp" "$OUT/xen"
fi
# The dom0 kernel is given to Xen as the plain vmlinux ELF: Xen's dom0
# builder can unpack the xz payload of the bzImage itself, but that takes
# 5-7 s under TCG, on every boot.  Cut the payload out once, here.
is_complete_elf() {     # ELF magic, and the section headers are in the file
    [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 1
    local shoff shnum
    shoff=$(od -An -t u8 -j 40 -N 8 "$1" | tr -d ' ')
    shnum=$(od -An -t u2 -j 60 -N 2 "$1" | tr -d ' ')
    [ $((shoff + shnum * 64)) -le "$(stat -c %s "$1")" ]
}
extract_vmlinux() {     # extract_vmlinux BZIMAGE OUT
    local off magic tool
    for magic in xz gzip zstd; do
        case $magic in
        xz)   off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$1" | head -n1 | cut -d: -f1); tool="xz -dc" ;;
        gzip) off=$(LC_ALL=C grep -abo $'\x1f\x8b\x08' "$1" | head -n1 | cut -d: -f1); tool="gzip -dc" ;;
        zstd) off=$(LC_ALL=C grep -abo $'\x28\xb5\x2f\xfd' "$1" | head -n1 | cut -d: -f1); tool="zstd -qdc" ;;
        esac
        [ -n "$off" ] || continue
        # The payload is followed by more of the bzImage: the decompressor
        # complains about trailing data, so judge the result instead.
        tail -c +$((off + 1)) "$1" | $tool > "$2" 2>/dev/null || true
        is_complete_elf "$2" && return 0
    done
    return 1
}
VMLINUZ=/boot/vmlinuz-$KVER
if [ ! -s "$OUT/vmlinux" ] || [ "$(cat "$OUT/vmlinux.key" 2>/dev/null)" != "$KVER $(stat -c '%s %Y' "$VMLINUZ")" ]; then
    if extract_vmlinux "$VMLINUZ" "$OUT/vmlinux.tmp"; then
        mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
    else
        echo "build-initramfs: cannot unpack $VMLINUZ; using the bzImage (slower boot)" >&2
        rm -f "$OUT/vmlinux.tmp"
        cp "$VMLINUZ" "$OUT/vmlinux"
    fi
    echo "$KVER $(stat -c '%s %Y' "$VMLINUZ")" > "$OUT/vmlinux.key"
fi
echo "$KVER" > "$OUT/kernel-version"

# ----------------------------------------------------------------- base
copy_file() {           # copy_file SRC -> same path under $ROOT, links resolved
    local src=$1 dst=$ROOT$1
    [ -e "$dst" ] && return 0
    mkdir -p "$(dirname "$dst")"
    cp -L "$src" "$dst"
}

copy_libs() {           # copy_libs BINARY: every library ldd names
    local lib
    # ldd lines: "libx.so => /path (0x..)" or "/lib64/ld-linux... (0x..)"
    for lib in $(ldd "$1" | awk '/=>/ { print $3; next } /^[ \t]*\// { print $1 }'); do
        [ -f "$lib" ] || die "ldd $1: '$lib' not found"
        copy_file "$lib"
    done
}

copy_module() {         # copy_module RELPATH (relative to /lib/modules/$KVER)
    local rel=$1 src=/lib/modules/$KVER/$1 dst
    dst=$ROOT/lib/modules/$KVER/${rel%.xz}
    dst=${dst%.zst}
    [ -e "$dst" ] && return 0
    mkdir -p "$(dirname "$dst")"
    # busybox insmod loads plain ELF only: decompress here, on the host.
    case $rel in
    *.ko.xz)  xz -dc "$src" > "$dst" ;;
    *.ko.zst) zstd -qdc "$src" > "$dst" ;;
    *.ko.gz)  gzip -dc "$src" > "$dst" ;;
    *.ko)     cp "$src" "$dst" ;;
    *) die "unknown module format: $rel" ;;
    esac
    echo "/lib/modules/$KVER/${dst#$ROOT/lib/modules/$KVER/}" >> "$ROOT/etc/modules.order"
}

# Dependencies first, then the module itself, each once.
add_module() {
    local name=$1 line rel deps d
    line=$(grep -E "(^|/)${name}\.ko(\.xz|\.zst|\.gz)?:" \
           /lib/modules/$KVER/modules.dep | head -n1) ||
        die "module $name not in /lib/modules/$KVER/modules.dep"
    rel=${line%%:*}
    deps=${line#*:}
    for d in $deps; do
        d=$(basename "$d"); d=${d%%.ko*}
        add_module "$d"
    done
    copy_module "$rel"
}

build_base() {
    ROOT=$OUT/base-root
    rm -rf "$ROOT"
    mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,run,tmp,root}
    mkdir -p "$ROOT"/var/{lib/xen/dump,lib/xenstored,log/xen/console}
    ln -s ../run "$ROOT/var/run"
    # The kernel opens /dev/console for /init before devtmpfs is mounted.
    # Not root: no nodes; /init still works (it redirects after mounting).
    mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null &&
        mknod -m 666 "$ROOT/dev/null" c 1 3 ||
        echo "build-initramfs: not root: no /dev/console in the initrd" >&2

    cp /bin/busybox "$ROOT/bin/busybox"
    # Applets are linked at build time so /init can use them at once.
    local applet
    for applet in $(/bin/busybox --list); do
        case $applet in busybox|bash) continue ;; esac
        [ -e "$ROOT/bin/$applet" ] || ln -s busybox "$ROOT/bin/$applet"
    done

    local b t
    for b in $BINARIES; do
        copy_file "$b"
        copy_libs "$b"
    done
    # Real flock/stat/bash override busybox's (locking.sh needs stat -L -c).
    ln -sf /usr/bin/flock "$ROOT/bin/flock"
    ln -sf /usr/bin/stat "$ROOT/bin/stat"
    for t in $XENSTORE_TOOLS; do ln -s xenstore "$ROOT/usr/bin/$t"; done
    for b in xl xenstored xenconsoled xen-init-dom0 xen-mfndump xenctx lsevtchn \
             vchan-socket-proxy; do
        ln -s ../lib/xen-4.17/bin/$b "$ROOT/usr/sbin/$b"
    done
    # glibc loads libgcc_s at run time for pthread_cancel: ldd cannot see it.
    copy_file /lib/x86_64-linux-gnu/libgcc_s.so.1

    # Block hotplug script and everything it sources.
    mkdir -p "$ROOT/etc/xen/scripts"
    cp -a /etc/xen/scripts/. "$ROOT/etc/xen/scripts/"
    cp /etc/xen/xl.conf "$ROOT/etc/xen/xl.conf"

    : > "$ROOT/etc/modules.order"
    local m
    for m in $MODULES; do add_module "$m"; done
    cp /lib/modules/$KVER/modules.dep "$ROOT/lib/modules/$KVER/"

    echo "root:x:0:0:root:/root:/bin/sh" > "$ROOT/etc/passwd"
    echo "root:x:0:" > "$ROOT/etc/group"
    echo "$KVER" > "$ROOT/etc/kernel-version"

    (cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc --quiet --owner=0:0) > "$OUT/base.cpio.tmp"
    mv "$OUT/base.cpio.tmp" "$OUT/base.cpio"
    rm -f "$OUT/base.cpio.gz"
    echo "$KEY" > "$OUT/base.key"
    rm -rf "$ROOT"
}

if [ ! -s "$OUT/base.cpio" ] || [ "$(cat "$OUT/base.key" 2>/dev/null)" != "$KEY" ]; then
    t0=$(date +%s.%N)
    build_base
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v s="$(du -h "$OUT/base.cpio" | cut -f1)" \
        'BEGIN { printf "build-initramfs: base rebuilt in %.1f s (%s)\n", b - a, s }' >&2
fi

# ----------------------------------------------------------------- overlay
# Everything that changes with the repository: init, checks, configs, minnow.
OV=$OUT/overlay-root
rm -rf "$OV"
mkdir -p "$OV/toolstack/checks"
install -m 755 "$HERE/init" "$OV/init"
install -m 644 "$HERE/lib.sh" "$OV/toolstack/lib.sh"
install -m 644 "$HERE/migrate-lib.sh" "$OV/toolstack/migrate-lib.sh"
install -m 644 "$HERE"/*.cfg "$HERE"/*.awk "$OV/toolstack/"
install -m 755 "$HERE"/checks/*.sh "$OV/toolstack/checks/"
[ -z "$RUNCONF" ] || install -m 644 "$RUNCONF" "$OV/toolstack/run.conf"
# The benchmarks (make bench only) and their stopwatch, built against the
# libxenctrl that xl brings into the base.
mkdir -p "$OV/toolstack/bench"
install -m 755 "$HERE"/bench/*.sh "$OV/toolstack/bench/"
if [ ! -x "$OUT/benchwait" ] || [ "$HERE/bench/benchwait.c" -nt "$OUT/benchwait" ]; then
    gcc -O2 -Wall -Wextra -Werror -o "$OUT/benchwait" "$HERE/bench/benchwait.c" -lxenctrl ||
        die "cannot build benchwait (libxen-dev)"
fi
install -m 755 "$OUT/benchwait" "$OV/usr/bin/benchwait" -D
# The dom0 vchan server of the vchan_client check (its libraries come with
# vchan-socket-proxy in the base).
if [ ! -x "$OUT/vchan-serve" ] || [ "$HERE/vchan-serve.c" -nt "$OUT/vchan-serve" ]; then
    gcc -O2 -Wall -Wextra -Werror -o "$OUT/vchan-serve" "$HERE/vchan-serve.c" -lxenvchan ||
        die "cannot build vchan-serve (libxen-dev)"
fi
install -m 755 "$OUT/vchan-serve" "$OV/usr/bin/vchan-serve"
if [ -f "$MINNOW" ]; then
    # Debug info is useless to the domain builder and triples the size.
    # Only for ELF: objcopy would "succeed" on a bzImage and break it.
    if [ "$(head -c 4 "$MINNOW" | od -An -c | tr -d ' ')" = '177ELF' ] &&
       objcopy --strip-debug "$MINNOW" "$OV/toolstack/minnow" 2>/dev/null; then
        :
    else
        cp "$MINNOW" "$OV/toolstack/minnow"
    fi
fi
if [ -n "$MINNOW_BENCH" ]; then
    [ -f "$MINNOW_BENCH" ] || die "no minnow bench app at $MINNOW_BENCH"
    objcopy --strip-debug "$MINNOW_BENCH" "$OV/toolstack/minnow-bench"
fi
# The example stub domain, for the vchan checks (they skip without it).
EXAMPLE=$REPO/build/vchan-echo
if [ -f "$EXAMPLE" ]; then
    objcopy --strip-debug "$EXAMPLE" "$OV/toolstack/vchan-echo"
    install -m 644 "$REPO/examples/vchan-echo/vchan-echo.cfg" "$OV/toolstack/"
fi
# The conformance suite is an ELF linked like minnow: the same stripping.
[ ! -f "$CONFORMANCE" ] ||
    objcopy --strip-debug "$CONFORMANCE" "$OV/toolstack/minnow-conformance" ||
    die "cannot copy $CONFORMANCE"
(cd "$OV" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc --quiet --owner=0:0) > "$OUT/overlay.cpio"
rm -rf "$OV"
PARTS=("$OUT/base.cpio" "$OUT/overlay.cpio")
if [ "$LINUX_DOMU" = 1 ]; then
    "$HERE/build-linux-domu.sh" --out "$OUT/linux-domu" --kernel "$OUT/vmlinux"
    PARTS+=("$OUT/linux-domu/dom0-part.cpio")
fi

# Linux looks for the next archive only at 4-byte aligned offsets and skips
# zero bytes in between (cpio pads to 512 already; a compressed base would
# not be).
for part in "${PARTS[@]}"; do
    cat "$part"
    head -c $(( (512 - $(stat -c %s "$part") % 512) % 512 )) /dev/zero
done > "$OUT/dom0-initrd.img.tmp"
mv "$OUT/dom0-initrd.img.tmp" "$OUT/dom0-initrd.img"
