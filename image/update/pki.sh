#!/bin/bash
# Makes a development signing PKI for RAUC bundles in DIR (once; an existing one is kept):
#   DIR/ca.pem, DIR/ca.key          a self-signed CA: its certificate is the box's keyring
#   DIR/signer.pem, DIR/signer.key  the bundle signer, issued by that CA
# Never commit these: the build keeps its own in $CALLBOX_CACHE/pki/dev (image/update/bundle.sh), the
# tests make theirs in a temporary directory. A production build names its own certificate, key and
# keyring instead (CALLBOX_SIGNING_CERT, CALLBOX_SIGNING_KEY, CALLBOX_UPDATE_KEYRING: docs/appliance.md).
#
#   image/update/pki.sh DIR [NAME]     NAME goes into the subjects (default "Callbox development")
set -euo pipefail
dir=${1:?usage: image/update/pki.sh DIR [NAME]}
name=${2:-Callbox development}
if [ -s "$dir/ca.pem" ] && [ -s "$dir/signer.pem" ] && [ -s "$dir/signer.key" ]; then
    exit 0
fi
mkdir -p "$dir"
umask 077
work=$(mktemp -d "$dir/.new-XXXXXX")
trap 'rm -rf "$work"' EXIT
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$work/ca.key" -out "$work/ca.pem" -days 3650 \
    -subj "/CN=$name update CA" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req "${ec[@]}" -keyout "$work/signer.key" -out "$work/signer.csr" -subj "/CN=$name bundle signer" 2>/dev/null
# No extended key usage: RAUC 1.8 checks the "smimesign" purpose by default, which an EKU of
# codeSigning fails; keyUsage digitalSignature is what CMS signing needs.
printf '%s\n' 'basicConstraints=critical,CA:false' 'keyUsage=critical,digitalSignature' \
    'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >"$work/signer.ext"
openssl x509 -req -in "$work/signer.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 3650 -extfile "$work/signer.ext" -out "$work/signer.pem" 2>/dev/null
chmod 644 "$work/ca.pem" "$work/signer.pem"
mv "$work/ca.key" "$work/ca.pem" "$work/signer.key" "$work/signer.pem" "$dir/"
