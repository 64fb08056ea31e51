"""The ACD's rules on real calls: overflow on maximum wait and outside opening hours, and callbacks the
caller asks for through the callback menu."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest

from firmware.store import connect
from tests.integration.box import REPO
from tests.support.audio import best_match, decode_alaw, read_wav
from tests.support.ports import free_port
from tests.support.rtp import capture
from tests.support.sipp import background_sipp, keyed_scenario, run_sipp, scenario_playing

pytestmark = [pytest.mark.sip, pytest.mark.slow]

PROMPTS = REPO / "build" / "prompts"


def queue_with_rules(center, name: str, did: str, settings: dict) -> dict:
    box = center["box"]
    queue = box.api("POST", "/queues", {"name": name, "settings": settings}, expect=201)
    box.api("POST", f"/queues/{queue['id']}/members", {"agent_id": center["agent"]["id"]}, expect=201)
    box.api("POST", "/inbound-routes", {"did": did, "queue_id": queue["id"]}, expect=201)
    return queue


def call_record(box, did: str) -> dict:
    return box.wait_for(lambda: next((c for c in box.api("GET", "/calls", expect=200)["items"]
                                      if c["callee"] == did and c["outcome"]), None), what=f"closed CDR to {did}")


def test_a_caller_waiting_too_long_overflows(center, tmp_path):
    box = center["box"]
    queue_with_rules(center, "impatient", "4930200", {
        "overflow": [{"condition": "max-wait", "threshold": 3, "destination": {"kind": "hangup"}}]})
    result = run_sipp("trunk_call_box_hangs_up.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service="4930200", media_port=free_port(span=3), timeout=30, workdir=tmp_path)
    assert result.returncode == 0, result.explain() + box.logs()    # the box hung up, after its message
    call = call_record(box, "4930200")
    assert (call["outcome"], call["cause"]) == ("overflowed", "overflow:max-wait")
    assert 2.5 < call["wait_seconds"] < 4.5
    events = [e["event"] for e in box.queue_events(call["id"])]
    assert events == ["enter", "overflow"]


def test_with_no_agent_logged_in_the_caller_leaves_a_voicemail(center, tmp_path):
    """The caller waits through the welcome, the greeting and the beep in silence, then says the
    "please wait" prompt and hangs up: the message is recorded, and it is what the caller said."""
    import wave
    from array import array

    from tests.support.pcap import write_pcma_pcap
    box = center["box"]
    queue_with_rules(center, "voicemail", "4930230", {
        "overflow": [{"condition": "no-agent-logged-in", "destination": {"kind": "voicemail"}}]})
    lead = sum(len(read_wav(PROMPTS / "en" / f"{name}.wav")) for name in ("welcome", "voicemail-greeting", "tone-beep"))
    voice = read_wav(PROMPTS / "en" / "queue-repeat.wav")
    said = [0] * (lead + 8000) + voice              # speaks one second after the beep
    pcap = write_pcma_pcap(array("h", said).tobytes(), tmp_path / "message.pcap")
    scenario = scenario_playing("trunk_call.xml", pcap, tmp_path)
    hold_ms = len(said) // 8 + 500
    result = run_sipp(scenario, f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"], service="4930230",
                      media_port=free_port(span=3), timeout=hold_ms / 1000 + 20, workdir=tmp_path,
                      extra=("-d", str(hold_ms)))
    assert result.returncode == 0, result.explain() + box.logs()
    call = call_record(box, "4930230")
    assert (call["outcome"], call["cause"]) == ("overflowed", "overflow:no-agent-logged-in")
    assert [e["event"] for e in box.queue_events(call["id"])] == ["enter", "overflow"]
    recording = box.wait_for(lambda: (r := box.recording(call["recording_id"]))["duration_seconds"] and r,
                             what="the voicemail's length")
    with wave.open(str(box.data / recording["path"])) as w:
        assert (w.getnchannels(), recording["channels"]) == (1, 1)
        message = list(array("h", w.readframes(w.getnframes())))
    assert recording["duration_seconds"] == pytest.approx((8000 + len(voice) + 4000) / 8000, abs=1.0)
    # The caller's words, in 100-ms pieces (tests/support/hearing.py): one 1-s window two seconds in
    # matched no single stretch of them (0.43-0.45 beside two CPU burners) when the jitter buffer
    # stepped by a frame or four inside it; every piece around the steps was the words exactly.
    from tests.support.hearing import pieces_of
    good, loud = pieces_of(message, voice, level=True)
    assert loud >= 20 and good >= loud / 2, (good, loud)


def test_outside_opening_hours_the_caller_hears_closed_and_is_hung_up_on(center, tmp_path):
    """Open every day around the clock except today (in UTC): the box must judge by today's date
    on the wall clock, not by its own monotonic clock."""
    import datetime as dt
    today = dt.datetime.now(dt.UTC).date().isoformat()
    box = center["box"]
    queue_with_rules(center, "closed today", "4930250", {"schedule": {
        "timezone": "UTC", "weekly": dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-00:00"),
        "exceptions": {today: ""}}})
    result = run_sipp("trunk_call_box_hangs_up.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service="4930250", media_port=free_port(span=3), timeout=30, workdir=tmp_path)
    assert result.returncode == 0, result.explain() + box.logs()
    call = call_record(box, "4930250")
    assert (call["outcome"], call["cause"]) == ("overflowed", "overflow:closed")
    assert [e["event"] for e in box.queue_events(call["id"])] == ["enter", "overflow"]


def test_a_caller_asks_for_a_callback_and_is_called_back_by_the_agent(center, phone, tmp_path):
    """The callback is kept across a crash of the engine (kill -9) before it is placed."""
    box = center["box"]
    queue = queue_with_rules(center, "call me back", "4930300", {"callback": {"offer_when_wait_over": 0, "key": "1"}})
    # Nobody is logged in: the caller is offered a callback and keys 1; in the menu 1 keeps the number
    # and 1 asks for the call when it is their turn; the caller hears the confirmation and is hung up on.
    keys = keyed_scenario("trunk_call_keys.xml", [(4000, "1"), (1500, "1"), (1500, "1")], tmp_path)
    result = run_sipp(keys, f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service="4930300", media_port=free_port(span=3), timeout=30, workdir=tmp_path)
    assert result.returncode == 0, result.explain() + box.logs()
    original = call_record(box, "4930300")
    assert (original["outcome"], original["cause"]) == ("overflowed", "callback")
    assert [c["number"] for c in box.engine_status()["callbacks"]] == [original["caller"]]
    box.kill_engine()
    restored = box.engine_status()["callbacks"]
    assert [(c["number"], c["log"]) for c in restored] == [(original["caller"], "restored after a restart")]

    # The customer's phone sits behind the trunk; the agent's phone registers and the agent logs in.
    with background_sipp("customer_phone.xml", local_port=center["trunk_port"], media_port=free_port(span=3),
                         timeout=40, workdir=tmp_path, extra=("-d", "3000")) as customer:
        phone.register()
        phone.answer_calls()
        box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
        assert customer.wait(30).returncode == 0, customer.wait(1).explain() + box.logs()
    assert phone.uas.wait(10).returncode == 0
    callback = box.wait_for(lambda: next((c for c in box.api("GET", "/calls", expect=200)["items"]
                                          if c.get("callback_of") == original["id"] and c["outcome"]), None),
                            what="the callback's CDR")
    assert (callback["outcome"], callback["agent"], callback["callee"]) == ("answered", "1001", original["caller"])
    assert 2 < callback["talk_seconds"] < 6
    assert box.recording(callback["recording_id"])["path"]
    assert box.engine_status()["callbacks"] == []
    with connect(box.data / "callbox.db") as conn:
        row = conn.execute("SELECT status, attempts FROM callbacks WHERE call_id = ?", (original["id"],)).fetchone()
    assert tuple(row) == ("answered", 1)


def a_zone_before_nine_pm() -> tuple[ZoneInfo, int]:
    """A time zone where it is now early enough for the caller to pick an hour two hours on."""
    for name in ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Pacific/Honolulu", "Pacific/Kiritimati"):
        zone = ZoneInfo(name)
        hour = dt.datetime.now(zone).hour
        if hour <= 20:
            return zone, hour
    raise AssertionError("every candidate zone is past 9 pm")       # they span 24 hours: cannot happen


def test_a_caller_picks_another_number_and_a_later_hour_for_the_callback(center, phone, tmp_path):
    """The menu: 2 = another number, typed and ended with #; 2 = a later hour, typed and ended with #.
    The callback waits for that hour even though its agent is free."""
    box = center["box"]
    zone, hour = a_zone_before_nine_pm()
    every_day = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-00:00")
    queue = queue_with_rules(center, "call me later", "4930350", {
        "callback": {"offer_when_wait_over": 0}, "schedule": {"timezone": zone.key, "weekly": every_day}})
    wanted = hour + 2
    presses = [(4000, "1"), (1500, "2"), *[(300 if i else 2500, d) for i, d in enumerate("0851234#")],
               (1500, "2"), *[(300 if i else 2500, d) for i, d in enumerate(f"{wanted}#")]]
    result = run_sipp(keyed_scenario("trunk_call_keys.xml", presses, tmp_path), f"127.0.0.1:{box.sip_port}",
                      local_port=center["trunk_port"], service="4930350", media_port=free_port(span=3), timeout=40,
                      workdir=tmp_path)
    assert result.returncode == 0, result.explain() + box.logs()
    original = call_record(box, "4930350")
    assert (original["outcome"], original["cause"]) == ("overflowed", "callback")
    start = dt.datetime.combine(dt.datetime.now(zone).date(), dt.time(wanted), zone).timestamp()
    with connect(box.data / "callbox.db") as conn:
        row = conn.execute("SELECT number, wanted_from, wanted_until FROM callbacks WHERE call_id = ?",
                           (original["id"],)).fetchone()
    assert (row[0], row[1], row[2]) == ("0851234", pytest.approx(start, abs=1), pytest.approx(start + 3600, abs=1))
    phone.register()
    phone.answer_calls()
    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
    time.sleep(2)      # a free agent: a callback without an hour would be placed now
    waiting, = box.engine_status()["callbacks"]
    assert (waiting["number"], waiting["status"]) == ("0851234", "waiting")


def test_a_call_needing_a_skill_waits_until_the_rule_accepts_the_agents_level(center, phone, tmp_path):
    """The queue wants German at level 5; Ann has level 3, accepted after 4 s of waiting. Without the
    skills the call would be answered at once, without the widening never."""
    box = center["box"]
    with connect(box.data / "callbox.db") as conn:
        conn.execute("UPDATE agents SET settings = ? WHERE id = ?", ('{"skills": {"de": 3}}', center["agent"]["id"]))
    queue = queue_with_rules(center, "deutsch", "4930600", {     # creating it reloads the engine's config
        "skills": {"de": 5}, "skill_rules": [{"after": 4, "min_level": 1}]})
    phone.register()
    phone.answer_calls()
    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
    result = run_sipp("trunk_call.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service="4930600", media_port=free_port(span=3), timeout=40, workdir=tmp_path,
                      extra=("-d", "9000"))
    assert result.returncode == 0, result.explain() + box.logs()
    call = call_record(box, "4930600")
    assert (call["outcome"], call["agent"]) == ("answered", "1001")
    assert 4.0 <= call["wait_seconds"] < 7.0, call


def test_a_stand_by_agent_is_logged_in_for_a_waiting_caller_and_out_again(center, phone, tmp_path):
    """Nobody is logged in; Ann stands by for one waiting call and is logged out once none waits."""
    box, agent_id = center["box"], center["agent"]["id"]
    queue_with_rules(center, "stand-by", "4930800", {
        "standby": {"agents": [agent_id], "on_waiting": 1, "off_waiting": 0, "min_on_seconds": 0}})
    phone.register()
    phone.answer_calls()

    def queue_ids():
        return next(a["queue_ids"] for a in box.engine_status()["agents"] if a["id"] == agent_id)

    assert queue_ids() == []
    result = run_sipp("trunk_call.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service="4930800", media_port=free_port(span=3), timeout=40, workdir=tmp_path,
                      extra=("-d", "6000"))
    assert result.returncode == 0, result.explain() + box.logs()
    call = call_record(box, "4930800")
    assert (call["outcome"], call["agent"]) == ("answered", "1001") and call["wait_seconds"] < 4
    box.wait_for(lambda: queue_ids() == [], what="the stand-by agent to be logged out")
    assert "StandbyLogin" in box.logs() and "StandbyLogout" in box.logs()


def test_a_caller_on_a_priority_line_is_served_before_an_earlier_caller(center, phone, tmp_path):
    """ACD8: the same queue, two numbers; the VIP line's route has priority 1. The ordinary caller
    calls first, the VIP a second later, and the one agent to log in takes the VIP."""
    box = center["box"]
    queue = box.api("POST", "/queues", {"name": "vip and others"}, expect=201)
    box.api("POST", f"/queues/{queue['id']}/members", {"agent_id": center["agent"]["id"]}, expect=201)
    with connect(box.data / "callbox.db") as conn:
        conn.execute("INSERT INTO inbound_routes (did, queue_id, priority, created_at) VALUES ('4931001', ?, 1, 0)",
                     (queue["id"],))
    box.api("POST", "/inbound-routes", {"did": "4931000", "queue_id": queue["id"]}, expect=201)   # reloads
    vip_port = free_port()
    box.api("POST", "/trunks", {"name": "vip carrier", "type": "peer", "address": f"127.0.0.1:{vip_port}"},
            expect=201)
    edge = f"127.0.0.1:{box.sip_port}"
    calls = dict(timeout=40, workdir=tmp_path, extra=("-d", "12000"))
    with background_sipp("trunk_call.xml", remote=edge, local_port=center["trunk_port"], service="4931000",
                         media_port=free_port(span=3), **calls) as ordinary:
        time.sleep(1.0)
        with background_sipp("trunk_call.xml", remote=edge, local_port=vip_port, service="4931001",
                             media_port=free_port(span=3), **calls) as vip:
            time.sleep(4.5)                      # both through the welcome, waiting in the queue
            phone.register()
            phone.answer_calls()
            box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
            vip.wait(30)
        ordinary.wait(30)
    assert (call_record(box, "4931001")["outcome"], call_record(box, "4931001")["agent"]) == ("answered", "1001")
    assert call_record(box, "4931000")["outcome"] == "abandoned"


def test_an_agent_whose_phone_unregisters_is_unavailable_until_it_registers_again(center, phone, tmp_path):
    box, agent_id = center["box"], center["agent"]["id"]
    phone.register()
    box.api("POST", f"/agents/{agent_id}/login", {"queue_ids": [center["queue"]["id"]]}, expect=200)

    def state():
        return next(a["state"] for a in box.engine_status()["agents"] if a["id"] == agent_id)

    box.wait_for(lambda: state() == "idle", what="the agent to be idle")
    phone.unregister()
    box.wait_for(lambda: state() == "unavailable", what="the agent to be unavailable")
    phone.register()
    box.wait_for(lambda: state() == "idle", what="the agent to be back")


def test_few_agents_alarm_is_raised_and_cleared_on_the_live_status(center):
    box = center["box"]
    queue = queue_with_rules(center, "watched", "4930700", {"alarms": {"min_agents": 1, "agents_margin": 0}})
    subject = f"queue {queue['id']}"

    def alarm():
        return next((a for a in box.engine_status()["alarms"] if a["subject"] == subject), None)

    raised = box.wait_for(alarm, what="the few-agents alarm")
    assert (raised["name"], raised["detail"]) == ("few-agents", "0 agents logged in")
    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
    box.wait_for(lambda: alarm() is None, what="the alarm to clear")


def test_the_caller_hears_the_agents_number_before_the_agent(center, phone, tmp_path):
    """TEL8: "you are speaking with agent 1 0 0 1", then the caller and the agent are connected."""
    box = center["box"]
    queue = queue_with_rules(center, "announced", "4930400", {"announce_agent": True})
    phone.register()
    phone.answer_calls()
    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
    caller_media = free_port(span=3)
    with capture([caller_media, phone.media_port], tmp_path) as cap:
        result = run_sipp("trunk_call.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                          service="4930400", media_port=caller_media, timeout=30, workdir=tmp_path,
                          extra=("-d", "9000"))
    assert result.returncode == 0, result.explain() + box.logs()
    intro = read_wav(PROMPTS / "en" / "agent-intro.wav")
    heard = sorted(cap.to_port(caller_media), key=lambda p: p.time)
    agent_sent = min(p.time for p in cap.from_port(phone.media_port))
    after_answer = [s for p in heard if p.time >= agent_sent - 0.2 for s in decode_alaw(p.payload)]
    assert best_match(intro, after_answer[:4 * 8000], 1600, window=4000) > 0.9   # half a second of the intro
    # Meanwhile the agent hears nothing of the caller: the line opens when the announcement ends.
    to_agent = sorted(cap.to_port(phone.media_port), key=lambda p: p.time)
    intro_seconds = len(intro) / 8000 + 4 * 0.6     # the intro, then four digits
    early = [p for p in to_agent if p.time < agent_sent + intro_seconds * 0.5]
    assert all(p.silent for p in early)
    assert call_record(box, "4930400")["outcome"] == "answered"


def test_the_agents_phone_shows_the_caller_the_queue_and_what_the_caller_keyed_in(center, phone, tmp_path):
    """ACD3: a customer number keyed in while queued reaches the agent with the call."""
    box = center["box"]
    queue = queue_with_rules(center, "keyed", "4930500", {})
    caller = keyed_scenario("trunk_call_keys_hangs_up.xml", [(3000, "4"), (300, "7"), (300, "1"), (300, "1")],
                            tmp_path)
    with background_sipp(caller, remote=f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                         service="4930500", media_port=free_port(span=3), timeout=40, workdir=tmp_path,
                         extra=("-d", "4000")) as customer:
        box.wait_for(lambda: any(c.get("caller_input") == "4711" for c in box.engine_status()["calls"]),
                     timeout=15, what="the keyed-in number")
        phone.register()
        phone.answer_calls()
        box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
        assert customer.wait(30).returncode == 0, customer.wait(1).explain() + box.logs()
    offered = phone.uas.wait(10)
    messages = offered.messages.replace("\r\n", "\n")
    invite = messages[messages.index("INVITE sip:1001@"):]
    invite = invite[:invite.index("\n\n")]
    assert re.search(r'^From: "keyed #4711" <sip:\+4670\d+@', invite, re.MULTILINE), invite
    assert "X-Callbox-Queue: keyed" in invite and "X-Callbox-Caller-Input: 4711" in invite, invite
    record = call_record(box, "4930500")
    assert re.search(rf"^X-Callbox-Call: {record['id']}$", invite, re.MULTILINE), invite
    assert (record["outcome"], record["caller_input"]) == ("answered", "4711")
