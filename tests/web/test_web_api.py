"""The REST API's resources: create, list, get, delete, and their 400/401/403/404/409 answers."""

from __future__ import annotations

import pytest

from firmware.store import queries
from tests.web.responses import api_error


class Api:
    """A test client that sends one role's bearer token."""

    def __init__(self, client, headers):
        self.client = client
        self.headers = headers

    def get(self, url, **kw):
        return self.client.get(f"/api/v1{url}", headers=self.headers, **kw)

    def post(self, url, body=None, **kw):
        return self.client.post(f"/api/v1{url}", json=body, headers=self.headers, **kw)

    def put(self, url, body=None, **kw):
        return self.client.put(f"/api/v1{url}", json=body, headers=self.headers, **kw)

    def delete(self, url):
        return self.client.delete(f"/api/v1{url}", headers=self.headers)


@pytest.fixture
def api(client, token):
    return Api(client, token("admin"))


@pytest.fixture
def supervisor_api(client, token):
    return Api(client, token("supervisor"))


AGENT = {"name": "Ann", "extension": "1001", "sip_password": "sip-secret"}


def test_agents_create_list_get_delete(api, supervisor_api, db):
    response = api.post("/agents", AGENT)
    assert response.status_code == 201
    agent = response.get_json()
    assert agent["extension"] == "1001" and agent["name"] == "Ann" and isinstance(agent["id"], int)
    assert agent["created_at"].endswith("Z")
    assert not {"sip_password", "sip_ha1", "password"} & set(agent)
    assert queries.get_agent_by_extension(db, "1001")["id"] == agent["id"]

    listed = supervisor_api.get("/agents").get_json()["items"]
    assert [a["id"] for a in listed] == [agent["id"]]
    assert not {"sip_password", "sip_ha1"} & set(listed[0])
    assert supervisor_api.get(f"/agents/{agent['id']}").get_json() == agent

    assert api.delete(f"/agents/{agent['id']}").status_code == 204       # deactivates (issue 8, finding 10)
    assert api.get(f"/agents/{agent['id']}").get_json()["active"] is False
    api_error(api.delete(f"/agents/{agent['id']}"), 404, "deactivated")
    assert [e["action"] for e in queries.list_audit(db)][:2] == ["agent.deactivate", "agent.create"]


@pytest.mark.parametrize("body, field", [
    ({"extension": "1001", "sip_password": "sip-secret"}, "name"),
    ({"name": "Ann", "sip_password": "sip-secret"}, "extension"),
    ({"name": "Ann", "extension": "10a1", "sip_password": "sip-secret"}, "extension"),
    ({"name": "Ann", "extension": 1001, "sip_password": "sip-secret"}, "extension"),
    ({"name": "Ann", "extension": "1001"}, "sip_password"),
    ({"name": "Ann", "extension": "1001", "sip_password": "short"}, "sip_password"),
    ({"name": ["Ann"], "extension": "1001", "sip_password": "sip-secret"}, "name"),
])
def test_agent_fields_are_checked(api, body, field):
    api_error(api.post("/agents", body), 400, f"{field}:")


def test_a_body_that_is_no_json_object_is_refused(api):
    api_error(api.client.post("/api/v1/agents", data="nonsense", headers=api.headers), 400, "JSON object")
    api_error(api.post("/agents", [1, 2]), 400, "JSON object")


def test_a_duplicate_extension_conflicts(api):
    assert api.post("/agents", AGENT).status_code == 201
    api_error(api.post("/agents", {**AGENT, "name": "Other"}), 409, "extension", "1001")


def test_queues_create_list_get_delete(api, supervisor_api):
    response = api.post("/queues", {"name": "sales"})
    assert response.status_code == 201
    queue = response.get_json()
    assert queue["strategy"] == "longest-idle" and queue["name"] == "sales"
    assert supervisor_api.get("/queues").get_json()["items"] == [queue]
    assert supervisor_api.get(f"/queues/{queue['id']}").get_json() == queue
    api_error(api.post("/queues", {"name": "sales"}), 409, "name", "sales")
    api_error(api.post("/queues", {"name": "support", "strategy": "loudest-first"}), 400, "strategy:", "longest-idle")
    api_error(api.post("/queues", {"name": 7}), 400, "name: must be a string")
    assert api.delete(f"/queues/{queue['id']}").status_code == 204
    api_error(api.get(f"/queues/{queue['id']}"), 404)


def test_queue_members(api, supervisor_api):
    agent = api.post("/agents", AGENT).get_json()
    queue = api.post("/queues", {"name": "sales"}).get_json()
    response = api.post(f"/queues/{queue['id']}/members", {"agent_id": agent["id"]})
    assert response.status_code == 201
    assert response.get_json() == {"queue_id": queue["id"], "agent_id": agent["id"], "name": "Ann",
                                   "extension": "1001"}
    assert supervisor_api.get(f"/queues/{queue['id']}/members").get_json()["items"] == [response.get_json()]
    api_error(api.post(f"/queues/{queue['id']}/members", {"agent_id": agent["id"]}), 409, "already a member")
    api_error(api.post(f"/queues/{queue['id']}/members", {"agent_id": 999}), 404, "no agent 999")
    api_error(api.post("/queues/999/members", {"agent_id": agent["id"]}), 404, "no queue 999")
    api_error(api.get("/queues/999/members"), 404, "no queue 999")
    api_error(api.post(f"/queues/{queue['id']}/members", {"agent_id": "1"}), 400, "agent_id: must be an integer")
    api_error(api.post(f"/queues/{queue['id']}/members", {"agent_id": True}), 400, "agent_id")
    api_error(api.post(f"/queues/{queue['id']}/members", {}), 400, "agent_id: is required")
    assert api.delete(f"/queues/{queue['id']}/members/{agent['id']}").status_code == 204
    assert api.get(f"/queues/{queue['id']}/members").get_json()["items"] == []
    api_error(api.delete(f"/queues/{queue['id']}/members/{agent['id']}"), 404, "not a member")


def test_trunks_never_show_their_password(api, supervisor_api, db):
    response = api.post("/trunks", {"name": "carrier", "type": "register", "address": "sip.example.net:5060",
                                    "username": "acct", "password": "trunk-secret"})
    assert response.status_code == 201
    trunk = response.get_json()
    assert "password" not in trunk and trunk["username"] == "acct"
    assert "trunk-secret" not in supervisor_api.get("/trunks").get_data(as_text=True)
    assert "trunk-secret" not in supervisor_api.get(f"/trunks/{trunk['id']}").get_data(as_text=True)
    assert queries.list_trunks_with_secrets(db)[0]["password"] == "trunk-secret"  # the engine needs it
    peer = api.post("/trunks", {"name": "pbx", "type": "peer", "address": "10.0.0.2"})
    assert peer.status_code == 201 and peer.get_json()["username"] is None
    api_error(api.post("/trunks", {"name": "pbx", "type": "peer", "address": "10.0.0.3"}), 409, "name")
    assert api.delete(f"/trunks/{trunk['id']}").status_code == 204
    api_error(api.get(f"/trunks/{trunk['id']}"), 404, "no trunk")


@pytest.mark.parametrize("body, field", [
    ({"name": "t", "type": "register", "address": "sip.example.net", "password": "x" * 8}, "username"),
    ({"name": "t", "type": "register", "address": "sip.example.net", "username": "acct"}, "password"),
    ({"name": "t", "type": "friend", "address": "sip.example.net"}, "type"),
    ({"name": "t", "address": "sip.example.net"}, "type"),
    ({"name": "t", "type": "peer", "address": "sip.example.net/evil"}, "address"),
    ({"name": "t", "type": "peer"}, "address"),
])
def test_trunk_fields_are_checked(api, body, field):
    api_error(api.post("/trunks", body), 400, f"{field}:")


def test_inbound_routes(api, supervisor_api):
    queue = api.post("/queues", {"name": "sales"}).get_json()
    response = api.post("/inbound-routes", {"did": "+4930123456", "queue_id": queue["id"]})
    assert response.status_code == 201
    route = response.get_json()
    assert route["did"] == "+4930123456" and route["queue_id"] == queue["id"]
    assert supervisor_api.get("/inbound-routes").get_json()["items"] == [route]
    assert supervisor_api.get(f"/inbound-routes/{route['id']}").get_json() == route
    api_error(api.post("/inbound-routes", {"did": "+4930123456", "queue_id": queue["id"]}), 409, "did")
    api_error(api.post("/inbound-routes", {"did": "555", "queue_id": 999}), 404, "no queue 999")
    api_error(api.post("/inbound-routes", {"did": "abc", "queue_id": queue["id"]}), 400, "did:")
    api_error(api.post("/inbound-routes", {"did": "555", "queue_id": "x"}), 400, "queue_id:")
    assert api.delete(f"/inbound-routes/{route['id']}").status_code == 204
    api_error(api.get(f"/inbound-routes/{route['id']}"), 404, "no inbound route")


def test_agent_login_and_logout(api, supervisor_api, db, engine):
    agent = api.post("/agents", AGENT).get_json()
    sales = api.post("/queues", {"name": "sales"}).get_json()
    support = api.post("/queues", {"name": "support"}).get_json()
    api.post(f"/queues/{sales['id']}/members", {"agent_id": agent["id"]})
    url = f"/agents/{agent['id']}"

    response = supervisor_api.post(f"{url}/login", {"queue_ids": [sales["id"]]})
    assert response.status_code == 200
    assert response.get_json() == {"agent_id": agent["id"], "queue_ids": [sales["id"]]}
    assert queries.logged_in_queue_ids(db, agent["id"]) == [sales["id"]]  # written by the engine

    api_error(supervisor_api.post(f"{url}/login", {"queue_ids": [support["id"]]}), 400, "queue_ids", "not a member")
    api_error(supervisor_api.post(f"{url}/login", {"queue_ids": []}), 400, "queue_ids")
    api_error(supervisor_api.post(f"{url}/login", {"queue_ids": sales["id"]}), 400, "queue_ids")
    api_error(supervisor_api.post(f"{url}/login", {"queue_ids": ["1"]}), 400, "queue_ids")
    api_error(supervisor_api.post(f"{url}/login", {}), 400, "queue_ids: is required")
    api_error(supervisor_api.post("/agents/999/login", {"queue_ids": [sales["id"]]}), 404, "no agent")

    response = supervisor_api.post(f"{url}/logout")
    assert response.status_code == 200
    assert response.get_json() == {"agent_id": agent["id"], "queue_ids": []}
    assert queries.logged_in_queue_ids(db, agent["id"]) == []
    api_error(supervisor_api.post("/agents/999/logout"), 404)
    actions = [e["action"] for e in queries.list_audit(db)]
    assert "agent.login" in actions and "agent.logout" in actions


def test_without_the_engine_nobody_is_logged_in(api, supervisor_api, db):
    """The engine keeps the logins (it alone writes agent_logins): while it is down the answer is 503."""
    agent = api.post("/agents", AGENT).get_json()
    sales = api.post("/queues", {"name": "sales"}).get_json()
    api.post(f"/queues/{sales['id']}/members", {"agent_id": agent["id"]})
    api_error(supervisor_api.post(f"/agents/{agent['id']}/login", {"queue_ids": [sales["id"]]}), 503,
              "engine not running")
    assert queries.logged_in_queue_ids(db, agent["id"]) == []
    assert "agent.login" not in [e["action"] for e in queries.list_audit(db)]


def test_the_audit_log_names_the_token(api, db):
    api.post("/queues", {"name": "sales"})
    entry = queries.list_audit(db)[0]
    assert entry["action"] == "queue.create" and entry["actor"].startswith("token#")
    assert entry["actor"].endswith(":test-admin")


def test_unknown_api_paths_and_methods_answer_json(api):
    api_error(api.get("/nothing-here"), 404)
    api_error(api.client.put("/api/v1/agents", headers=api.headers), 405)


def test_config_changes_tell_the_engine_to_reload(api, engine):
    agent = api.post("/agents", AGENT).get_json()
    queue = api.post("/queues", {"name": "sales"}).get_json()
    api.post(f"/queues/{queue['id']}/members", {"agent_id": agent["id"]})
    api.post("/trunks", {"name": "pbx", "type": "peer", "address": "10.0.0.2"})
    api.post("/inbound-routes", {"did": "555", "queue_id": queue["id"]})
    api.delete(f"/agents/{agent['id']}")
    assert engine.names() == ["reload"] * 6
    api.post("/agents", {**AGENT, "extension": "x"})  # refused: nothing to reload
    assert len(engine.commands) == 6


def test_login_and_logout_tell_the_engine(api, engine):
    agent = api.post("/agents", AGENT).get_json()
    queue = api.post("/queues", {"name": "sales"}).get_json()
    api.post(f"/queues/{queue['id']}/members", {"agent_id": agent["id"]})
    engine.commands.clear()
    api.post(f"/agents/{agent['id']}/login", {"queue_ids": [queue["id"]]})
    api.post(f"/agents/{agent['id']}/logout")
    assert engine.commands == [("agent_login", {"agent_id": agent["id"], "queue_ids": [queue["id"]]}),
                               ("agent_logout", {"agent_id": agent["id"]})]


def test_settings_change_the_prompt_language(api, supervisor_api, engine, db):
    assert supervisor_api.get("/settings").get_json()["prompt_language"] == "en"
    engine.commands.clear()
    assert api.put("/settings", {"prompt_language": "sv"}).get_json()["prompt_language"] == "sv"
    assert queries.get_setting(db, "prompt_language") == "sv"
    assert engine.names() == ["reload"]
    api_error(api.put("/settings", {"prompt_language": "fr"}), 400, "prompt_language")
    api_error(api.put("/settings", {"ring_volume": 3}), 400, "ring_volume", "not a setting")
    api_error(supervisor_api.put("/settings", {"prompt_language": "de"}), 403)
    assert queries.get_setting(db, "prompt_language") == "sv"


def test_queue_rules_are_checked_and_stored(api, supervisor_api, engine):
    queue = api.post("/queues", {"name": "sales", "strategy": "round-robin",
                                 "settings": {"wrapup": 10}}).get_json()
    assert (queue["strategy"], queue["settings"]) == ("round-robin", {"wrapup": 10})
    rules = {"overflow": [{"condition": "max-wait", "threshold": 60, "destination": {"kind": "hangup"}}],
             "callback": {"offer_when_wait_over": 30, "key": "1"}}
    engine.commands.clear()
    updated = api.put(f"/queues/{queue['id']}", {"settings": rules})
    assert updated.status_code == 200 and updated.get_json()["settings"] == rules
    assert engine.names() == ["reload"]
    api_error(api.put(f"/queues/{queue['id']}", {"settings": {"overflow": [{"condition": "late"}]}}), 400,
           "settings.overflow[0].condition")
    api_error(api.put(f"/queues/{queue['id']}", {"strategy": "loudest"}), 400, "strategy")
    api_error(api.put(f"/queues/{queue['id']}", {"name": "x"}), 400, "name")
    api_error(api.put("/queues/999", {"settings": {}}), 404)
    api_error(supervisor_api.put(f"/queues/{queue['id']}", {"settings": {}}), 403)
    assert supervisor_api.get(f"/queues/{queue['id']}").get_json()["settings"] == rules
