"""RAUC's pre-install handler: refuses a bundle that is not newer than the running firmware.

RAUC runs it after it has checked the bundle's signature and mounted it; the manifest is read from
the mounted bundle (RAUC 1.8 puts only the mount point in the handler's environment, not the
manifest's version). A non-zero exit aborts the install before a slot is touched. RAUC 1.8 reports
only "Pre-install handler error" for it; the reason printed here goes to RAUC's log (the journal).
The web and `callbox update install` check the same thing first and show the reason themselves.
system.conf: `[handlers] pre-install=`.
"""

from __future__ import annotations

import configparser
import os
import sys
from pathlib import Path

from firmware.update.check import BundleRefused, refuse_older
from firmware.update.version import running_version


def bundle_version() -> str:
    manifest = Path(os.environ.get("RAUC_BUNDLE_MOUNT_POINT", "/nonexistent")) / "manifest.raucm"
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    if not parser.read(manifest, encoding="utf-8"):
        return ""
    return parser.get("update", "version", fallback="")


def main() -> int:
    try:
        refuse_older(bundle_version(), running_version())
    except BundleRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"The running firmware's version is unknown ({exc.strerror}): no update without it.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
