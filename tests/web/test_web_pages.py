"""The admin's configuration pages: list, create (with mistakes shown on the form) and delete."""

from __future__ import annotations

import pytest

from firmware.store import queries


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


def test_agents_page_creates_and_deletes(admin, db, engine):
    response = admin.post("/agents", data={"name": "Bo", "extension": "1002", "sip_password": "sip-secret"})
    assert response.status_code == 302 and response.headers["Location"] == "/agents"
    page = admin.get("/agents").get_data(as_text=True)
    assert "1002" in page and "Agent 1002 created." in page
    agent = queries.get_agent_by_extension(db, "1002")
    assert admin.post(f"/agents/{agent['id']}/delete").status_code == 302
    assert queries.get_agent_by_extension(db, "1002") is None
    assert engine.names() == ["reload", "reload"]
    assert admin.post("/agents/999/delete").status_code == 404


def test_a_mistake_keeps_the_form_but_not_the_password(admin, db):
    response = admin.post("/agents", data={"name": "Bo", "extension": "12ab", "sip_password": "sip-secret"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "extension: must contain digits only" in page
    assert 'value="Bo"' in page and 'value="12ab"' in page and "sip-secret" not in page
    response = admin.post("/agents", data={"name": "Bo", "extension": "1001", "sip_password": "sip-secret"})
    assert response.status_code == 409 and "extension: &#39;1001&#39; already exists" in response.get_data(as_text=True)


def test_queues_page_with_members(admin, db, users):
    agent = users["agent_row"]["id"]
    assert admin.post("/queues", data={"name": "sales", "strategy": "longest-idle"}).status_code == 302
    queue = queries.list_queues(db)[0]["id"]
    assert admin.post(f"/queues/{queue}/members", data={"agent_id": str(agent)}).status_code == 302
    assert queries.agent_queue_ids(db, agent) == [queue]
    assert admin.post(f"/queues/{queue}/members", data={"agent_id": str(agent)}).status_code == 409
    page = admin.get("/queues").get_data(as_text=True)
    assert "sales" in page and "Ann Agent" in page
    assert admin.post(f"/queues/{queue}/members/{agent}/delete").status_code == 302
    assert queries.agent_queue_ids(db, agent) == []
    assert admin.post(f"/queues/{queue}/delete").status_code == 302
    assert queries.list_queues(db) == []


def test_trunks_page(admin, db):
    response = admin.post("/trunks", data={"name": "carrier", "type": "register", "address": "sip.example.net",
                                           "username": "acct", "password": "trunk-secret"})
    assert response.status_code == 302
    page = admin.get("/trunks").get_data(as_text=True)
    assert "carrier" in page and "trunk-secret" not in page
    response = admin.post("/trunks", data={"name": "other", "type": "register", "address": "sip.example.net"})
    assert response.status_code == 400 and "username: is required" in response.get_data(as_text=True)
    trunk = queries.list_trunks(db)[0]["id"]
    assert admin.post(f"/trunks/{trunk}/delete").status_code == 302
    assert queries.list_trunks(db) == []


def test_routes_page(admin, db):
    assert "Create a queue first" in admin.get("/inbound-routes").get_data(as_text=True)
    queue = queries.create_queue(db, "sales")["id"]
    assert admin.post("/inbound-routes", data={"did": "+4930123", "queue_id": str(queue)}).status_code == 302
    page = admin.get("/inbound-routes").get_data(as_text=True)
    assert "+4930123" in page and "sales" in page
    route = queries.list_inbound_routes(db)[0]["id"]
    assert admin.post(f"/inbound-routes/{route}/delete").status_code == 302
    assert queries.list_inbound_routes(db) == []


def test_the_audit_page_shows_the_changes(admin):
    admin.post("/queues", data={"name": "sales"})
    page = admin.get("/audit").get_data(as_text=True)
    assert "queue.create" in page and "login" in page


def test_names_are_escaped(admin):
    admin.post("/agents", data={"name": "<script>x</script>')", "extension": "1003", "sip_password": "sip-secret"})
    page = admin.get("/agents").get_data(as_text=True)
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_an_unknown_page_is_an_html_404(admin):
    response = admin.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
