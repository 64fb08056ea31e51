"""Backup and restore (issue 10, item 5): a box's data written to one file and restored onto a fresh
data directory, and every way a backup file must be refused, on real files and a real SQLite store."""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from firmware.backup import crypto, restore
from firmware.backup.archive import read_manifest, write_backup
from firmware.backup.errors import DamagedBackup, NewerBackup, UnsafeMember, WrongPassphrase
from firmware.backup.manifest import Manifest, checksums_json, member_path
from firmware.store import open_store, queries
from firmware.store.db import connect

REPO = Path(__file__).resolve().parents[2]
TABLES = ("trunks", "agents", "queues", "calls", "recordings", "settings", "users")
RECORDING = "recordings/2026/12/03/call-1.wav"
# one recording larger than an encrypted chunk and than gzip's window, of bytes that do not shrink
RECORDING_BYTES = b"RIFF" + os.urandom(200_000)
CHEAP = {"log2_n": 10, "r": 8, "p": 1}      # scrypt at its lowest bound: the tests need no hardness


@pytest.fixture
def box(tmp_path) -> Path:
    """A data directory with one of each: a trunk, an agent, a queue, a recorded call, a setting,
    a user, a configuration file and an uploaded prompt."""
    data = tmp_path / "box"
    (data / "config").mkdir(parents=True)
    (data / "config" / "callbox.env").write_text("CALLBOX_SIP_PORT=5060\n")
    (data / "prompts" / "en").mkdir(parents=True)
    (data / "prompts" / "en" / "welcome.wav").write_bytes(b"RIFF-welcome")
    conn = open_store(data / "callbox.db")
    queries.create_trunk(conn, "provider", "peer", "192.0.2.10:5060")
    queries.create_agent(conn, "Ann", "1001", "sip-secret")
    queries.create_queue(conn, "support")
    queries.set_setting(conn, "language", "sv")
    queries.create_user(conn, "admin", "hash", "admin")
    conn.execute("INSERT INTO recordings (id, call_id, path, channels, started_at, duration_seconds, bytes) "
                 "VALUES (1, 1, ?, 2, 1764770000, 12.5, ?)", (RECORDING, len(RECORDING_BYTES)))
    conn.execute("INSERT INTO calls (id, caller, callee, trunk_id, started_at, ended_at, outcome, recording_id) "
                 "VALUES (1, '+4630000', '100', 1, 1764770000, 1764770060, 'answered', 1)")
    conn.close()
    (data / RECORDING).parent.mkdir(parents=True)
    (data / RECORDING).write_bytes(RECORDING_BYTES)
    return data


def rows(data: Path) -> dict[str, list[tuple]]:
    conn = connect(data / "callbox.db")
    try:
        return {table: [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")] for table in TABLES}
    finally:
        conn.close()


def backup_bytes(data: Path, **options) -> bytes:
    out = io.BytesIO()
    options.setdefault("recordings", True)
    write_backup(out, data, **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setattr(crypto, "LOG2_N", CHEAP["log2_n"])


def test_a_backup_restored_onto_a_fresh_data_directory_gives_the_same_box(box, tmp_path):
    blob = backup_bytes(box, passphrase="open sesame")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    open_store(fresh / "callbox.db").close()        # a new box: its own empty database
    manifest = restore.restore(io.BytesIO(blob), fresh, passphrase="open sesame", actor="test", say=lambda _: None)
    assert manifest.recordings and manifest.schema_version == restore.latest_schema()
    before, after = rows(box), rows(fresh)
    assert after == before and after["calls"] and after["recordings"]
    assert (fresh / RECORDING).read_bytes() == RECORDING_BYTES
    assert (fresh / "config" / "callbox.env").read_text() == "CALLBOX_SIP_PORT=5060\n"
    assert (fresh / "prompts" / "en" / "welcome.wav").read_bytes() == b"RIFF-welcome"
    assert not (fresh / restore.STAGING).exists() and not restore.pending(fresh)
    conn = connect(fresh / "callbox.db")
    assert [r["actor"] for r in conn.execute("SELECT actor FROM audit_log WHERE action = 'backup.restore'")] == ["test"]
    conn.close()


def test_without_recordings_the_backup_leaves_them_out_and_the_restore_keeps_the_boxs_own(box, tmp_path):
    blob = backup_bytes(box, recordings=False)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
        assert not [name for name in tar.getnames() if name.startswith("recordings/")]
    other = tmp_path / "other"
    (other / "recordings").mkdir(parents=True)
    (other / "recordings" / "mine.wav").write_bytes(b"kept")
    restore.restore(io.BytesIO(blob), other, say=lambda _: None)
    assert (other / "recordings" / "mine.wav").read_bytes() == b"kept"
    assert rows(other)["calls"] == rows(box)["calls"]


def test_a_backup_is_consistent_while_the_box_writes(box):
    """The online backup API copies one snapshot: a write transaction open meanwhile is not in it."""
    writer = connect(box / "callbox.db")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO settings (key, value) VALUES ('half', 'done')")
    blob = backup_bytes(box)
    writer.execute("COMMIT")
    writer.close()
    staged = box.parent / "staged"
    staged.mkdir()
    restore.stage(io.BytesIO(blob), staged)
    conn = sqlite3.connect(staged / restore.STAGING / "files" / "callbox.db")
    assert conn.execute("SELECT value FROM settings WHERE key = 'half'").fetchone() is None
    conn.close()


def test_a_wrong_or_missing_passphrase_is_refused_and_nothing_changes(box, tmp_path):
    blob = backup_bytes(box, passphrase="right one")
    target = tmp_path / "target"
    target.mkdir()
    open_store(target / "callbox.db").close()
    before = rows(target)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        restore.restore(io.BytesIO(blob), target, passphrase="wrong one", say=lambda _: None)
    with pytest.raises(WrongPassphrase, match="encrypted: give its passphrase"):
        restore.restore(io.BytesIO(blob), target, say=lambda _: None)
    assert rows(target) == before and not (target / restore.STAGING).exists()


def test_a_backup_of_a_newer_firmware_is_refused_an_older_one_accepted(box, tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(NewerBackup, match="newer than this box's"):
        restore.stage(io.BytesIO(backup_bytes(box, version="99.0")), target)
    assert not (target / restore.STAGING).exists()
    assert restore.stage(io.BytesIO(backup_bytes(box, version="0.0.1")), target).firmware_version == "0.0.1"


def test_an_older_backup_is_migrated_forward(tmp_path):
    """A box whose database stopped at migration 10 (an old firmware) restores onto this one."""
    from firmware.store.db import _migrations, _statements

    old = tmp_path / "old"
    old.mkdir()
    conn = sqlite3.connect(old / "callbox.db", isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
    for version, name, sql in _migrations()[:10]:
        for statement in _statements(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, name))
    conn.execute("INSERT INTO agents (name, extension, sip_ha1, created_at) VALUES ('Old', '1009', 'x', 0)")
    conn.close()
    blob = backup_bytes(old, version="0.0.9")
    assert read_manifest(io.BytesIO(blob), None).schema_version == 10
    target = tmp_path / "target"
    target.mkdir()
    restore.restore(io.BytesIO(blob), target, say=lambda _: None)
    conn = connect(target / "callbox.db")
    assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == restore.latest_schema()
    assert [tuple(r) for r in conn.execute("SELECT name, deactivated_at FROM agents")] == [("Old", None)]
    conn.close()


@pytest.mark.parametrize("encrypted", [False, True])
def test_an_altered_or_cut_backup_is_refused(box, tmp_path, encrypted):
    blob = backup_bytes(box, passphrase="pw" if encrypted else None)
    cuts = {"altered": blob[:len(blob) // 2] + bytes([blob[len(blob) // 2] ^ 0x40]) + blob[len(blob) // 2 + 1:],
            "cut in half": blob[:len(blob) // 2],
            "cut before the end": blob[:-1]}
    if encrypted:       # cut exactly after a whole chunk: its new last chunk was not sealed as the last
        cuts["cut at a chunk"] = blob[:crypto.HEADER_LENGTH + crypto.CHUNK + crypto.TAG]
    for how, damaged in cuts.items():
        target = tmp_path / f"target-{how}"
        target.mkdir()
        with pytest.raises(DamagedBackup):
            restore.stage(io.BytesIO(damaged), target, passphrase="pw" if encrypted else None)
        assert not (target / restore.STAGING).exists(), how


def craft(members: list[tuple[tarfile.TarInfo, bytes]], manifest: Manifest | None = None,
          checksums: dict | None = None) -> bytes:
    """A hand-made backup: the manifest, the given members, then checksums (of nothing unless given)."""
    manifest = manifest or Manifest("0.1.0", 1, 0.0, "evil", True)
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb") as zipped, tarfile.open(fileobj=zipped, mode="w|") as tar:
        head = manifest.to_json()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(head)
        tar.addfile(info, io.BytesIO(head))
        for info, data in [*members, (tarfile.TarInfo("checksums.json"), checksums_json(checksums or {}))]:
            if info.isreg():
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return raw.getvalue()


def member(name: str, kind=tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize("hostile", [
    member("../../escaped"), member("/etc/escaped"), member("recordings/../../escaped"),
    member("recordings/./x"), member("config\\..\\escaped"), member("recordings/a\x1b[2Jb"),
    member("recordings/link", tarfile.SYMTYPE, "/etc/passwd"),
    member("recordings/hard", tarfile.LNKTYPE, "database/callbox.db"),
    member("recordings/fifo", tarfile.FIFOTYPE), member("recordings/dev", tarfile.CHRTYPE),
    member("secret_key"), member("database/other.db"), member("config"),
], ids=lambda info: f"{info.name}:{info.type.decode()}")
def test_members_outside_a_backups_parts_are_refused_before_anything_is_written(tmp_path, hostile):
    target = tmp_path / "box" / "data"
    target.mkdir(parents=True)
    with pytest.raises(UnsafeMember):
        restore.stage(io.BytesIO(craft([(hostile, b"pwned")])), target)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert written == ["box", "box/data", "box/data/.restore.lock"]


def test_an_extended_header_of_gigabytes_is_refused_before_it_is_read(tmp_path):
    """tarfile would read a GNU long name or PAX header's data whole into memory."""
    header = tarfile.TarInfo("././@LongLink")
    header.type, header.size = tarfile.GNUTYPE_LONGNAME, 8 * 1024 ** 3 - 1
    blob = craft([])
    tar = gzip.decompress(blob)
    hostile = gzip.compress(tar[:1024] + header.tobuf(tarfile.USTAR_FORMAT) + b"A" * 4096)
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(UnsafeMember, match="extended header of 8589934591 bytes"):
        restore.stage(io.BytesIO(hostile), target)


def test_member_names_that_are_parts_of_a_backup():
    assert str(member_path("recordings/2026/12/03/call-1.wav")) == "recordings/2026/12/03/call-1.wav"
    assert str(member_path("prompts/sv/välkommen.wav")) == "prompts/sv/välkommen.wav"
    assert str(member_path("database/callbox.db")) == "database/callbox.db"
    with pytest.raises(UnsafeMember):
        member_path("recordings/" + "x" * 256)


def test_a_member_whose_content_differs_from_its_checksum_is_refused(tmp_path, box):
    """An unencrypted backup rebuilt by hand with one file changed: the checksums give it away."""
    blob = backup_bytes(box)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar.getmembers()]
    manifest = Manifest.parse(members[0][1])
    changed = [(info, data.replace(b"RIFF", b"EVIL", 1) if info.name == RECORDING else data)
               for info, data in members[1:-1]]
    sums = json.loads(members[-1][1])["files"]
    forged = craft(changed, manifest, {name: (entry["size"], entry["sha256"]) for name, entry in sums.items()})
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(DamagedBackup, match=f"{RECORDING} does not match its checksum"):
        restore.stage(io.BytesIO(forged), target)


def test_a_restore_cut_while_it_swaps_is_finished_at_the_next_start(box, tmp_path, monkeypatch):
    """Power cut after some parts were moved in: the marker makes the next start finish the job."""
    blob = backup_bytes(box)
    target = tmp_path / "target"
    target.mkdir()
    open_store(target / "callbox.db").close()
    (target / "recordings").mkdir()
    (target / "recordings" / "old.wav").write_bytes(b"old")
    restore.stage(io.BytesIO(blob), target)
    restore.commit(target, "admin")
    renames = []
    real_rename = os.rename

    def cut_after_two(source, destination):
        if len(renames) == 2:
            raise OSError("power cut")
        renames.append(destination)
        real_rename(source, destination)

    monkeypatch.setattr(os, "rename", cut_after_two)
    with pytest.raises(OSError, match="power cut"):
        restore.apply(target)
    monkeypatch.setattr(os, "rename", real_rename)
    assert restore.pending(target)
    assert restore.finish_interrupted(target)
    assert rows(target) == rows(box)
    assert (target / RECORDING).read_bytes() == RECORDING_BYTES and not (target / "recordings" / "old.wav").exists()
    assert not restore.pending(target) and not (target / restore.STAGING).exists()
    assert not restore.finish_interrupted(target)


def test_the_command_line_backs_up_and_restores(box, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "CALLBOX_DATA": str(box)}
    secret = tmp_path / "passphrase"
    secret.write_text("from a file\n")
    out = tmp_path / "box.tar.gz.enc"
    done = subprocess.run([sys.executable, "-m", "firmware.cli", "backup", "--recordings", "--passphrase-file",
                           str(secret), str(out)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "with recordings, encrypted" in done.stderr and out.read_bytes().startswith(crypto.MAGIC)
    fresh = tmp_path / "fresh"
    env["CALLBOX_DATA"] = str(fresh)
    wrong = subprocess.run([sys.executable, "-m", "firmware.cli", "restore", str(out)], env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert wrong.returncode == 1 and "give its passphrase; nothing was changed" in wrong.stderr
    done = subprocess.run([sys.executable, "-m", "firmware.cli", "restore", "--passphrase-file", str(secret),
                           str(out)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert rows(fresh) == rows(box) and (fresh / RECORDING).read_bytes() == RECORDING_BYTES


def test_a_restore_killed_while_it_stages_leaves_the_box_as_it_was(box, tmp_path):
    """kill -9 of `callbox restore` mid-stream: the live data is untouched, nothing is committed, and
    the next restore starts clean."""
    import signal
    import time

    for number in range(10):        # enough recordings that the kill lands while the stream is read
        (box / "recordings" / f"extra-{number}.wav").write_bytes(os.urandom(1024 * 1024))
    backup = tmp_path / "box.tar.gz"
    backup.write_bytes(backup_bytes(box))
    target = tmp_path / "target"
    target.mkdir()
    open_store(target / "callbox.db").close()
    before = rows(target)
    env = {**os.environ, "PYTHONPATH": str(REPO), "CALLBOX_DATA": str(target)}
    child = subprocess.Popen([sys.executable, "-m", "firmware.cli", "restore", str(backup)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staged = target / restore.STAGING / "files" / "recordings"
    deadline = time.monotonic() + 30
    while not (staged.exists() and any(staged.iterdir())):
        assert child.poll() is None and time.monotonic() < deadline, "the restore ended before it was killed"
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not restore.pending(target) and rows(target) == before
    assert not (target / "recordings").exists() or not any((target / "recordings").iterdir())
    assert not restore.finish_interrupted(target)
    restore.restore(open(backup, "rb"), target, say=lambda _: None)
    assert rows(target) == rows(box) and (target / RECORDING).read_bytes() == RECORDING_BYTES
