"""Updates against image files as slots (issue 10, item 4): real rauc, real signatures, real writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from firmware.update import rauc, state
from firmware.update.install import install_bundle
from tests.update.world import COMPATIBLE, read_version, root_image, run


def test_good_bundle_goes_to_the_other_slot_and_is_booted_next(world):
    bundle = world.bundle("good", "1.1.0")
    outcome = install_bundle(bundle)
    assert outcome.ok, outcome.message
    assert read_version(world.slot_b) == "1.1.0"
    assert read_version(world.slot_a) == "1.0.0"
    env = world.snapshot()[2]
    assert env["ORDER"].split()[0] == "B" and env["B_OK"] == "1" and env["B_TRY"] == "0", env
    assert world.reboot() == "B"
    assert world.version_file.read_text().strip() == "1.1.0"
    assert state.read("last")["ok"] is True


def unsigned_bundle(world) -> Path:
    """A bundle's squashfs with no signature after it: what `rauc bundle` makes before it signs."""
    content = world.root / "unsigned"
    content.mkdir()
    root_image(content / "rootfs.ext4", "1.1.0")
    (content / "manifest.raucm").write_text(
        f"[update]\ncompatible={COMPATIBLE}\nversion=1.1.0\n\n[image.rootfs]\nfilename=rootfs.ext4\n")
    out = world.root / "bundles/unsigned.raucb"
    run("mksquashfs", content, out, "-quiet", "-all-root", "-noappend")
    return out


def tampered(bundle: Path) -> Path:
    data = bytearray(bundle.read_bytes())
    data[len(data) // 3] ^= 0x40
    bundle.write_bytes(bytes(data))
    return bundle


def truncated(bundle: Path) -> Path:
    data = bundle.read_bytes()
    bundle.write_bytes(data[: len(data) // 2])
    return bundle


REFUSED = {
    "unsigned": (lambda world: unsigned_bundle(world), "The file is not signed"),
    "tampered": (lambda world: tampered(world.bundle("t", "1.1.0")), "does not match its signature"),
    "truncated": (lambda world: truncated(world.bundle("t", "1.1.0")), "The file is incomplete"),
    "wrong-compatible": (lambda world: world.bundle("w", "1.1.0", compatible="callbox-rpi4"),
                         "is for 'callbox-rpi4', this box is 'callbox-test'"),
    "older-version": (lambda world: world.bundle("o", "0.9.3"), "older than the running 1.0.0"),
    "same-version": (lambda world: world.bundle("s", "1.0.0"), "already running"),
    "untrusted-signer": (lambda world: world.bundle("u", "1.1.0", pki=world.stranger), "a key this box does not trust"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_bad_bundle_is_refused_and_nothing_changes(world, kind):
    make, words = REFUSED[kind]
    bundle = make(world)
    before = world.snapshot()
    outcome = install_bundle(bundle)
    assert not outcome.ok
    print(kind, "->", outcome.message)
    assert words in outcome.message, outcome.message
    assert world.snapshot() == before
    last = state.read("last")
    assert last["ok"] is False and last["message"] == outcome.message
    assert world.reboot() == "A" and world.version_file.read_text().strip() == "1.0.0"


@pytest.mark.parametrize("kind", ["older-version", "wrong-compatible", "untrusted-signer", "tampered"])
def test_rauc_install_by_hand_refuses_it_too(world, kind):
    """Without the box's own check first: RAUC's checks and the pre-install handler alone."""
    make, _ = REFUSED[kind]
    bundle = make(world)
    before = world.snapshot()
    done = subprocess.run(["rauc", f"--conf={world.conf}", "install", str(bundle)], env=world.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    print(rauc.reason(done.stdout + done.stderr))
    assert world.snapshot() == before
