"""The update page and API on a slot world (issue 10, item 4, "Web"): an admin uploads a bundle, it
is streamed to /data, checked, and installed by a process of its own into the other slot; a refused
bundle answers with the reason and leaves nothing behind; other roles, forged forms and oversized
uploads are refused; each action is audited."""

from __future__ import annotations

import re
import time

import pytest

from firmware.store import connect, queries
from firmware.update import state
from tests.update.world import read_version
from tests.web.conftest import FAST_HASH, PASSWORD, add_user
from tests.web.test_api_responses import fits_the_schema
from webui import create_app


@pytest.fixture
def make_app(world, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", world.env["PYTHONPATH"])

    def make(**config):
        app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": FAST_HASH, **config})
        with connect(app.config["DATABASE"]) as db:
            if queries.get_user_by_name(db, "admin") is None:
                add_user(db, "admin", "admin")
                add_user(db, "super", "supervisor")
        return app
    return make


def logged_in(app, username="admin"):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"username": username, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    assert client.post("/login", data=form).status_code == 302
    return client


def upload(client, bundle, **extra):
    with open(bundle, "rb") as body:
        return client.post("/update/upload", data={"bundle": (body, bundle.name), **extra},
                           content_type="multipart/form-data")


def finished(timeout=30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = state.read("last")
        if last is not None and state.read("progress") is None:
            return last
        time.sleep(0.05)
    raise TimeoutError("the install did not finish")


def uploads_left(world) -> list:
    directory = world.root / "box/update/uploads"
    return sorted(directory.iterdir()) if directory.exists() else []


def audit_actions(app) -> list[str]:
    with connect(app.config["DATABASE"]) as db:
        return [row["action"] for row in queries.list_audit(db)]


def test_an_admin_uploads_a_bundle_and_it_is_installed(world, make_app):
    app = make_app()
    client = logged_in(app)
    # larger than the app's 1 MiB limit for forms: the upload has its own
    bundle = world.bundle("good", "1.1.0", noise=3 << 20)
    assert bundle.stat().st_size > 3 << 20
    answer = upload(client, bundle)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert finished()["ok"] is True
    assert read_version(world.slot_b) == "1.1.0" and uploads_left(world) == []
    page = client.get("/update").get_data(as_text=True)
    assert "Version 1.1.0 is installed and waits for a restart." in page
    assert "starts at the next restart" in page
    assert "update.upload" in audit_actions(app)


def test_a_refused_bundle_answers_why_and_leaves_nothing(world, make_app):
    app = make_app()
    client = logged_in(app)
    before = world.snapshot()
    answer = upload(client, world.bundle("stranger", "1.1.0", pki=world.stranger))
    assert answer.status_code == 400
    assert "signed by a key this box does not trust" in answer.get_data(as_text=True)
    assert world.snapshot() == before and uploads_left(world) == []
    assert "update.refused" in audit_actions(app)


def test_too_large_forged_or_not_admin_is_refused(world, make_app):
    bundle = world.bundle("good", "1.1.0")
    before = world.snapshot()
    small = make_app(UPDATE_MAX_BUNDLE_BYTES=4096)
    assert upload(logged_in(small), bundle).status_code == 413
    assert upload(logged_in(small, "super"), bundle).status_code == 403
    assert upload(small.test_client(), bundle).status_code == 302      # to the login page
    guarded = make_app(WTF_CSRF_ENABLED=True)
    client = logged_in(guarded)
    assert upload(client, bundle).status_code == 400
    assert upload(client, bundle, csrf_token="forged").status_code == 400
    assert world.snapshot() == before and uploads_left(world) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/update").get_data(as_text=True)).group(1)
    assert upload(client, bundle, csrf_token=token).status_code == 302
    assert finished()["ok"] is True


def test_the_api_takes_the_bundle_as_the_body(world, make_app):
    app = make_app()
    with connect(app.config["DATABASE"]) as db:
        headers = {"Authorization": f"Bearer {queries.create_token(db, 'admin', 'test')}"}
    client = app.test_client()
    bundle = world.bundle("good", "1.1.0", noise=3 << 20)
    answer = client.post("/api/v1/update/bundle", data=bundle.read_bytes(), headers=headers,
                         content_type="application/octet-stream")
    assert answer.status_code == 202 and answer.get_json() == {"version": "1.1.0"}
    fits_the_schema(app, "post", "/update/bundle", answer)
    assert finished()["ok"] is True
    answer = client.get("/api/v1/update", headers=headers)
    fits_the_schema(app, "get", "/update", answer)
    status = answer.get_json()
    assert status["running"] == "1.0.0"
    assert [(slot["bootname"], slot["primary"]) for slot in status["slots"]] == [("A", False), ("B", True)]
    older = client.post("/api/v1/update/bundle", data=world.bundle("old", "0.9").read_bytes(), headers=headers,
                        content_type="application/octet-stream")
    assert older.status_code == 400 and "older than the running 1.0.0" in older.get_json()["error"]
    assert client.post("/api/v1/update/check", headers=headers).status_code == 409     # no address yet
    refused = client.put("/api/v1/update/settings", json={"url": "ftp://vendor.example/index.json"}, headers=headers)
    assert refused.status_code == 400
    saved = client.put("/api/v1/update/settings", json={"url": "https://vendor.example/callbox/index.json"},
                       headers=headers)
    assert saved.status_code == 200 and saved.get_json()["update_url"] == "https://vendor.example/callbox/index.json"
    fits_the_schema(app, "put", "/update/settings", saved)
    assert "update.url" in audit_actions(app)
