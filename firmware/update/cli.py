"""`callbox update ...`: the update machinery from the console and from systemd's units."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from firmware.update import boot, health, rauc, state
from firmware.update.install import InstallBusy, install_bundle
from firmware.update.version import running_version


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="callbox update", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    install = sub.add_parser("install", help="check a bundle and install it to the other slot")
    install.add_argument("bundle", type=Path)
    install.add_argument("--source", default="console", help=argparse.SUPPRESS)
    install.add_argument("--remove", action="store_true", help="delete the bundle file afterwards (uploads)")
    sub.add_parser("status", help="versions, slots, the last result (JSON)")
    sub.add_parser("health", help="run the health check once and print it")
    sub.add_parser("prepare", help="at boot, before the services: trial, rollback or ordinary boot")
    confirm = sub.add_parser("confirm", help="at boot, after the services: health check, then mark good or roll back")
    confirm.add_argument("--deadline", type=float, default=float(os.environ.get("CALLBOX_HEALTH_DEADLINE", "600")),
                         help="seconds the box has to pass its health check (default 600)")
    check = sub.add_parser("check", help="ask the update URL for a newer bundle (and install it with --install)")
    check.add_argument("--install", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    if args.action == "install":
        try:
            outcome = install_bundle(args.bundle, source=args.source)
        except InstallBusy as exc:
            print(exc, file=sys.stderr)
            return 3
        finally:
            if args.remove:
                args.bundle.unlink(missing_ok=True)
        print(outcome.message)
        return 0 if outcome.ok else 1
    if args.action == "status":
        print(json.dumps(status_report(), indent=2))
        return 0
    if args.action == "health":
        results = health.check_all()
        for check in results:
            print(f"{check.name:9} {'ok  ' if check.ok else 'FAIL'} {check.detail}")
        return 0 if all(check.ok for check in results) else 1
    if args.action == "prepare":
        print(boot.prepare())
        return 0
    if args.action == "confirm":
        healthy = boot.confirm(deadline_s=args.deadline)
        print(confirm_line(healthy), flush=True)
        return 0 if healthy else 1
    if args.action == "check":
        from firmware.update import poll

        return poll.check_now(install=args.install)
    return 2


def confirm_line(healthy: bool) -> str:
    """One line for the console after the health check: the booted slot's mark as RAUC reads it
    back from the boot loader (good only once `mark-good` reached GRUB's environment) and the check."""
    health_record = state.read("health") or {}
    try:
        slots = slot_summary(rauc.status())
        booted = next(slot for slot in slots if slot["booted"])
        mark = f"slot {booted['bootname']} {booted['boot_status']}"
    except (rauc.RaucError, OSError, ValueError, StopIteration) as exc:
        mark = f"slot unknown ({exc})"
    verdict = "healthy" if healthy else "NOT healthy"
    return f"callbox update: {mark}, {verdict}, version {_safe(running_version)} ({health_record.get('message', '')})"


def status_report() -> dict:
    """What the web page and `callbox update status` show."""
    report: dict = {"running": _safe(running_version), "slots": None, "error": None}
    try:
        report["slots"] = slot_summary(rauc.status())
    except (rauc.RaucError, OSError, ValueError) as exc:
        report["error"] = str(exc)
    for name in ("last", "progress", "pending", "health", "poll"):
        report[name] = state.read(name)
    return report


def slot_summary(status: dict) -> list[dict]:
    """Each root slot: bootname, booted or not, primary or not, boot status, installed version."""
    slots = []
    for entry in status.get("slots", []):
        for name, slot in entry.items():
            if slot.get("class") != "rootfs":
                continue
            bundle = (slot.get("slot_status") or {}).get("bundle") or {}
            slots.append({"name": name, "bootname": slot.get("bootname"),
                          "booted": slot.get("state") == "booted", "primary": name == status.get("boot_primary"),
                          "boot_status": slot.get("boot_status"), "version": bundle.get("version")})
    return sorted(slots, key=lambda slot: str(slot["bootname"]))


def _safe(read) -> str | None:
    try:
        return read()
    except OSError:
        return None
