"""The live view and its SSE stream, with the engine down and with a stand-in engine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from firmware import live_status
from firmware.store import queries
from tests.web.conftest import AuthActions

STATUS = {
    "queues": [{"id": 1, "name": "sales", "longest_wait_seconds": 75.0, "waiting": [
        {"call_id": 7, "caller": "0301234567", "position": 1, "waited_seconds": 75.0, "phase": "queued"},
        {"call_id": 8, "caller": "0307654321", "position": 2, "waited_seconds": 12.0, "phase": "queued"}]}],
    "agents": [{"id": 1, "name": "Ann Agent", "extension": "1001", "state": "busy", "queue_ids": [1],
                "call_id": 6}],
    "calls": [], "active_calls": 3,
}


def _stream(client) -> str:
    response = client.get("/live/stream")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    return response.get_data(as_text=True)


def test_without_the_engine_the_page_says_so(client, auth):
    auth.login("ann")
    response = client.get("/live")
    assert response.status_code == 200
    assert "engine not running" in response.get_data(as_text=True)


def test_without_the_engine_the_api_answers_503(client, token, users):
    response = client.get("/api/v1/live", headers=token("agent"))
    assert response.status_code == 503
    assert response.get_json() == {"error": "engine not running"}


def test_without_the_engine_the_stream_says_so_and_asks_to_retry_later(client, auth):
    auth.login("ann")
    body = _stream(client)
    assert body.startswith("retry: 5000\nevent: board\n")
    assert "engine not running" in body
    assert all(line.startswith(("retry:", "event:", "data:")) for line in body.splitlines() if line)


def test_the_page_shows_waiting_calls_and_agents(client, auth, engine):
    engine.status = STATUS
    auth.login("ann")
    page = client.get("/live").get_data(as_text=True)
    assert "0301234567" in page and "0307654321" in page
    assert 'data-waited="75.0">1:15<' in page
    assert "busy" in page and "Ann Agent" in page
    assert "engine not running" not in page
    assert 'data-stream="/live/stream"' in page and "live.js" in page


def test_the_api_returns_the_engine_status(client, token, engine, users):
    engine.status = STATUS
    response = client.get("/api/v1/live", headers=token("agent"))
    assert response.status_code == 200 and response.get_json() == live_status.checked(STATUS)


def test_the_stream_renders_the_latest_status_with_the_page_template(client, auth, engine):
    """Statuses that come faster than a stream sends them are taken together: a board shows the latest."""
    engine.events = [{"event": "status", "status": {"queues": [], "agents": []}},
                     {"event": "status", "status": STATUS}]
    engine.hold = 0.3
    auth.login("ann")
    body = _stream(client)
    events = body.split("\n\n")
    assert events[0].startswith("event: board\ndata: ")
    assert "0301234567" in events[-3] and 'data-waited="12.0"' in events[-3]
    assert 'data-key="call-8"' in events[-3] and 'data-key="agent-1"' in events[-3]     # live.js merges by key
    assert events[-2].startswith("retry: 5000") and "engine not running" in events[-2]  # the engine hung up
    assert engine.names() == ["subscribe"]


def test_streams_share_one_subscription_and_one_rendering(engine, app, users):
    """200 open boards cost the engine one subscriber per web process, and each status one rendering
    per kind of reader, sent alike to all (the forms' CSRF token is the page's, put in by live.js)."""
    engine.status = STATUS
    engine.hold = 1.5
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login("super")
    AuthActions(second).login("super")
    with ThreadPoolExecutor(2) as pool:         # open at the same time
        bodies = list(pool.map(lambda c: c.get("/live/stream").get_data(as_text=True), (first, second)))
    assert engine.names() == ["subscribe"]
    boards = [b.split("\n\n")[0] for b in bodies]
    assert boards[0] == boards[1] and 'action="/live/agents/1/pause"' in boards[0]
    assert 'name="csrf_token" value=""' in boards[0]        # live.js puts the page's token in


def test_the_stream_sends_keep_alives_when_idle(client, auth, engine, app):
    app.config["LIVE_IDLE_SECONDS"] = 0.05
    engine.hold = 0.3
    auth.login("ann")
    body = _stream(client)
    assert ": keep-alive\n\n" in body
    assert body.index("event: board") < body.index(": keep-alive")


def test_the_desk_shows_an_agent_their_own_state_only(client, auth, db, users):
    other = queries.create_agent(db, "Bo Other", "1002", "sip-secret")
    sales = queries.create_queue(db, "sales")["id"]
    queries.add_queue_member(db, sales, users["agent_row"]["id"])
    queries.add_queue_member(db, sales, other["id"])
    auth.login("ann")
    page = client.get("/live").get_data(as_text=True)
    assert "Ann Agent" in page and "Bo Other" not in page
    assert f'/live/agents/{users["agent_row"]["id"]}/login' in page
    auth.logout()
    auth.login("super")
    page = client.get("/live").get_data(as_text=True)
    assert "Ann Agent" in page and "Bo Other" in page


def test_logging_in_from_the_desk_tells_the_engine(client, auth, db, users, engine):
    agent = users["agent_row"]["id"]
    sales = queries.create_queue(db, "sales")["id"]
    queries.add_queue_member(db, sales, agent)
    auth.login("ann")
    assert client.post(f"/live/agents/{agent}/login", data={"queue_ids": str(sales)}).status_code == 302
    assert ("agent_login", {"agent_id": agent, "queue_ids": [sales]}) in engine.commands
    response = client.post(f"/live/agents/{agent}/login", data={}, follow_redirects=True)
    assert "queue_ids: name at least one queue" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/live", "/live/stream", "/api/v1/live"])
def test_an_engine_error_does_not_break_the_live_view(client, auth, token, url, app, data_dir):
    # A socket path that exists but is no socket: connecting fails like a dead engine.
    (data_dir / "not-a-socket").write_text("")
    app.config["ENGINE_SOCKET"] = str(data_dir / "not-a-socket")
    auth.login()
    response = client.get(url, headers=token("agent") if url.startswith("/api") else {})
    assert response.status_code in (200, 503)
