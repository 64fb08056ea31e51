"""SMS through a GSM modem (issue 11, item 4; TEL11): the driver and the SMS service against the
modem simulator behind a real pseudo-terminal, on a real store. Every wait is for an event
(the simulator saw the part, the log row changed), bounded."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from firmware.sms import store as sms_store
from firmware.sms.modem import Incoming, Modem, ModemError
from firmware.sms.service import STATUS_KEY, SmsService
from firmware.sms.settings import SETTING_KEY
from firmware.sms.simulator import GsmSimulator
from firmware.store import open_store, queries

CUSTOMER = "+46701234567"
CHINESE = "您好！我们将在14:00到15:00之间给您回电。谢谢您的耐心等待。"
LONG_TEXT = ("Your order has shipped. " * 13)[:290] + "€" * 10      # 300 characters, 310 septets


@pytest.fixture
def sim():
    simulator = GsmSimulator(pin="1234").start()
    yield simulator
    simulator.close()


@pytest.fixture
def conn(tmp_path):
    connection = open_store(tmp_path / "callbox.db")
    yield connection
    connection.close()


def configure(conn, device: str, *, mode: str = "pdu", retries: int = 3, transport: str = "modem", **extra) -> None:
    queries.set_setting(conn, SETTING_KEY, json.dumps({
        "transport": transport, "sender": "ACME", "retries": retries,
        "modem": {"device": device, "mode": mode, "pin": "1234", "delivery_reports": True}, **extra}))


@pytest.fixture
def service(conn):
    sms = SmsService(conn, first_retry=0.05)
    yield sms
    sms.close()


def turn_until(service: SmsService, done, timeout: float = 5.0):
    """Runs the service's turns until `done()` is true (each turn waits at most 50 ms for the modem)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.run_once(0.05)
        result = done()
        if result:
            return result
    raise AssertionError(f"not done within {timeout} s; service says {service.last_status!r}")


def status_of(conn, message_id: int) -> str:
    return sms_store.get_message(conn, message_id)["status"]


def test_text_mode_sends_a_plain_message_as_text_and_its_report_marks_it_delivered(sim, conn, service):
    configure(conn, sim.device, mode="text")
    message = sms_store.queue_message(conn, CUSTOMER, "Hello from Callbox", purpose="api")
    turn_until(service, lambda: status_of(conn, message["id"]) == "delivered")
    sent, = sim.sent
    assert (sent.mode, sent.recipient, sent.text) == ("text", CUSTOMER, "Hello from Callbox")
    assert 'AT+CMGS="+46701234567"' in sim.commands and "AT+CMGF=1" in sim.commands
    row = sms_store.get_message(conn, message["id"])
    assert (row["transport"], row["sender"], row["report_status"], row["parts"]) == ("modem", sim.own_number, 0, 1)


def test_pdu_mode_sends_the_message_as_an_sms_submit(sim, conn, service):
    configure(conn, sim.device, mode="pdu")
    message = sms_store.queue_message(conn, CUSTOMER, "Hej från Callbox", purpose="api")
    turn_until(service, lambda: status_of(conn, message["id"]) == "delivered")
    sent, = sim.sent
    assert (sent.mode, sent.encoding, sent.text, sent.report_requested) == ("pdu", "gsm7", "Hej från Callbox", True)
    assert "AT+CMGF=1" not in sim.commands


def test_a_chinese_message_goes_out_and_comes_in_as_ucs2(sim, conn, service):
    configure(conn, sim.device, mode="text")        # text mode hands what it cannot carry to PDU mode
    message = sms_store.queue_message(conn, CUSTOMER, CHINESE, purpose="api")
    turn_until(service, lambda: status_of(conn, message["id"]) == "delivered")
    sent, = sim.sent
    assert (sent.mode, sent.encoding, sent.text) == ("pdu", "ucs2", CHINESE)
    sim.deliver(CUSTOMER, "好的，谢谢")
    received = turn_until(service, lambda: sms_store.list_messages(conn, direction="in"))
    assert (received[0]["text"], received[0]["encoding"], received[0]["number"]) == ("好的，谢谢", "ucs2", CUSTOMER)


def test_a_300_character_message_is_sent_as_3_parts_and_joined_again_when_received(sim, conn, service):
    assert len(LONG_TEXT) == 300
    configure(conn, sim.device)
    message = sms_store.queue_message(conn, CUSTOMER, LONG_TEXT, purpose="api")
    turn_until(service, lambda: status_of(conn, message["id"]) == "delivered")
    parts = sim.sent
    assert [p.concatenation.sequence for p in parts] == [1, 2, 3]
    assert {p.concatenation.reference for p in parts} == {message["concat_reference"]}
    assert "".join(p.text for p in parts) == LONG_TEXT
    assert sim.deliver(CUSTOMER, LONG_TEXT) == 3
    received = turn_until(service, lambda: sms_store.list_messages(conn, direction="in"))
    assert (received[0]["text"], received[0]["parts"]) == (LONG_TEXT, 3)
    assert conn.execute("SELECT COUNT(*) FROM sms_fragments").fetchone()[0] == 0


def test_a_refused_send_is_retried_with_backoff_and_then_goes_out(sim, conn, service):
    configure(conn, sim.device)
    sim.fail_next_sends(2)
    message = sms_store.queue_message(conn, CUSTOMER, "Second time lucky", purpose="api")
    turn_until(service, lambda: sms_store.get_message(conn, message["id"])["attempts"] == 1)
    row = sms_store.get_message(conn, message["id"])
    assert row["status"] == "queued" and "+CMS ERROR: 500" in row["last_error"]
    assert row["next_attempt_at"] > time.time() - 1
    turn_until(service, lambda: status_of(conn, message["id"]) == "delivered")
    row = sms_store.get_message(conn, message["id"])
    assert row["attempts"] == 3 and row["last_error"] == "" and len(sim.sent) == 1


def test_a_message_refused_every_time_is_failed_after_its_retries(sim, conn, service):
    configure(conn, sim.device, retries=2)
    sim.fail_next_sends(10)
    message = sms_store.queue_message(conn, CUSTOMER, "Never", purpose="api")
    turn_until(service, lambda: status_of(conn, message["id"]) == "failed")
    assert sms_store.get_message(conn, message["id"])["attempts"] == 3


def test_a_part_refused_midway_is_resumed_without_sending_the_first_parts_again(sim, conn, service):
    configure(conn, sim.device)
    message = sms_store.queue_message(conn, CUSTOMER, LONG_TEXT, purpose="api")
    original = sim._message

    def refuse_second_part(command, payload):       # the network refuses part 2 once
        if len(sim.sent) == 1 and not getattr(sim, "refused", False):
            sim.refused = True
            sim.failures.append(500)
        original(command, payload)

    sim._message = refuse_second_part
    turn_until(service, lambda: status_of(conn, message["id"]) == "delivered")
    assert [p.concatenation.sequence for p in sim.sent] == [1, 2, 3]


def test_a_failed_delivery_report_marks_the_message_undelivered(sim, conn, service):
    sim.report_status = 0x41                        # permanent error: incompatible destination
    configure(conn, sim.device)
    message = sms_store.queue_message(conn, CUSTOMER, "To a landline", purpose="api")
    turn_until(service, lambda: status_of(conn, message["id"]) == "undelivered")
    assert sms_store.get_message(conn, message["id"])["report_status"] == 0x41


def test_incoming_messages_are_stored_announced_direct_or_left_on_the_sim(sim, conn, service):
    sim.deliver("+46709999999", "Left on the SIM before we started")
    configure(conn, sim.device)
    turn_until(service, lambda: sms_store.list_messages(conn, direction="in"))
    sim.deliver("+46709999999", "Announced with +CMTI")
    sim.deliver("+46708888888", "Straight with +CMT", direct=True)
    turn_until(service, lambda: sms_store.count_messages(conn, direction="in") == 3)
    texts = {m["text"]: m for m in sms_store.list_messages(conn, direction="in")}
    assert set(texts) == {"Left on the SIM before we started", "Announced with +CMTI", "Straight with +CMT"}
    assert texts["Straight with +CMT"]["number"] == "+46708888888"
    assert all(m["status"] == "received" for m in texts.values())
    sim.wait_until_read()


def test_the_sim_pin_and_the_network_are_checked_with_clear_errors(sim):
    modem = Modem.open(sim.device, command_timeout=2)
    try:
        with pytest.raises(ModemError, match="asks for its PIN"):
            modem.start()
        modem.pin = "0000"
        with pytest.raises(ModemError, match="refused the PIN"):
            modem.start()
        modem.pin = "1234"
        sim.registration = "3"
        with pytest.raises(ModemError, match="registration denied"):
            modem.start()
        sim.registration = "5"                      # roaming will do
        modem.start()
        assert modem.own_number == sim.own_number
    finally:
        modem.close()


def test_a_modem_that_cannot_start_is_reported_and_messages_wait(sim, conn, service):
    configure(conn, sim.device)
    sim.registration = "2"
    message = sms_store.queue_message(conn, CUSTOMER, "Waiting", purpose="api")
    service.run_once(0.05)
    assert "searching" in queries.get_setting(conn, STATUS_KEY)
    assert sms_store.get_message(conn, message["id"])["attempts"] == 0
    sim.registration = "1"
    service.state.next_try = 0                      # the backoff is the service's; not waited here
    turn_until(service, lambda: status_of(conn, message["id"]) == "delivered")
    assert queries.get_setting(conn, STATUS_KEY).startswith("ready: modem")


def test_a_flood_of_unsolicited_results_does_not_hold_a_send(sim, conn, service):
    configure(conn, sim.device)
    service.run_once(0.05)                           # the modem is ready
    flood = b"\r\n+CREG: 1\r\nRING\r\n" * 5000 + b"\xff\x00garbage" * 200 + b"\r\n+CMTI: \"SM\",99\r\n"
    flooding = threading.Thread(target=sim.inject, args=(flood,), daemon=True)
    flooding.start()
    message = sms_store.queue_message(conn, CUSTOMER, "Through the flood", purpose="api")
    started = time.monotonic()
    turn_until(service, lambda: status_of(conn, message["id"]) in ("sent", "delivered"))
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 10         # the rest of the flood is read (the injector waits on the pty)
    while flooding.is_alive() and time.monotonic() < deadline:
        service.run_once(0.05)
    assert not flooding.is_alive()
    after = sms_store.queue_message(conn, CUSTOMER, "After the flood", purpose="api")
    turn_until(service, lambda: status_of(conn, after["id"]) in ("sent", "delivered"))


def test_the_gateway_sends_the_company_name_as_sender(conn, service, gateway):
    from tests.support.notices import Gateway

    queries.set_setting(conn, SETTING_KEY, json.dumps({
        "transport": "gateway", "sender": "ACME", "gateway": {"url": gateway, "token": "t0k"}}))
    message = sms_store.queue_message(conn, CUSTOMER, "From ACME", purpose="api")
    turn_until(service, lambda: status_of(conn, message["id"]) == "sent")
    assert Gateway.received == [("Bearer t0k", {"to": CUSTOMER, "text": "From ACME", "from": "ACME"})]
    assert sms_store.get_message(conn, message["id"])["sender"] == "ACME"


def test_card_sim_gsm_serves_a_modem_from_the_command_line(tmp_path):
    link = tmp_path / "gsm0"
    process = subprocess.Popen([sys.executable, "-m", "firmware.cli", "card-sim", "gsm", "--link", str(link)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert "GSM modem simulator on" in process.stdout.readline()
        modem = Modem.open(str(link), command_timeout=2)
        try:
            modem.start()
            assert modem.send(CUSTOMER, "hello") == [1]
            process.stdin.write(f"incoming {CUSTOMER} hi there\n")
            process.stdin.flush()
            deadline = time.monotonic() + 5
            incoming = []
            while not incoming and time.monotonic() < deadline:
                incoming = [e for e in modem.poll(0.1) if isinstance(e, Incoming)]
            assert incoming[0].message.text == "hi there"
        finally:
            modem.close()
        process.stdin.write("quit\n")
        process.stdin.flush()
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
