#!/bin/bash
# Builds pjproject (Debian's pjproject 2.17 source, from the `asterisk` source package in sid)
# with Callbox's config_site.h, and installs its pjsua2 Python module into a virtualenv.
#
#   image/pjsua2/build.sh VENV                 build (or reuse the cached build) and install into VENV
#   image/pjsua2/build.sh --print-prefix [VENV] print the install prefix (headers, shared libs,
#                                               pkg-config file) of the current build; no build.
#                                               Exit 1 (path still printed) if it is not built yet.
#
# Everything lands in ${CALLBOX_CACHE:-$HOME/.cache/callbox}/pjproject-<key>, key = short sha256 over
# the tarball's sha256, config_site.h, patches/*.patch, this script's configure/compiler flags, the Python ABI and the
# Debian release. A second run with the same inputs only checks the venv and exits.
# See README.md beside this file.
#
# Environment:
#   CALLBOX_CACHE          cache root (default $HOME/.cache/callbox)
#   CALLBOX_PJ_REFRESH=1   ask Debian sid again for the newest asterisk source (otherwise the tarball
#                          cached in $CALLBOX_CACHE/src is reused, so rebuilds work offline)
#   CALLBOX_PJ_KEEP_BUILD=1 keep the temporary build tree (for debugging a failed build)
set -eu
set -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${CALLBOX_CACHE:-$HOME/.cache/callbox}
srccache=$cache/src

# ---- what defines a build (all of it goes into the cache key) --------------------------------
recipe=1                                   # bump to force a rebuild after changing build steps
expect_version=2.17                        # pjproject version this project is written against
min_calls=512                              # the engine needs at least this many call legs
pj_cflags="-O2 -g0 -fPIC"
configure_flags=(
    --enable-epoll --enable-shared
    --disable-sound --disable-video
    --disable-v4l2 --disable-sdl --disable-ffmpeg --disable-openh264 --disable-vpx
    --disable-libyuv --disable-libwebrtc --disable-android-mediacodec --disable-upnp
    --disable-opencore-amr --disable-silk --disable-bcg729 --disable-lyra
    --disable-ilbc-codec --disable-g7221-codec
    --enable-speex-resample
    --with-external-srtp --with-external-speex --with-external-gsm
)
# (opus, OpenSSL and libuuid come from the system through configure's autodetection;
#  iLBC, G.722.1, libresample, libyuv and webrtc are removed from Debian's dfsg tarball.)

log() { printf '[pjsua2] %s\n' "$*" >&2; }
die() { printf '[pjsua2] error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

print_prefix=0
case "${1:-}" in
    --print-prefix) print_prefix=1; venv=${2:-} ;;
    -h|--help) usage; exit 0 ;;
    "" ) usage >&2; exit 2 ;;
    -*) die "unknown option $1" ;;
    *) venv=$1 ;;
esac

# The venv's Python decides the wheel's ABI. --print-prefix without a venv uses the project's
# .venv if there is one, else /usr/bin/python3 (the interpreter that venv is made from).
if [ -n "${venv:-}" ]; then
    venv=$(cd "$venv" 2>/dev/null && pwd) || die "no such venv: ${2:-$1}"
    py=$venv/bin/python
    [ -x "$py" ] || die "$py is not there (make the venv first: /usr/bin/python3 -m venv $venv)"
elif [ -x "$repo/.venv/bin/python" ]; then
    py=$repo/.venv/bin/python
else
    py=/usr/bin/python3
fi

mkdir -p "$cache" "$srccache"

# One build at a time per cache (make -j, two shells, CI and a developer on one box).
exec 9>"$cache/.pjproject.lock"
flock 9
# Temporary trees left by a killed run (kept failed builds are left a day for a look).
find "$cache" -maxdepth 1 \( -name '.build-pjproject-*' -o -name '.apt.*' \) -mmin +1440 \
    -exec rm -rf {} + 2>/dev/null || true

# ---- source: Debian's pjproject tarball, through a private apt state ---------------------------
fetch_source() {
    command -v apt-get >/dev/null || die "apt-get is needed to fetch the source"
    local apt dl opts f
    apt=$(mktemp -d "$cache/.apt.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$apt'" EXIT
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
    echo 'deb-src http://deb.debian.org/debian sid main' >"$apt/sources.list"
    opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
          -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
    chmod 755 "$apt"
    if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
        chown _apt "$apt/dl"   # apt downloads as _apt (its sandbox user)
    fi
    log "fetching the asterisk source package list from Debian sid (private apt state)"
    apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || { cat "$apt/update.log" >&2; die "apt-get update failed"; }
    log "downloading the asterisk source package (carries pjproject as a component tarball)"
    (cd "$apt/dl" && apt-get "${opts[@]}" source --download-only asterisk) >"$apt/source.log" 2>&1 \
        || { cat "$apt/source.log" >&2; die "apt-get source --download-only asterisk failed"; }
    f=$(find "$apt/dl" -maxdepth 1 -name 'asterisk_*.orig-Xpjproject.tar.xz' | head -n1)
    [ -n "$f" ] || die "the asterisk source package in sid no longer carries an Xpjproject tarball"
    # apt checked the file against the signed Sources index; keep it, drop the rest.
    cp "$f" "$srccache/.$(basename "$f").tmp"
    mv -f "$srccache/.$(basename "$f").tmp" "$srccache/$(basename "$f")"
    printf '%s  %s\n' "$(sha256 "$srccache/$(basename "$f")")" "$(basename "$f")" >"$srccache/.pjproject.current.tmp"
    mv -f "$srccache/.pjproject.current.tmp" "$srccache/pjproject.current"
    rm -rf "$apt"
    trap - EXIT
}

current=$srccache/pjproject.current
if [ "${CALLBOX_PJ_REFRESH:-0}" = 1 ] || [ ! -s "$current" ] \
        || [ ! -f "$srccache/$(cut -d' ' -f3 "$current")" ]; then
    fetch_source
fi
tar_sha=$(cut -d' ' -f1 "$current")
tarball=$srccache/$(cut -d' ' -f3 "$current")
[ "$(sha256 "$tarball")" = "$tar_sha" ] || die "$tarball does not match its recorded sha256; delete it and run again"

# ---- cache key and prefix -------------------------------------------------------------------
py_abi=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-unknown}")
key=$({
    echo "recipe=$recipe"
    echo "tarball=$tar_sha"
    echo "config_site=$(sha256 "$here/config_site.h")"
    echo "patches=$(cat "$here"/patches/*.patch 2>/dev/null | sha256sum | cut -d' ' -f1)"
    echo "cflags=$pj_cflags"
    echo "configure=${configure_flags[*]}"
    echo "python=$py_abi"
    echo "debian=$codename"
} | sha256sum | cut -c1-12)
prefix=$cache/pjproject-$key

if [ "$print_prefix" = 1 ]; then
    echo "$prefix"
    [ -f "$prefix/.complete" ] || { log "not built yet: run image/pjsua2/build.sh VENV"; exit 1; }
    exit 0
fi

# ---- checks -----------------------------------------------------------------------------------
# Is the module in the venv the one from this prefix, and does it import with a big enough cap?
venv_has_our_module() {
    local so
    so=$("$py" -c 'import importlib.util as u; s = u.find_spec("_pjsua2"); print(s.origin if s else "")' 2>/dev/null) || return 1
    [ -n "$so" ] && [ -f "$so" ] && [ "$(sha256 "$so")" = "$(cat "$prefix/module.sha256")" ] || return 1
    "$py" -c "import sys, pjsua2; sys.exit(0 if pjsua2.UaConfig().maxCalls >= $min_calls else 1)" 2>/dev/null
}

# The smoke test: a null-sound endpoint with a UDP transport on loopback, and the compiled call cap
# (UaConfig() defaults maxCalls to PJSUA_MAX_CALLS, so it reads the value the library was built with).
smoke_test() {  # [VAR=value...]: run it with the venv's Python; quiet unless it fails
    local out
    if ! out=$(env "$@" "$py" - 2>&1 <<EOF
import pjsua2 as pj
cap = pj.UaConfig().maxCalls
assert cap >= $min_calls, "compiled PJSUA_MAX_CALLS is %d, below $min_calls" % cap
ep = pj.Endpoint()
ep.libCreate()
c = pj.EpConfig()
c.uaConfig.maxCalls = $min_calls
c.uaConfig.threadCnt = 0
c.logConfig.level = 1
c.logConfig.consoleLevel = 1
ep.libInit(c)
ep.audDevManager().setNullDev()
t = pj.TransportConfig()
t.boundAddress = "127.0.0.1"
ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, t)
ep.libStart()
print("pjsua2 ok", ep.libVersion().full, "PJSUA_MAX_CALLS", cap)
ep.libDestroy()
EOF
    ); then
        printf '%s\n' "$out" >&2
        return 1
    fi
    printf '%s\n' "$out" | grep '^pjsua2 ok' | sed 's/^/[pjsua2] /' >&2
}

install_wheel() {
    local whl
    whl=$(find "$prefix/wheels" -maxdepth 1 -name 'pjsua2-*.whl' | head -n1)
    [ -n "$whl" ] || die "no wheel in $prefix/wheels"
    log "installing $(basename "$whl") into $venv"
    "$py" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$whl"
    venv_has_our_module || die "pjsua2 in $venv does not import, or is not the module in $prefix"
    smoke_test
}

if [ -f "$prefix/.complete" ]; then
    if venv_has_our_module; then
        log "up to date: $prefix"
        exit 0
    fi
    install_wheel
    exit 0
fi

# ---- cold build -----------------------------------------------------------------------------
t0=$(now)
work=$(mktemp -d "$cache/.build-pjproject-$key.XXXXXX")   # same filesystem as $prefix: mv is atomic
published=0
cleanup() {
    # A prefix published but not verified must not stay in the cache as if it were good.
    if [ "$published" = 1 ]; then rm -rf "$prefix"; log "removed $prefix: it failed its checks"; fi
    if [ "${CALLBOX_PJ_KEEP_BUILD:-0}" = 1 ]; then log "build tree kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
src=$work/src
stage=$work/stage            # DESTDIR: files land in $stage$prefix
mkdir -p "$src"
log "building pjproject into $prefix (log: $work/build.log while it runs)"
buildlog=$work/build.log
step() {  # name cmd...: run a step, its output to the build log, show the tail on failure
    local name=$1 t=$(now); shift
    log "$name"
    if ! "$@" >>"$buildlog" 2>&1; then
        tail -n 60 "$buildlog" >&2
        CALLBOX_PJ_KEEP_BUILD=1
        die "$name failed (whole log in $buildlog)"
    fi
    timings+=("$name: $(( $(now) - t ))s")
}
timings=()

tar -xJf "$tarball" -C "$src" --strip-components=1
version=$(sed -n 's/^export PJ_VERSION_\(MAJOR\|MINOR\) *:= *\([0-9]*\).*/\2/p' "$src/version.mak" | paste -sd.)
[ "$version" = "$expect_version" ] \
    || log "warning: Debian's tarball is pjproject $version, this project expects $expect_version"

# Debian's dfsg tarball deletes pjmedia/src/pjmedia-audiodev/bdimad_dev.c (non-free BDSound
# driver) but pjmedia/build/Makefile still lists its object: drop it from the list.
if [ ! -e "$src/pjmedia/src/pjmedia-audiodev/bdimad_dev.c" ]; then
    sed -i 's/[[:space:]]bdimad_dev\.o\b//' "$src/pjmedia/build/Makefile"
    ! grep -q 'bdimad_dev\.o' "$src/pjmedia/build/Makefile" || die "could not drop bdimad_dev.o from pjmedia/build/Makefile"
fi

# Our fixes to pjproject (each patch says what and why), in name order.
for patch_file in "$here"/patches/*.patch; do
    [ -e "$patch_file" ] || continue
    patch -d "$src" -p1 --forward --quiet <"$patch_file" >>"$work/build.log" 2>&1 \
        || die "$(basename "$patch_file") does not apply to Debian's pjproject $version"
done

cp "$here/config_site.h" "$src/pjlib/include/pj/config_site.h"

cd "$src"
# rpath: the shared libraries and the Python module find each other in $prefix/lib at run time,
# without LD_LIBRARY_PATH.
export CFLAGS="$pj_cflags" CXXFLAGS="$pj_cflags" LDFLAGS="-Wl,-rpath,$prefix/lib"
step "configure" ./configure --prefix="$prefix" "${configure_flags[@]}"
grep -q 'define PJ_IOQUEUE_IMP PJ_IOQUEUE_IMP_EPOLL' pjlib/include/pj/compat/os_auto.h \
    || die "configure did not select the epoll ioqueue"
jobs=$(nproc)
step "make dep" make dep
step "make -j$jobs lib" make -j"$jobs" lib
step "make install" make install DESTDIR="$stage"
# Only the shared libraries stay: the SWIG module and our Cython extension must share one pjlib
# (one pjsua instance, one conference bridge), which a static copy inside an extension breaks.
rm -f "$stage$prefix"/lib/*.a

# SWIG Python binding, built as a wheel against the venv's Python.
step "swig pjsua2_wrap.cpp" make -C pjsip-apps/src/swig/python pjsua2_wrap.cpp
mkdir -p "$stage$prefix/wheels"
step "wheel (compiling the SWIG wrapper, the slow part)" \
    env PJDIR="$src" "$py" -m pip wheel --disable-pip-version-check --no-deps --use-pep517 \
        -w "$stage$prefix/wheels" pjsip-apps/src/swig/python
whl=$(find "$stage$prefix/wheels" -maxdepth 1 -name 'pjsua2-*.whl' | head -n1)
[ -n "$whl" ] || die "no wheel was built"

# Try the wheel before it goes into the cache (the libraries are not at their rpath yet).
"$py" -m pip install --quiet --disable-pip-version-check --no-deps --target "$work/trial" "$whl" \
    >>"$buildlog" 2>&1
step "smoke test of the wheel" smoke_test PYTHONPATH="$work/trial" LD_LIBRARY_PATH="$stage$prefix/lib"
sha256 "$(find "$work/trial" -maxdepth 1 -name '_pjsua2*.so' | head -n1)" >"$stage$prefix/module.sha256"

# Record how it was built, then publish the prefix with one rename.
{
    echo "pjproject $version from $(basename "$tarball")"
    echo "tarball sha256 $tar_sha"
    echo "CFLAGS=$pj_cflags LDFLAGS=-Wl,-rpath,$prefix/lib"
    echo "configure ${configure_flags[*]}"
    echo "python $py_abi ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(now) - t0 ))s"
} >"$stage$prefix/BUILDINFO"
touch "$stage$prefix/.complete"
[ ! -e "$prefix" ] || rm -rf "$prefix"        # a half-published leftover (no .complete)
published=1
mv "$stage$prefix" "$prefix"

# The headers and pkg-config file as a later C/Cython extension uses them: compile a probe
# against the prefix and read the compiled caps and the ioqueue backend.
probe_check() {
    local pc="$prefix/lib/pkgconfig"
    cat >"$work/probe.c" <<'EOF'
#include <pjlib.h>
#include <pjsua-lib/pjsua.h>
#include <stdio.h>
int main(void) {
    printf("%d %d %s\n", (int)PJSUA_MAX_CALLS, (int)PJ_IOQUEUE_MAX_HANDLES, pj_ioqueue_name());
    return 0;
}
EOF
    # shellcheck disable=SC2046
    cc -o "$work/probe" "$work/probe.c" $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs libpjproject) \
        "-Wl,-rpath,$prefix/lib"
    read -r calls handles ioq < <("$work/probe")
    log "compiled caps: PJSUA_MAX_CALLS=$calls PJ_IOQUEUE_MAX_HANDLES=$handles ioqueue=$ioq"
    [ "$calls" -ge "$min_calls" ] || die "PJSUA_MAX_CALLS is $calls, below $min_calls"
    case $ioq in epoll*) ;; *) die "the ioqueue is $ioq, not epoll" ;; esac
}
probe_check
install_wheel
published=0   # verified: it stays

timings+=("total: $(( $(now) - t0 ))s")
log "done: $prefix"
for t in "${timings[@]}"; do log "  $t"; done
