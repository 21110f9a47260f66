#!/bin/bash
# Layers call downward only.  Reads the symbol tables of the guest objects
# (nm): every undefined symbol an object uses is looked up among the
# objects that define it, and a call into a higher layer is an error.
#
#   5  kernel/boot/     the composition root: start_kernel, mm setup, app
#   4  drivers/*/       frontends and the balloon worker (not drivers/xen)
#   3  drivers/xen/     Xen services: xenstore, xenbus, grant tables, control, suspend
#   2  kernel/          threads, time, events, console, command line, syscalls
#   1  mm/              memory: frames, page tables, p2m, E820, heap, balloon core
#   0  arch/x86_64/     the CPU and the PV ABI: entry, traps, hypercalls, exit
#
# The console floor (printk, panic) may be called from every layer, as
# every kernel's printk is; and head.S's jump to start_kernel is the one
# call up the arch layer makes (it is how any kernel starts).  Both are
# listed below and nothing else is.
#
# The arch layer's includes are checked too: arch/ may include its own
# headers, Xen's and the C library's, and from include/minnow/ only the
# headers of the documented arch interface (docs/map.md, "Layers").  And
# mm/, which the host tests build, may include from arch/ only the two
# headers host builds have: <arch/page.h> and <arch/barrier.h>.
#
# Usage: scripts/check-layers.sh [BUILD_DIR]     (after `make`)
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
# Only objects of sources that still exist (a moved file leaves its old .o).
objs=$(cd "$build/guest" && find arch kernel mm drivers -name '*.o' | sort)
objs=$(for o in $objs; do
           if [ -e "${o%.o}.c" ] || [ -e "${o%.o}.S" ]; then echo "$o"; fi
       done)
[ -n "$objs" ] || { echo "check-layers: no objects under $build/guest (run make)" >&2; exit 2; }

floor=" printk vprintk panic "
entry="arch/x86_64/head start_kernel"
arch_may_include=" console.h panic.h exit.h hypervisor.h xen_mm.h "
mm_may_include=" page.h barrier.h "

rank() {
    case $1 in
        kernel/boot/*)  echo 5 ;;
        drivers/xen/*)  echo 3 ;;
        drivers/*)      echo 4 ;;
        kernel/*)       echo 2 ;;
        mm/*)           echo 1 ;;
        arch/*)         echo 0 ;;
        *)              echo "check-layers: $1 is in no layer" >&2; exit 2 ;;
    esac
}

defs=$(mktemp); uses=$(mktemp)
trap 'rm -f "$defs" "$uses"' EXIT
for o in $objs; do
    src=${o%.o}
    r=$(rank "$o")
    nm -g --defined-only "$build/guest/$o" | awk -v f="$src" -v r="$r" 'NF==3{print $3, f, r}' >>"$defs"
    nm -u "$build/guest/$o" | awk -v f="$src" -v r="$r" '{print $2, f, r}' >>"$uses"
done

bad=$(awk -v floor="$floor" -v entry="$entry" '
    NR==FNR { def[$1] = $2; drank[$1] = $3; next }
    ($1 in def) && drank[$1] > $3 && index(floor, " " $1 " ") == 0 && $2 " " $1 != entry {
        printf "  %s (layer %d) calls %s, defined in %s (layer %d)\n", $2, $3, $1, def[$1], drank[$1]
    }' "$defs" "$uses" | sort -u)
for f in $(git ls-files 'arch/*.c' 'arch/*.S' 'arch/*.h'); do
    for h in $(sed -n 's|^#include <minnow/\(.*\)>.*|\1|p' "$f"); do
        case "$arch_may_include" in
            *" $h "*) ;;
            *) bad="$bad
  $f includes <minnow/$h>, which is not part of the arch interface" ;;
        esac
    done
done
for f in $(git ls-files 'mm/*.c' 'mm/*.h'); do
    for h in $(sed -n 's|^#include <arch/\(.*\)>.*|\1|p' "$f"); do
        case "$mm_may_include" in
            *" $h "*) ;;
            *) bad="$bad
  $f includes <arch/$h>, which host builds of mm/ do not have" ;;
        esac
    done
done
bad=$(echo "$bad" | sed '/^$/d')
if [ -n "$bad" ]; then
    echo "check-layers: calls into a higher layer:"
    echo "$bad"
    exit 1
fi
echo "check-layers: $(echo "$objs" | wc -l) objects, every call goes down a layer (or to printk/panic)"
