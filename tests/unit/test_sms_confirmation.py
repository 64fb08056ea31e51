"""Who queues SMS (TEL11): the engine's callback confirmation to the caller, in the box's language
with the callback's window, and the notifier's alarm notices through the SMS service; both on a real
store, the engine built as tests/unit/test_engine_callbacks.py builds it (no SIP)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from firmware.engine import engine as engine_module
from firmware.notify.config import SETTING_KEY as NOTIFY_KEY
from firmware.notify.notifier import Notifier
from firmware.sms import store as sms_store
from firmware.sms import texts
from firmware.sms.confirmation import queue_callback_confirmation
from firmware.sms.settings import SETTING_KEY, SmsSettingsError, parse_sms_settings
from firmware.store import commit_pending, open_store, queries
from tests.unit.test_engine_callbacks import PhoneThatRings, ask_for_callback, start_engine

STOCKHOLM = "Europe/Stockholm"


def at_stockholm(hour: int) -> float:
    from zoneinfo import ZoneInfo

    return dt.datetime(2026, 12, 3, hour, 0, tzinfo=ZoneInfo(STOCKHOLM)).timestamp()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    monkeypatch.setattr(engine_module, "CallbackSession", PhoneThatRings)
    conn = open_store(tmp_path / "callbox.db", group_commit=True)
    yield conn
    conn.close()


def sms_on(store, **extra) -> None:
    queries.set_setting(store, SETTING_KEY, json.dumps({
        "transport": "gateway", "gateway": {"url": "https://sms.example/send"}, "callback_confirmation": True,
        **extra}))


def test_the_confirmation_names_the_window_in_the_queue_s_time_zone_and_the_box_s_language():
    text = texts.callback_confirmation("en", at_stockholm(14), at_stockholm(15), STOCKHOLM)
    assert text == "Your callback is booked. We will call you back between 14:00 and 15:00."
    assert "14:00" in texts.callback_confirmation("sv", at_stockholm(14), None, STOCKHOLM)
    assert texts.callback_confirmation("de", None, None).startswith(texts.translate(texts.CALLBACK_SIGNATURE, "de"))
    assert texts.callback_confirmation("xx", None, None) == texts.callback_confirmation("en", None, None)


@pytest.mark.parametrize("language", ["sv", "de", "zh"])
def test_the_confirmation_s_words_come_translated_from_the_catalogue(language):
    for template in (texts.CALLBACK_WINDOW, texts.CALLBACK_FROM, texts.CALLBACK_SOON, texts.CALLBACK_SIGNATURE):
        assert texts.translate(template, language) != template


def test_a_booked_callback_queues_its_confirmation_sms_to_the_caller(store):
    sms_on(store)
    queries.set_setting(store, "prompt_language", "sv")
    queue = queries.create_queue(store, "support")
    engine = start_engine(store)
    now = time.monotonic()
    call_id = ask_for_callback(engine, queue["id"], interval=(now + 3600, now + 7200))   # in an hour, for an hour
    commit_pending(store)
    message, = sms_store.list_messages(store)
    assert (message["number"], message["purpose"], message["call_id"], message["status"]) == \
        ("+46701234567", "callback", call_id, "queued")
    callback = queries.get_callback(store, call_id)
    expected = texts.callback_confirmation("sv", callback["wanted_from"], callback["wanted_until"])
    assert message["text"] == expected
    assert dt.datetime.fromtimestamp(callback["wanted_from"]).strftime("%H:%M") in expected


def test_the_window_is_told_in_the_queue_s_time_zone(store):
    sms_on(store)
    queue = queries.create_queue(store, "support", settings={"schedule": {"timezone": STOCKHOLM}})
    call_id = queries.open_call(store, "+46701234567", "4930100")
    message_id = queue_callback_confirmation(store, call_id, "+46701234567", queue["id"], at_stockholm(14),
                                             at_stockholm(15))
    assert "between 14:00 and 15:00" in sms_store.get_message(store, message_id)["text"]
    assert queue_callback_confirmation(store, call_id, "anonymous", queue["id"], None, None) is None


def test_no_confirmation_while_sms_is_off_or_confirmations_are(store):
    queue = queries.create_queue(store, "support")
    engine = start_engine(store)
    ask_for_callback(engine, queue["id"])
    sms_on(store, callback_confirmation=False)
    ask_for_callback(engine, queue["id"])
    commit_pending(store)
    assert sms_store.list_messages(store) == []


def test_alarm_notices_without_a_gateway_address_go_through_the_sms_service(store):
    queries.set_setting(store, NOTIFY_KEY, json.dumps({"sms": {"to": ["+46701234567", "+46707654321"]}}))
    queries.raise_alarm(store, "long-wait", "queue 1", "a caller waited 300 s")
    commit_pending(store)
    assert Notifier(store).run_once() == 1
    messages = sms_store.list_messages(store)
    assert sorted(m["number"] for m in messages) == ["+46701234567", "+46707654321"]
    assert {m["purpose"] for m in messages} == {"alarm"} and "long-wait" in messages[0]["text"]


@pytest.mark.parametrize(("value", "field"), [
    ({"transport": "modem"}, "modem"),
    ({"transport": "fax"}, "transport"),
    ({"sender": "A company name too long"}, "sender"),
    ({"modem": {"device": "ttyUSB0"}}, "modem.device"),
    ({"modem": {"device": "/dev/ttyUSB0", "pin": "12"}}, "modem.pin"),
    ({"modem": {"device": "/dev/ttyUSB0", "baudrate": 1234}}, "modem.baudrate"),
    ({"gateway": {"url": "ftp://x"}}, "gateway.url"),
    ({"retries": 11}, "retries"),
    ({"callback_confirmation": "yes"}, "callback_confirmation"),
    ({"colour": "red"}, "colour"),
])
def test_sms_settings_are_checked_field_by_field(value, field):
    with pytest.raises(SmsSettingsError) as refused:
        parse_sms_settings(value)
    assert refused.value.field == field


def test_a_sender_is_a_number_or_a_short_name():
    assert parse_sms_settings({"sender": "ACME Help"}).sender == "ACME Help"
    assert parse_sms_settings({"sender": "+46812345678"}).sender == "+46812345678"
