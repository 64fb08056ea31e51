"""The console's "Restore a backup" (item 13, locked) driven through a real pseudo-terminal, as an
installer with a backup on a USB stick or in the scheduled copies' folder drives it."""

from __future__ import annotations

from pathlib import Path

from firmware.backup import crypto
from firmware.backup.archive import write_backup
from firmware.store import connect, open_store, queries
from tests.unit.test_console import (INSTALLER, MENU, box_data, choose, console, set_installer_password,  # noqa: F401
                                     unlock)

RECORDING = "recordings/2026/12/01/call-1.wav"


def backup_of_another_box(tmp_path: Path, folder: Path) -> Path:
    other = tmp_path / "other"
    (other / RECORDING).parent.mkdir(parents=True)
    (other / RECORDING).write_bytes(b"RIFF-other-box")
    conn = open_store(other / "callbox.db")
    queries.create_trunk(conn, "elsewhere", "peer", "192.0.2.99")
    conn.close()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "callbox-backup-20261201-120000-0.1.0.tar.gz.enc"
    crypto_cost = crypto.LOG2_N
    crypto.LOG2_N = 10          # the console reads the cost from the file's header: cheap here, real on a box
    try:
        with open(target, "wb") as f:
            write_backup(f, other, recordings=True, passphrase="stick pass")
    finally:
        crypto.LOG2_N = crypto_cost
    return target


def test_restore_a_backup_from_the_console(console, box_data, tmp_path):  # noqa: F811
    backup = backup_of_another_box(tmp_path, box_data / "backups")
    set_installer_password(box_data)
    unlock(console, "13")
    console.expect_exact(f"1) {backup}")
    console.expect_exact("backup file (1-1 or a full path; Enter: back): ")
    console.sendline("\x1b[A")                        # an arrow key
    console.expect_exact("! ")
    console.expect_exact(MENU)
    for garbage, answer in (("7", "there is no file 7; type 1 to 1 or a path"),
                            ("relative/file", "'relative/file' is not a full path"),
                            ("/no/such/backup", "there is no file '/no/such/backup'")):
        choose(console, "13", "backup file (1-1")
        console.sendline(garbage)
        console.expect_exact(answer)
        console.expect_exact(MENU)
    choose(console, "13", "backup file (1-1")
    console.sendline("1")
    console.expect_exact("passphrase of the backup: ")
    console.sendline("not it")
    console.expect_exact("! wrong passphrase for this backup")
    console.expect_exact(MENU)
    choose(console, "13", "backup file (1-1")
    console.sendline(str(backup))
    console.expect_exact("passphrase of the backup: ")
    console.sendline("stick pass")
    console.expect_exact("by firmware 0.1.0")
    console.expect_exact("type RESTORE to restore it")
    console.sendline("restore")
    console.expect_exact("not restored: you typed 'restore', not RESTORE")
    console.expect_exact(MENU)
    conn = connect(box_data / "callbox.db")
    assert queries.list_trunks(conn) == []
    conn.close()

    choose(console, "13", "backup file (1-1")
    console.sendline("1")
    console.expect_exact("passphrase of the backup: ")
    console.sendline("stick pass")
    console.expect_exact("type RESTORE to restore it")
    console.sendline("RESTORE")
    console.expect_exact("restored: backup of")
    console.expect_exact(MENU)
    conn = connect(box_data / "callbox.db")
    assert [t["name"] for t in queries.list_trunks(conn)] == ["elsewhere"]
    assert [(a["actor"], a["action"]) for a in queries.list_audit(conn)] == [("console", "backup.restore")]
    conn.close()
    assert (box_data / RECORDING).read_bytes() == b"RIFF-other-box"
    # the installer password is the backup's now (none): the item is locked as on a new box
    choose(console, "13", "This item needs the installer password, and none is set yet.")
    console.expect_exact(MENU)
