"""Which language a page speaks (issue 9, item 8): the user's own setting, else the browser's
Accept-Language, else English; the API stays English; alarm notices speak the setting's language."""

from __future__ import annotations

import json
import re

import pytest

from firmware.notify.notifier import Notifier, notice
from firmware.store import queries


def _html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize("header, expected", [
    (None, "en"), ("sv", "sv"), ("de-CH, en;q=0.5", "de"), ("zh-Hans-CN,zh;q=0.9", "zh-Hans"), ("zh_TW", "zh-Hans"),
    ("fr, de;q=0.3", "de"), ("fr", "en"), ("en;q=0, sv;q=0.1", "sv"), ("*", "en"), ("xx-" + "a" * 300, "en"),
])
def test_the_browser_language_is_negotiated_from_accept_language(client, users, header, expected):
    headers = {"Accept-Language": header} if header else {}
    assert _html_lang(client.get("/login", headers=headers)) == expected


def test_the_users_own_language_wins_over_the_browser_and_can_be_given_back(client, auth, db, users):
    auth.login()
    browser = {"Accept-Language": "de"}
    assert "Abmelden" in client.get("/calls", headers=browser).get_data(as_text=True)
    response = client.post("/language", data={"language": "zh", "next": "/calls?page=1"}, headers=browser)
    assert response.status_code == 302 and response.headers["Location"] == "/calls?page=1"
    page = client.get("/calls", headers=browser).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and "退出登录" in page
    assert queries.get_user(db, users["admin"]["id"])["language"] == "zh"
    client.post("/language", data={"language": "", "next": "//evil.example/"})
    assert queries.get_user(db, users["admin"]["id"])["language"] is None
    assert "Abmelden" in client.get("/calls", headers=browser).get_data(as_text=True)


def test_the_api_stays_english_whatever_the_browser_asks(client, token):
    response = client.post("/api/v1/queues", json={"name": ""}, headers={**token("admin"), "Accept-Language": "sv"})
    assert response.status_code == 400 and response.get_json()["error"] == "name: is required"


ALARM = {"name": "few-agents", "subject": "queue 1", "detail": "0 agents logged in", "raised_at": 0.0,
         "cleared_at": 60.0, "cleared_detail": "not raised again after the engine restarted",
         "detail_params": json.dumps({"code": "few-agents", "params": {"agents": 0}})}


@pytest.mark.parametrize("language, raised, cleared", [
    ("en", "Callbox alarm few-agents on queue Support since", "cleared at"),
    ("sv", "Callbox-larm: för få agenter – kö Support sedan kl.", "återställt kl."),
    ("de", "Callbox-Alarm: zu wenige Agenten – Warteschlange Support seit", "aufgehoben"),
    ("zh", "Callbox 告警：队列 Support 坐席不足，自", "已于"),
])
def test_alarm_notices_speak_the_settings_language(db, language, raised, cleared):
    queue = queries.create_queue(db, "Support", "ring-all")
    notifier = Notifier(db)
    subject = notifier._subject_name(f"queue {queue['id']}", language)
    _, text = notice(ALARM, "raised", subject, language)
    assert text.startswith(raised) and ("0" in text)
    _, text = notice(ALARM, "cleared", subject, language)
    assert cleared in text
    if language != "en":
        assert "agents logged in" not in notice(ALARM, "raised", subject, language)[1]
        assert "engine restarted" not in text


def test_an_alarm_detail_from_the_acd_keeps_its_code_and_parameters(db):
    from firmware.acd.alarms import DETAILS
    from firmware.message import coded

    queries.raise_alarm(db, "service-level-at-risk", "queue 1", coded(DETAILS, "service-level-at-risk", level=0.5))
    alarm, = queries.list_alarms(db)
    assert alarm["detail"] == "predicted service level 50%"
    from firmware.notify import texts
    assert texts.detail(alarm, "de") == "erwarteter Servicelevel 50\u00a0%"   # CLDR: a no-break space
    assert texts.detail(alarm, "zh") == "预计服务水平 50%"
