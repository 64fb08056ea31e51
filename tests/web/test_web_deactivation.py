"""Deleting an agent or a user deactivates them; history keeps them (issue 8, finding 10: deleting
an agent took their name off every past call and classification and unlinked their user)."""

from __future__ import annotations

import pytest

from firmware.store import queries
from tests.web.conftest import PASSWORD, add_user
from tests.web.responses import api_error


@pytest.fixture
def answered_call(db, users):
    """A call agent 1001 (Ann, linked to user ann) answered and classified."""
    agent = users["agent_row"]
    queue = queries.create_queue(db, "sales")
    queries.add_queue_member(db, queue["id"], agent["id"])
    call = queries.open_call(db, "+4940999", "4940123")
    queries.update_call(db, call, queue_id=queue["id"], agent_id=agent["id"], queued_at=1.0, answered_at=2.0)
    queries.close_call(db, call, "answered", "caller-hangup", 30.0)
    queries.classify_call(db, call, "sale", "", agent["id"])
    return call


def test_deleting_an_agent_keeps_their_name_on_past_calls_and_their_user_linked(client, token, db, users,
                                                                                   answered_call, engine):
    headers = token("admin")
    agent_id = users["agent_row"]["id"]
    assert client.delete(f"/api/v1/agents/{agent_id}", headers=headers).status_code == 204

    call = client.get(f"/api/v1/calls/{answered_call}", headers=headers).get_json()
    assert (call["agent"], call["agent_id"], call["disposition_by"]) == ("1001", agent_id, "1001")
    assert queries.get_user(db, users["agent"]["id"])["agent_id"] == agent_id
    filtered = client.get(f"/api/v1/calls?agent_id={agent_id}", headers=headers).get_json()["items"]
    assert [c["id"] for c in filtered] == [answered_call]
    assert "reload" in engine.names()
    entry = queries.list_audit(db)[0]
    assert entry["action"] == "agent.deactivate" and "name=Ann Agent" in entry["detail"]


def test_lists_show_active_agents_unless_asked_for_all(client, token, db, users):
    headers = token("supervisor")
    queries.deactivate_agent(db, users["agent_row"]["id"])
    kept = queries.create_agent(db, "Bo Agent", "1002", "sip-secret")
    assert [a["id"] for a in client.get("/api/v1/agents", headers=headers).get_json()["items"]] == [kept["id"]]
    every = client.get("/api/v1/agents?inactive=1", headers=headers).get_json()["items"]
    assert [(a["extension"], a["active"]) for a in every] == [("1002", True), ("1001", False)]
    assert every[1]["deactivated_at"].endswith("Z")
    one = client.get(f"/api/v1/agents/{users['agent_row']['id']}", headers=headers).get_json()
    assert one["name"] == "Ann Agent" and one["active"] is False


@pytest.mark.parametrize("method, path, body", [
    ("PUT", "/agents/{id}", {"settings": {}}), ("DELETE", "/agents/{id}", None),
    ("POST", "/agents/{id}/login", {"queue_ids": [1]}), ("POST", "/agents/{id}/pause", {"reason": "lunch"}),
    ("POST", "/queues/1/members", {"agent_id": "{id}"}), ("GET", "/agents/{id}/activity", None),
])
def test_a_deactivated_agent_cannot_be_acted_on(client, token, db, users, method, path, body):
    agent_id = users["agent_row"]["id"]
    queries.create_queue(db, "sales")
    queries.deactivate_agent(db, agent_id)
    if body and body.get("agent_id") == "{id}":
        body = {"agent_id": agent_id}
    response = client.open(f"/api/v1{path.format(id=agent_id)}", method=method, json=body, headers=token("admin"))
    api_error(response, 404, "deactivated")


def test_a_new_agent_takes_the_extension_of_a_deactivated_one(client, token, db, users, answered_call):
    headers = token("admin")
    old_id = users["agent_row"]["id"]
    assert client.delete(f"/api/v1/agents/{old_id}", headers=headers).status_code == 204
    response = client.post("/api/v1/agents", headers=headers,
                           json={"name": "Bo Agent", "extension": "1001", "sip_password": "bo-secret"})
    assert response.status_code == 201, response.get_data(as_text=True)
    api_error(client.post("/api/v1/agents", headers=headers,
                          json={"name": "Cy Agent", "extension": "1001", "sip_password": "cy-secret"}), 409, "1001")
    ha1 = db.execute("SELECT ha1 FROM subscriber WHERE username = '1001'").fetchall()
    assert [r[0] for r in ha1] == [queries.sip_ha1("1001", "bo-secret")]       # the edge knows only Bo
    call = queries.get_call(db, answered_call)
    assert call["agent_id"] == old_id and call["agent_name"] == "Ann Agent"       # Ann's call stays Ann's


def test_the_agents_page_deactivates_and_shows_former_agents_on_request(client, auth, db, users):
    auth.login()
    response = client.post(f"/agents/{users['agent_row']['id']}/delete", follow_redirects=True)
    assert b"Agent deactivated" in response.data
    assert b"Ann Agent" not in client.get("/agents").data
    page = client.get("/agents?inactive=1").data
    assert b"Ann Agent" in page and b"deactivated" in page
    assert f'value="{users["agent_row"]["id"]}"'.encode() in client.get("/calls").data   # a call filter


def test_a_deactivated_user_cannot_log_in_and_their_session_ends(client, auth, db, users, make_app):
    other = make_app().test_client()
    assert other.post("/login", data={"username": "ann", "password": PASSWORD}).status_code == 302
    assert other.get("/live").status_code == 200

    auth.login()
    response = client.post(f"/users/{users['agent']['id']}/deactivate", follow_redirects=True)
    assert b"User deactivated" in response.data
    assert other.get("/live").status_code == 302                 # the open session is over
    refused = other.post("/login", data={"username": "ann", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "192.0.2.7"})
    unknown = other.post("/login", data={"username": "nobody", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert refused.status_code == unknown.status_code == 401
    assert refused.data.replace(b"ann", b"?") == unknown.data.replace(b"nobody", b"?")
    assert b"ann" in client.get("/users?inactive=1").data and b"ann" not in client.get("/users").data
    assert any(e["actor"] == "ann" for e in queries.list_audit(db))  # history keeps the name


def test_the_last_admin_stays_even_when_two_admins_deactivate_each_other(client, auth, db, users):
    boss = add_user(db, "boss", "admin")
    auth.login()
    response = client.post(f"/users/{users['admin']['id']}/deactivate")
    assert response.status_code == 409 and b"yourself" in response.data
    assert client.post(f"/users/{boss['id']}/deactivate").status_code == 302
    # boss's own request, sent at the same moment, comes second: admin is the last one now
    from werkzeug.exceptions import Conflict

    from webui.users import service as users_service
    with client.application.app_context(), pytest.raises(Conflict, match="last admin"):
        users_service.deactivate_user(db, "boss", users["admin"]["id"], acting_user_id=boss["id"])
    assert queries.count_active_admins(db) == 1


def test_the_console_brings_a_deactivated_admin_back(client, db, users, monkeypatch):
    import io

    from firmware import cli

    queries.deactivate_user(db, users["supervisor"]["id"])
    monkeypatch.setattr("sys.stdin", io.StringIO("back-again-pw\n"))
    assert cli.main(["admin", "reset-password", "--username", "super", "--password-stdin"]) == 0
    assert client.post("/login", data={"username": "super", "password": "back-again-pw"}).status_code == 302
