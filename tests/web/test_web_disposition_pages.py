"""Classifying calls (ACD12) on the pages: the admin's list of dispositions, the calls page's column,
filter and classify forms, the live board's form for a wrap-up that waits for a classification, and
the page route behind those forms (an agent their own calls, a supervisor any)."""

from __future__ import annotations

import json
import re
import time

import pytest

from firmware.acd.settings import DEFAULT_DISPOSITIONS
from firmware.store import queries
from tests.web.conftest import add_user

MINE = [{"code": "upgrade", "label": "Upgrade sold"}, {"code": "churn", "label": "Customer leaves"}]


def _stored(db):
    raw = queries.get_setting(db, "dispositions")
    return json.loads(raw) if raw else None


def _audit(db, action: str) -> list[dict]:
    return [e for e in queries.list_audit(db) if e["action"] == action]


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _csrf_client(make_app, engine, username: str, password: str):
    app = make_app(WTF_CSRF_ENABLED=True)
    app.config["ENGINE_SOCKET"] = str(engine.path)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password,
                                "csrf_token": _token(client.get("/login").get_data(as_text=True))})
    return client


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


# --- the settings page ----------------------------------------------------------------------------

def test_the_page_shows_the_default_dispositions_and_empty_rows(admin):
    response = admin.get("/settings/dispositions")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for i, disposition in enumerate(DEFAULT_DISPOSITIONS):
        assert f'name="dispositions[{i}].code" value="{disposition["code"]}"' in page
        assert f'name="dispositions[{i}].label" value="{disposition["label"]}"' in page
    last = len(DEFAULT_DISPOSITIONS) + 2                                   # 3 empty rows
    assert f'name="dispositions[{last}].code" value=""' in page and f"dispositions[{last + 1}]" not in page
    assert 'href="/settings/dispositions" aria-current="page">Dispositions</a>' in page


def test_the_other_settings_pages_link_to_it(admin):
    for url in ("/settings/pause-reasons", "/settings/notifications"):
        assert 'href="/settings/dispositions"' in admin.get(url).get_data(as_text=True), url


def test_the_page_saves_the_rows_in_order_without_the_empty_ones(admin, db, engine):
    form = {"dispositions[0].code": "upgrade", "dispositions[0].label": " Upgrade sold ",
            "dispositions[1].code": "", "dispositions[1].label": "",
            "dispositions[2].code": "churn", "dispositions[2].label": ""}
    response = admin.post("/settings/dispositions", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/settings/dispositions"
    saved = [{"code": "upgrade", "label": "Upgrade sold"}, {"code": "churn", "label": "churn"}]
    assert _stored(db) == saved
    assert [e["detail"] for e in _audit(db, "settings.update")] == [f"dispositions={json.dumps(saved)}"]
    assert engine.names() == ["reload"]
    page = admin.get("/settings/dispositions").get_data(as_text=True)
    assert "Dispositions saved." in page
    assert 'name="dispositions[1].code" value="churn"' in page and 'name="dispositions[1].label" value="churn"' in page


def test_a_mistake_is_shown_at_its_row_with_everything_typed_kept_and_nothing_saved(admin, db, engine):
    form = {"dispositions[0].code": "sale", "dispositions[0].label": "Sale",
            "dispositions[1].code": "", "dispositions[1].label": "",
            "dispositions[2].code": "sale", "dispositions[2].label": "Another sale",
            "dispositions[3].code": "", "dispositions[3].label": "Typed, no code"}
    response = admin.post("/settings/dispositions", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    # the setting's disposition 1 is the form's row 2 (row 1 was empty): the message stands there
    assert "Not saved: dispositions[1].code: sale is there twice" in page
    assert re.search(r'name="dispositions\[2\]\.code" value="sale"[^>]*aria-invalid="true"', page)
    assert 'id="dispositions[2].code-error">sale is there twice<' in page
    assert 'name="dispositions[2].label" value="Another sale"' in page
    assert 'name="dispositions[3].label" value="Typed, no code"' in page
    assert page.count('aria-invalid="true"') == 1
    assert _stored(db) is None and _audit(db, "settings.update") == [] and engine.commands == []


def test_a_label_without_a_code_is_refused_at_its_code(admin, db):
    form = {"dispositions[0].code": "", "dispositions[0].label": "Sale"}
    page = admin.post("/settings/dispositions", data=form).get_data(as_text=True)
    assert 'id="dispositions[0].code-error">must be a short code: a-z, 0-9 and -<' in page
    assert _stored(db) is None


def test_emptying_every_row_is_refused_above_the_form(admin, db):
    queries.set_setting(db, "dispositions", json.dumps(MINE))
    db.commit()
    form = {f"dispositions[{i}].{name}": "" for i in range(3) for name in ("code", "label")}
    response = admin.post("/settings/dispositions", data=form)
    assert response.status_code == 400
    assert "Not saved: dispositions: must be a list of at least one disposition" in response.get_data(as_text=True)
    assert _stored(db) == MINE


def test_only_an_admin_edits_the_dispositions(client, auth, db):
    auth.login("super")
    assert client.get("/settings/dispositions").status_code == 403
    assert client.post("/settings/dispositions", data={"dispositions[0].code": "x"}).status_code == 403
    assert _stored(db) is None


def test_the_settings_form_needs_its_csrf_token(make_app, users, password, db, engine):
    client = _csrf_client(make_app, engine, "admin", password)
    form = {"dispositions[0].code": "upgrade", "dispositions[0].label": "Upgrade sold"}
    refused = client.post("/settings/dispositions", data=form)
    assert refused.status_code == 400 and b"CSRF" in refused.data and _stored(db) is None
    token = _token(client.get("/settings/dispositions").get_data(as_text=True))
    assert client.post("/settings/dispositions", data={**form, "csrf_token": token}).status_code == 302
    assert _stored(db) == [{"code": "upgrade", "label": "Upgrade sold"}]


# --- calls to classify ------------------------------------------------------------------------------

@pytest.fixture
def bo(db):
    return queries.create_agent(db, "Bo Agent", "1002", "sip-secret")


@pytest.fixture
def calls(db, users, bo):
    """A call Ann (1001, user `ann`) answered, one Bo (1002) answered, and one nobody answered; oldest first."""
    queue = queries.create_queue(db, "sales")["id"]
    started = time.time() - 3600
    ids = {}
    for name, caller, agent_id in (("ann", "0301111", users["agent_row"]["id"]), ("bo", "0302222", bo["id"]),
                                   ("abandoned", "0303333", None)):
        started += 60
        call_id = queries.open_call(db, caller, "555", started_at=started)
        queries.update_call(db, call_id, queue_id=queue, queued_at=started + 1)
        if agent_id:
            queries.update_call(db, call_id, agent_id=agent_id, answered_at=started + 5)
        queries.close_call(db, call_id, "answered" if agent_id else "abandoned", "normal", ended_at=started + 30)
        ids[name] = call_id
    db.commit()
    return ids


def _classify_forms(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'<form class="inline classify" method="post" action="/calls/(\d+)/disposition"',
                                       page)}


def _row(page: str, caller: str) -> str:
    """The calls table's row of the caller."""
    return re.search(rf"<tr>\s*<td>[^<]*</td><td>{caller}</td>.*?</tr>", page, re.S).group(0)


def test_the_calls_page_shows_the_label_the_note_and_who_classified(client, auth, db, calls, users):
    queries.classify_call(db, calls["ann"], "follow-up", "call back <Tuesday>", users["agent_row"]["id"])
    queries.classify_call(db, calls["bo"], "retired-code", "", None)     # a code since taken off the list
    db.commit()
    auth.login("super")
    page = client.get("/calls").get_data(as_text=True)
    assert "<th>Disposition</th>" in page
    ann = _row(page, "0301111")
    assert '<span class="disposition" title="call back &lt;Tuesday&gt;">Needs a follow-up</span>' in ann
    assert '<small class="muted">by 1001</small>' in ann and "call back &lt;Tuesday&gt;</small>" in ann
    bo = _row(page, "0302222")
    assert '<span class="disposition">retired-code</span>' in bo and "by " not in bo
    assert 'class="disposition"' not in _row(page, "0303333")


def test_the_calls_page_filters_by_disposition_and_pages_keep_the_filter(client, auth, db, calls, app):
    queries.set_setting(db, "dispositions", json.dumps(MINE))
    for call_id in (calls["ann"], calls["bo"]):
        queries.classify_call(db, call_id, "churn", "", None)
    db.commit()
    auth.login("super")
    page = client.get("/calls").get_data(as_text=True)
    assert ('<select name="disposition"><option value="">any</option>'
            '<option value="upgrade">Upgrade sold</option><option value="churn">Customer leaves</option>'
            '</select>') in re.sub(r"\s*\n\s*", "", page)
    assert client.get("/calls?disposition=upgrade").get_data(as_text=True).count("0301111") == 0
    filtered = client.get("/calls?disposition=churn").get_data(as_text=True)
    assert '<option value="churn" selected>Customer leaves</option>' in filtered
    assert "0301111" in filtered and "0302222" in filtered and "0303333" not in filtered
    app.config["CALLS_PAGE_SIZE"] = 1
    first = client.get("/calls?disposition=churn").get_data(as_text=True)
    assert "page 1 of 2" in first and "0302222" in first and "0301111" not in first
    assert re.search(r'href="/calls\?disposition=churn&amp;page=2" rel="next"', first)
    second = client.get("/calls?disposition=churn&page=2").get_data(as_text=True)
    assert "0301111" in second and "0303333" not in second


def test_a_filter_by_a_code_off_the_list_stays_selected(client, auth, db, calls):
    queries.classify_call(db, calls["bo"], "retired-code", "", None)
    db.commit()
    auth.login("super")
    page = client.get("/calls?disposition=retired-code").get_data(as_text=True)
    assert '<option value="retired-code" selected>retired-code</option>' in page and "0302222" in page


def test_an_agent_gets_a_classify_form_for_their_own_answered_calls_only(client, auth, calls):
    auth.login("ann")
    page = client.get("/calls?outcome=").get_data(as_text=True)
    assert _classify_forms(page) == {calls["ann"]}
    assert '<input type="hidden" name="next" value="/calls?outcome=">' in page
    auth.logout()
    auth.login("super")
    assert _classify_forms(client.get("/calls").get_data(as_text=True)) == {calls["ann"], calls["bo"]}


def test_a_classified_call_offers_its_disposition_and_note_to_change(client, auth, db, calls, users):
    queries.classify_call(db, calls["ann"], "sale", "two licences", users["agent_row"]["id"])
    db.commit()
    auth.login("ann")
    form = _row(client.get("/calls").get_data(as_text=True), "0301111")
    assert '<option value="sale" selected>Sale</option>' in form and "classify…" not in form
    assert 'name="note" value="two licences"' in form and ">Change</button>" in form


# --- the classify route -------------------------------------------------------------------------

def test_an_agent_classifies_their_own_call_and_goes_back(client, auth, db, engine, calls, users):
    auth.login("ann")
    response = client.post(f"/calls/{calls['ann']}/disposition",
                           data={"disposition": "sale", "note": "two licences", "next": "/calls?outcome=answered"})
    assert response.status_code == 302 and response.headers["Location"] == "/calls?outcome=answered"
    call = queries.get_call(db, calls["ann"])
    assert (call["disposition"], call["disposition_note"], call["disposition_by"]) == ("sale", "two licences", "1001")
    assert call["disposition_at"]
    entry, = _audit(db, "call.classify")
    assert (entry["actor"], entry["detail"]) == ("ann", f"call={calls['ann']} disposition=sale")
    assert engine.commands == [("call_classify", {"call_id": calls["ann"], "disposition": "sale", "note": "two licences",
                                                  "by_agent": users["agent_row"]["id"]})]
    page = client.get("/calls?outcome=answered").get_data(as_text=True)
    assert f"Call {calls['ann']} classified as Sale." in page


def test_an_agent_may_not_classify_someone_elses_call(client, auth, db, engine, calls):
    auth.login("ann")
    for call_id in (calls["bo"], calls["abandoned"]):
        response = client.post(f"/calls/{call_id}/disposition", data={"disposition": "sale"})
        assert response.status_code == 403, call_id
        assert queries.get_call(db, call_id)["disposition"] is None
    assert _audit(db, "call.classify") == [] and engine.commands == []


def test_an_agent_user_without_an_agent_may_not_classify(client, auth, db, engine, calls):
    add_user(db, "cy", "agent")
    auth.login("cy")
    assert client.post(f"/calls/{calls['ann']}/disposition", data={"disposition": "sale"}).status_code == 403
    assert queries.get_call(db, calls["ann"])["disposition"] is None
    assert _classify_forms(client.get("/calls").get_data(as_text=True)) == set()


@pytest.mark.parametrize("user", ["super", "admin"])
def test_a_supervisor_or_admin_classifies_any_answered_call(client, auth, db, engine, calls, bo, user):
    auth.login(user)
    response = client.post(f"/calls/{calls['bo']}/disposition", data={"disposition": "complaint"})
    assert response.status_code == 302 and response.headers["Location"] == "/calls"
    call = queries.get_call(db, calls["bo"])
    assert (call["disposition"], call["disposition_note"], call["disposition_by"]) == ("complaint", None, None)
    assert [e["actor"] for e in _audit(db, "call.classify")] == [user]
    assert engine.commands == [("call_classify", {"call_id": calls["bo"], "disposition": "complaint", "note": "",
                                                  "by_agent": None})]


@pytest.mark.parametrize("call, form, message", [
    ("ann", {"disposition": "maybe"}, "disposition: must be one of resolved, follow-up"),
    ("ann", {"disposition": ""}, "disposition: is required"),
    ("ann", {"disposition": "sale", "note": "x" * 501}, "note: "),
    ("abandoned", {"disposition": "sale"}, "was not answered by an agent"),
])
def test_a_mistake_comes_back_as_an_error_and_nothing_is_saved(client, auth, db, engine, calls, call, form, message):
    auth.login("super")
    response = client.post(f"/calls/{calls[call]}/disposition", data={**form, "next": "/live"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == "/live"
    assert re.search(rf'<p class="flash error" role="status">[^<]*{re.escape(message)}', page)
    assert "classified as" not in page
    assert queries.get_call(db, calls[call])["disposition"] is None
    assert _audit(db, "call.classify") == [] and "call_classify" not in engine.names()


def test_an_unknown_call_is_404(client, auth, db, engine, calls):
    auth.login("super")
    assert client.post("/calls/999/disposition", data={"disposition": "sale"}).status_code == 404
    assert _audit(db, "call.classify") == []


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil", "live", ""])
def test_it_goes_back_only_to_a_path_on_this_box(client, auth, engine, calls, target):
    auth.login("ann")
    response = client.post(f"/calls/{calls['ann']}/disposition", data={"disposition": "sale", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/calls"


def test_the_classify_form_needs_its_csrf_token(make_app, users, password, db, engine, calls):
    client = _csrf_client(make_app, engine, "ann", password)
    refused = client.post(f"/calls/{calls['ann']}/disposition", data={"disposition": "sale"})
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert queries.get_call(db, calls["ann"])["disposition"] is None
    token = _token(client.get("/calls").get_data(as_text=True))
    response = client.post(f"/calls/{calls['ann']}/disposition", data={"disposition": "sale", "csrf_token": token})
    assert response.status_code == 302 and queries.get_call(db, calls["ann"])["disposition"] == "sale"


# --- the live board ---------------------------------------------------------------------------------

def _agent(agent_id: int, extension: str, state: str, unclassified_call: int | None = None) -> dict:
    return {"id": agent_id, "name": f"Agent {extension}", "extension": extension, "state": state, "queue_ids": [1],
            "call_id": None, "unclassified_call": unclassified_call}


def _status(*agents: dict) -> dict:
    return {"queues": [{"id": 1, "name": "sales", "waiting": []}], "agents": list(agents), "calls": [],
            "active_calls": 0}


@pytest.fixture
def waiting(engine, users, bo, calls):
    """Ann and Bo in wrap-up, each waiting for their call's classification; agent 99 in wrap-up without."""
    engine.status = _status(_agent(users["agent_row"]["id"], "1001", "wrap-up", calls["ann"]),
                            _agent(bo["id"], "1002", "wrap-up", calls["bo"]),
                            _agent(99, "1003", "wrap-up"))
    return engine


def test_an_agent_sees_the_form_for_their_own_waiting_call_only(client, auth, waiting, calls):
    auth.login("ann")
    page = client.get("/live").get_data(as_text=True)
    assert _classify_forms(page) == {calls["ann"]}
    assert f"Call {calls['ann']} awaits its classification" in page
    assert f"Call {calls['bo']} awaits" not in page
    assert '<input type="hidden" name="next" value="/live">' in page


def test_an_agent_whose_call_waits_is_not_offered_to_end_the_wrap_up_a_supervisor_is(client, auth, waiting, users):
    end = f'action="/live/agents/{users["agent_row"]["id"]}/wrapup/end"'
    auth.login("ann")
    page = client.get("/live").get_data(as_text=True)
    assert "awaits its classification" in page and end not in page
    auth.login("super")
    assert end in client.get("/live").get_data(as_text=True)


def test_a_supervisor_sees_the_form_of_every_waiting_call(client, auth, waiting, calls):
    auth.login("super")
    page = client.get("/live").get_data(as_text=True)
    assert _classify_forms(page) == {calls["ann"], calls["bo"]}
    assert page.count("awaits its classification") == 2      # agent 99's wrap-up waits for nothing


def test_no_form_while_nothing_waits_for_a_classification(client, auth, engine, users, calls):
    engine.status = _status(_agent(users["agent_row"]["id"], "1001", "wrap-up"))
    auth.login("ann")
    page = client.get("/live").get_data(as_text=True)
    assert _classify_forms(page) == set() and "awaits its classification" not in page
    assert f'action="/live/agents/{users["agent_row"]["id"]}/wrapup/end"' in page


def test_the_board_offers_the_boxs_dispositions(client, auth, db, waiting, calls):
    queries.set_setting(db, "dispositions", json.dumps(MINE))
    db.commit()
    auth.login("ann")
    page = client.get("/live").get_data(as_text=True)
    assert ('<option value="">classify…</option><option value="upgrade">Upgrade sold</option>'
            '<option value="churn">Customer leaves</option>') in re.sub(r"\s*\n\s*", "", page)
    assert 'value="sale"' not in page


def test_the_stream_renders_the_form_too(client, auth, engine, users, calls):
    engine.events = [{"event": "status", "status": _status(
        _agent(users["agent_row"]["id"], "1001", "wrap-up", calls["ann"]))}]
    auth.login("ann")
    body = client.get("/live/stream").get_data(as_text=True)
    assert f'action="/calls/{calls["ann"]}/disposition"' in body and 'name="next" value="/live"' in body


def test_classifying_from_the_board_goes_back_to_it(client, auth, db, waiting, calls, users):
    auth.login("ann")
    response = client.post(f"/calls/{calls['ann']}/disposition", data={"disposition": "resolved", "next": "/live"})
    assert response.status_code == 302 and response.headers["Location"] == "/live"
    assert queries.get_call(db, calls["ann"])["disposition"] == "resolved"
    assert ("call_classify", {"call_id": calls["ann"], "disposition": "resolved", "note": "",
                              "by_agent": users["agent_row"]["id"]}) in waiting.commands
    assert f"Call {calls['ann']} classified as Resolved." in client.get("/live").get_data(as_text=True)
