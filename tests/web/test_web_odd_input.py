"""Odd input gets a 4xx with a message, never a 500, and what the box cannot use is refused
(issue 8, finding 9: each case below was a 500 or was stored)."""

from __future__ import annotations

import json

import pytest

from firmware.store import queries
from tests.web.responses import api_error

HUGE = 2**64            # above SQLite's 64-bit integers
SQLITE_MAX = 2**63 - 1


@pytest.fixture
def api(client, token, users, engine):
    headers = {**token("admin"), "Content-Type": "application/json"}

    def call(method: str, path: str, body=None, raw: str | bytes | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return client.open(f"/api/v1{path}", method=method, data=data, headers=headers)
    return call


@pytest.mark.parametrize("path", [
    f"/agents/{HUGE}", f"/queues/{HUGE}", f"/trunks/{HUGE}", f"/inbound-routes/{HUGE}", f"/calls/{HUGE}",
    "/recordings/12345678901234567890123", f"/callbacks/{SQLITE_MAX + 1}", "/agents/0",
    f"/agents/{HUGE}/activity",
])
def test_an_id_beyond_sqlite_in_a_path_is_not_found(api, path):
    api_error(api("GET", path), 404, "nothing has the id")


def test_the_largest_id_sqlite_has_is_looked_up(api):
    api_error(api("GET", f"/agents/{SQLITE_MAX}"), 404, f"no agent {SQLITE_MAX}")


@pytest.mark.parametrize("method, path, body, field", [
    ("POST", "/queues/1/members", {"agent_id": HUGE}, "agent_id"),
    ("POST", "/inbound-routes", {"did": "123", "queue_id": HUGE}, "queue_id"),
    ("POST", "/agents/1/login", {"queue_ids": [HUGE]}, "queue_ids"),
    ("POST", "/conferences/1/members", {"call_id": -HUGE}, "call_id"),
])
def test_an_id_beyond_sqlite_in_json_is_refused(api, db, method, path, body, field):
    from firmware.store import queries
    queries.create_queue(db, "sales")
    api_error(api(method, path, body), 400, field)


def test_an_id_beyond_sqlite_in_a_queues_rules_names_nothing(api):
    response = api("POST", "/queues", {"name": "sales", "strategy": "sequential",
                                        "settings": {"member_order": [HUGE]}})
    api_error(response, 400, "settings.member_order", "no agent")


@pytest.mark.parametrize("query", [f"queue_id={HUGE}", f"agent_id={HUGE}", f"offset={HUGE}"])
def test_an_id_beyond_sqlite_in_a_query_is_refused(api, query):
    api_error(api("GET", f"/calls?{query}"), 400, "out of range")


def test_deeply_nested_json_is_refused(api):
    api_error(api("POST", "/agents", raw="[" * 100_000 + "]" * 100_000), 400, "nests deeper")
    api_error(api("POST", "/agents", raw='{"a":' * 50 + "1" + "}" * 50), 400, "nests deeper")


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    response = api("POST", "/agents", {"name": "[[[[" * 20 + '\\"{', "extension": "1002",
                                       "sip_password": "sip-secret"})
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize("raw, words", [
    ('{"name": "\\ud800", "extension": "1002", "sip_password": "sip-secret"}', ("name", "surrogate")),
    ('{"name": "Ann", "extension": "1002", "sip_password": "sip\\udfffsecret"}', ("sip_password", "surrogate")),
    ('{"name": "A\\u0000nn", "extension": "1002", "sip_password": "sip-secret"}', ("name", "control")),
    ('{"name": "Ann", "extension": "1002", "sip_password": "sip-\\u0000secret"}', ("sip_password", "control")),
    ('{"name": "Ann", "extension": "1002", "sip_password": "sip-secret", "settings": {"\\ud800": 1}}',
     ("settings", "surrogate")),
    ('{"name": NaN, "extension": "1002", "sip_password": "sip-secret"}', ("NaN",)),
    (b'{"name": "\xff"}', ("UTF-8",)),
])
def test_text_the_box_cannot_store_is_refused(api, raw, words):
    api_error(api("POST", "/agents", raw=raw), 400, *words)


def test_a_note_keeps_its_line_breaks_but_not_other_controls(api, db, engine):
    from firmware.store import queries
    call = queries.open_call(db, "+4940999", "4940123")
    db.execute("UPDATE calls SET answered_at = 1, agent_id = 1 WHERE id = ?", (call,))
    response = api("PUT", f"/calls/{call}/disposition", {"disposition": "resolved", "note": "line one\nline two"})
    assert response.status_code == 200, response.get_data(as_text=True)
    api_error(api("PUT", f"/calls/{call}/disposition", {"disposition": "resolved", "note": "bell\x07"}), 400,
              "note", "control")


@pytest.mark.parametrize("query", ["from=9999-12-31", "to=9999-12-31", "from=0001-01-01", "from=2026-02-30"])
def test_dates_out_of_range_are_refused(api, query):
    api_error(api("GET", f"/agents/1/activity?{query}"), 400, query.split("=")[0])
    api_error(api("GET", f"/calls?{query}"), 400, query.split("=")[0])


@pytest.mark.parametrize("address, words", [
    ("192.0.2.5:0", ("port",)), ("192.0.2.5:99999", ("address",)), ("192.0.2.5:65536", ("port",)),
    ("192.0.2.999", ("not an IP address",)), ("host..example", ("address",)), ("-bad.example", ("address",)),
    ("[::zz]:5060", ("address",)), ("[fe80::1::2]", ("not an IP address",)),
])
def test_a_trunk_address_the_box_cannot_reach_is_refused(api, address, words):
    api_error(api("POST", "/trunks", {"name": "t", "type": "peer", "address": address}), 400, "address", *words)


@pytest.mark.parametrize("address", ["192.0.2.5", "192.0.2.5:5060", "sip.example.com:65535", "[2001:db8::1]:5060"])
def test_a_good_trunk_address_is_kept(api, address):
    response = api("POST", "/trunks", {"name": "t", "type": "peer", "address": address})
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["user@example.com", "a b", "<sip>", "caf\u00e9", "50%", 'q"uote'])
def test_a_registration_user_name_must_be_a_sip_user_part(api, username):
    body = {"name": "t", "type": "register", "address": "sip.example.com", "username": username,
            "password": "secret"}
    api_error(api("POST", "/trunks", body), 400, "username", "SIP user")


@pytest.mark.parametrize("username", ["+4940123456", "user.name_1", "a%40b", "x;y=z", "o'hara(1)"])
def test_a_sip_user_part_is_kept(api, username):
    body = {"name": "t", "type": "register", "address": "sip.example.com", "username": username,
            "password": "secret"}
    response = api("POST", "/trunks", body)
    assert response.status_code == 201, response.get_data(as_text=True)


def test_nul_in_a_trunk_password_is_refused(api):
    body = {"name": "t", "type": "register", "address": "sip.example.com", "username": "u", "password": "se\x00cret"}
    api_error(api("POST", "/trunks", body), 400, "password", "control")


def test_a_page_form_with_nul_is_refused_on_the_page(client, auth):
    auth.login()
    response = client.post("/agents", data={"name": "A\x00nn", "extension": "1002", "sip_password": "sip-secret"})
    assert response.status_code == 400 and b"control characters" in response.data


def test_an_unknown_query_parameter_is_refused(api):
    api_error(api("GET", "/calls?outcom=answered"), 400, "outcom", "not a parameter")


@pytest.mark.parametrize("path", ["/agents?inactive=%C2%A0", "/callbacks?queue=%09", "/calls?from=%20",
                                  "/callbacks?order=%20"])
def test_a_blank_query_value_is_not_a_left_out_one(api, path):
    """Only the empty value means "left out" (found by the long schemathesis hunt)."""
    api_error(api("GET", path), 400, path.split("?")[1].split("=")[0])


def test_a_body_over_a_megabyte_is_refused_unread(api):
    response = api("POST", "/agents", raw=b'{"name": "' + b"x" * (1024 * 1024) + b'"}')
    assert response.status_code == 413 and response.is_json


def test_a_strangers_user_name_reaches_the_audit_log_short_and_printable(client, users, db):
    client.post("/login", data={"username": "x\x1b[31m" + "y" * 500, "password": "wrong"})
    entry = queries.list_audit(db)[0]
    assert entry["action"] == "login.failed" and len(entry["actor"]) <= 64 and "\x1b" not in entry["actor"]


def test_an_empty_string_in_json_is_a_value_not_a_left_out_field(api):
    body = {"name": "t", "type": "peer", "address": "192.0.2.5", "dtmf": ""}
    api_error(api("POST", "/trunks", body), 400, "dtmf", "must be one of")


def test_an_empty_string_is_no_number_in_json(api, db):
    queries.create_queue(db, "sales")
    api_error(api("POST", "/inbound-routes", {"did": "6", "priority": "", "queue_id": 1}), 400, "priority",
              "integer")
