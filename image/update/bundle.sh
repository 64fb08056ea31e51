#!/bin/bash
# Makes a signed RAUC bundle of one root file system image.
#
#   image/update/bundle.sh --image ROOT.ext4 --compatible STRING --version VERSION OUT.raucb
#       [--format verity|plain] [--build TEXT] [--cert PEM --key PEM --keyring PEM]
#
# Without --cert/--key/--keyring: CALLBOX_SIGNING_CERT, CALLBOX_SIGNING_KEY and CALLBOX_UPDATE_KEYRING
# (a production signer), else the development PKI in $CALLBOX_CACHE/pki/dev, made on first use
# (image/update/pki.sh). The bundle is checked against the keyring after signing, as the box will.
# Verity is the format the box takes (its kernel checks every block read from the bundle with
# dm-verity); plain is for the slot tests on machines without device-mapper (docs/appliance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image="" compatible="" version="" format=verity build=""
cert=${CALLBOX_SIGNING_CERT:-} key=${CALLBOX_SIGNING_KEY:-} keyring=${CALLBOX_UPDATE_KEYRING:-}
usage() { sed -n '4,5p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --image) image=$2; shift 2 ;;
        --compatible) compatible=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --format) format=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --cert) cert=$2; shift 2 ;;
        --key) key=$2; shift 2 ;;
        --keyring) keyring=$2; shift 2 ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# = 1 ] && [ -n "$image" ] && [ -n "$compatible" ] && [ -n "$version" ] || usage
out=$1
case $format in verity|plain) ;; *) echo "bundle.sh: --format verity or plain" >&2; exit 2 ;; esac
# The manifest is a GLib key file: a line break or ';'-less junk in a value would make another key.
for value in "$compatible" "$version" "$build"; do
    case $value in *[![:print:]]*) echo "bundle.sh: non-printable character in '$value'" >&2; exit 2 ;; esac
done
[ -f "$image" ] || { echo "bundle.sh: no image $image" >&2; exit 1; }
if [ -z "$cert$key$keyring" ]; then
    pki=${CALLBOX_CACHE:-$HOME/.cache/callbox}/pki/dev
    "$here/pki.sh" "$pki"
    cert=$pki/signer.pem key=$pki/signer.key keyring=$pki/ca.pem
fi
[ -n "$cert" ] && [ -n "$key" ] && [ -n "$keyring" ] ||
    { echo "bundle.sh: a production signer needs CALLBOX_SIGNING_CERT, CALLBOX_SIGNING_KEY and CALLBOX_UPDATE_KEYRING" >&2; exit 2; }

content=$(mktemp -d)
trap 'rm -rf "$content"' EXIT
# A hard link when the image is on the same file system: a 1.5 GiB root is not copied twice.
ln "$image" "$content/rootfs.ext4" 2>/dev/null || cp --sparse=always "$image" "$content/rootfs.ext4"
{
    printf '[update]\ncompatible=%s\nversion=%s\n' "$compatible" "$version"
    [ -n "$build" ] && printf 'build=%s\n' "$build"
    printf '\n[bundle]\nformat=%s\n\n[image.rootfs]\nfilename=rootfs.ext4\n' "$format"
} >"$content/manifest.raucm"
rm -f "$out"
rauc bundle --cert="$cert" --key="$key" --keyring="$keyring" "$content" "$out" >&2
