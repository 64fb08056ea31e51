"""Alarm notices out by e-mail (a real SMTP server, aiosmtpd) and SMS (a real HTTP gateway), retried
per channel, with no secret in what is logged or stored."""

from __future__ import annotations

import json
import logging

import pytest

from firmware.notify.config import (SETTING_KEY, NotificationSettingsError, masked,
                                    parse_notification_settings)
from firmware.notify.notifier import Notifier, retry_delay
from firmware.store import commit_pending, open_store, queries
from tests.support.notices import Gateway
from tests.support.ports import free_port

SECRET = "s3cret-smtp-pw"
TOKEN = "gateway-token-123"


@pytest.fixture
def store(tmp_path):
    conn = open_store(tmp_path / "callbox.db", group_commit=True)
    yield conn
    conn.close()


def configure(store, smtp_port: int, gateway_url: str) -> None:
    queries.set_setting(store, SETTING_KEY, json.dumps({
        "email": {"to": ["ops@example.com"], "from": "callbox@example.com", "host": "127.0.0.1", "port": smtp_port,
                  "security": "none", "username": "", "password": SECRET},
        "sms": {"to": ["+46701234567"], "url": gateway_url, "token": TOKEN}}))
    commit_pending(store)


def test_raised_and_cleared_notices_go_out_once_by_mail_and_sms(store, smtp, gateway):
    port, inbox = smtp
    configure(store, port, gateway)
    queue = queries.create_queue(store, "Support")
    queries.raise_alarm(store, "few-agents", f"queue {queue['id']}", "0 agents logged in")
    commit_pending(store)
    notifier = Notifier(store)
    assert notifier.run_once() == 1
    (to, mail), = inbox.messages
    assert to == ["ops@example.com"]
    assert "Subject: Callbox alarm: few-agents on queue Support" in mail and "0 agents logged in" in mail
    (auth, sms), = Gateway.received
    assert auth == f"Bearer {TOKEN}" and sms["to"] == "+46701234567"
    assert sms["text"].startswith("Callbox alarm few-agents on queue Support since ")
    assert notifier.run_once() == 0 and len(inbox.messages) == 1        # nothing twice

    queries.clear_alarm(store, "few-agents", f"queue {queue['id']}")
    commit_pending(store)
    assert notifier.run_once() == 1
    assert "cleared" in inbox.messages[1][1] and "cleared" in Gateway.received[1][1]["text"]


def test_a_failing_gateway_is_retried_later_without_a_second_mail(store, smtp, gateway, caplog):
    port, inbox = smtp
    configure(store, port, gateway)
    Gateway.status = 503
    queries.raise_alarm(store, "long-wait", "queue 9", "longest wait 300 s")
    commit_pending(store)
    notifier = Notifier(store)
    with caplog.at_level(logging.INFO):
        assert notifier.run_once(now=1000.0) == 0
    alarm, = queries.list_alarms(store)
    assert alarm["attempts"] == 1 and alarm["next_attempt_at"] == 1000.0 + retry_delay(0)
    assert "SMS gateway answered 503" in alarm["last_error"]
    assert notifier.run_once(now=1030.0) == 0 and len(Gateway.received) == 1     # not due yet
    Gateway.status = 200
    assert notifier.run_once(now=1000.0 + retry_delay(0)) == 1
    assert len(inbox.messages) == 1 and len(Gateway.received) == 2
    assert SECRET not in caplog.text and TOKEN not in caplog.text
    assert SECRET not in alarm["last_error"] and TOKEN not in alarm["last_error"]


def test_an_unreachable_mail_server_is_an_error_that_names_no_secret(store, gateway):
    configure(store, free_port(), gateway)               # nothing listens there
    queries.raise_alarm(store, "few-agents", "queue 1", "1 agents logged in")
    commit_pending(store)
    assert Notifier(store).run_once() == 0
    alarm, = queries.list_alarms(store)
    assert alarm["last_error"].startswith("e-mail via 127.0.0.1:") and SECRET not in alarm["last_error"]
    assert len(Gateway.received) == 1                    # the SMS went out all the same


def test_without_channels_a_notice_is_done_at_once(store):
    queries.raise_alarm(store, "few-agents", "queue 1", "0 agents logged in")
    commit_pending(store)
    assert Notifier(store).run_once() == 1
    assert queries.list_alarms(store)[0]["raise_sent_at"] is not None


def test_one_open_row_per_alarm_and_subject(store):
    assert queries.raise_alarm(store, "few-agents", "queue 1", "1 agents logged in")
    assert not queries.raise_alarm(store, "few-agents", "queue 1", "0 agents logged in")
    assert [a["detail"] for a in queries.open_alarms(store)] == ["0 agents logged in"]
    assert queries.clear_alarm(store, "few-agents", "queue 1")
    assert queries.raise_alarm(store, "few-agents", "queue 1", "0 agents logged in")
    assert len(queries.list_alarms(store)) == 2


@pytest.mark.parametrize("settings, field", [
    ({"fax": {}}, "fax"),
    ({"email": {"to": ["nobody"], "from": "a@b.se", "host": "h"}}, "email.to[0]"),
    ({"email": {"to": ["a@b.se"], "from": "a@b.se", "host": "h", "port": 70000}}, "email.port"),
    ({"email": {"to": ["a@b.se"], "from": "a@b.se", "host": "h", "security": "ssl3"}}, "email.security"),
    ({"email": {"to": ["a@b.se"], "from": "a@b.se"}}, "email.host"),
    ({"sms": {"to": ["070-123"], "url": "https://g.example/send"}}, "sms.to[0]"),
    ({"sms": {"to": ["+4670123"], "url": "ftp://g.example"}}, "sms.url"),
])
def test_bad_settings_name_their_field(settings, field):
    with pytest.raises(NotificationSettingsError) as error:
        parse_notification_settings(settings)
    assert error.value.field == field


def test_secrets_are_masked_for_showing():
    shown = masked({"email": {"password": SECRET, "host": "h"}, "sms": {"token": TOKEN, "url": "u"}})
    assert shown == {"email": {"password": "********", "host": "h"}, "sms": {"token": "********", "url": "u"}}
    assert SECRET not in repr(parse_notification_settings(
        {"email": {"to": ["a@b.se"], "from": "a@b.se", "host": "h", "password": SECRET}}))


def test_an_agents_alarm_names_the_agent(store):
    from firmware.notify.notifier import notice
    agent = queries.create_agent(store, "Bob", "1002", "pw-pw-pw")
    queries.raise_alarm(store, f"pause-too-long:{agent['id']}", f"agent {agent['id']}", "lunch for 65 min")
    alarm, = queries.list_alarms(store)
    subject, text = notice(alarm, "raised", Notifier(store)._subject_name(alarm["subject"]))
    assert subject == "Callbox alarm: pause-too-long on agent 1002 (Bob)" and text.endswith("lunch for 65 min")
