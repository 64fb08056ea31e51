"""An agent changes their own state from their phone (feature codes, firmware/engine/feature_codes.py):
real kamailio asks the phone for the agent's password, the engine carries the code out, the phone
hears what was done (RTP captured and matched to the prompt) and the box hangs up."""

from __future__ import annotations

import pytest

from firmware.store import connect
from tests.integration.box import REPO
from tests.integration.conftest import AGENT_PASSWORD
from tests.support.audio import best_correlation, decode_alaw, read_wav
from tests.support.ports import free_port
from tests.support.rtp import capture
from tests.support.sipp import run_sipp, scenario_path

pytestmark = [pytest.mark.sip, pytest.mark.slow]

PROMPTS = REPO / "build" / "prompts" / "en"


def dial(center, tmp_path, code: str, *, refused: int | None = None, extension: str = "1001",
         password: str = AGENT_PASSWORD) -> list[int]:
    """The agent's phone dials `code`; returns the audio it heard (A-law decoded). With `refused`,
    the box must answer the authenticated INVITE with that status."""
    scenario = "agent_dials.xml"
    if refused:
        scenario = tmp_path / f"agent_dials_{refused}.xml"
        scenario.write_text(scenario_path("agent_dials_refused.xml").read_text()
                            .replace("EXPECTED_STATUS", str(refused)))
    media_port = free_port(span=3)
    with capture([media_port], tmp_path) as cap:
        result = run_sipp(scenario, f"127.0.0.1:{center['box'].sip_port}", service=code, auth_user=extension,
                          auth_password=password, media_port=media_port, timeout=15, workdir=tmp_path,
                          extra=("-key", "agent", extension))
    assert result.returncode == 0, result.explain() + "\n" + center["box"].logs()
    heard = sorted(cap.to_port(media_port), key=lambda p: p.time)
    return [sample for packet in heard for sample in decode_alaw(packet.payload)]


def heard_prompt(audio: list[int], name: str) -> float:
    return best_correlation(audio, read_wav(PROMPTS / f"{name}.wav"), max_lag_frames=50)


def agent_status(box) -> dict:
    return next(a for a in box.engine_status()["agents"] if a["extension"] == "1001")


def stored(box, sql: str, *args) -> list[tuple]:
    with connect(box.data / "callbox.db") as conn:
        return [tuple(row) for row in conn.execute(sql, args)]


def test_an_agent_logs_in_pauses_and_logs_out_from_their_phone(center, tmp_path):
    box, queue_id = center["box"], center["queue"]["id"]
    audio = dial(center, tmp_path, "*41")
    assert heard_prompt(audio, "agent-logged-in") > 0.9
    assert heard_prompt(audio, "feature-refused") < 0.5       # the check can tell the two apart
    assert agent_status(box)["queue_ids"] == [queue_id]
    assert stored(box, "SELECT queue_id FROM agent_logins") == [(queue_id,)]     # kept for the next engine

    assert heard_prompt(dial(center, tmp_path, "*43"), "agent-paused") > 0.9
    assert (agent_status(box)["state"], agent_status(box)["pause_reason"]) == ("paused", "break")
    dial(center, tmp_path, "*432")                               # the second reason of the list
    assert agent_status(box)["pause_reason"] == "lunch"
    assert stored(box, "SELECT paused_reason FROM agents WHERE extension = '1001'") == [("lunch",)]

    assert heard_prompt(dial(center, tmp_path, "*44"), "agent-available") > 0.9
    assert agent_status(box)["state"] != "paused"

    assert heard_prompt(dial(center, tmp_path, "*42"), "agent-logged-out") > 0.9
    assert agent_status(box)["queue_ids"] == [] and stored(box, "SELECT * FROM agent_logins") == []
    assert [action for (action,) in stored(box, "SELECT action FROM audit_log WHERE actor = 'phone 1001'")] == [
        "agent.login", "agent.pause", "agent.pause", "agent.unpause", "agent.logout"]


def test_a_code_that_cannot_be_carried_out_is_answered_with_an_apology(center, tmp_path):
    box = center["box"]
    audio = dial(center, tmp_path, "*43")                        # not logged in: nothing to pause
    assert heard_prompt(audio, "feature-refused") > 0.9 and heard_prompt(audio, "agent-paused") < 0.5
    assert agent_status(box)["state"] == "logged-out"
    assert "refused: agent 1001 is not logged in" in box.logs(tail=200)


def test_a_number_that_is_no_feature_code_is_refused(center, tmp_path):
    dial(center, tmp_path, "*49", refused=404)
    dial(center, tmp_path, "5551234", refused=404)              # agents do not dial out (yet)


def test_a_feature_code_needs_the_agents_password(center, tmp_path):
    box = center["box"]
    dial(center, tmp_path, "*41", refused=403, password="not-the-password")
    assert agent_status(box)["queue_ids"] == []


def test_a_call_the_queue_wants_classified_keeps_the_agent_in_wrap_up_until_the_phone_classifies_it(
        center, phone, tmp_path):
    box = center["box"]
    queue = box.api("POST", "/queues", {"name": "classified", "settings": {"disposition_required": True}},
                    expect=201)
    box.api("POST", f"/queues/{queue['id']}/members", {"agent_id": center["agent"]["id"]}, expect=201)
    box.api("POST", "/inbound-routes", {"did": "4930600", "queue_id": queue["id"]}, expect=201)
    phone.register()
    phone.answer_calls()
    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
    result = run_sipp("trunk_call.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service="4930600", media_port=free_port(span=3), timeout=30, workdir=tmp_path,
                      extra=("-d", "6000"))      # the welcome, the ring, then a few seconds of talk
    assert result.returncode == 0, result.explain() + box.logs()
    call = box.wait_for(lambda: next((c for c in box.api("GET", "/calls", expect=200)["items"]
                                      if c["callee"] == "4930600" and c["outcome"]), None), what="the closed CDR")
    status = box.wait_for(lambda: (a := agent_status(box))["state"] == "wrap-up" and a,
                          what=f"the wrap-up (agent: {agent_status(box)}, call: {call})")
    assert status["unclassified_call"] == call["id"]

    assert heard_prompt(dial(center, tmp_path, "*463"), "call-classified") > 0.9      # the third: "sale"
    assert agent_status(box)["state"] == "idle" and agent_status(box)["unclassified_call"] is None
    classified = box.api("GET", f"/calls/{call['id']}", expect=200)
    assert (classified["disposition"], classified["disposition_by"]) == ("sale", "1001")
