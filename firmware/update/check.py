"""Whether a bundle may be installed: signed by a trusted key, for this board, newer than what runs.

RAUC itself checks the signature and the compatible string when it installs, but it has no notion
of an older version; the box refuses a downgrade here, before RAUC is asked, and again in RAUC's
pre-install handler (`firmware.update.preinstall`), so `rauc install` run by hand refuses it too.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from firmware.update import rauc
from firmware.update.version import parse_version, running_version


class BundleRefused(Exception):
    """The bundle is not installed; the message says why, in words an administrator can act on."""


def system_compatible(conf: Path | None = None) -> str:
    """The `[system] compatible=` of RAUC's system.conf (a GLib key file; no interpolation)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(conf or rauc.system_conf(), encoding="utf-8")
    return parser.get("system", "compatible", fallback="")


# RAUC's reasons for a bundle it will not read, in words for the administrator (RAUC's own after them).
_SIGNATURE_REASONS = (
    ("Signature size is 0", "The file is not signed: only signed update bundles are installed."),
    ("exceeds bundle size", "The file is incomplete (cut short in the download or upload?)."),
    ("Invalid bundle format", "The file is not an update bundle."),
    ("unable to get local issuer certificate", "The bundle is signed by a key this box does not trust."),
    ("self-signed certificate", "The bundle is signed by a key this box does not trust."),
    ("certificate has expired", "The bundle's signing certificate has expired."),
    ("verification failure", "The bundle's content does not match its signature: it was damaged or altered."),
)


def explain(reason: str) -> str:
    for needle, words in _SIGNATURE_REASONS:
        if needle in reason:
            return f"{words} ({reason})"
    return f"The bundle failed its signature check ({reason})."


def refuse_older(bundle_version: str, running: str) -> None:
    try:
        new = parse_version(bundle_version)
    except ValueError as exc:
        raise BundleRefused(f"The bundle's version cannot be compared: {exc}") from exc
    try:
        old = parse_version(running)
    except ValueError as exc:
        raise BundleRefused(f"The running firmware's version cannot be compared: {exc}") from exc
    if new < old:
        raise BundleRefused(f"Version {bundle_version} is older than the running {running}: "
                            "going back to an older firmware is refused.")
    if new == old:
        raise BundleRefused(f"Version {bundle_version} is the version already running.")


def check_bundle(bundle: Path) -> rauc.Manifest:
    """The manifest of a bundle fit to install, else BundleRefused."""
    if not bundle.is_file() or bundle.stat().st_size == 0:
        raise BundleRefused("The file is empty or missing.")
    try:
        manifest = rauc.info(bundle)
    except rauc.RaucError as exc:
        raise BundleRefused(explain(str(exc))) from exc
    compatible = system_compatible()
    if manifest.compatible != compatible:
        raise BundleRefused(f"The bundle is for {manifest.compatible!r}, this box is {compatible!r}.")
    refuse_older(manifest.version, running_version())
    return manifest
