"""Classifying calls (ACD12) through the API: the box's list of dispositions, who may classify which
call, what is stored and audited, the engine told (a wrap-up may be waiting for it), the call list
filtered by it."""

from __future__ import annotations

import json
import time

import pytest

from firmware.acd.settings import DEFAULT_DISPOSITIONS
from firmware.store import queries
from tests.web.responses import api_error


def _api(client, token, method: str, url: str, body=None, role: str = "supervisor"):
    return getattr(client, method)(f"/api/v1{url}", json=body, headers=token(role))


@pytest.fixture
def answered(db, users):
    """A call agent 1001 answered and one nobody answered."""
    agent = users["agent_row"]["id"]
    queue = queries.create_queue(db, "sales")["id"]
    calls = {}
    for name, answered_by in (("answered", agent), ("abandoned", None)):
        call_id = queries.open_call(db, "+46701", "4930100")
        queries.update_call(db, call_id, queue_id=queue, queued_at=time.time() - 60)
        if answered_by:
            queries.update_call(db, call_id, agent_id=answered_by, answered_at=time.time() - 30)
        queries.close_call(db, call_id, "answered" if answered_by else "abandoned", "caller-hangup")
        calls[name] = call_id
    db.commit()
    return calls


def test_a_supervisor_classifies_a_call_and_the_engine_is_told(client, token, db, engine, users, answered):
    response = _api(client, token, "put", f"/calls/{answered['answered']}/disposition",
                    {"disposition": "sale", "note": "two licences"})
    assert response.status_code == 200, response.get_data(as_text=True)
    call = response.get_json()
    assert (call["disposition"], call["disposition_note"], call["disposition_by"]) == ("sale", "two licences", None)
    assert call["disposition_at"]
    assert engine.commands == [("call_classify", {"call_id": answered["answered"], "disposition": "sale",
                                                  "note": "two licences", "by_agent": None})]
    assert [e["detail"] for e in queries.list_audit(db) if e["action"] == "call.classify"] == [
        f"call={answered['answered']} disposition=sale"]
    again = _api(client, token, "put", f"/calls/{answered['answered']}/disposition", {"disposition": "no-sale"})
    assert again.get_json()["disposition"] == "no-sale" and again.get_json()["disposition_note"] is None


def test_the_call_list_is_filtered_by_disposition(client, token, db, engine, answered):
    _api(client, token, "put", f"/calls/{answered['answered']}/disposition", {"disposition": "complaint"})
    found = _api(client, token, "get", "/calls?disposition=complaint").get_json()["items"]
    assert [c["id"] for c in found] == [answered["answered"]]
    assert _api(client, token, "get", "/calls?disposition=sale").get_json()["items"] == []


@pytest.mark.parametrize("body, status, words", [
    ({"disposition": "maybe"}, 400, ("disposition: must be one of", "resolved", "wrong-number")),
    ({}, 400, ("disposition: is required",)),
    ({"disposition": "sale", "note": "x" * 501}, 400, ("note:",)),
])
def test_a_wrong_classification_is_refused_at_its_field(client, token, db, engine, answered, body, status, words):
    api_error(_api(client, token, "put", f"/calls/{answered['answered']}/disposition", body), status, *words)
    assert queries.get_call(db, answered["answered"])["disposition"] is None and engine.commands == []


def test_only_an_answered_call_can_be_classified(client, token, db, engine, answered):
    api_error(_api(client, token, "put", f"/calls/{answered['abandoned']}/disposition", {"disposition": "sale"}),
              409, "was not answered")
    api_error(_api(client, token, "put", "/calls/999/disposition", {"disposition": "sale"}), 404, "no call 999")


def test_an_agent_token_is_nobodys_agent_and_may_not_classify(client, token, db, engine, answered):
    response = _api(client, token, "put", f"/calls/{answered['answered']}/disposition", {"disposition": "sale"},
                    role="agent")
    api_error(response, 403, "only the calls they answered")


def test_the_box_has_default_dispositions_until_some_are_saved(client, token, db, engine):
    assert _api(client, token, "get", "/settings").get_json()["dispositions"] == DEFAULT_DISPOSITIONS
    mine = [{"code": "upgrade", "label": "Upgrade sold"}, {"code": "churn"}]
    assert _api(client, token, "put", "/settings", {"dispositions": mine}, role="admin").status_code == 200
    stored = [{"code": "upgrade", "label": "Upgrade sold"}, {"code": "churn", "label": "churn"}]
    assert json.loads(queries.get_setting(db, "dispositions")) == stored
    api_error(_api(client, token, "put", "/settings", {"dispositions": [{"code": "A B"}]}, role="admin"), 400,
              "dispositions[0].code: must be a short code")
    api_error(_api(client, token, "put", "/settings", {"dispositions": []}, role="admin"), 400,
              "dispositions: must be a list of at least one")
    assert json.loads(queries.get_setting(db, "dispositions")) == stored
