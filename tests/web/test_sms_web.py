"""The SMS log page, sending from it and from the API, and the SMS settings (TEL11): roles, CSRF,
secrets never shown, and a message sent from the web that the SMS service hands to the modem
simulator (real pty) and the log then shows delivered."""

from __future__ import annotations

import json
import re
import time

import pytest

from firmware.sms import store as sms_store
from firmware.sms.service import SmsService
from firmware.sms.settings import SETTING_KEY
from firmware.sms.simulator import GsmSimulator
from firmware.store import queries

API = "/api/v1/sms"
GATEWAY = {"transport": "gateway", "sender": "ACME", "gateway": {"url": "https://sms.example/send", "token": "tok-1"}}


def sms_on(db, value: dict | None = None) -> None:
    queries.set_setting(db, SETTING_KEY, json.dumps(value or GATEWAY))
    db.commit()


@pytest.fixture
def csrf_client(make_app, users):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize(("role", "log", "settings"), [("agent", 403, 403), ("supervisor", 200, 403),
                                                       ("admin", 200, 200)])
def test_the_log_is_for_supervisors_and_the_settings_for_admins(client, auth, role, log, settings):
    auth.login({"agent": "ann", "supervisor": "super", "admin": "admin"}[role])
    assert client.get("/sms").status_code == log
    assert client.get("/sms/settings").status_code == settings
    nav = client.get("/calls").get_data(as_text=True)
    assert ('href="/sms"' in nav) == (role != "agent")


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("supervisor", 201), ("admin", 201)])
def test_the_api_sends_for_supervisors_and_admins(client, db, users, token, role, status):
    sms_on(db)
    response = client.post(API, json={"to": "+46701234567", "text": "Hello"}, headers=token(role))
    assert response.status_code == status
    if status == 201:
        body = response.get_json()
        assert (body["status"], body["purpose"], body["parts"], body["encoding"]) == ("queued", "api", 1, "gsm7")
        assert client.get(f"{API}/{body['id']}", headers=token("supervisor")).get_json()["text"] == "Hello"


def test_the_api_refuses_while_sms_is_off_and_bad_input(client, db, users, token):
    headers = token("supervisor")
    assert client.post(API, json={"to": "+46701234567", "text": "Hi"}, headers=headers).status_code == 409
    sms_on(db)
    for body, field in [({"to": "call me", "text": "Hi"}, "to"), ({"to": "+4670", "text": ""}, "text"),
                        ({"to": "+46701234567", "text": "x" * 1601}, "text"),
                        ({"to": "+46701234567", "text": "a\x00b"}, "text"),
                        ({"to": "+46701234567", "text": "Hi", "from": "me"}, "from")]:
        response = client.post(API, json=body, headers=headers)
        assert response.status_code == 400 and response.get_json()["error"].startswith(field), body
    assert client.get(f"{API}/999", headers=headers).status_code == 404


def test_the_log_filters_and_pages(client, auth, db, users, token):
    for i in range(60):
        sms_store.queue_message(db, f"+4670{i:07d}", f"message {i}", purpose="api")
    sms_store.store_incoming(db, "+46709999999", "Hej tillbaka", "gsm7", 1, time.time())
    db.commit()
    headers = token("supervisor")
    assert len(client.get(API, headers=headers).get_json()["items"]) == 50
    incoming = client.get(f"{API}?direction=in", headers=headers).get_json()["items"]
    assert [m["text"] for m in incoming] == ["Hej tillbaka"]
    assert client.get(f"{API}?number=0000007", headers=headers).get_json()["items"][0]["text"] == "message 7"
    assert client.get(f"{API}?status=nonsense", headers=headers).status_code == 400
    auth.login("super")
    page = client.get("/sms?direction=out").get_data(as_text=True)
    assert "message 59" in page and "Hej tillbaka" not in page and 'rel="next"' in page
    assert "message 0<" in client.get("/sms?direction=out&page=2").get_data(as_text=True)


def test_sending_from_the_page_needs_its_csrf_token(csrf_client, db, password):
    sms_on(db)
    token = _csrf_token(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post("/login", data={"username": "super", "password": password, "csrf_token": token})
    form = {"to": "+46701234567", "text": "From the page"}
    assert csrf_client.post("/sms", data=form).status_code == 400
    assert sms_store.list_messages(db) == []
    token = _csrf_token(csrf_client.get("/sms").get_data(as_text=True))
    assert csrf_client.post("/sms", data={**form, "csrf_token": token}).status_code == 302
    message, = sms_store.list_messages(db)
    assert (message["text"], message["purpose"], message["author"]) == ("From the page", "web", "super")


def test_a_mistake_on_the_page_shows_the_form_again(client, auth, db):
    sms_on(db)
    auth.login("super")
    response = client.post("/sms", data={"to": "not a number", "text": "Hi there"})
    assert response.status_code == 400 and "Hi there" in response.get_data(as_text=True)
    assert sms_store.list_messages(db) == []


def test_settings_keep_their_secrets_and_say_what_is_wrong(client, db, users, token):
    headers = token("admin")
    answer = client.put(f"{API}/settings", headers=headers, json={
        "transport": "modem", "sender": "ACME", "callback_confirmation": True,
        "modem": {"device": "/dev/ttyUSB2", "pin": "1234"}}).get_json()
    assert answer["modem"]["pin"] == "********" and answer["transport"] == "modem"
    again = client.put(f"{API}/settings", headers=headers, json={"modem": {"device": "/dev/ttyUSB3",
                                                                           "pin": "********"}})
    assert again.status_code == 200
    assert json.loads(queries.get_setting(db, SETTING_KEY))["modem"] == {"device": "/dev/ttyUSB3", "pin": "1234"}
    refused = client.put(f"{API}/settings", headers=headers, json={"modem": {"device": "/dev/x", "pin": "12"}})
    assert refused.status_code == 400 and refused.get_json()["error"].startswith("modem.pin")
    for wrong in ({"transport": {}}, {"retries": "3"}, {"status": "ready"}, {"modem": {}}):
        assert client.put(f"{API}/settings", headers=headers, json=wrong).status_code == 400, wrong
    assert client.put(f"{API}/settings", headers=token("supervisor"), json={}).status_code == 403
    assert "1234" not in client.get(f"{API}/settings", headers=headers).get_data(as_text=True)
    assert "1234" not in queries.list_audit(db)[0]["detail"]


def test_the_settings_page_saves_and_shows_a_mistake_at_its_input(client, auth, db):
    auth.login("admin")
    form = {"transport": "gateway", "sender": "ACME", "retries": "2", "gateway.url": "https://sms.example/send",
            "gateway.token": "tok", "callback_confirmation": "1", "modem.baudrate": "115200", "modem.mode": "pdu"}
    assert client.post("/sms/settings", data=form).status_code == 302
    saved = json.loads(queries.get_setting(db, SETTING_KEY))
    assert saved["gateway"] == {"url": "https://sms.example/send", "token": "tok"} and saved["retries"] == 2
    page = client.get("/sms/settings").get_data(as_text=True)
    assert "tok" not in re.sub(r"token", "", page) and "https://sms.example/send" in page
    response = client.post("/sms/settings", data={**form, "sender": "Far too long a name"})
    assert response.status_code == 400 and 'id="sender-error"' in response.get_data(as_text=True)


def test_a_message_sent_from_the_web_goes_through_the_modem_and_shows_delivered(client, auth, db, users):
    sim = GsmSimulator().start()
    service = SmsService(db, first_retry=0.05)
    try:
        sms_on(db, {"transport": "modem", "modem": {"device": sim.device}})
        auth.login("super")
        assert client.post("/sms", data={"to": "+46701234567", "text": "您好，回电已预约"}).status_code == 302
        sim.deliver("+46701234567", "谢谢")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (sms_store.count_messages(db, status="delivered") < 1
                                               or sms_store.count_messages(db, direction="in") < 1):
            service.run_once(0.05)
        page = client.get("/sms").get_data(as_text=True)
        assert "您好，回电已预约" in page and "谢谢" in page and "delivered" in page
        assert sim.sent[0].encoding == "ucs2"
    finally:
        service.close()
        sim.close()
