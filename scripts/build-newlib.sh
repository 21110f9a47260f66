#!/bin/sh
# Build newlib for minnow, or check a finished build (called by mk/newlib.mk).
#
#   build-newlib.sh build TARBALL DIR
#       Unpack TARBALL into DIR/src, configure for $NEWLIB_TARGET with the
#       host compiler $NEWLIB_CC standing in for the cross compiler, build
#       only newlib (no libgloss) and install into DIR/install.  Then make
#       sure nothing of the host C library got in: no /usr/include header in
#       the debug info, no TLS sections, no _chk/stack-protector/TLS symbols.
#       Writes DIR/installed.stamp.
#
#   build-newlib.sh check DIR SMOKE_DIR
#       Compile SMOKE_DIR/smoke.c with the guest flags ($NEWLIB_SMOKE_CFLAGS)
#       against the installed headers, link it -nostdlib against libc.a and
#       run it on the host, with SMOKE_DIR/smoke-sys.c supplying the few
#       syscalls through Linux.  Also lists, in DIR/syscalls-needed.txt, the
#       symbols libc.a leaves undefined for that program: what minnow's
#       kernel/syscalls.c must define.  Writes DIR/built.stamp.
#
# Output goes to DIR/build.log; on failure the log's tail is printed.
# Environment: NEWLIB_CC, NEWLIB_CFLAGS, NEWLIB_TARGET, NEWLIB_CONFIGURE_OPTS
# (build); NEWLIB_CC, NEWLIB_SMOKE_CFLAGS (check); NEWLIB_DEPS, the files
# the step's stamp depends on (make's $^).
#
# Several makes may run in one tree at once (other engineers, CI): both
# steps hold an exclusive lock on DIR.lock, and a make that had to wait
# finds the stamp newer than NEWLIB_DEPS and does nothing.
set -eu

die() {
    echo "build-newlib: $*" >&2
    exit 1
}

# Run "$@" with output appended to the log; on failure show the log's tail.
logged() {
    if ! "$@" >>"$log" 2>&1; then
        echo "build-newlib: FAILED: $*" >&2
        # With -j the first real error scrolls out of the tail: show it too.
        echo "---- first errors in $log ----" >&2
        grep -m 5 -E 'error:|Error [0-9]|configure: error' "$log" >&2 || true
        echo "---- last lines of $log ----" >&2
        tail -n 40 "$log" >&2
        echo "---- full log: $log" >&2
        exit 1
    fi
}

# Take DIR.lock (next to DIR, which the build step removes), waiting for
# whichever make holds it.  Held until this script and its children exit.
take_lock() {
    mkdir -p "$(dirname "$1")"
    exec 9>>"$1.lock"
    if ! flock -n 9; then
        echo "  NEWLIB  waiting for another make building $1"
        flock 9 || die "cannot lock $1.lock"
    fi
}

# True if stamp $1 exists and is newer than every file in NEWLIB_DEPS.
stamp_is_current() {
    [ -f "$1" ] || return 1
    for dep in ${NEWLIB_DEPS:-}; do
        [ "$1" -nt "$dep" ] || return 1
    done
}

# DIR is removed and recreated: refuse anything that does not look like
# the newlib build directory (an empty or "/" argument, a typo'd path).
check_dir_name() {
    case "$1" in
    */newlib | newlib) ;;
    *) die "refusing to use '$1' as the newlib build dir (must end in /newlib)" ;;
    esac
}

cmd_build() {
    tarball=$1
    dir=$2
    check_dir_name "$dir"
    : "${NEWLIB_CC:?} ${NEWLIB_CFLAGS:?} ${NEWLIB_TARGET:?}"
    [ -r "$tarball" ] ||
        die "newlib source $tarball is missing: run 'make deps' (installs newlib-source)"
    command -v "$NEWLIB_CC" >/dev/null || die "compiler '$NEWLIB_CC' not found"
    take_lock "$dir"
    ! stamp_is_current "$dir/installed.stamp" || return 0

    rm -rf "$dir"
    mkdir -p "$dir/src" "$dir/obj" "$dir/install"
    abs=$(cd "$dir" && pwd)
    log=$abs/build.log
    : >"$log"

    echo "== unpack $tarball" >>"$log"
    # The top directory's name varies (Debian's is newlib-salsa): strip it.
    logged tar -xf "$tarball" -C "$abs/src" --strip-components=1
    [ -x "$abs/src/configure" ] || die "$tarball has no top-level configure"

    # Only newlib's own tools are "for target"; the host binutils handle
    # x86_64 ELF objects directly.  --prefix must be absolute.
    echo "== configure $NEWLIB_CONFIGURE_OPTS" >>"$log"
    # shellcheck disable=SC2086 # the options are a word list on purpose
    (cd "$abs/obj" && logged ../src/configure \
        --target="$NEWLIB_TARGET" --prefix="$abs/install" \
        $NEWLIB_CONFIGURE_OPTS \
        CC_FOR_TARGET="$NEWLIB_CC" CFLAGS_FOR_TARGET="$NEWLIB_CFLAGS" \
        AS_FOR_TARGET=as LD_FOR_TARGET=ld AR_FOR_TARGET=ar \
        RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm \
        OBJDUMP_FOR_TARGET=objdump READELF_FOR_TARGET=readelf \
        STRIP_FOR_TARGET=strip)

    jobs=$(nproc 2>/dev/null || echo 2)
    echo "== make -j$jobs all-target-newlib" >>"$log"
    logged make -C "$abs/obj" -j"$jobs" all-target-newlib
    echo "== make install-target-newlib" >>"$log"
    logged make -C "$abs/obj" install-target-newlib

    inc=$abs/install/$NEWLIB_TARGET/include
    lib=$abs/install/$NEWLIB_TARGET/lib
    for f in "$inc/stdio.h" "$lib/libc.a" "$lib/libm.a"; do
        [ -f "$f" ] || die "install did not produce $f (see $log)"
    done
    check_no_host_libc "$lib/libc.a" "$lib/libm.a"
    touch "$abs/installed.stamp"
}

# The guest has no glibc and no TLS segment.  Headers: every header a libc
# object was compiled from is named in its DWARF line table, so a glibc
# header shows up as a /usr/include path (gcc's own headers live under
# /usr/lib/gcc and are fine).  Symbols: glibc's fortify (__*_chk), the
# stack protector and TLS access would all need something minnow lacks.
check_no_host_libc() {
    echo "== checking $* for host libc traces" >>"$log"
    leaks=$(readelf --debug-dump=line "$@" 2>/dev/null |
        grep -o '/usr/include[^ ]*' | sort -u | head -n 5)
    [ -z "$leaks" ] || die "newlib was compiled against host headers: $leaks"
    tls=$(readelf -SW "$@" | grep -E '\.(tdata|tbss)' | head -n 3 || true)
    [ -z "$tls" ] || die "newlib objects have TLS sections: $tls"
    bad=$(nm -u "$@" 2>/dev/null | awk 'NF == 2 { print $2 }' |
        grep -E '^(__.*_chk|__stack_chk_fail|__stack_chk_guard|__tls_get_addr|_GLOBAL_OFFSET_TABLE_)$' |
        sort -u | tr '\n' ' ' || true)
    [ -z "$bad" ] || die "newlib references host-libc symbols: $bad"
    relocs=$(readelf -rW "$@" | grep -cE 'R_X86_64_(GOTPCREL|GOTPCRELX|REX_GOTPCRELX|TPOFF|DTPOFF|GOTTPOFF|TLSGD|TLSLD)' || true)
    [ "$relocs" = 0 ] || die "newlib objects have $relocs GOT/TLS relocations (PIC code?)"
}

cmd_check() {
    dir=$1
    smoke=$2
    check_dir_name "$dir"
    : "${NEWLIB_CC:?} ${NEWLIB_SMOKE_CFLAGS?} ${NEWLIB_TARGET:?}"
    take_lock "$dir"
    ! stamp_is_current "$dir/built.stamp" || return 0
    abs=$(cd "$dir" && pwd)
    log=$abs/build.log
    inc=$abs/install/$NEWLIB_TARGET/include
    lib=$abs/install/$NEWLIB_TARGET/lib
    out=$abs/smoke
    rm -f "$abs/built.stamp"
    rm -rf "$out"
    mkdir -p "$out"
    echo "== smoke test" >>"$log"

    gcc_inc=$("$NEWLIB_CC" -print-file-name=include)
    libgcc=$("$NEWLIB_CC" -print-libgcc-file-name)
    for src in smoke smoke-sys; do
        # shellcheck disable=SC2086 # flag list
        logged "$NEWLIB_CC" -nostdinc -isystem "$inc" -isystem "$gcc_inc" \
            $NEWLIB_SMOKE_CFLAGS -c "$smoke/$src.c" -o "$out/$src.o"
    done

    # What libc.a needs for printf/snprintf/malloc/free/strtoul/qsort: link
    # smoke.o alone with ld -r, which pulls in archive members like a final
    # link but keeps what stays unresolved, and list the strong undefined
    # symbols (weak ones are optional; smoke_* are the test's own hooks).
    logged ld -r -z noexecstack -o "$out/smoke-nosys.o" "$out/smoke.o" \
        --start-group "$lib/libc.a" "$lib/libm.a" "$libgcc" --end-group
    nm -u "$out/smoke-nosys.o" | awk '$1 == "U" && $2 !~ /^smoke_/ { print $2 }' |
        sort >"$abs/syscalls-needed.txt"
    echo "libc.a needs from minnow: $(tr '\n' ' ' <"$abs/syscalls-needed.txt")" >>"$log"

    # The real program: every symbol must resolve, then it must run.
    logged ld -nostdlib -static -z noexecstack -e _start -o "$out/smoke" \
        "$out/smoke.o" "$out/smoke-sys.o" \
        --start-group "$lib/libc.a" "$lib/libm.a" "$libgcc" --end-group
    logged timeout 60 "$out/smoke"
    touch "$abs/built.stamp"
}

[ $# -ge 1 ] || die "usage: $0 build TARBALL DIR | check DIR SMOKE_DIR"
case "$1" in
build) [ $# -eq 3 ] || die "usage: $0 build TARBALL DIR"; cmd_build "$2" "$3" ;;
check) [ $# -eq 3 ] || die "usage: $0 check DIR SMOKE_DIR"; cmd_check "$2" "$3" ;;
*) die "unknown command '$1' (build or check)" ;;
esac
