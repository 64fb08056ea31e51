#!/bin/bash
# Builds the Callbox disk image of one board from Debian bookworm packages: build/image/callbox-<board>.img
#
#   image/build.sh ARCH VENV        ARCH: amd64 (board x86_64); VENV: the project's venv, whose pjsua2
#                                   build (image/pjsua2/build.sh) and Cython extensions go into the image
#
# Steps (all as root; heavy ones under nice):
#   1. base root file system: mmdebstrap of image/packages-common.txt + packages-ARCH.txt, cached as a
#      tarball in $CALLBOX_CACHE/image/ keyed on the package lists, the mirrors and this recipe's
#      BASE_RECIPE line, so a rebuild only unpacks it;
#   2. the box: pjproject's shared libraries, a venv with the runtime wheels (cached wheelhouse) and
#      pjsua2, the project's code, Cython extensions and prompts under /opt/callbox;
#   3. the overlay rootfs/ and board/BOARD/rootfs/, units enabled, the ESP's GRUB;
#   4. genimage assembles the GPT disk: ESP, root slots A and B, data (board/BOARD/genimage.cfg).
set -euo pipefail

arch=${1:?usage: image/build.sh ARCH VENV}
venv=${2:?usage: image/build.sh ARCH VENV}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cache=${CALLBOX_CACHE:-$HOME/.cache/callbox}/image
out=$repo/build/image
mirror=${CALLBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${CALLBOX_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
nice="nice -n ${CALLBOX_NICE:-15}"

case $arch in
    amd64) board=x86_64 ;;
    *) echo "image/build.sh: no board for ARCH=$arch yet (amd64 only)" >&2; exit 2 ;;
esac
boarddir=$repo/board/$board
work=$out/work-$board
# Commands inside the image get a clean environment: none of this machine's PIP_*, PYTHON* or locale.
in_root() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 chroot "$root" "$@"; }
log() { printf '%s image: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap, chroot and file ownership in the image need it)"
for tool in mmdebstrap genimage mkfs.vfat mcopy mke2fs; do
    command -v "$tool" >/dev/null || die "$tool is missing (make packages)"
done
[ -x "$venv/bin/python" ] || die "no venv at $venv (make setup)"
mkdir -p "$cache" "$out"
# shellcheck source=update/common.sh
. "$here/update/common.sh"

# ---- 1. base root file system (cached) ---------------------------------------------------------
# Bump BASE_RECIPE when the mmdebstrap options below change: it is part of the cache key.
BASE_RECIPE="minbase no-recommends no-docs v1"
packages=$(cat "$here/packages-common.txt" "$here/packages-$arch.txt" | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
sources=$(sed -e "s|@MIRROR@|$mirror|" -e "s|@SECURITY_MIRROR@|$security_mirror|" "$here/debian.sources" | grep -v '^#')
key=$(printf '%s\n--\n%s\n--\n%s %s\n' "$packages" "$sources" "$arch" "$BASE_RECIPE" | sha256sum | cut -c1-12)
base=$cache/base-$arch-$key.tar
if [ ! -f "$base" ]; then
    log "base root file system $key: mmdebstrap (minutes; cached afterwards in $base)"
    srcfile=$(mktemp --suffix=.sources)
    printf '%s\n' "$sources" >"$srcfile"
    $nice mmdebstrap --quiet --variant=minbase --architectures="$arch" \
        --include="$(echo "$packages" | paste -sd,)" \
        --aptopt='APT::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        bookworm "$cache/partial-$key.tar" "$srcfile"
    rm -f "$srcfile"
    mv "$cache/partial-$key.tar" "$base"
else
    log "base root file system $key: cached ($base)"
fi

rm -rf "$work"
mkdir -p "$work/root" "$work/esp/EFI/BOOT" "$work/empty" "$work/images" "$work/tmp"
root=$work/root
log "unpacking the base"
tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$base"

# ---- 2. the box under /opt/callbox ---------------------------------------------------------------
prefix=$("$repo/image/pjsua2/build.sh" --print-prefix "$venv") || die "pjsua2 is not built (make pjsua2)"
pjwheel=$(find "$prefix/wheels" -maxdepth 1 -name 'pjsua2-*.whl' | head -n1)
[ -n "$pjwheel" ] || die "no pjsua2 wheel in $prefix/wheels"
# The extensions' RUNPATH names the build machine's cache; in the image ld.so.conf finds the libraries.
mkdir -p "$root/opt/callbox/pjproject/lib"
cp -a "$prefix"/lib/*.so* "$root/opt/callbox/pjproject/lib/"
echo /opt/callbox/pjproject/lib >"$root/etc/ld.so.conf.d/callbox-pjproject.conf"
in_root ldconfig

# Runtime wheels from PyPI, built by the host's pip: host and image are both bookworm amd64 with
# CPython 3.11, so the wheels fit. Cached on the requirement list.
requirements=$("$venv/bin/python" -c 'import tomllib; print("\n".join(tomllib.load(open("'"$repo"'/pyproject.toml", "rb"))["project"]["dependencies"]))')
wkey=$(printf '%s\n%s\n' "$requirements" "$("$venv/bin/python" -VV)" | sha256sum | cut -c1-12)
wheels=$cache/wheels-$arch-$wkey
if [ ! -d "$wheels" ]; then
    log "runtime wheels $wkey"
    printf '%s\n' "$requirements" >"$work/requirements.txt"
    "$venv/bin/pip" wheel --quiet --wheel-dir "$wheels.partial" -r "$work/requirements.txt"
    cp "$work/requirements.txt" "$wheels.partial/"
    mv "$wheels.partial" "$wheels"
fi
mkdir -p "$root/tmp/wheels"
cp "$wheels"/* "$pjwheel" "$root/tmp/wheels/"
log "venv /opt/callbox/venv"
in_root python3 -m venv /opt/callbox/venv
in_root /opt/callbox/venv/bin/pip install --quiet --no-index --no-cache-dir --disable-pip-version-check \
    --find-links /tmp/wheels -r /tmp/wheels/requirements.txt pjsua2
rm -rf "$root/tmp/wheels"

# The project's tracked files (no caches, no local data), its built extensions and spoken prompts.
log "project code, extensions, prompts"
(cd "$repo" && git ls-files -z firmware webui cython_ext rootfs board pyproject.toml) |
    (cd "$repo" && tar --null -T - -cf -) | tar -C "$root/opt/callbox" -xf -
sos=$(find "$repo/cython_ext" -maxdepth 1 -name '*.cpython-311-x86_64-linux-gnu.so')
[ "$(echo "$sos" | grep -c pjport)" = 1 ] || die "cython_ext/*.so are not built (make cython)"
cp $sos "$root/opt/callbox/cython_ext/"
# The pages' compiled catalogues: the web would compile a missing one at start, but the root is read-only.
for po in "$repo"/webui/translations/*/LC_MESSAGES/messages.po; do
    [ -e "$po" ] || continue
    mo=${po%.po}.mo
    [ "$mo" -nt "$po" ] || die "${mo#"$repo"/} is missing or older than its .po (make translations)"
    install -m 644 "$mo" "$root/opt/callbox/${mo#"$repo"/}"
done
[ -d "$repo/build/prompts" ] || die "build/prompts is missing (make prompts)"
mkdir -p "$root/opt/callbox/build"
cp -a "$repo/build/prompts" "$root/opt/callbox/build/"
site=$(echo "$root"/opt/callbox/venv/lib/python3*/site-packages)
echo /opt/callbox >"$site/callbox.pth"
cat >"$root/opt/callbox/venv/bin/callbox" <<'EOF'
#!/opt/callbox/venv/bin/python
import sys

from firmware.cli import main

sys.exit(main())
EOF
chmod 755 "$root/opt/callbox/venv/bin/callbox"
# The root is read-only: byte-compile now, or every start compiles everything again.
in_root /opt/callbox/venv/bin/python -m compileall -q /opt/callbox/firmware /opt/callbox/webui /opt/callbox/cython_ext >/dev/null
in_root /opt/callbox/venv/bin/python -c 'import pjsua2, cython_ext.pjport, firmware.cli, webui' ||
    die "the image's venv does not import the box"

# ---- 3. overlay, units, boot files ------------------------------------------------------------------
log "overlay and units"
cp -a "$repo/rootfs/." "$root/"
[ -d "$boarddir/rootfs" ] && cp -a "$boarddir/rootfs/." "$root/"
mkdir -p "$root/etc/callbox" "$root/data"
cp "$boarddir/board.conf" "$root/etc/callbox/board.conf"
# The version orders firmware for updates (firmware/update/version.py: dotted numbers); the build
# line names the commit. CALLBOX_VERSION overrides (a release build), else pyproject's version and
# the commit count.
version=$(image_version)
printf '%s\n' "$version" >"$root/etc/callbox/version"
git -C "$repo" describe --always --dirty >"$root/etc/callbox/build" 2>/dev/null || echo unknown >"$root/etc/callbox/build"
# Updates: RAUC's keyring is the CA whose signer makes the bundles (image/update/bundle.sh).
update_keyring >"$root/etc/rauc/keyring.pem"
. "$boarddir/board.conf"
grep -qx "compatible=$COMPATIBLE" "$root/etc/rauc/system.conf" ||
    die "board/$board: rootfs/etc/rauc/system.conf's compatible is not board.conf's COMPATIBLE=$COMPATIBLE"
mkdir -p "$root/boot/efi"
# Every box gets its own identity at first boot: no machine id, no SSH host keys in the image.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
ln -sf /run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
# kamailio and supervisord run under the box's own supervisord (callbox.service), not as Debian's units.
in_root systemctl disable --quiet kamailio.service supervisor.service 2>/dev/null || true
in_root systemctl enable --quiet callbox.service callbox-first-boot.service callbox-issue.service callbox-update-health.service callbox-update-poll.timer \
    systemd-networkd.service systemd-networkd-wait-online.service systemd-resolved.service \
    systemd-timesyncd.service avahi-daemon.service ssh.service

log "boot files ($board)"
# shellcheck source=/dev/null
. "$boarddir/boot.sh"
board_boot_files "$root" "$work/esp"

# ---- 4. disk image ----------------------------------------------------------------------------------
log "genimage"
(cd "$work" && $nice genimage --config "$boarddir/genimage.cfg" --rootpath empty --tmppath tmp \
    --inputpath images --outputpath images >"$work/genimage.log" 2>&1) || { cat "$work/genimage.log" >&2; die "genimage failed"; }
mv "$work/images/callbox-$board.img" "$out/callbox-$board.img"
# The root slot's file system alone, for `make bundle` (image/update/bundle.sh), with its version.
mv "$work/images/root.ext4" "$out/root-$board.ext4"
printf '%s\n' "$version" >"$out/root-$board.version"
rm -rf "$work"
log "done: $out/callbox-$board.img ($(du -h --apparent-size "$out/callbox-$board.img" | cut -f1) apparent, $(du -h "$out/callbox-$board.img" | cut -f1) used)"
