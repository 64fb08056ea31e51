"""The `rauc` command line: bundle information, install, slot status and boot marks.

Every call is an argument list (never a shell string); a bundle's path comes from our own upload
or download directory. `rauc install` and the marks go through RAUC's D-Bus service (rauc-service on
the box, a private bus in the tests); `rauc info` checks the signature by itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RAUC = os.environ.get("CALLBOX_RAUC", "rauc")
SYSTEM_CONF = Path("/etc/rauc/system.conf")
# `rauc install` prints "NN% Message" lines while it runs.
_PROGRESS = re.compile(r"^\s*(\d{1,3})% (.*)$")
# GLib's log prefix on RAUC's messages: "rauc-Message: 16:38:15.916: ".
_GLIB_PREFIX = re.compile(r"^rauc-(?:Message|Warning|Critical|Info|Debug): [0-9:.]+: ")


class RaucError(Exception):
    """RAUC refused or failed; the message is RAUC's own last words, cleaned up for a person."""


@dataclass(frozen=True)
class Manifest:
    compatible: str
    version: str
    build: str


def system_conf() -> Path:
    return Path(os.environ.get("CALLBOX_RAUC_CONF", SYSTEM_CONF))


def _base() -> list[str]:
    return [RAUC, f"--conf={system_conf()}"]


def reason(output: str) -> str:
    """The line of RAUC's output that says why it failed (its last non-empty, non-progress line)."""
    lines = [_GLIB_PREFIX.sub("", line).strip() for line in output.splitlines()]
    meaningful = [line for line in lines if line and not _PROGRESS.match(line) and line != "idle"
                  and not line.startswith(("installing", "Installing `"))]
    for line in reversed(meaningful):
        if line.startswith("LastError: "):
            return line.removeprefix("LastError: ")
    return meaningful[-1] if meaningful else "rauc gave no reason"


def info(bundle: Path, timeout: float = 120) -> Manifest:
    """The bundle's manifest, after RAUC checked its signature against the system's keyring."""
    done = subprocess.run([*_base(), "info", "--output-format=json", str(bundle)],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RaucError(reason(done.stdout + "\n" + done.stderr))
    try:
        manifest = json.loads(done.stdout)
        return Manifest(compatible=str(manifest["compatible"]), version=str(manifest["version"]),
                        build=str(manifest.get("build") or ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise RaucError(f"rauc info gave no manifest ({exc})") from exc


def install(bundle: Path, progress: Callable[[int, str], None] | None = None, timeout: float = 1800) -> None:
    """Install into the other slot and make it the next boot's (RAUC marks it primary)."""
    process = subprocess.Popen([*_base(), "install", str(bundle)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output: list[str] = []
    for line in process.stdout:
        output.append(line)
        match = _PROGRESS.match(line)
        if match and progress is not None:
            progress(min(int(match.group(1)), 100), match.group(2).strip())
    code = process.wait(timeout=timeout)
    if code != 0:
        raise RaucError(reason("".join(output)))


def status() -> dict:
    """`rauc status` as JSON: booted slot, primary, each slot's state and boot status."""
    done = subprocess.run([*_base(), "status", "--detailed", "--output-format=json"],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RaucError(reason(done.stdout + "\n" + done.stderr))
    return json.loads(done.stdout)


def mark(state: str, slot: str = "booted") -> None:
    """`rauc status mark-good|mark-bad|mark-active booted|other`."""
    if state not in ("good", "bad", "active") or slot not in ("booted", "other"):
        raise ValueError(f"mark {state} {slot}")
    done = subprocess.run([*_base(), "status", f"mark-{state}", slot], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RaucError(reason(done.stdout + "\n" + done.stderr))
