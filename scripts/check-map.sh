#!/bin/bash
# docs/map.md is the index from each concept to its files and functions.
# This keeps it true of the tree:
#
#   - every `path` in the map exists, and every `path:name()` names a
#     function (or macro, or assembly label) that path defines, not just
#     declares;
#   - every product file (arch/ kernel/ mm/ drivers/ include/: .c .h .S)
#     has a row, so a new or moved file cannot be left out;
#   - every header scripts/check-layers.sh lets arch/ include is listed in
#     the map's "Layers" section, so the documented arch interface is the
#     enforced one.
#
# Inside a table every `...` must be a path or path:name(); in prose, a
# `...` is checked when its first component is a top-level entry of the
# tree (`docs/p2m.md` is, `device/vbd` is not).
#
# Usage: scripts/check-map.sh [ROOT]         check ROOT (default: this tree)
#        scripts/check-map.sh --self-test    break copies of this tree and
#                                            expect each break to be caught
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

# defines FILE NAME: FILE defines NAME.  C: a line starting in column 0
# that names NAME( and reaches a { before a ; (a prototype ends in ;), or
# #define NAME(.  Assembly: a NAME: label at the start of a line.
defines() {
    case $1 in
        *.S) grep -Eq "^$2:" "$1"; return ;;
    esac
    awk -v name="$2" '
        function decide(   rest, b, s) {
            rest = substr(buf, index(buf, name "("))
            b = index(rest, "{"); s = index(rest, ";")
            if (b && (!s || b < s)) { found = 1; exit }
            if (s || ++lines > 12) collecting = 0
        }
        BEGIN { call = "(^|[^A-Za-z0-9_])" name "[ \t]*\\(" }
        $0 ~ "^#[ \t]*define[ \t]+" name "\\(" { found = 1; exit }
        collecting { buf = buf " " $0; decide(); next }
        /^[A-Za-z_]/ && $0 ~ call && $0 !~ /^(return|typedef|extern)[ \t]/ {
            buf = $0; sub(call, " " name "(", buf); collecting = 1; lines = 0; decide()
        }
        END { exit !found }' "$1"
}

check() {
    local root=$1 map=docs/map.md problems=0 files=0 funcs=0
    cd "$root" || exit 2
    [ -f "$map" ] || { echo "check-map: no $map in $root" >&2; exit 2; }

    problem() { echo "check-map: $*"; problems=$((problems + 1)); }

    # One record per `token`: line, in a table row (1/0), section, token.
    local tokens
    tokens=$(awk '
        /^## / { section = substr($0, 4) }
        {
            table = /^[ \t]*\|/ && !/^[ \t]*\|[-: |]*$/
            line = $0
            while (match(line, /`[^`]+`/)) {
                printf "%d\t%d\t%s\t%s\n", NR, table, section, substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
            }
        }' "$map")

    local mapped=" " layers=" " missing=" " nr intable section tok path fn
    while IFS=$'\t' read -r nr intable section tok; do
        [ -n "$nr" ] || continue
        path=$tok fn=
        if [[ $tok =~ ^([A-Za-z0-9_./+-]+):([A-Za-z_][A-Za-z0-9_]*)\(\)$ ]]; then
            path=${BASH_REMATCH[1]} fn=${BASH_REMATCH[2]}
        elif ! [[ $tok =~ ^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*/?$ ]]; then
            [ "$intable" = 1 ] && problem "$map:$nr: \`$tok\` is neither a path nor path:function()"
            continue
        elif [ "$intable" = 0 ] && ! [ -e "${tok%%/*}" ]; then
            continue            # prose: not a path of this tree
        fi
        [ "$section" = Layers ] && layers="$layers$path "
        if ! [ -e "$path" ]; then
            case $missing in *" $nr:$path "*) ;; *)
                problem "$map:$nr: $path: no such file or directory"
                missing="$missing$nr:$path " ;;
            esac
            continue
        fi
        [ "$intable" = 1 ] && mapped="$mapped${path%/} "
        [ -n "$fn" ] || { files=$((files + 1)); continue; }
        funcs=$((funcs + 1))
        if ! [ -f "$path" ] || ! defines "$path" "$fn"; then
            problem "$map:$nr: $path defines no $fn()"
        fi
    done <<<"$tokens"

    local f
    for f in $(find arch kernel mm drivers include -type f \
                    \( -name '*.c' -o -name '*.h' -o -name '*.S' \) 2>/dev/null | sort); do
        case $mapped in *" $f "*) ;; *) problem "$f has no row in $map" ;; esac
    done

    if [ -f scripts/check-layers.sh ]; then
        local h allowed
        allowed=$(sed -n 's/^arch_may_include="\(.*\)"/\1/p' scripts/check-layers.sh)
        for h in $allowed; do
            case $layers in
                *" include/minnow/$h "*) ;;
                *) problem "scripts/check-layers.sh lets arch/ include <minnow/$h>;" \
                           "the Layers section of $map does not list include/minnow/$h" ;;
            esac
        done
    fi

    if [ $problems -gt 0 ]; then
        echo "check-map: $problems problems: $map must name only files and functions" \
             "that exist, and every product file"
        exit 1
    fi
    echo "check-map: $map names $files paths and $funcs functions, all there;" \
         "every product file has a row"
}

# Each case breaks a fresh copy of this tree and names the message the
# checker must print; the first case is the unbroken copy, which must pass.
self_test() {
    local src tmp ok=0 total=0
    src=$(cd "$(dirname "$self")/.." && pwd)
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064  # $tmp is local: expand it now
    trap "rm -rf '$tmp'" EXIT
    mkdir "$tmp/tree"
    (cd "$src" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$tmp/tree"

    # A real entry of each kind, taken from the map so the cases follow it.
    local file entry efile efn
    # shellcheck disable=SC2016  # the backquotes are the map's, not the shell's
    file=$(grep -o '^|.*' "$tmp/tree/docs/map.md" | grep -o '`[a-z][^`:]*\.c`' | head -1 | tr -d '`')
    # shellcheck disable=SC2016
    entry=$(grep -o '`[a-z][^`]*\.c:[a-z_0-9]*()`' "$tmp/tree/docs/map.md" | head -1 | tr -d '`')
    efile=${entry%%:*} efn=${entry#*:} efn=${efn%()}
    if [ -z "$file" ] || [ -z "$entry" ]; then
        echo "check-map self-test: no entries in docs/map.md"
        exit 1
    fi

    case_() {   # case_ <expected rc> <what> <message the checker must print> <break>
        local want=$1 what=$2 msg=$3 out rc
        total=$((total + 1))
        rm -rf "$tmp/case" && cp -a "$tmp/tree" "$tmp/case"
        (cd "$tmp/case" && eval "$4")
        out=$("$self" "$tmp/case" 2>&1)
        rc=$?
        if [ $rc = "$want" ] && grep -qF -- "$msg" <<<"$out"; then
            ok=$((ok + 1))
            echo "ok $total - $what"
        else
            echo "not ok $total - $what: exit $rc (expected $want), wanted \"$msg\" in:"
            sed 's/^/    /' <<<"$out"
        fi
    }
    local row='| self-test |'
    case_ 0 "the unbroken copy passes" "every product file has a row" ":"
    case_ 1 "an entry names a missing file ($file)" "$file: no such file" "rm $file"
    case_ 1 "a function the map names is gone ($entry)" "$efile defines no $efn()" \
          "sed -i 's/\\b$efn(/${efn}_renamed(/g' $efile"
    case_ 1 "a file only declares the function the map names" \
          "include/minnow/selftest.h defines no declared_only()" \
          "printf 'int declared_only(int a,\\n                  int b);\\n' >include/minnow/selftest.h
           echo '$row \`include/minnow/selftest.h:declared_only()\` |' >>docs/map.md"
    case_ 1 "a product file has no row" "mm/unmapped.c has no row" "touch mm/unmapped.c"
    case_ 1 "a table cell that is not a path" "is neither a path nor path:function()" \
          "echo '$row \`mm/heap.c heap_init\` |' >>docs/map.md"
    case_ 1 "check-layers.sh allows a header the map does not list" \
          "does not list include/minnow/undocumented.h" \
          "sed -i 's/^arch_may_include=\" /arch_may_include=\" undocumented.h /' scripts/check-layers.sh"
    echo "check-map self-test: $ok of $total cases as expected"
    [ $ok = $total ]
}

case ${1:-} in
    --self-test) self_test ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
    *) check "${1:-$(dirname "$self")/..}" ;;
esac
