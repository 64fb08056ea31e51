"""A Callbox disk image booted in QEMU: x86_64, UEFI (OVMF), an i6300esb watchdog, user networking
with restrict=on (the guest reaches nothing outside) and the box's ports forwarded to 127.0.0.1 only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
# QEMU user networking gives the guest this address by DHCP (first lease of 10.0.2.0/24).
GUEST_ADDRESS = "10.0.2.15"


def kvm_usable() -> bool:
    """KVM when /dev/kvm is there, unless CALLBOX_QEMU_ACCEL=tcg asks for emulation."""
    if os.environ.get("CALLBOX_QEMU_ACCEL", "").lower() == "tcg":
        return False
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


# A nested KVM may open fine and then fail on the firmware's first FPU instruction: QEMU prints this
# and stops the guest (it does not exit). The guest is then started again under TCG.
KVM_FAILURE = "KVM internal error"


class Guest:
    """One boot of a copy of the image. `forwards` maps names to (protocol, guest port); the host
    ports are chosen by the caller and kept in `ports`."""

    def __init__(self, image: Path, workdir: Path, ports: dict[str, tuple[str, int, int]],
                 grow_disk_by: int = 1 << 30, memory_mb: int = 1024):
        self.workdir = workdir
        self.ports = {name: host for name, (_proto, _guest, host) in ports.items()}
        self.disk = workdir / "disk.img"
        self.serial_log = workdir / "serial.log"
        self.accel = "kvm" if kvm_usable() else "tcg"
        # a sparse copy, grown as a bigger disk would be: the data partition must take the new space
        subprocess.run(["cp", "--sparse=always", str(image), str(self.disk)], check=True)
        os.truncate(self.disk, self.disk.stat().st_size + grow_disk_by)
        vars_copy = workdir / "OVMF_VARS.fd"
        shutil.copyfile(OVMF_VARS, vars_copy)
        forwards = ",".join(f"hostfwd={proto}:127.0.0.1:{host}-:{guest}" for proto, guest, host in ports.values())
        self.memory_mb = memory_mb
        self.common_argv = [
            "-display", "none", "-vga", "none", "-monitor", "none",
            "-serial", f"file:{self.serial_log}",
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}",
            "-drive", f"if=virtio,format=raw,file={self.disk}",
            "-netdev", f"user,id=lan,restrict=on,{forwards}",
            "-device", "virtio-net-pci,netdev=lan",
            "-device", "i6300esb", "-action", "watchdog=reset",
            "-device", "virtio-rng-pci",
        ]
        self.qemu_log = workdir / "qemu.log"
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def argv(self) -> list[str]:
        return [
            "nice", "-n", os.environ.get("CALLBOX_NICE", "15"),
            "qemu-system-x86_64", "-machine", f"q35,accel={self.accel}",
            # a nested KVM refuses the host CPU's ARCH_CAPABILITIES MSR (qemu aborts): leave it out
            "-cpu", "host,-arch-capabilities" if self.accel == "kvm" else "max",
            "-smp", "2", "-m", str(self.memory_mb), *self.common_argv,
        ]

    def _start(self) -> None:
        self.serial_log.write_bytes(b"")
        self.started = time.monotonic()
        with open(self.qemu_log, "wb") as log:
            self.process = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT)

    def _stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> Guest:
        self._start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop()

    def console(self) -> str:
        return self.serial_log.read_text(errors="replace")

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def wait_console(self, pattern: str, timeout: float) -> re.Match:
        """The first match of pattern in the serial output, waiting for it to appear."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.console())
            if found:
                return found
            self.check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {pattern!r} on the console after {timeout:.0f} s; its end:\n"
                                   + self.console()[-3000:])
            time.sleep(0.2)

    def check_running(self) -> None:
        """Raises if QEMU has ended; restarts it under TCG if KVM turned out not to work."""
        out = self.qemu_log.read_text(errors="replace") if self.qemu_log.exists() else ""
        if self.accel == "kvm" and KVM_FAILURE in out:
            self._stop()
            self.accel = "tcg"
            self._start()
            return
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"qemu exited with {self.process.returncode}: {out}\nconsole:\n{self.console()[-3000:]}")
