"""The backup page (issue 10, item 5): download and upload with roles and CSRF, the confirmation step
and the restore it hands to `callbox restore --resume`, and the schedule of copies (page and API)."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from firmware.backup import crypto, restore
from firmware.backup.archive import read_manifest, write_backup
from firmware.backup.schedule import ScheduledBackups, read_state, run_scheduled, to_remove
from firmware.store import connect, open_store, queries


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setattr(crypto, "LOG2_N", 10)


def other_box(tmp_path: Path, *, version: str | None = None, passphrase: str | None = None) -> bytes:
    """The backup of another box: a trunk named "elsewhere" and its own admin."""
    data = tmp_path / "elsewhere"
    data.mkdir()
    conn = open_store(data / "callbox.db")
    queries.create_trunk(conn, "elsewhere", "peer", "192.0.2.99")
    queries.create_user(conn, "their-admin", "hash", "admin")
    conn.close()
    out = io.BytesIO()
    write_backup(out, data, recordings=False, passphrase=passphrase, version=version)
    return out.getvalue()


def upload(client, blob: bytes, **form):
    return client.post("/backup/restore", data={"backup": (io.BytesIO(blob), "box.tar.gz"), **form},
                       content_type="multipart/form-data")


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_an_admin_downloads_a_backup_that_restores_elsewhere(client, auth, db, data_dir, tmp_path):
    queries.create_trunk(db, "provider", "peer", "192.0.2.10")
    auth.login("admin")
    response = client.post("/backup/download", data={"recordings": "1", "passphrase": "pass phrase",
                                                      "passphrase_again": "pass phrase"})
    assert response.status_code == 200
    assert re.match(r'attachment; filename="callbox-backup-\d{8}-\d{6}-.+\.tar\.gz\.enc"',
                    response.headers["Content-Disposition"])
    blob = response.get_data()
    assert blob.startswith(crypto.MAGIC) and read_manifest(io.BytesIO(blob), "pass phrase").recordings
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    restore.restore(io.BytesIO(blob), fresh, passphrase="pass phrase", say=lambda _: None)
    conn = connect(fresh / "callbox.db")
    assert [r["name"] for r in queries.list_trunks(conn)] == ["provider"]
    conn.close()
    assert [r["action"] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'backup%'")] == [
        "backup.download"]


def test_differing_passphrases_download_nothing(client, auth):
    auth.login("admin")
    response = client.post("/backup/download", data={"passphrase": "one", "passphrase_again": "two"})
    assert response.status_code == 400 and "the two passphrases differ" in response.get_data(as_text=True)


@pytest.mark.parametrize("user", ["ann", "super"])
def test_agents_and_supervisors_get_403(client, auth, tmp_path, data_dir, user):
    auth.login(user)
    assert client.get("/backup").status_code == 403
    assert client.post("/backup/download", data={}).status_code == 403
    assert upload(client, other_box(tmp_path)).status_code == 403
    assert client.post("/backup/restore/confirm").status_code == 403
    assert not (data_dir / restore.STAGING).exists() and not (data_dir / ".restore-upload").exists()


def test_an_upload_is_checked_then_restored_only_when_confirmed(client, auth, db, data_dir, tmp_path):
    auth.login("admin")
    response = upload(client, other_box(tmp_path))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Restore this backup?" in page and "without recordings" in page
    assert not (data_dir / ".restore-upload").exists()          # the upload is gone once staged
    assert [r["name"] for r in queries.list_trunks(db)] == []   # nothing changed yet
    assert "Restore this backup?" in client.get("/backup").get_data(as_text=True)
    response = client.post("/backup/restore/confirm")
    assert response.status_code == 200 and "Restoring the backup" in response.get_data(as_text=True)
    wait_for(lambda: not restore.pending(data_dir) and not (data_dir / restore.STAGING).exists(), "the restore")
    conn = connect(data_dir / "callbox.db")
    assert [r["name"] for r in queries.list_trunks(conn)] == ["elsewhere"]
    assert [(r["actor"], r["action"]) for r in conn.execute("SELECT * FROM audit_log")] == [("admin", "backup.restore")]
    conn.close()


def test_a_cancelled_upload_changes_nothing(client, auth, data_dir, tmp_path):
    auth.login("admin")
    upload(client, other_box(tmp_path))
    assert client.post("/backup/restore/cancel").status_code == 302
    assert not (data_dir / restore.STAGING).exists()
    assert client.post("/backup/restore/confirm").status_code == 409


@pytest.mark.parametrize("case, blob_options, form, message", [
    ("newer", {"version": "99.0"}, {}, "newer than this box"),
    ("wrong passphrase", {"passphrase": "right"}, {"passphrase": "wrong"}, "wrong passphrase"),
    ("no passphrase", {"passphrase": "right"}, {}, "give its passphrase"),
])
def test_a_refused_upload_says_why_and_stages_nothing(client, auth, db, data_dir, tmp_path, case, blob_options,
                                                      form, message):
    auth.login("admin")
    response = upload(client, other_box(tmp_path, **blob_options), **form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert not (data_dir / restore.STAGING).exists() and not (data_dir / ".restore-upload").exists()
    audit = db.execute("SELECT detail FROM audit_log WHERE action = 'backup.upload'").fetchone()
    assert audit["detail"].startswith("refused: ") and message in audit["detail"]


def test_a_cut_upload_and_one_past_the_limit_are_refused(make_app, users, data_dir, tmp_path):
    from tests.web.conftest import AuthActions

    blob = other_box(tmp_path)
    client = make_app(BACKUP_UPLOAD_LIMIT=len(blob)).test_client()     # the form around it does not fit
    AuthActions(client).login("admin")
    assert upload(client, blob).status_code == 413
    response = upload(client, blob[:len(blob) // 2])
    assert response.status_code == 400 and "cut short" in response.get_data(as_text=True)
    assert not (data_dir / restore.STAGING).exists()


@pytest.fixture
def csrf_client(make_app, users):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/backup").get_data(as_text=True)).group(1)


def test_each_form_needs_its_csrf_token(csrf_client, password, data_dir, tmp_path):
    login_token = re.search(r'name="csrf_token" value="([^"]+)"',
                            csrf_client.get("/login").get_data(as_text=True)).group(1)
    csrf_client.post("/login", data={"username": "admin", "password": password, "csrf_token": login_token})
    blob = other_box(tmp_path)
    assert csrf_client.post("/backup/download", data={}).status_code == 400
    for forged in ({}, {"csrf_token": "forged"}):
        assert upload(csrf_client, blob, **forged).status_code == 400
        assert not (data_dir / restore.STAGING).exists() and not any((data_dir / ".restore-upload").glob("*"))
    token = _token(csrf_client)
    assert csrf_client.post("/backup/download", data={"csrf_token": token}).status_code == 200
    assert upload(csrf_client, blob, csrf_token=token).status_code == 200
    assert csrf_client.post("/backup/restore/cancel").status_code == 400
    assert csrf_client.post("/backup/restore/cancel", data={"csrf_token": token}).status_code == 302


def test_the_schedule_on_the_page_and_a_scheduled_copy(client, auth, data_dir):
    auth.login("admin")
    folder = data_dir / "backups" / "usb"
    refused = client.post("/backup/schedule", data={"folder": "/etc", "every": "daily", "keep": "3"})
    assert refused.status_code == 400 and "folder: must be under" in refused.get_data(as_text=True)
    refused = client.post("/backup/schedule", data={"folder": str(folder), "every": "daily", "keep": "many"})
    assert refused.status_code == 400 and "keep: " in refused.get_data(as_text=True)
    saved = client.post("/backup/schedule", data={"folder": str(folder), "every": "daily", "keep": "2",
                                                  "passphrase": "stick"})
    assert saved.status_code == 302
    assert "set: leave empty to keep" in client.get("/backup").get_data(as_text=True)
    folder.mkdir(parents=True)
    (folder / "callbox-backup-20200101-000000-0.1.0.tar.gz").write_bytes(b"old")
    (folder / "callbox-backup-20200102-000000-0.1.0.tar.gz").write_bytes(b"old")
    (folder / "holiday.jpg").write_bytes(b"not ours")
    assert run_scheduled(data_dir) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "callbox-backup-20200102-000000-0.1.0.tar.gz" and names[-1] == "holiday.jpg"
    assert len(names) == 3 and names[1].endswith(".tar.gz.enc")
    assert read_manifest(open(folder / names[1], "rb"), "stick").recordings is False
    state = read_state(data_dir)
    assert state["file"] == str(folder / names[1]) and state["error"] is None
    assert "Last copy: " in client.get("/backup").get_data(as_text=True)


def test_the_notifier_starts_a_copy_when_one_is_due(db, data_dir):
    folder = data_dir / "backups"
    queries.set_setting(db, "backup_schedule", f'{{"folder": "{folder}", "every": "weekly", "keep": 3}}')
    backups = ScheduledBackups(db, data_dir)
    backups.tick()
    assert backups.child is not None and backups.child.wait(timeout=30) == 0
    assert read_state(data_dir)["last_success"] and len(list(folder.glob("callbox-backup-*.tar.gz"))) == 1
    backups.tick(time.time() + 3600)      # a week has not passed: nothing to do
    assert backups.child is None


def test_old_copies_beyond_keep_are_ours_only():
    names = ["callbox-backup-20260101-000000-0.1.0.tar.gz", "callbox-backup-20260102-000000-0.1.0.tar.gz.enc",
             "callbox-backup-20260103-000000-0.1.0.tar.gz", "notes.txt", "callbox-backup-x.tar.gz"]
    assert to_remove(names, 2) == ["callbox-backup-20260101-000000-0.1.0.tar.gz"]
    assert to_remove(names, 3) == []


def test_the_schedule_through_the_api(client, token, users, data_dir):
    headers = token("admin")
    assert client.get("/api/v1/backup/schedule", headers=token("supervisor")).status_code == 403
    answer = client.put("/api/v1/backup/schedule", headers=headers,
                        json={"folder": "/media/usb", "every": "weekly", "passphrase": "stick"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["encrypted"] is True and body["keep"] == 7 and "passphrase" not in body
    assert client.put("/api/v1/backup/schedule", headers=headers, json={"keep": 3}).get_json()["encrypted"] is True
    assert client.put("/api/v1/backup/schedule", headers=headers, json={"passphrase": ""}).get_json()["encrypted"] is False
    refused = client.put("/api/v1/backup/schedule", headers=headers, json={"folder": "/media/../etc"})
    assert refused.status_code == 400 and refused.get_json()["error"].startswith("folder: ")
    for body, field in (({"keep": "3"}, "keep: "), ({"every": "hourly"}, "every: "), ({"": None}, ""),
                        ({"passphrase": {}}, "passphrase: "), ({"every": "daily", "folder": ""}, "folder: ")):
        refused = client.put("/api/v1/backup/schedule", headers=headers, json=body)
        assert refused.status_code == 400 and refused.get_json()["error"].startswith(field), body


def test_a_refused_folder_is_worded_in_the_readers_language(client, auth):
    auth.login("admin")
    client.post("/language", data={"language": "sv"})
    refused = client.post("/backup/schedule", data={"folder": "/etc", "every": "daily", "keep": "3"})
    assert refused.status_code == 400 and "måste ligga under /media, /mnt" in refused.get_data(as_text=True)


def test_a_refused_upload_is_worded_in_the_readers_language(client, auth, tmp_path):
    auth.login("admin")
    client.post("/language", data={"language": "de"})
    response = upload(client, other_box(tmp_path, passphrase="right"), passphrase="wrong")
    assert response.status_code == 400 and "falsche Passphrase für diese Sicherung" in response.get_data(as_text=True)
