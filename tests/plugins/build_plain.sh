#!/bin/sh
# build_plain.sh CC NM INCLUDE_DIR SOURCE OUT_DIR - build a plugin the way docs/plugin-guide.md
# tells a third party to, with no CMake: `cc -shared -fPIC -fvisibility=hidden`, C99, -pedantic
# -Werror; then check it exports exactly ls_plugin_entry.
set -eu
cc=$1 nm=$2 inc=$3 src=$4 out=$5
here=$(dirname "$0")
mkdir -p "$out"
"$cc" -std=c99 -pedantic -Werror -Wall -Wextra -O2 -shared -fPIC -fvisibility=hidden \
    -I"$inc" -o "$out/plain.so" "$src"
sh "$here/check_exports.sh" "$nm" "$out/plain.so"
