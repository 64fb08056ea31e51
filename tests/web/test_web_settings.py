"""The box's settings: pause reasons (ACD10) and alarm notifications (ACD15) through /api/v1/settings
and their pages: checks at the field with nothing saved, audit, secrets never shown, logged or audited,
and the test notice through a real SMTP server (aiosmtpd) and a real HTTP gateway."""

from __future__ import annotations

import json
import logging
import re

import pytest

from firmware.acd.settings import DEFAULT_PAUSE_REASONS
from firmware.store import queries
from tests.support.notices import Gateway
from tests.support.ports import free_port

PASSWORD = "Zq7-very-secret-smtp-pw"      # distinctive: found anywhere, it leaked
TOKEN = "Gw9-very-secret-gateway-token"


def _api(client, token, method: str, body=None, role: str = "admin"):
    return client.open("/api/v1/settings", method=method, json=body, headers=token(role))


def _stored(db, key: str):
    raw = queries.get_setting(db, key)
    return json.loads(raw) if raw else None


def _email(port: int = 587, **extra) -> dict:
    return {"to": ["ops@example.com"], "from": "callbox@example.com", "host": "127.0.0.1", "port": port,
            "security": "none", "username": "callbox", "password": PASSWORD, **extra}


def _sms(url: str = "http://127.0.0.1:9/send", **extra) -> dict:
    return {"to": ["+46701234567"], "url": url, "token": TOKEN, **extra}


def _no_secret_in(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text and TOKEN not in text


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


# --- pause reasons in the API ---------------------------------------------------------------------

def test_the_api_shows_the_default_pause_reasons_until_some_are_saved(client, token, users, engine, db):
    assert _api(client, token, "GET", role="supervisor").get_json()["pause_reasons"] == DEFAULT_PAUSE_REASONS
    reasons = [{"code": "coffee", "max_seconds": 600}, {"code": "coaching", "billable": True}]
    response = _api(client, token, "PUT", {"pause_reasons": reasons})
    assert response.status_code == 200 and response.get_json()["pause_reasons"] == reasons
    assert _stored(db, "pause_reasons") == reasons
    assert [e["detail"] for e in queries.list_audit(db)] == [f"pause_reasons={json.dumps(reasons, sort_keys=True)}"]
    assert engine.names() == ["reload"]


@pytest.mark.parametrize("reasons, field", [
    ([{"code": "lunch"}, {"code": "lunch"}], "pause_reasons[1].code: lunch is there twice"),
    ([{"code": "Lunch Break"}], "pause_reasons[0].code: must be a short code"),
    ([{"code": "lunch", "max_seconds": 10}], "pause_reasons[0].max_seconds: must be between 60 and 86400"),
    ([{"code": "lunch", "billable": "yes"}], "pause_reasons[0].billable: must be true or false"),
    ({"code": "lunch"}, "pause_reasons: must be a list"),
])
def test_wrong_pause_reasons_are_refused_at_their_field(client, token, users, db, reasons, field):
    response = _api(client, token, "PUT", {"pause_reasons": reasons, "prompt_language": "sv"})
    assert response.status_code == 400 and field in response.get_json()["error"]
    assert _stored(db, "pause_reasons") is None and queries.get_setting(db, "prompt_language") is None
    assert queries.list_audit(db) == []


def test_a_supervisor_may_read_but_not_change_the_settings(client, token, users, db):
    assert _api(client, token, "PUT", {"pause_reasons": []}, role="supervisor").status_code == 403
    assert _api(client, token, "PUT", {"alarm_notifications": {}}, role="supervisor").status_code == 403
    assert _api(client, token, "GET", role="agent").status_code == 403
    assert _stored(db, "pause_reasons") is None


# --- the pause reasons page -----------------------------------------------------------------------

def test_the_pause_reasons_page_shows_the_reasons_and_empty_rows(admin):
    page = admin.get("/settings/pause-reasons").get_data(as_text=True)
    assert 'name="pause_reasons[0].code" value="break"' in page
    assert 'name="pause_reasons[0].max_seconds" value="900"' in page
    assert 'name="pause_reasons[2].billable" value="1" checked' in page          # meeting
    assert 'name="pause_reasons[8].code" value=""' in page                        # 6 reasons + 3 empty rows
    assert 'href="/settings/pause-reasons"' in page and 'href="/settings/notifications"' in page


def test_the_pause_reasons_page_saves_the_rows_without_the_empty_ones(admin, db, engine):
    form = {"pause_reasons[0].code": "coffee", "pause_reasons[0].max_seconds": "600",
            "pause_reasons[1].code": "", "pause_reasons[1].max_seconds": "",
            "pause_reasons[2].code": "coaching", "pause_reasons[2].billable": "1",
            "pause_reasons[2].max_seconds": ""}
    response = admin.post("/settings/pause-reasons", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/settings/pause-reasons"
    assert _stored(db, "pause_reasons") == [{"code": "coffee", "max_seconds": 600},
                                            {"code": "coaching", "billable": True}]
    page = admin.get("/settings/pause-reasons").get_data(as_text=True)
    assert "Pause reasons saved." in page and 'name="pause_reasons[1].code" value="coaching"' in page
    assert any(e["action"] == "settings.update" for e in queries.list_audit(db))


def test_a_mistake_on_the_pause_reasons_page_is_shown_at_its_row_and_nothing_saved(admin, db):
    form = {"pause_reasons[0].code": "", "pause_reasons[1].code": "coffee", "pause_reasons[1].max_seconds": "abc",
            "pause_reasons[2].code": "coffee"}
    response = admin.post("/settings/pause-reasons", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not saved: pause_reasons[0].max_seconds: must be a number" in page
    # the setting's reason 0 is the form's row 1: the message stands at that row's input
    assert re.search(r'name="pause_reasons\[1\]\.max_seconds" value="abc"[^>]*aria-invalid="true"', page)
    assert 'id="pause_reasons[1].max_seconds-error">must be a number<' in page
    assert 'name="pause_reasons[2].code" value="coffee"' in page
    assert _stored(db, "pause_reasons") is None and queries.list_audit(db)[0]["action"] == "login"


# --- alarm notifications in the API ---------------------------------------------------------------

def test_the_api_masks_the_secrets_and_keeps_them_when_given_back_masked_or_left_out(client, token, users, db,
                                                                                   caplog):
    caplog.set_level(logging.DEBUG)
    response = _api(client, token, "PUT", {"alarm_notifications": {"email": _email(), "sms": _sms()}})
    assert response.status_code == 200
    shown = response.get_json()["alarm_notifications"]
    assert shown["email"]["password"] == "********" and shown["sms"]["token"] == "********"
    assert shown["email"]["to"] == ["ops@example.com"]
    assert _api(client, token, "GET", role="supervisor").get_json()["alarm_notifications"] == shown

    masked_back = {"email": {**_email(port=2525), "password": "********"}, "sms": {k: v for k, v in _sms().items()
                                                                                 if k != "token"}}
    assert _api(client, token, "PUT", {"alarm_notifications": masked_back}).status_code == 200
    stored = _stored(db, "alarm_notifications")
    assert stored["email"]["password"] == PASSWORD and stored["email"]["port"] == 2525
    assert stored["sms"]["token"] == TOKEN

    cleared = {"email": {**_email(), "password": ""}, "sms": None}
    assert _api(client, token, "PUT", {"alarm_notifications": cleared}).status_code == 200
    assert _stored(db, "alarm_notifications") == {"email": {**_email(), "password": ""}}

    audit = " ".join(e["detail"] for e in queries.list_audit(db))
    assert "alarm_notifications=" in audit and "********" in audit
    _no_secret_in(audit, caplog.text, json.dumps(shown))


@pytest.mark.parametrize("value, field", [
    ({"email": _email(port=70000)}, "alarm_notifications.email.port: must be a port number"),
    ({"email": _email(to=["ops@example.com", "nobody"])}, "alarm_notifications.email.to[1]: is not a valid"),
    ({"email": _email(security="ssl")}, "alarm_notifications.email.security: must be one of starttls, tls, none"),
    ({"sms": _sms(url="ftp://gateway")}, "alarm_notifications.sms.url: must be an http or https address"),
    ({"sms": _sms(to=[])}, "alarm_notifications.sms.to: must be a list of phone numbers"),
    ({"fax": {"to": ["1"]}}, "alarm_notifications.fax: is not a setting"),
    ("mail me", "alarm_notifications: must be an object"),
])
def test_wrong_notification_settings_are_refused_at_their_field(client, token, users, db, value, field):
    response = _api(client, token, "PUT", {"alarm_notifications": value})
    assert response.status_code == 400 and field in response.get_json()["error"]
    _no_secret_in(response.get_data(as_text=True))
    assert _stored(db, "alarm_notifications") is None and queries.list_audit(db) == []


# --- the alarm notices page -----------------------------------------------------------------------

def _saved(db, **channels) -> None:
    queries.set_setting(db, "alarm_notifications", json.dumps(channels))


def _form(**changes) -> dict:
    form = {"email.to": "ops@example.com\nboss@example.com", "email.from": "callbox@example.com",
            "email.host": "127.0.0.1", "email.port": "2525", "email.security": "none", "email.username": "callbox",
            "email.password": "", "sms.to": "+46701234567", "sms.url": "http://127.0.0.1:9/send", "sms.token": ""}
    return {**form, **changes}


def test_the_page_never_shows_a_saved_secret_but_says_it_is_set(admin, db):
    _saved(db, email=_email(), sms=_sms())
    page = admin.get("/settings/notifications").get_data(as_text=True)
    _no_secret_in(page)
    assert 'name="email.password" value=""' in page and 'name="sms.token" value=""' in page
    assert page.count("set: leave empty to keep") == 2 and 'name="email.password_clear"' in page
    assert ">ops@example.com</textarea>" in page and 'value="127.0.0.1"' in page


def test_the_page_saves_and_keeps_an_untouched_secret(admin, db, engine, caplog):
    caplog.set_level(logging.DEBUG)
    _saved(db, email=_email(), sms=_sms())
    response = admin.post("/settings/notifications", data=_form())
    assert response.status_code == 302 and response.headers["Location"] == "/settings/notifications"
    stored = _stored(db, "alarm_notifications")
    assert stored["email"]["to"] == ["ops@example.com", "boss@example.com"] and stored["email"]["port"] == 2525
    assert stored["email"]["password"] == PASSWORD and stored["sms"]["token"] == TOKEN
    page = admin.get("/settings/notifications").get_data(as_text=True)
    assert "Alarm notifications saved." in page
    _no_secret_in(page, admin.get("/audit").get_data(as_text=True), caplog.text)


def test_the_page_sets_a_new_secret_and_clears_one(admin, db):
    _saved(db, email=_email(), sms=_sms())
    assert admin.post("/settings/notifications", data=_form(**{"email.password": "new-pw-123",
                                                               "sms.token_clear": "1"})).status_code == 302
    stored = _stored(db, "alarm_notifications")
    assert stored["email"]["password"] == "new-pw-123" and stored["sms"]["token"] == ""
    assert "new-pw-123" not in admin.get("/settings/notifications").get_data(as_text=True)


def test_empty_channels_are_off(admin, db):
    _saved(db, email=_email(), sms=_sms())
    empty = {name: "" for name in _form()}
    assert admin.post("/settings/notifications", data={**empty, "email.security": "starttls"}).status_code == 302
    assert _stored(db, "alarm_notifications") == {}


def test_a_mistake_is_shown_at_its_input_and_nothing_saved(admin, db, caplog):
    caplog.set_level(logging.DEBUG)
    _saved(db, email=_email(), sms=_sms())
    before = queries.get_setting(db, "alarm_notifications")
    response = admin.post("/settings/notifications",
                          data=_form(**{"email.to": "ops@example.com\nnot-an-address", "email.password": PASSWORD}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not saved: email.to: line 2: is not a valid e-mail address" in page
    assert re.search(r'<textarea name="email.to"[^>]*aria-invalid="true"', page)
    assert ">ops@example.com\nnot-an-address</textarea>" in page
    assert queries.get_setting(db, "alarm_notifications") == before
    assert not [e for e in queries.list_audit(db) if e["action"] == "settings.update"]
    _no_secret_in(page, caplog.text)
    response = admin.post("/settings/notifications", data=_form(**{"email.port": "smtp"}))
    assert response.status_code == 400 and 'id="email.port-error">must be a port number<' in response.get_data(
        as_text=True)


def test_the_settings_forms_need_their_csrf_token(make_app, users, password, db):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "admin", "password": password, "csrf_token": token})
    for url, form in (("/settings/notifications", _form(**{"email.password": PASSWORD})),
                      ("/settings/notifications/test", {}),
                      ("/settings/pause-reasons", {"pause_reasons[0].code": "coffee"})):
        refused = client.post(url, data=form)
        assert refused.status_code == 400 and b"CSRF" in refused.data, url
    assert _stored(db, "alarm_notifications") is None and _stored(db, "pause_reasons") is None


# --- the test notice --------------------------------------------------------------------------------

def test_the_test_notice_reaches_the_smtp_server_and_the_gateway(admin, db, smtp, gateway):
    port, inbox = smtp
    _saved(db, email=_email(port=port, username=""), sms=_sms(url=gateway))
    response = admin.post("/settings/notifications/test", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Test notice sent: e-mail to ops@example.com." in page
    assert "Test notice sent: SMS to +46701234567." in page
    (to, mail), = inbox.messages
    assert to == ["ops@example.com"] and "Subject: Callbox test notice" in mail
    (authorization, sms), = Gateway.received
    assert authorization == f"Bearer {TOKEN}" and sms == {"to": "+46701234567",
                                                          "text": "Callbox test notice: alarm notices reach you here."}
    entry = queries.list_audit(db)[0]
    assert entry["action"] == "notifications.test" and entry["actor"] == "admin"
    assert entry["detail"] == "e-mail to ops@example.com: sent; SMS to +46701234567: sent"
    _no_secret_in(page, entry["detail"])


def test_a_failed_test_notice_says_why_without_the_secret(admin, db, gateway, caplog):
    caplog.set_level(logging.DEBUG)
    Gateway.status = 500
    closed = free_port()        # nobody listens there
    _saved(db, email=_email(port=closed), sms=_sms(url=gateway))
    page = admin.post("/settings/notifications/test", follow_redirects=True).get_data(as_text=True)
    assert f"Test notice not sent: e-mail via 127.0.0.1:{closed}: ConnectionRefusedError" in page
    assert "Test notice not sent: SMS gateway answered 500 for +46701234567" in page
    assert "Test notice sent" not in page
    assert "SMS gateway answered 500" in queries.list_audit(db)[0]["detail"]
    _no_secret_in(page, caplog.text, queries.list_audit(db)[0]["detail"])


def test_without_a_channel_there_is_no_test_notice(admin, db):
    page = admin.post("/settings/notifications/test", follow_redirects=True).get_data(as_text=True)
    assert "No test notice: no channel is set up" in page
    assert [e["action"] for e in queries.list_audit(db)] == ["login"]
