"""The update URL: the vendor's small JSON index of bundles, asked now and then (a systemd timer)
and when the admin presses "check now". A newer bundle for this board is downloaded to /data and
installed; it is tried at the next restart, which the admin chooses.

The index (at most 64 KiB):

    {"bundles": [{"compatible": "callbox-x86_64", "version": "0.1.0.500",
                  "url": "callbox-x86_64-0.1.0.500.raucb"}]}

`url` may be relative to the index's. Offline, unreachable or malformed: the result is recorded
(state `poll`) and nothing else happens; the box does not retry faster or complain louder.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from firmware import paths
from firmware.update import state
from firmware.update.check import system_compatible
from firmware.update.install import InstallBusy, install_bundle
from firmware.update.version import parse_version, running_version

log = logging.getLogger("callbox.update")
URL_SETTING = "update_url"
INDEX_LIMIT = 64 * 1024
BUNDLE_LIMIT = int(os.environ.get("CALLBOX_UPDATE_MAX_BYTES", str(2 * 1024**3)))
TIMEOUT = 15.0


class PollFailed(Exception):
    """The update URL gave no usable answer; the message says what happened."""


def valid_url(text: str) -> str:
    """An http(s) URL with a host, one line, at most 500 characters; else ValueError."""
    text = text.strip()
    if len(text) > 500 or any(not c.isprintable() or c.isspace() for c in text):
        raise ValueError("one http:// or https:// address without spaces, at most 500 characters")
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http:// or https:// address with a host name")
    return text


def update_url() -> str:
    from firmware.store import open_store, queries

    conn = open_store()
    try:
        return queries.get_setting(conn, URL_SETTING, "") or ""
    finally:
        conn.close()


def _open(url: str):
    request = urllib.request.Request(url, headers={"User-Agent": f"Callbox/{running_version()}"})
    return urllib.request.urlopen(request, timeout=TIMEOUT)  # noqa: S310 (scheme checked by valid_url)


def newest_for_this_box(index_url: str) -> dict | None:
    """The index's newest bundle for this board if it is newer than what runs, else None."""
    try:
        with _open(index_url) as answer:
            raw = answer.read(INDEX_LIMIT + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PollFailed(f"the update address did not answer ({getattr(exc, 'reason', exc)})") from exc
    if len(raw) > INDEX_LIMIT:
        raise PollFailed("the update index is larger than 64 KiB")
    try:
        entries = json.loads(raw)["bundles"]
        if not isinstance(entries, list):
            raise TypeError("bundles is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise PollFailed(f"the update index is not understood ({exc})") from exc
    compatible, running = system_compatible(), parse_version(running_version())
    best: tuple[tuple[int, ...], dict] | None = None
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("compatible") != compatible:
            continue
        try:
            version = parse_version(str(entry.get("version", "")))
            bundle_url = valid_url(urllib.parse.urljoin(index_url, str(entry.get("url", ""))))
        except ValueError:
            continue
        if version > running and (best is None or version > best[0]):
            best = (version, {"version": str(entry["version"]), "url": bundle_url})
    return best[1] if best else None


def download(url: str, target: Path) -> Path:
    """Streams the bundle to TARGET (never whole in memory), at most BUNDLE_LIMIT bytes."""
    partial = target.with_name(target.name + ".partial")
    received = 0
    try:
        with _open(url) as answer, open(partial, "wb") as out:
            while chunk := answer.read(1 << 20):
                received += len(chunk)
                if received > BUNDLE_LIMIT:
                    raise PollFailed(f"the bundle is larger than {BUNDLE_LIMIT} bytes")
                out.write(chunk)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise PollFailed(f"the download failed ({getattr(exc, 'reason', exc)})") from exc
    except PollFailed:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return target


def check_now(install: bool = False, url: str | None = None) -> int:
    """One look at the update URL; with INSTALL, a newer bundle is fetched and installed."""
    url = update_url() if url is None else url
    if not url:
        state.write("poll", {"ok": False, "message": "No update address is set."})
        return 0
    try:
        found = newest_for_this_box(url)
        if found is None:
            state.write("poll", {"ok": True, "available": None, "message": "The box runs the newest version."})
            return 0
        state.write("poll", {"ok": True, "available": found["version"],
                             "message": f"Version {found['version']} is available."})
        if not install:
            return 0
        directory = paths.data_dir() / "update"
        directory.mkdir(parents=True, exist_ok=True)
        bundle = download(found["url"], directory / "download.raucb")
        try:
            outcome = install_bundle(bundle, source="update address")
        finally:
            bundle.unlink(missing_ok=True)
        state.write("poll", {"ok": outcome.ok, "available": found["version"], "message": outcome.message})
    except PollFailed as exc:
        # offline is normal for a box behind a strict firewall: recorded quietly, no error exit
        state.write("poll", {"ok": False, "message": f"Update check failed: {exc}."})
        log.info("update check: %s", exc)
    except InstallBusy as exc:
        state.write("poll", {"ok": False, "message": str(exc)})
    return 0
