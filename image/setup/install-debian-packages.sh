#!/bin/sh
# Installs the Debian packages listed in debian-packages.txt that are missing; a no-op when all are there.
set -eu
here=$(dirname "$0")
wanted=$(grep -v '^\s*#' "$here/debian-packages.txt" | grep -v '^\s*$')
missing=""
for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends $missing
# The kamailio package enables its own service, which would hold port 5060; supervisor runs it instead.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now kamailio 2>/dev/null || true
fi
