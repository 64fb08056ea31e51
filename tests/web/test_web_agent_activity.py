"""An agent's pause and wrap-up (ACD9, ACD10) from the API and the live board: the engine command
with its arguments, the reasons from the setting, who may act on whom, 409/503, audit and CSRF."""

from __future__ import annotations

import json
import re

import pytest

from firmware.store import queries

PAUSED = {"agent_id": 1, "state": "paused", "pause_reason": "lunch"}


def _status(*agents: dict) -> dict:
    return {"queues": [], "agents": list(agents), "calls": [], "active_calls": 0}


def _agent(agent_id: int, extension: str, state: str, pause_reason: str | None = None) -> dict:
    return {"id": agent_id, "name": f"Agent {extension}", "extension": extension, "state": state,
            "queue_ids": [], "call_id": None, "pause_reason": pause_reason}


@pytest.fixture
def bo(db, users):
    return queries.create_agent(db, "Bo Other", "1002", "sip-secret")


def _audit(db, action: str) -> list[str]:
    return [e["detail"] for e in queries.list_audit(db) if e["action"] == action]


def _sent(engine, cmd: str) -> list[dict]:
    return [args for name, args in engine.commands if name == cmd]


# --- the API ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, body, cmd, args", [
    ("pause", {"reason": "lunch"}, "agent_pause", {"reason": "lunch"}),
    ("unpause", None, "agent_unpause", {}),
    ("wrapup/end", None, "wrapup_end", {"force": True}),    # a supervisor also ends one awaiting a classification
    ("wrapup/extend", {"seconds": 60}, "wrapup_extend", {"seconds": 60}),
])
def test_the_api_sends_the_command_and_answers_the_engines_state(client, token, engine, db, users, path, body,
                                                                 cmd, args):
    agent = users["agent_row"]
    engine.answers[cmd] = {**PAUSED, "agent_id": agent["id"]}
    response = client.post(f"/api/v1/agents/{agent['id']}/{path}", json=body, headers=token("supervisor"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {**PAUSED, "agent_id": agent["id"]}
    assert _sent(engine, cmd) == [{"agent_id": agent["id"], **args}]
    action = {"agent_pause": "agent.pause", "agent_unpause": "agent.unpause", "wrapup_end": "agent.wrapup.end",
              "wrapup_extend": "agent.wrapup.extend"}[cmd]
    detail = " ".join(["agent=1001", *(f"{k}={v}" for k, v in args.items())])
    assert _audit(db, action) == [detail]
    assert queries.list_audit(db)[0]["actor"].startswith("token#")


@pytest.mark.parametrize("path, body, words", [
    ("pause", {"reason": "coffee"}, ("reason: must be one of", "break", "no-answer")),
    ("pause", {}, ("reason: is required",)),
    ("wrapup/extend", {"seconds": 0}, ("seconds: must be at least 1",)),
    ("wrapup/extend", {"seconds": 601}, ("seconds: must be at most 600",)),
    ("wrapup/extend", {"seconds": "60"}, ("seconds: must be an integer",)),
])
def test_a_mistake_is_refused_at_its_field_and_nothing_is_sent(client, token, engine, db, users, path, body, words):
    response = client.post(f"/api/v1/agents/{users['agent_row']['id']}/{path}", json=body,
                           headers=token("supervisor"))
    assert response.status_code == 400
    for word in words:
        assert word in response.get_json()["error"]
    assert engine.commands == [] and queries.list_audit(db) == []


def test_the_reasons_are_the_configured_ones(client, token, engine, db, users):
    queries.set_setting(db, "pause_reasons", json.dumps([{"code": "coffee", "max_seconds": 600}]))
    url = f"/api/v1/agents/{users['agent_row']['id']}/pause"
    assert client.post(url, json={"reason": "coffee"}, headers=token("supervisor")).status_code == 200
    refused = client.post(url, json={"reason": "lunch"}, headers=token("supervisor"))
    assert refused.status_code == 400 and "must be one of coffee, no-answer" in refused.get_json()["error"]
    assert _sent(engine, "agent_pause") == [{"agent_id": users["agent_row"]["id"], "reason": "coffee"}]


def test_the_engines_refusal_is_a_409_with_its_reason_and_no_audit(client, token, engine, db, users):
    engine.refusals["wrapup_end"] = "agent 1001 is not in wrap-up"
    response = client.post(f"/api/v1/agents/{users['agent_row']['id']}/wrapup/end", headers=token("admin"))
    assert response.status_code == 409 and response.get_json() == {"error": "agent 1001 is not in wrap-up"}
    assert _audit(db, "agent.wrapup.end") == []


def test_without_the_engine_the_api_answers_503(client, token, db, users):
    response = client.post(f"/api/v1/agents/{users['agent_row']['id']}/pause", json={"reason": "lunch"},
                           headers=token("admin"))
    assert response.status_code == 503 and response.get_json() == {"error": "engine not running"}
    assert _audit(db, "agent.pause") == []


def test_an_unknown_agent_is_a_404(client, token, engine, users):
    response = client.post("/api/v1/agents/999/unpause", headers=token("admin"))
    assert response.status_code == 404 and engine.commands == []


@pytest.mark.parametrize("path", ["pause", "unpause", "wrapup/end", "wrapup/extend"])
def test_an_agent_token_may_not_act(client, token, engine, users, path):
    # A token is nobody's agent: the own-agent exception is for logged-in users.
    response = client.post(f"/api/v1/agents/{users['agent_row']['id']}/{path}", json={"reason": "lunch",
                                                                                     "seconds": 60},
                           headers=token("agent"))
    assert response.status_code == 403 and engine.commands == []


# --- the live board ---------------------------------------------------------------------------------

def _forms(page: str, agent_id: int) -> set[str]:
    return set(re.findall(rf'action="/live/agents/{agent_id}/(pause|unpause|wrapup/end|wrapup/extend)"', page))


def test_an_agent_sees_controls_for_their_own_agent_only(client, auth, engine, users, bo):
    own = users["agent_row"]["id"]
    engine.status = _status(_agent(own, "1001", "idle"), _agent(bo["id"], "1002", "idle"))
    auth.login("ann")
    page = client.get("/live").get_data(as_text=True)
    assert _forms(page, own) == {"pause"} and _forms(page, bo["id"]) == set()
    auth.logout()
    auth.login("super")
    page = client.get("/live").get_data(as_text=True)
    assert _forms(page, own) == {"pause"} and _forms(page, bo["id"]) == {"pause"}


def test_the_controls_follow_the_agents_state(client, auth, engine, users, bo, db):
    queries.set_setting(db, "pause_reasons", json.dumps([{"code": "coffee"}, {"code": "training"}]))
    engine.status = _status(_agent(users["agent_row"]["id"], "1001", "wrap-up"),
                            _agent(bo["id"], "1002", "paused", "coffee"), _agent(99, "1003", "logged-out"))
    auth.login("super")
    page = client.get("/live").get_data(as_text=True)
    assert _forms(page, users["agent_row"]["id"]) == {"pause", "wrapup/end", "wrapup/extend"}
    assert _forms(page, bo["id"]) == {"pause", "unpause"} and _forms(page, 99) == set()
    assert "paused</span> <small" in page and "(coffee)" in page
    assert '<option value="coffee" selected>coffee</option>' in page
    assert '<option value="training">' in page and '<option value="lunch">' not in page
    assert '<input type="hidden" name="seconds" value="60"><button type="submit">+60 s</button>' in page


def test_the_stream_renders_the_controls_too(client, auth, engine, users):
    engine.events = [{"event": "status", "status": _status(_agent(users["agent_row"]["id"], "1001", "wrap-up"))}]
    auth.login("ann")
    body = client.get("/live/stream").get_data(as_text=True)
    assert f'action="/live/agents/{users["agent_row"]["id"]}/wrapup/end"' in body


@pytest.mark.parametrize("path, form, cmd, args, done", [
    ("pause", {"reason": "break"}, "agent_pause", {"reason": "break"}, "Agent paused (break)."),
    ("unpause", {}, "agent_unpause", {}, "Agent back from the pause."),
    ("wrapup/end", {}, "wrapup_end", {}, "Wrap-up ended."),
    ("wrapup/extend", {"seconds": "60"}, "wrapup_extend", {"seconds": 60}, "Wrap-up extended by 60 s."),
])
def test_an_agent_works_their_own_pause_and_wrapup_from_the_board(client, auth, engine, db, users, bo, path, form,
                                                                  cmd, args, done):
    own = users["agent_row"]["id"]
    auth.login("ann")
    response = client.post(f"/live/agents/{own}/{path}", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/live"
    assert _sent(engine, cmd) == [{"agent_id": own, **args}]
    assert len(queries.list_audit(db)) and queries.list_audit(db)[0]["actor"] == "ann"
    assert done in client.get("/live").get_data(as_text=True)
    assert client.post(f"/live/agents/{bo['id']}/{path}", data=form).status_code == 403
    assert _sent(engine, cmd) == [{"agent_id": own, **args}]


def test_a_supervisor_acts_on_any_agent_from_the_board(client, auth, engine, users, bo):
    auth.login("super")
    assert client.post(f"/live/agents/{bo['id']}/pause", data={"reason": "meeting"}).status_code == 302
    assert _sent(engine, "agent_pause") == [{"agent_id": bo["id"], "reason": "meeting"}]


def test_an_agent_user_without_a_linked_agent_may_not_act(client, auth, engine, db, users):
    from tests.web.conftest import add_user

    add_user(db, "cy", "agent")
    auth.login("cy")
    assert client.post(f"/live/agents/{users['agent_row']['id']}/unpause").status_code == 403
    assert engine.commands == []


@pytest.mark.parametrize("setup, message", [
    (lambda engine: engine.refusals.update(agent_pause="agent 1001 is not logged in"), "agent 1001 is not logged in"),
    (None, "engine not running"),
])
def test_the_board_says_why_a_pause_did_not_happen(client, auth, users, app, request, setup, message):
    if setup is not None:
        setup(request.getfixturevalue("engine"))
    auth.login("ann")
    response = client.post(f"/live/agents/{users['agent_row']['id']}/pause", data={"reason": "lunch"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f'<p class="flash error" role="status">{message}</p>' in page
    assert "Agent paused" not in page


def test_a_mistake_on_the_board_is_shown_and_nothing_sent(client, auth, engine, users):
    auth.login("ann")
    page = client.post(f"/live/agents/{users['agent_row']['id']}/wrapup/extend", data={"seconds": "9999"},
                       follow_redirects=True).get_data(as_text=True)
    assert "seconds: must be at most 600" in page
    assert _sent(engine, "wrapup_extend") == []


def test_the_board_forms_need_their_csrf_token(make_app, users, engine, password):
    app = make_app(WTF_CSRF_ENABLED=True)
    app.config["ENGINE_SOCKET"] = str(engine.path)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "ann", "password": password, "csrf_token": token})
    own = users["agent_row"]["id"]
    refused = client.post(f"/live/agents/{own}/pause", data={"reason": "lunch"})
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert _sent(engine, "agent_pause") == []
    engine.status = _status(_agent(own, "1001", "idle"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/live").get_data(as_text=True)).group(1)
    assert client.post(f"/live/agents/{own}/pause", data={"reason": "lunch", "csrf_token": token}).status_code == 302
    assert _sent(engine, "agent_pause") == [{"agent_id": own, "reason": "lunch"}]
