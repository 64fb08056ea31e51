#!/bin/bash
# `make bundle`: the signed update bundle of the root file system the last `make image` built.
#
#   image/update/make-bundle.sh ARCH     -> build/image/callbox-<board>-<version>.raucb
#
# Signed by CALLBOX_SIGNING_CERT/KEY against CALLBOX_UPDATE_KEYRING, else the development PKI (the
# same one whose CA `make image` put in the image's keyring). The compatible string is the board's.
set -euo pipefail
arch=${1:?usage: image/update/make-bundle.sh ARCH}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$(dirname "$here")")
case $arch in
    amd64) board=x86_64 ;;
    *) echo "make-bundle.sh: no board for ARCH=$arch yet (amd64 only)" >&2; exit 2 ;;
esac
out=$repo/build/image
image=$out/root-$board.ext4
[ -f "$image" ] || { echo "make-bundle.sh: no $image: make image ARCH=$arch first" >&2; exit 1; }
version=$(cat "$out/root-$board.version")
# shellcheck source=/dev/null
. "$repo/board/$board/board.conf"
bundle=$out/callbox-$board-$version.raucb
nice -n "${CALLBOX_NICE:-15}" "$here/bundle.sh" --image "$image" --compatible "$COMPATIBLE" --version "$version" \
    --build "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)" "$bundle"
echo "$bundle"
