"""The wallboard's API, stream, settings and kiosk links, with a stand-in engine and a hand-made event log."""

from __future__ import annotations

import json
import time

import pytest

from firmware.store import events, queries, wallboard_tokens

STATUS = {
    "queues": [{"id": 1, "name": "support", "longest_wait_seconds": 42.0, "waiting": [
        {"call_id": 9, "caller": "+46705", "phase": "queued", "position": 1, "waited_seconds": 42.0}]}],
    "agents": [{"id": 1, "name": "Ann Agent", "extension": "1001", "state": "idle", "queue_ids": [1]}],
    "calls": [{"call_id": 9, "caller": "+46705", "phase": "queued"}], "active_calls": 1,
}


@pytest.fixture
def day(db, users):
    queue = queries.create_queue(db, "support")
    queries.add_queue_member(db, queue["id"], users["agent_row"]["id"])
    now = time.time()
    events.append(db, "enter", call_id=1, queue_id=queue["id"], at=now - 100, caller="+4670", position=1)
    events.append(db, "answer", call_id=1, queue_id=queue["id"], agent_id=1, at=now - 90, wait_seconds=10.0)
    events.append(db, "complete", call_id=1, queue_id=queue["id"], agent_id=1, at=now - 30, talk_seconds=60.0)
    events.append(db, "enter", call_id=9, queue_id=queue["id"], at=now - 42, caller="+46705", position=1)
    db.commit()
    return queue


def test_the_api_answers_the_days_figures_and_the_live_ones(client, token, engine, day):
    engine.status = STATUS
    board = client.get("/api/v1/wallboard", headers=token("supervisor")).get_json()
    (support,) = board["queues"]
    assert (support["waiting"], support["longest_wait_seconds"], support["offered"], support["answered"],
            support["service_level"], support["average_talk_seconds"]) == (1, 42.0, 2, 1, 0.5, 60.0)
    # 1 answered within 20 s / 2 offered (one of them still waiting, 42 s: already past the threshold)
    assert board["engine_running"] is True and board["agents"][0]["calls_today"] == 1
    assert client.get("/api/v1/wallboard", headers=token("agent")).status_code == 403


def test_without_the_engine_the_days_figures_still_stand(client, token, day):
    board = client.get("/api/v1/wallboard", headers=token("supervisor")).get_json()
    assert board["engine_running"] is False and board["queues"][0]["answered"] == 1 and board["agents"] == []
    assert board["queues"][0]["service_level"] == 1.0       # nothing is known to wait: the caller's fate is open


def test_settings_are_checked_and_colour_the_figures(client, token, engine, day):
    bad = client.put("/api/v1/wallboard/settings", json={"thresholds": {"waiting": {"amber": 1}}},
                     headers=token("admin"))
    assert bad.status_code == 400 and bad.get_json()["error"].startswith("thresholds.waiting")
    assert client.put("/api/v1/wallboard/settings", json={}, headers=token("supervisor")).status_code == 403
    saved = client.put("/api/v1/wallboard/settings", headers=token("admin"), json={
        "short_abandon_seconds": 3, "queues": {str(day["id"]): {"thresholds": {"waiting": {"amber": 1, "red": 1}}}}})
    assert saved.status_code == 200 and saved.get_json()["short_abandon_seconds"] == 3
    engine.status = STATUS
    board = client.get("/api/v1/wallboard", headers=token("supervisor")).get_json()
    assert board["queues"][0]["colours"]["waiting"] == "red" and board["total"]["colours"]["waiting"] == "green"


def test_the_stream_sends_the_board_as_json(client, auth, engine, day, app):
    app.config["WALLBOARD_STREAM_SECONDS"] = 0.3
    engine.status = STATUS
    engine.hold = 2.0               # the engine stays (a stand-in that hangs up at once races the stream)
    auth.login("super")
    response = client.get("/wallboard/stream")
    assert response.mimetype == "text/event-stream"
    first = response.get_data(as_text=True).split("\n\n")[0]
    assert first.startswith("retry: 2000\nevent: wallboard\ndata: ")
    board = json.loads(first.split("data: ", 1)[1])
    assert board["total"]["waiting"] == 1


def test_a_kiosk_link_shows_the_board_without_a_login_until_revoked(client, auth, db, app, engine, day):
    assert client.get("/wallboard/kiosk?token=nothing").status_code == 302
    auth.login("admin")
    page = client.post("/wallboard/tokens", data={"label": "hall TV"}).get_data(as_text=True)
    link = page.split('<code id="kiosk-link">', 1)[1].split("</code>", 1)[0]
    token = link.split("token=", 1)[1]
    assert db.execute("SELECT action FROM audit_log ORDER BY id DESC").fetchone()[0] == "wallboard.token.create"
    stored = db.execute("SELECT token_hash FROM wallboard_tokens").fetchone()[0]
    assert token not in stored                             # only its hash is kept
    auth.logout()
    kiosk = client.get(f"/wallboard/kiosk?token={token}")
    html = kiosk.get_data(as_text=True)
    assert kiosk.status_code == 200 and 'id="wallboard"' in html and "<nav" not in html and "<header" not in html
    assert f"/wallboard/kiosk/stream?token={token}" in html
    app.config["WALLBOARD_STREAM_SECONDS"] = 0.2
    assert "event: wallboard" in client.get(f"/wallboard/kiosk/stream?token={token}").get_data(as_text=True)
    wallboard_tokens.revoke(db, wallboard_tokens.valid(db, token))
    db.commit()
    assert client.get(f"/wallboard/kiosk?token={token}").status_code == 302
    assert client.get(f"/wallboard/kiosk/stream?token={token}").status_code == 302


def test_tokens_through_the_api(client, token):
    made = client.post("/api/v1/wallboard/tokens", json={"label": "TV"}, headers=token("admin"))
    assert made.status_code == 201 and "/wallboard/kiosk?token=" in made.get_json()["kiosk_url"]
    listed = client.get("/api/v1/wallboard/tokens", headers=token("admin")).get_json()["items"]
    assert [t["label"] for t in listed] == ["TV"] and "token" not in listed[0]
    assert client.delete(f"/api/v1/wallboard/tokens/{listed[0]['id']}", headers=token("admin")).status_code == 204
    assert client.delete(f"/api/v1/wallboard/tokens/{listed[0]['id']}", headers=token("admin")).status_code == 204
    assert client.delete("/api/v1/wallboard/tokens/99", headers=token("admin")).status_code == 404
