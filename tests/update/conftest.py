"""Fixtures of the slot tests: a trusted and an untrusted signing PKI (once per run) and a fresh
RAUC world per test (tests/update/world.py)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.update.world import World, make_pki

TOOLS = ("rauc", "dbus-daemon", "dbus-send", "grub-editenv", "mksquashfs", "mke2fs", "debugfs", "openssl")


@pytest.fixture(scope="session")
def pkis(tmp_path_factory):
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"missing {', '.join(missing)} (make packages)")
    if os.geteuid() != 0:
        pytest.skip("rauc mounts bundles through loop devices: root only")
    base = tmp_path_factory.mktemp("pki")
    return make_pki(base / "trusted", "Callbox test"), make_pki(base / "stranger", "Stranger")


@pytest.fixture
def world(pkis, tmp_path, monkeypatch):
    made = World(root=tmp_path, pki=pkis[0], stranger=pkis[1])
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_STARTER_BUS_TYPE", "CALLBOX_RAUC_CONF", "CALLBOX_VERSION_FILE"):
        monkeypatch.setenv(name, made.env[name])
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path / "box"))
    yield made
    made.close()
