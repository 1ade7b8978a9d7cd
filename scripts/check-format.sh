#!/bin/sh
# Check (or with --fix, apply) .clang-format on every tracked C source and header.
set -eu
cd "$(dirname "$0")/.."
CF=""
for c in clang-format-16 clang-format-19 clang-format-15; do
    if command -v "$c" >/dev/null 2>&1; then CF=$c; break; fi
done
if [ -z "$CF" ]; then
    echo "check-format: clang-format >= 15 not found (apt-get install clang-format-16)" >&2
    exit 1
fi
files=$(git ls-files '*.c' '*.h' '*.cpp')
if [ "${1:-}" = "--fix" ]; then
    # shellcheck disable=SC2086
    $CF -i $files
    exit 0
fi
# shellcheck disable=SC2086
if ! $CF --dry-run -Werror $files; then
    echo "check-format: run 'make format'" >&2
    exit 1
fi
echo "check-format: $(echo "$files" | wc -l) files formatted"
