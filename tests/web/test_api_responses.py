"""Every API route called with an admin, on a store with one of everything and a stand-in engine,
and each real answer validated against the description the app generates (issue 9, item 7: "every API
response validated against its generated schema"); every page of the web answers too.

Each operation has its example here: a route without one fails the test, so a new route brings its
example with it. Each runs on a fresh app, so a delete does not take another's row away."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import schemathesis

from firmware.store import events, queries, wallboard_tokens
from tests.web.conftest import AuthActions, add_user
from tests.web.test_api_fuzz import ENGINE_ANSWERS, _one_of_everything
from webui.api.resources import description

PREFIX = "/api/v1"


def _second_queue(db) -> None:
    queries.create_queue(db, "support")             # nothing points at it: deletable


def _callback_without_answer(db) -> None:
    queries.update_callback(db, 1, status="no-answer", attempts=1, last_handler=None, log=[])


def _events(db) -> None:
    events.append(db, "enter", call_id=1, queue_id=1, caller="+46701234567", caller_input="", position=1)
    events.append(db, "join", agent_id=1, queue_id=1)


def _kiosk_token(db) -> None:
    wallboard_tokens.create(db, "hall TV", "admin")


def _conference(engine) -> None:
    engine.status["conferences"] = [{"id": 1, "members": [
        {"id": 1, "kind": "phone", "label": "1001", "call_id": None, "connected": True}]}]


def _sms_on(db) -> None:
    queries.set_setting(db, "sms", json.dumps({"transport": "gateway", "gateway": {"url": "https://sms.example"}}))


def _sms_logged(db) -> None:
    from firmware.sms.store import queue_message

    queue_message(db, "+46701234567", "Hello", purpose="api")


# (method, path): (body, path ids, what to prepare on the store / the stand-in engine)
EXAMPLES: dict[tuple[str, str], tuple] = {
    ("get", "/openapi.json"): (None, {}, None),
    ("get", "/agents"): (None, {}, None),
    ("post", "/agents"): ({"name": "Bo Other", "extension": "1002", "sip_password": "sip-secret"}, {}, None),
    ("get", "/agents/{agent_id}"): (None, {}, None),
    ("put", "/agents/{agent_id}"): ({"settings": {"skills": {"de": 5}, "wrapup": 10}}, {}, None),
    ("delete", "/agents/{agent_id}"): (None, {}, None),
    ("get", "/agents/{agent_id}/activity"): (None, {}, None),
    ("post", "/agents/{agent_id}/login"): ({"queue_ids": [1]}, {}, None),
    ("post", "/agents/{agent_id}/logout"): (None, {}, None),
    ("post", "/agents/{agent_id}/pause"): ({"reason": "lunch"}, {}, None),
    ("post", "/agents/{agent_id}/unpause"): (None, {}, None),
    ("post", "/agents/{agent_id}/wrapup/end"): (None, {}, None),
    ("post", "/agents/{agent_id}/wrapup/extend"): ({"seconds": 30}, {}, None),
    ("get", "/queues"): (None, {}, None),
    ("post", "/queues"): ({"name": "support", "strategy": "ring-all", "settings": {"wrapup": 5}}, {}, None),
    ("get", "/queues/{queue_id}"): (None, {}, None),
    ("put", "/queues/{queue_id}"): ({"strategy": "round-robin", "settings": {"member_order": [1]}}, {}, None),
    ("delete", "/queues/{queue_id}"): (None, {"queue_id": 2}, _second_queue),
    ("get", "/queues/{queue_id}/members"): (None, {}, None),
    ("post", "/queues/{queue_id}/members"): ({"agent_id": 1}, {"queue_id": 2}, _second_queue),
    ("delete", "/queues/{queue_id}/members/{agent_id}"): (None, {}, None),
    ("get", "/trunks"): (None, {}, None),
    ("post", "/trunks"): ({"name": "provider", "type": "register", "address": "sip.example.net",
                           "username": "box", "password": "trunk-secret"}, {}, None),
    ("get", "/trunks/{trunk_id}"): (None, {}, None),
    ("delete", "/trunks/{trunk_id}"): (None, {}, None),
    ("get", "/trunks/{trunk_id}/line"): (None, {"trunk_id": 2}, None),
    ("post", "/trunks/{trunk_id}/line/test"): (None, {"trunk_id": 2}, None),
    ("get", "/inbound-routes"): (None, {}, None),
    ("post", "/inbound-routes"): ({"did": "+4940124", "queue_id": 1, "priority": 3}, {}, None),
    ("get", "/inbound-routes/{route_id}"): (None, {}, None),
    ("delete", "/inbound-routes/{route_id}"): (None, {}, None),
    ("get", "/calls"): (None, {}, None),
    ("get", "/calls/{call_id}"): (None, {}, None),
    ("put", "/calls/{call_id}/disposition"): ({"disposition": "resolved", "note": "all good"}, {}, None),
    ("post", "/calls/{call_id}/monitor"): ({"mode": "listen", "extension": "1001"}, {}, None),
    ("get", "/conferences"): (None, {}, _conference),
    ("post", "/conferences"): (None, {}, None),
    ("post", "/conferences/{conference_id}/members"): ({"extension": "1001"}, {}, None),
    ("delete", "/conferences/{conference_id}/members/{member_id}"): (None, {}, None),
    ("delete", "/conferences/{conference_id}"): (None, {}, None),
    ("get", "/recordings/{recording_id}"): (None, {}, None),
    ("get", "/recordings/{recording_id}/audio"): (None, {}, None),
    ("get", "/live"): (None, {}, None),
    ("get", "/callbacks"): (None, {}, None),
    ("get", "/callbacks/{call_id}"): (None, {}, None),
    ("post", "/callbacks/{call_id}/note"): ({"text": "left a message"}, {}, None),
    ("post", "/callbacks/{call_id}/requeue"): ({"text": "try again"}, {}, _callback_without_answer),
    ("post", "/callbacks/{call_id}/call"): ({"agent_id": 1}, {}, None),
    ("post", "/callbacks/{call_id}/cancel"): ({"text": "solved by e-mail"}, {}, None),
    ("get", "/alarms"): (None, {}, None),
    ("get", "/events"): (None, {}, _events),
    ("get", "/wallboard"): (None, {}, _events),
    ("get", "/wallboard/settings"): (None, {}, None),
    ("put", "/wallboard/settings"): ({"day_starts_at": 6, "thresholds": {"waiting": {"amber": 2, "red": 4}},
                                      "queues": {"1": {"thresholds": {"service_level": {"amber": 0.9, "red": 0.7}}}}},
                                     {}, None),
    ("get", "/wallboard/tokens"): (None, {}, _kiosk_token),
    ("post", "/wallboard/tokens"): ({"label": "hall TV"}, {}, None),
    ("delete", "/wallboard/tokens/{token_id}"): (None, {}, _kiosk_token),
    ("get", "/events/queue_log"): (None, {}, _events),
    ("get", "/settings"): (None, {}, None),
    ("get", "/backup/schedule"): (None, {}, None),
    ("put", "/backup/schedule"): ({"folder": "/media/usb", "every": "weekly", "keep": 4, "passphrase": "x"}, {}, None),
    ("get", "/sms"): (None, {}, _sms_logged),
    ("post", "/sms"): ({"to": "+46701234567", "text": "您好"}, {}, _sms_on),
    ("get", "/sms/{sms_id}"): (None, {}, _sms_logged),
    ("get", "/sms/settings"): (None, {}, _sms_on),
    ("put", "/sms/settings"): ({"transport": "modem", "modem": {"device": "/dev/ttyUSB2", "pin": "1234"}}, {}, None),
    ("put", "/settings"): ({"prompt_language": "sv", "dispositions": [{"code": "sale", "label": "Sale"}],
                            "alarm_notifications": {"sms": {"to": ["+46701234567"], "url": "https://sms.example",
                                                            "token": "sms-token"}, "language": "de"}}, {}, None),
}


# Operations that need a world of their own (RAUC's service on slot files): their answers are checked
# against the generated schema where that world is, by `fits_the_schema` below.
CHECKED_ELSEWHERE = {
    ("get", "/update"): "tests/update/test_update_web.py",
    ("post", "/update/bundle"): "tests/update/test_update_web.py",
    ("put", "/update/settings"): "tests/update/test_update_web.py",
    ("post", "/update/check"): "tests/update/test_update_web.py",
}


def fits_the_schema(app, method: str, path: str, response) -> None:
    """The answer is one its operation documents, in the shape its schema says."""
    with app.app_context():
        spec = description()
    documented = [code for code in spec["paths"][path][method]["responses"] if code.startswith("2")]
    assert str(response.status_code) in documented, f"{method.upper()} {path}: {response.status_code}"
    schemathesis.openapi.from_dict(spec)[path][method.upper()].validate_response(response)


def _operations() -> list[tuple[str, str]]:
    return sorted(EXAMPLES)


@pytest.fixture
def box(app, db, engine, data_dir):
    """The store with one of everything (a recording with its audio, an open alarm), the stand-in
    engine answering as the real one does."""
    _one_of_everything(db)
    queries.raise_alarm(db, "long-wait", "queue 1", "a caller waited 300 s")
    audio = Path(app.config["DATA_DIR"]) / "recordings" / "none.wav"
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    db.commit()
    engine.answers.update(ENGINE_ANSWERS)
    return engine


def test_every_api_route_has_an_example(app):
    with app.app_context():
        spec = description()
    described = {(method, path) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert described == set(EXAMPLES) | set(CHECKED_ELSEWHERE)
    assert not set(EXAMPLES) & set(CHECKED_ELSEWHERE)


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: v)
def test_every_api_answer_fits_its_generated_schema(app, client, db, box, token, method, path):
    body, ids, prepare = EXAMPLES[(method, path)]
    if prepare is _conference:
        prepare(box)
    elif prepare is not None:
        prepare(db)
        db.commit()
    with app.app_context():
        spec = description()
    url = PREFIX + re.sub(r"{(\w+)}", lambda m: str(ids.get(m.group(1), 1)), path)
    response = client.open(url, method=method.upper(), json=body, headers=token("admin"))
    documented = [code for code in spec["paths"][path][method]["responses"] if code.startswith("2")]
    assert str(response.status_code) in documented, f"{method.upper()} {url}: {response.status_code} " \
                                                    f"{response.get_data(as_text=True)[:300]}"
    schema = schemathesis.openapi.from_dict(spec)
    schema[path][method.upper()].validate_response(response)


def test_an_answer_off_its_schema_fails(app, client, db, box, token):
    """The check above can fail: an agent without its extension is refused."""
    with app.app_context():
        spec = description()
    response = client.get(PREFIX + "/agents/1", headers=token("admin"))
    broken = response.get_json()
    del broken["extension"]
    response.set_data(json.dumps(broken))
    with pytest.raises(AssertionError, match="extension"):
        schemathesis.openapi.from_dict(spec)["/agents/{agent_id}"]["GET"].validate_response(response)


def _page_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX) or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.endpoint in ("auth.logout", "live.stream", "wallboard.stream", "wallboard.kiosk_stream"):
            continue
        urls.append(re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule))
    return sorted(urls)


def test_every_page_answers_an_admin(app, client, db, box):
    add_user(db, "admin", "admin")
    db.commit()
    AuthActions(client).login("admin")
    urls = _page_urls(app)
    assert "/agents" in urls and "/queues/1/rules" in urls and "/settings/notifications" in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302), f"{url}: {response.status_code}"
        if response.status_code == 200 and response.mimetype == "text/html":
            assert "<html" in response.get_data(as_text=True), url
