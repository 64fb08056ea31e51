"""A RAUC world in a temporary directory, in the style of RAUC's own tests: image files as slots,
the GRUB environment a plain file, the service on a private D-Bus, and a "reboot" that picks the slot
the way the image's grub.cfg does.

Nothing here is a stand-in for RAUC: the real `rauc` binary checks signatures, writes the slot
files and edits the GRUB environment with grub-editenv, as on the box. What the world replaces is
the machine: block devices (files), the booted slot (`rauc service --override-boot-slot`, on the box
the kernel's `rauc.slot=`), the firmware's version file (the booted slot's own) and the boot loader
(`grub_boot`, a transcription of board/x86_64/grub.cfg's choice; the QEMU test boots the real one).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PKI = REPO / "image/update/pki.sh"
BUNDLE = REPO / "image/update/bundle.sh"
COMPATIBLE = "callbox-test"
SLOT_SIZE = 8 << 20

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy>
</busconfig>
"""

SYSTEM_CONF = """[system]
compatible={compatible}
bootloader=grub
grubenv={grubenv}
data-directory={data}
mountprefix={mnt}
bundle-formats=plain verity

[keyring]
path={keyring}

[handlers]
pre-install={preinstall}

[slot.rootfs.0]
device={slot_a}
type=ext4
bootname=A

[slot.rootfs.1]
device={slot_b}
type=ext4
bootname=B
"""


def run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kwargs)


def make_pki(directory: Path, name: str) -> Path:
    run(PKI, directory, name)
    return directory


def root_image(path: Path, version: str, size: int = SLOT_SIZE, noise: int = 16384) -> Path:
    """A tiny root file system: /etc/callbox/version and enough random bytes for a real squashfs."""
    tree = path.with_suffix(".tree")
    (tree / "etc/callbox").mkdir(parents=True, exist_ok=True)
    (tree / "etc/callbox/version").write_text(version + "\n")
    (tree / "noise").write_bytes(os.urandom(noise))
    run("mke2fs", "-q", "-F", "-t", "ext4", "-d", tree, path, f"{size // 1024}k")
    shutil.rmtree(tree)
    return path


def read_version(slot: Path) -> str:
    out = run("debugfs", "-R", "cat /etc/callbox/version", slot).stdout
    return out.strip()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grubenv_read(path: Path) -> dict[str, str]:
    listing = run("grub-editenv", path, "list").stdout
    return dict(line.split("=", 1) for line in listing.splitlines() if "=" in line)


def grubenv_set(path: Path, **values: str) -> None:
    run("grub-editenv", path, "set", *(f"{k}={v}" for k, v in values.items()))


def grub_boot(grubenv: Path) -> str:
    """The slot board/x86_64/grub.cfg boots, with the TRY mark it saves before booting it."""
    env = grubenv_read(grubenv)
    order = env.get("ORDER", "A B").split()
    for slot in order:
        if env.get(f"{slot}_OK") == "1" and env.get(f"{slot}_TRY", "0") == "0":
            grubenv_set(grubenv, **{f"{slot}_TRY": "1"})
            return slot
    # every good slot was tried and none confirmed itself: start over with the first good one
    for slot in order:
        if env.get(f"{slot}_OK") == "1":
            grubenv_set(grubenv, **{"A_TRY": "0", "B_TRY": "0", f"{slot}_TRY": "1"})
            return slot
    return "A"


@dataclass
class World:
    root: Path
    pki: Path
    stranger: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    booted: str = "A"

    def __post_init__(self) -> None:
        for name in ("data", "mnt", "bundles"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        self.slot_a = root_image(self.root / "slot-a.img", "1.0.0")
        self.slot_b = self.root / "slot-b.img"
        with open(self.slot_b, "wb") as empty:
            empty.truncate(SLOT_SIZE)
        self.grubenv = self.root / "grubenv"
        run("grub-editenv", self.grubenv, "create")
        grubenv_set(self.grubenv, ORDER="A B", A_OK="1", B_OK="0", A_TRY="0", B_TRY="0")
        self.version_file = self.root / "version"
        self.conf = self.root / "system.conf"
        preinstall = self.root / "pre-install"
        preinstall.write_text(f"#!/bin/sh\nexec {sys.executable} -m firmware.update.preinstall\n")
        preinstall.chmod(0o755)
        self.conf.write_text(SYSTEM_CONF.format(
            compatible=COMPATIBLE, grubenv=self.grubenv, data=self.root / "data", mnt=self.root / "mnt",
            keyring=self.pki / "ca.pem", preinstall=preinstall, slot_a=self.slot_a, slot_b=self.slot_b))
        self.socket = self.root / "bus.sock"
        (self.root / "bus.conf").write_text(BUS_CONF.format(socket=self.socket))
        self.env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.socket}",
                    "DBUS_STARTER_BUS_TYPE": "session", "CALLBOX_RAUC_CONF": str(self.conf),
                    "CALLBOX_VERSION_FILE": str(self.version_file), "PYTHONPATH": str(REPO)}
        with open(self.root / "bus.log", "w") as log:
            bus = subprocess.Popen(["dbus-daemon", "--nofork", f"--config-file={self.root / 'bus.conf'}"],
                                   stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(bus)
        wait_for(self.socket.exists, "the private D-Bus socket")
        self.boot("A")

    def slot_path(self, slot: str) -> Path:
        return self.slot_a if slot == "A" else self.slot_b

    def boot(self, slot: str) -> None:
        """The machine comes up on SLOT: its version file, and RAUC's service told which slot it is."""
        self.stop_service()
        self.booted = slot
        self.version_file.write_text(read_version(self.slot_path(slot)) + "\n")
        with open(self.root / f"service-{len(self.processes)}.log", "w") as log:
            service = subprocess.Popen(["rauc", f"--conf={self.conf}", "service", f"--override-boot-slot={slot}"],
                                       env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.service = service
        self.processes.append(service)
        wait_for(self.service_up, "rauc service on the private bus")

    def reboot(self) -> str:
        """What the box does after `reboot`: GRUB picks a slot, the slot's root comes up."""
        slot = grub_boot(self.grubenv)
        self.boot(slot)
        return slot

    def service_up(self) -> bool:
        if self.service.poll() is not None:
            raise RuntimeError(f"rauc service exited {self.service.returncode}")
        done = subprocess.run(["dbus-send", f"--bus=unix:path={self.socket}", "--print-reply",
                               "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus.NameHasOwner", "string:de.pengutronix.rauc"],
                              capture_output=True, text=True)
        return "boolean true" in done.stdout

    def stop_service(self) -> None:
        service = getattr(self, "service", None)
        if service is not None and service.poll() is None:
            service.terminate()
            service.wait(timeout=10)

    def bundle(self, name: str, version: str, compatible: str = COMPATIBLE, pki: Path | None = None,
               noise: int = 16384) -> Path:
        image = root_image(self.root / "bundles" / f"{name}.ext4", version, noise=noise)
        out = self.root / "bundles" / f"{name}.raucb"
        signer = pki or self.pki
        run(BUNDLE, "--image", image, "--compatible", compatible, "--version", version, "--format", "plain",
            "--cert", signer / "signer.pem", "--key", signer / "signer.key", "--keyring", signer / "ca.pem", out)
        image.unlink()
        return out

    def snapshot(self) -> tuple:
        """Everything an install may change: both slots' bytes and the GRUB environment."""
        return digest(self.slot_a), digest(self.slot_b), grubenv_read(self.grubenv)

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout} s")
        time.sleep(0.02)
