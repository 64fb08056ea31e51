"""The callback list (ACD14) in the API and on its page: sorting, filters, the handler's note, requeue
and cancel (forwarded to the engine), their validation, roles and CSRF."""

from __future__ import annotations

import re

import pytest

from firmware.store import queries
from tests.web.responses import api_error


@pytest.fixture
def callbacks(db, users):
    """Three callbacks: one nobody answered (support), one answered (sales), one waiting (support)."""
    support, sales = queries.create_queue(db, "support")["id"], queries.create_queue(db, "sales")["id"]
    bo = queries.create_agent(db, "Bo", "1002", "sip-secret")["id"]
    rows = {}
    for name, queue, arrived, status, caller_input, handler, log in (
        ("no_answer", support, 1000.0, "no-answer", "42", bo, ["requested by the caller", "no answer (attempt 1)"]),
        ("answered", sales, 2000.0, "answered", "7", users["agent_row"]["id"], ["requested by the caller"]),
        ("waiting", support, 3000.0, "waiting", "", None, ["forced by overflow"]),
    ):
        call_id = queries.open_call(db, f"+46{arrived:.0f}", "4930100", started_at=arrived)
        queries.save_callback(db, call_id, queue, f"+46{arrived:.0f}", arrived, caller_input=caller_input,
                              wanted_from=arrived + 60 if name == "answered" else None)
        queries.update_callback(db, call_id, status=status, attempts=1, last_handler=handler, log=log)
        rows[name] = call_id
    return {**rows, "support": support, "sales": sales}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [c["call_id"] for c in response.get_json()["items"]]


# --- the list in the API --------------------------------------------------------------------------

@pytest.mark.parametrize("sort, order", [
    ("arrived", ["no_answer", "answered", "waiting"]), ("queue", ["answered", "no_answer", "waiting"]),
    ("caller_input", ["waiting", "no_answer", "answered"]), ("status", ["answered", "no_answer", "waiting"]),
    ("last_handler", ["answered", "no_answer", "waiting"]), ("log", ["waiting", "no_answer", "requested"]),
    ("interval", ["answered", "no_answer", "waiting"]),    # without an interval: wanted from the request
])
def test_the_api_sorts_the_list_by_each_column(client, token, callbacks, sort, order):
    names = {**callbacks, "requested": callbacks["answered"]}
    expected = [names[n] for n in order]
    assert _ids(client.get(f"/api/v1/callbacks?sort={sort}", headers=token("agent"))) == expected
    assert _ids(client.get(f"/api/v1/callbacks?sort={sort}&order=desc", headers=token("agent"))) == expected[::-1]


def test_the_api_filters_by_queue_and_open_status(client, token, callbacks):
    headers = token("agent")
    assert _ids(client.get(f"/api/v1/callbacks?queue={callbacks['support']}", headers=headers)) == \
        [callbacks["no_answer"], callbacks["waiting"]]
    assert _ids(client.get("/api/v1/callbacks?open=1", headers=headers)) == [callbacks["no_answer"], callbacks["waiting"]]
    assert _ids(client.get(f"/api/v1/callbacks?open=1&queue={callbacks['sales']}", headers=headers)) == []
    assert _ids(client.get("/api/v1/callbacks?limit=1&offset=1", headers=headers)) == [callbacks["answered"]]


def test_a_callback_row_carries_the_columns_of_the_list(client, token, callbacks):
    row = client.get(f"/api/v1/callbacks/{callbacks['answered']}", headers=token("agent")).get_json()
    assert (row["queue"], row["caller_input"], row["status"], row["last_handler_extension"]) == \
        ("sales", "7", "answered", "1001")
    assert row["arrived_at"] == "1970-01-01T00:33:20Z" and row["wanted_from"] == "1970-01-01T00:34:20Z"
    assert row["wanted_until"] is None and row["last_log"] == "requested by the caller"
    api_error(client.get("/api/v1/callbacks/999", headers=token("agent")), 404, "no callback 999")


@pytest.mark.parametrize("query, words", [
    ("sort=number", ("sort", "must be one of", "arrived")), ("order=up", ("order", "asc, desc")),
    ("queue=abc", ("queue", "integer")), ("queue=99", ("queue", "no queue 99")), ("open=yes", ("open",)),
    ("limit=0", ("limit", "at least 1")), ("queue_id=1", ("queue_id", "not a parameter")),
])
def test_the_api_refuses_bad_list_parameters(client, token, callbacks, query, words):
    api_error(client.get(f"/api/v1/callbacks?{query}", headers=token("agent")), 400, *words)


def test_the_list_is_read_from_the_store_while_the_engine_is_down(client, token, callbacks):
    assert len(_ids(client.get("/api/v1/callbacks", headers=token("agent")))) == 3


# --- the handler's actions in the API ---------------------------------------------------------------

def test_a_note_goes_to_the_engine_and_the_audit_log(client, token, callbacks, engine, db):
    response = client.post(f"/api/v1/callbacks/{callbacks['waiting']}/note", json={"text": "  wants Tuesday "},
                           headers=token("supervisor"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["call_id"] == callbacks["waiting"]
    [(cmd, args)] = engine.commands
    assert cmd == "callback_note"
    assert (args["call_id"], args["text"], args["agent_id"]) == (callbacks["waiting"], "wants Tuesday", None)
    assert args["author"].startswith("token#")
    entry = queries.list_audit(db)[0]
    assert (entry["action"], entry["detail"]) == ("callback.note", f"call={callbacks['waiting']} agent=None text=wants Tuesday")


@pytest.mark.parametrize("body, words", [
    (None, ("JSON object",)), ({}, ("text", "required")), ({"text": "   "}, ("text", "required")),
    ({"text": 5}, ("text", "string")), ({"text": "x" * 501}, ("text", "at most 500")),
])
@pytest.mark.parametrize("action", ["note", "requeue", "cancel"])
def test_every_action_requires_a_short_note(client, token, callbacks, engine, action, body, words):
    api_error(client.post(f"/api/v1/callbacks/{callbacks['no_answer']}/{action}", json=body, headers=token("admin")),
           400, *words)
    assert engine.commands == []


def test_only_a_callback_with_no_answer_or_failed_is_requeued(client, token, callbacks, engine):
    headers = token("supervisor")
    for name in ("waiting", "answered"):
        api_error(client.post(f"/api/v1/callbacks/{callbacks[name]}/requeue", json={"text": "again"}, headers=headers),
               409, "requeue needs one of no-answer, failed")
    assert engine.commands == []
    response = client.post(f"/api/v1/callbacks/{callbacks['no_answer']}/requeue", json={"text": "try again"},
                           headers=headers)
    assert response.status_code == 200
    assert engine.commands == [("callback_requeue", {"call_id": callbacks["no_answer"], "text": "try again",
                                                     "author": engine.commands[0][1]["author"], "agent_id": None})]


def test_a_closed_callback_is_not_cancelled(client, token, callbacks, engine):
    api_error(client.post(f"/api/v1/callbacks/{callbacks['answered']}/cancel", json={"text": "x"}, headers=token("admin")),
           409, "answered")
    api_error(client.post("/api/v1/callbacks/999/cancel", json={"text": "x"}, headers=token("admin")), 404)
    assert engine.commands == []


def test_an_agent_may_not_cancel_and_an_agent_token_has_no_agent_to_act_as(client, token, callbacks, engine):
    api_error(client.post(f"/api/v1/callbacks/{callbacks['waiting']}/cancel", json={"text": "x"}, headers=token("agent")),
           403, "supervisor role")
    api_error(client.post(f"/api/v1/callbacks/{callbacks['waiting']}/note", json={"text": "x"}, headers=token("agent")),
           403, "linked to an agent")
    assert engine.commands == []


def test_an_action_needs_the_engine(client, token, callbacks):
    api_error(client.post(f"/api/v1/callbacks/{callbacks['waiting']}/note", json={"text": "x"},
                       headers=token("supervisor")), 503, "engine not running")


# --- the page -------------------------------------------------------------------------------------

def _row_order(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="callback-(\d+)"', page)]


def test_the_page_shows_open_callbacks_and_sorts_by_clicked_columns(client, auth, callbacks):
    auth.login("ann")
    page = client.get("/callbacks").get_data(as_text=True)
    assert 'href="/callbacks"' in page                                   # in the navigation
    assert _row_order(page) == [callbacks["no_answer"], callbacks["waiting"]]    # open only by default
    assert "as soon as possible" in page and "no answer (attempt 1)" in page and "1002 Bo" in page
    assert 'href="/callbacks?sort=caller_input&amp;order=asc"' in page
    page = client.get("/callbacks?sort=caller_input&order=asc&open=0").get_data(as_text=True)
    assert _row_order(page) == [callbacks["waiting"], callbacks["no_answer"], callbacks["answered"]]
    # clicking the sorted column again turns the order round
    assert 'href="/callbacks?sort=caller_input&amp;order=desc&amp;open=0"' in page
    page = client.get(f"/callbacks?sort=arrived&order=desc&open=0&queue={callbacks['support']}").get_data(as_text=True)
    assert _row_order(page) == [callbacks["waiting"], callbacks["no_answer"]]
    assert client.get("/callbacks?sort=nonsense").status_code == 400


def test_the_page_offers_requeue_for_no_answer_and_cancel_to_supervisors(client, auth, callbacks):
    auth.login("ann")
    page = client.get("/callbacks").get_data(as_text=True)
    assert f"/callbacks/{callbacks['no_answer']}/requeue" in page
    assert f"/callbacks/{callbacks['waiting']}/requeue" not in page
    assert "/cancel" not in page
    auth.logout()
    auth.login("super")
    page = client.get("/callbacks").get_data(as_text=True)
    assert f"/callbacks/{callbacks['waiting']}/cancel" in page


def test_a_handler_linked_to_an_agent_notes_from_the_page(client, auth, users, callbacks, engine):
    auth.login("ann")
    response = client.post(f"/callbacks/{callbacks['waiting']}/note",
                           data={"text": "left a message", "sort": "status", "open": "0"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/callbacks?sort=status&open=0"    # back to the same list
    [(cmd, args)] = engine.commands
    assert (cmd, args["agent_id"], args["author"], args["text"]) == \
        ("callback_note", users["agent_row"]["id"], "ann", "left a message")


def test_a_mistake_on_the_page_is_shown_and_the_note_kept(client, auth, callbacks, engine):
    auth.login("ann")
    long_note = "y" * 501
    response = client.post(f"/callbacks/{callbacks['waiting']}/requeue", data={"text": long_note})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "text: must be at most 500 characters" in page and f">{long_note}</textarea>" in page
    response = client.post(f"/callbacks/{callbacks['waiting']}/requeue", data={"text": "again"})
    assert response.status_code == 409 and "requeue needs one of" in response.get_data(as_text=True)
    assert ">again</textarea>" in response.get_data(as_text=True)
    assert engine.commands == []


def test_an_agent_cannot_cancel_from_the_page(client, auth, callbacks, engine):
    auth.login("ann")
    assert client.post(f"/callbacks/{callbacks['waiting']}/cancel", data={"text": "x"}).status_code == 403
    assert engine.commands == []


def test_the_page_forms_need_their_csrf_token(make_app, users, callbacks, password, engine):
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    csrf_app.config["ENGINE_SOCKET"] = str(engine.path)
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": "super", "password": password, "csrf_token": token}).status_code == 302
    refused = client.post(f"/callbacks/{callbacks['waiting']}/cancel", data={"text": "no longer needed"})
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert engine.commands == []
    page = client.get("/callbacks").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post(f"/callbacks/{callbacks['waiting']}/cancel", data={"text": "no longer needed", "csrf_token": token})
    assert done.status_code == 302
    assert engine.names() == ["callback_cancel"]


# --- click to call -----------------------------------------------------------------------------------

def _call(client, call_id: int, headers, body=None):
    return client.post(f"/api/v1/callbacks/{call_id}/call", headers=headers,
                       **({"json": body} if body is not None else {}))


def test_call_now_rings_the_users_own_agent(client, auth, users, callbacks, engine, db):
    auth.login("ann")
    response = client.post(f"/callbacks/{callbacks['waiting']}/call", data={"sort": "status", "open": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/callbacks?sort=status&open=1"
    # the author goes along: the engine audits the call with the change (tests/unit/test_engine_callbacks.py)
    assert engine.commands == [("callback_call_now", {"call_id": callbacks["waiting"],
                                                      "agent_id": users["agent_row"]["id"], "author": "ann"})]
    assert f"Calling: callback {callbacks['waiting']}." in client.get("/callbacks").get_data(as_text=True)


def test_a_supervisor_or_token_names_the_agent_whose_phone_rings(client, token, users, callbacks, engine, db):
    cy = queries.create_agent(db, "Cy", "1003", "sip-secret")["id"]
    response = _call(client, callbacks["no_answer"], token("supervisor"), {"agent_id": cy})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["call_id"] == callbacks["no_answer"]
    assert engine.commands[0][0] == "callback_call_now"
    assert (engine.commands[0][1]["call_id"], engine.commands[0][1]["agent_id"]) == (callbacks["no_answer"], cy)


def test_without_an_agents_phone_there_is_no_call(client, token, auth, users, callbacks, engine, db):
    api_error(_call(client, callbacks["waiting"], token("supervisor")), 409,
           "a call needs an agent's phone", "agent_id")
    api_error(_call(client, callbacks["waiting"], token("agent")), 409, "a call needs an agent's phone")
    assert engine.commands == []
    auth.login("super")                                  # a supervisor's user without an agent: no button
    page = client.get("/callbacks").get_data(as_text=True)
    assert "/call\"" not in page and "Call now needs a user linked to an agent" in page
    response = client.post(f"/callbacks/{callbacks['waiting']}/call", data={})
    assert response.status_code == 409 and "a call needs an agent&#39;s phone" in response.get_data(as_text=True)


def test_an_agent_calls_only_through_their_own_phone(client, auth, users, callbacks, engine, db):
    cy = queries.create_agent(db, "Cy", "1003", "sip-secret")["id"]
    auth.login("ann")
    response = client.post(f"/callbacks/{callbacks['waiting']}/call", data={"agent_id": str(cy)})
    assert response.status_code == 403 and "only a supervisor" in response.get_data(as_text=True)
    response = client.post(f"/callbacks/{callbacks['waiting']}/call", data={"agent_id": str(users["agent_row"]["id"])})
    assert response.status_code == 302
    assert engine.names() == ["callback_call_now"]


@pytest.mark.parametrize("body, status, words", [
    ({"agent_id": "x"}, 400, ("agent_id", "integer")), ({"agent_id": 0}, 400, ("agent_id", "at least 1")),
    ({"agent_id": 99}, 400, ("agent_id", "no agent 99")), ([1], 400, ("JSON object",)),
])
def test_call_now_refuses_a_bad_body(client, token, callbacks, engine, body, status, words):
    api_error(_call(client, callbacks["waiting"], token("admin"), body), status, *words)
    assert engine.commands == []


def test_only_an_open_callback_nobody_is_ringing_for_is_called(client, token, users, callbacks, engine, db):
    agent = {"agent_id": users["agent_row"]["id"]}
    api_error(_call(client, callbacks["answered"], token("admin"), agent), 409,
           "is answered: call now needs one of waiting, no-answer, failed")
    queries.update_callback(db, callbacks["waiting"], status="calling", attempts=0, last_handler=None, log=[])
    api_error(_call(client, callbacks["waiting"], token("admin"), agent), 409, "is calling")
    api_error(_call(client, 999, token("admin"), agent), 404, "no callback 999")
    assert engine.commands == []


def test_the_engines_reason_is_the_answer(client, token, auth, users, callbacks, engine, db):
    engine.refusals["callback_call_now"] = "agent 1 is not free (busy)"
    api_error(_call(client, callbacks["waiting"], token("admin"), {"agent_id": users["agent_row"]["id"]}), 409,
           "agent 1 is not free (busy)")
    auth.login("ann")
    response = client.post(f"/callbacks/{callbacks['waiting']}/call", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and f"Callback {callbacks['waiting']}: agent 1 is not free (busy)" in page


def test_call_now_needs_the_engine(client, token, users, callbacks):
    api_error(_call(client, callbacks["waiting"], token("admin"), {"agent_id": users["agent_row"]["id"]}), 503,
           "engine not running")


def test_the_page_offers_call_now_in_each_open_row(client, auth, callbacks):
    auth.login("ann")
    page = client.get("/callbacks?open=0").get_data(as_text=True)
    for name in ("waiting", "no_answer"):
        assert f'action="/callbacks/{callbacks[name]}/call"' in page
    assert f'action="/callbacks/{callbacks["answered"]}/call"' not in page
    assert page.count(">Call now</button>") == 2
