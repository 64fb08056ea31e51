# Sourced by image/build.sh and image/update/make-bundle.sh: the image's version and its update keyring.

# dotted numbers only (firmware/update/version.py): pyproject's version and the commit count
image_version() {
    if [ -n "${CALLBOX_VERSION:-}" ]; then
        printf '%s\n' "$CALLBOX_VERSION"
        return
    fi
    local base count
    base=$(sed -n 's/^version = "\([0-9.]*\)"$/\1/p' "$repo/pyproject.toml")
    count=$(git -C "$repo" rev-list --count HEAD 2>/dev/null || echo 0)
    printf '%s.%s\n' "$base" "$count"
}

# The CA certificate the box trusts: CALLBOX_UPDATE_KEYRING (production) or the development CA,
# made on first use in $CALLBOX_CACHE/pki/dev (never in the tree).
update_keyring() {
    if [ -n "${CALLBOX_UPDATE_KEYRING:-}" ]; then
        cat "$CALLBOX_UPDATE_KEYRING"
        return
    fi
    local pki=${CALLBOX_CACHE:-$HOME/.cache/callbox}/pki/dev
    "$repo/image/update/pki.sh" "$pki"
    cat "$pki/ca.pem"
}
