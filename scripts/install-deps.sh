#!/bin/sh
# Install the Debian packages LogStream needs to build and test, if any are missing.
# Idempotent and quiet when everything is present.
set -eu

PKGS="build-essential cmake pkg-config
libevent-dev libyaml-dev libjson-c-dev zlib1g-dev liblz4-dev libsystemd-dev libssl-dev
libcmocka-dev python3 python3-pytest clang-format-16 clang-14 libclang-rt-14-dev
systemd-journal-remote
lz4 gzip util-linux procps"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: missing packages:$missing (run as root or install them)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
