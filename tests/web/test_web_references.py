"""What a queue's rules name must exist, and a queue or agent still in use cannot be deleted: the
store would take a queue's numbers and open callbacks with it, and a rule pointing at a deleted
queue would park its callers in a queue nobody serves."""

from __future__ import annotations

import json

import pytest

from firmware.store import queries
from tests.web.responses import api_error


def _api(client, token, method: str, url: str, body=None):
    return getattr(client, method)(f"/api/v1{url}", json=body, headers=token("admin"))


@pytest.fixture
def box(db, users):
    """Queues sales and backup, agent Bo (not a member), the default pause reasons."""
    sales, backup = (queries.create_queue(db, name)["id"] for name in ("sales", "backup"))
    bo = queries.create_agent(db, "Bo", "1002", "sip-secret")["id"]
    db.commit()
    return {"sales": sales, "backup": backup, "bo": bo}


def _overflow_to(target) -> dict:
    rule = {"condition": "max-wait", "threshold": 60, "destination": {"kind": "queue", "target": target}}
    return {"overflow": [rule]}


def _put_rules(client, token, queue_id: int, settings: dict):
    return _api(client, token, "put", f"/queues/{queue_id}", {"settings": settings})


# --- saving rules ------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, field, words", [
    (_overflow_to(999), "settings.overflow[0].destination.target", "there is no queue 999"),
    ({"overflow": [{"condition": "closed", "destination": {"kind": "hangup", "target": "sorry"}}]},
     "settings.overflow[0].destination.target", "there is no prompt 'sorry'"),
    ({"messages": {"repeated": ["queue-repeat", "queue-thanks"]}}, "settings.messages.repeated[1]",
     "there is no prompt 'queue-thanks'"),
    ({"messages": {"first": "hello"}}, "settings.messages.first", "there is no prompt 'hello'"),
    ({"member_order": [999]}, "settings.member_order[0]", "there is no agent 999"),
    ({"member_weights": {"999": 2}}, "settings.member_weights.999", "there is no agent 999"),
    ({"standby": {"agents": [999], "on_waiting": 3}}, "settings.standby.agents[0]", "there is no agent 999"),
    ({"auto_pause_reason": "coffee"}, "settings.auto_pause_reason", "there is no pause reason 'coffee'"),
])
def test_rules_naming_what_does_not_exist_are_refused_at_their_field(client, token, db, box, settings, field, words):
    api_error(_put_rules(client, token, box["sales"], settings), 400, f"{field}: {words}")
    assert queries.get_queue(db, box["sales"])["settings"] == {}


def test_a_queue_cannot_overflow_to_itself(client, token, db, box):
    api_error(_put_rules(client, token, box["sales"], _overflow_to(box["sales"])), 400, "cannot be the queue itself")


def test_rules_naming_what_exists_are_saved(client, token, db, box, engine):
    settings = {**_overflow_to(box["backup"]), "messages": {"first": "welcome", "repeated": ["queue-repeat"]},
                "member_order": [box["bo"]], "standby": {"agents": [box["bo"]], "on_waiting": 3},
                "auto_pause_reason": "break"}
    assert _put_rules(client, token, box["sales"], settings).status_code == 200
    assert queries.get_queue(db, box["sales"])["settings"] == settings


def test_a_new_queue_is_checked_too(client, token, db, box):
    response = _api(client, token, "post", "/queues", {"name": "vip", "settings": _overflow_to(999)})
    api_error(response, 400, "there is no queue 999")
    assert [q["name"] for q in queries.list_queues(db)] == ["backup", "sales"]


def test_the_rules_page_shows_a_missing_queue_at_its_input(client, auth, db, box):
    auth.login("admin")
    form = {"strategy": "longest-idle", "overflow[0].condition": "max-wait", "overflow[0].threshold": "60",
            "overflow[0].destination.kind": "queue", "overflow[0].destination.target": "999"}
    response = client.post(f"/queues/{box['sales']}/rules", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'name="overflow[0].destination.target" value="999"' in page and "there is no queue 999" in page
    assert queries.get_queue(db, box["sales"])["settings"] == {}


# --- deleting what is in use -------------------------------------------------------------------

def test_a_queue_with_a_number_routed_to_it_is_kept_until_the_number_goes(client, token, db, box, engine):
    route = _api(client, token, "post", "/inbound-routes", {"did": "4930555", "queue_id": box["sales"]}).get_json()
    api_error(_api(client, token, "delete", f"/queues/{box['sales']}"), 409,
             "queue sales cannot be deleted", "number 4930555 is routed to it")
    assert queries.get_queue(db, box["sales"]) and len(queries.list_inbound_routes(db)) == 1
    assert _api(client, token, "delete", f"/inbound-routes/{route['id']}").status_code == 204
    assert _api(client, token, "delete", f"/queues/{box['sales']}").status_code == 204
    assert queries.get_queue(db, box["sales"]) is None


def test_a_queue_other_rules_send_callers_to_is_kept(client, token, db, box, engine):
    assert _put_rules(client, token, box["sales"], _overflow_to(box["backup"])).status_code == 200
    api_error(_api(client, token, "delete", f"/queues/{box['backup']}"), 409,
             "queue sales (overflow[0].destination.target) sends callers to it")
    assert queries.get_queue(db, box["backup"]) is not None


@pytest.mark.parametrize("status, kept", [("waiting", True), ("no-answer", True), ("failed", True),
                                          ("answered", False), ("cancelled", False)])
def test_a_queue_with_callbacks_still_to_make_is_kept(client, token, db, box, engine, status, kept):
    call_id = queries.open_call(db, "+46701", "4930100", started_at=1000.0)
    queries.save_callback(db, call_id, box["sales"], "+46701", 1000.0)
    queries.update_callback(db, call_id, status=status, attempts=1, last_handler=None, log=[])
    db.commit()
    response = _api(client, token, "delete", f"/queues/{box['sales']}")
    if kept:
        api_error(response, 409, "1 callback still to be made in it")
        assert len(queries.open_callbacks(db)) == (status != "failed")
    else:
        assert response.status_code == 204


def test_the_queues_page_says_why_a_queue_is_kept(client, auth, token, db, box):
    _api(client, token, "post", "/inbound-routes", {"did": "4930555", "queue_id": box["sales"]})
    auth.login("admin")
    response = client.post(f"/queues/{box['sales']}/delete")
    assert response.status_code == 409
    assert "number 4930555 is routed to it" in response.get_data(as_text=True)
    assert queries.get_queue(db, box["sales"]) is not None


def test_an_agent_named_by_rules_is_kept_until_the_rules_change(client, token, db, box, engine):
    standby = {"standby": {"agents": [box["bo"]], "on_waiting": 3}}
    assert _put_rules(client, token, box["sales"], standby).status_code == 200
    api_error(_api(client, token, "delete", f"/agents/{box['bo']}"), 409,
             "agent 1002 cannot be deleted", "queue sales (standby.agents[0]) names this agent")
    assert _put_rules(client, token, box["sales"], {}).status_code == 200
    assert _api(client, token, "delete", f"/agents/{box['bo']}").status_code == 204


def test_a_pause_reason_a_queue_pauses_agents_for_cannot_be_dropped(client, token, db, box, engine):
    assert _put_rules(client, token, box["sales"], {"auto_pause_reason": "break"}).status_code == 200
    response = _api(client, token, "put", "/settings", {"pause_reasons": [{"code": "lunch"}]})
    api_error(response, 400, "pause_reasons: break is used by queue sales (auto_pause_reason)")
    assert queries.get_setting(db, "pause_reasons") is None
    kept = [{"code": "lunch"}, {"code": "break"}]
    assert _api(client, token, "put", "/settings", {"pause_reasons": kept}).status_code == 200
    assert json.loads(queries.get_setting(db, "pause_reasons")) == kept


def test_malformed_rules_stored_by_hand_do_not_block_a_delete(client, token, db, box, engine):
    db.execute("UPDATE queues SET settings = ? WHERE id = ?", (json.dumps({"overflow": "nonsense"}), box["sales"]))
    db.commit()
    assert _api(client, token, "delete", f"/queues/{box['backup']}").status_code == 204
