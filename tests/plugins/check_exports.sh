#!/bin/sh
# check_exports.sh NM DIR|FILE... - every plugin (each FILE, or every *.so in each DIR) must
# export exactly one defined dynamic symbol, ls_plugin_entry: anything else would be visible to
# the daemon and to every other plugin. Fails when no plugin is found at all, so a missing
# build cannot pass.
#
# Sanitizer builds add compiler-generated symbols (gcc's __odr_asan.<name> ODR indicators);
# those are not the plugin author's and are not counted.
set -u
nm=$1
shift
found=0
bad=0

check() {
    found=$((found + 1))
    syms=$("$nm" -D --defined-only "$1" | awk '{ print $NF }' |
        grep -v -e '^__odr_asan' -e '^__asan' -e '^__ubsan' -e '^__sanitizer' | sort)
    if [ "$syms" = "ls_plugin_entry" ]; then
        echo "$1: ok"
    else
        echo "$1: expected exactly one exported symbol, ls_plugin_entry; found:" >&2
        echo "${syms:-(none)}" | sed 's/^/    /' >&2
        bad=$((bad + 1))
    fi
}

for arg in "$@"; do
    if [ -d "$arg" ]; then
        for f in "$arg"/*.so; do
            if [ -f "$f" ]; then
                check "$f"
            fi
        done
    elif [ -f "$arg" ]; then
        check "$arg"
    else
        echo "$arg: no such plugin file or directory" >&2
        bad=$((bad + 1))
    fi
done
if [ "$found" -eq 0 ]; then
    echo "no plugin found in: $*" >&2
    exit 1
fi
[ "$bad" -eq 0 ]
