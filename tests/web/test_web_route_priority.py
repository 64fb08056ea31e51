"""Caller priority by the number dialled (ACD8): an inbound route's priority (0-9) through the API and
the routes page, shown in both, checked at its field, audited."""

from __future__ import annotations

import pytest

from firmware.store import queries


@pytest.fixture
def sales(db, users):
    return queries.create_queue(db, "sales")["id"]


def _create(client, token, body: dict):
    return client.post("/api/v1/inbound-routes", json=body, headers=token("admin"))


def test_the_api_stores_and_shows_the_priority(client, token, db, sales, engine):
    vip = _create(client, token, {"did": "+4930999", "queue_id": sales, "priority": 9})
    assert vip.status_code == 201 and vip.get_json()["priority"] == 9
    plain = _create(client, token, {"did": "+4930100", "queue_id": sales}).get_json()
    assert plain["priority"] == 0
    listed = client.get("/api/v1/inbound-routes", headers=token("supervisor")).get_json()["items"]
    assert {r["did"]: r["priority"] for r in listed} == {"+4930999": 9, "+4930100": 0}
    assert queries.route_for_did(db, "+4930999")["priority"] == 9
    assert queries.list_audit(db)[1]["detail"].endswith("did=+4930999 queue=sales priority=9")


@pytest.mark.parametrize("priority, message", [
    (10, "priority: must be at most 9"), (-1, "priority: must be at least 0"), ("high", "priority: must be an integer"),
    (True, "priority: must be an integer"),
])
def test_a_wrong_priority_is_refused_at_its_field(client, token, db, sales, priority, message):
    response = _create(client, token, {"did": "+4930999", "queue_id": sales, "priority": priority})
    assert response.status_code == 400 and response.get_json()["error"] == message
    assert queries.list_inbound_routes(db) == [] and queries.list_audit(db) == []


def test_the_routes_page_takes_and_shows_the_priority(client, auth, db, sales):
    auth.login("admin")
    page = client.get("/inbound-routes").get_data(as_text=True)
    assert 'name="priority" type="number" min="0" max="9" value="0"' in page
    assert client.post("/inbound-routes", data={"did": "+4930999", "queue_id": str(sales),
                                                "priority": "7"}).status_code == 302
    assert queries.route_for_did(db, "+4930999")["priority"] == 7
    assert '<td class="num">7</td>' in client.get("/inbound-routes").get_data(as_text=True)
    response = client.post("/inbound-routes", data={"did": "+4930888", "queue_id": str(sales), "priority": "12"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "priority: must be at most 9" in page and 'value="12"' in page
    assert queries.route_for_did(db, "+4930888") is None
    assert client.post("/inbound-routes", data={"did": "+4930777", "queue_id": str(sales),
                                                "priority": ""}).status_code == 302
    assert queries.route_for_did(db, "+4930777")["priority"] == 0
