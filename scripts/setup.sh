#!/bin/sh
# Install the Debian packages minnow needs, if any are missing.  Called by
# `make run`, `make test` and .ci/run; quiet when everything is there.
set -eu

PACKAGES="gcc make binutils xz-utils newlib-source libxen-dev libcmocka-dev
qemu-system-x86 xen-hypervisor-4.17-amd64 clang libclang-rt-14-dev
linux-image-amd64 xen-utils-4.17 busybox-static cpio bash util-linux kmod
flex bison dpkg-dev python3-matplotlib"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "setup: installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "setup: not root; run: sudo apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/tmp/minnow-setup.log 2>&1 || {
    echo "setup: apt-get install failed; log: /tmp/minnow-setup.log" >&2
    tail -20 /tmp/minnow-setup.log >&2
    exit 1
}
echo "setup: done"
