"""The event log end to end (issue 12, item 1): real SIPp calls through kamailio and the engine, the
events read back through `GET /api/v1/events` and the queue_log export."""

from __future__ import annotations

import pytest
import requests

from tests.integration.conftest import DID
from tests.support.ports import free_port
from tests.support.sipp import run_sipp

pytestmark = [pytest.mark.sip]


def trunk_call(center, tmp_path, hold_ms: int):
    return run_sipp("trunk_call.xml", f"127.0.0.1:{center['box'].sip_port}", local_port=center["trunk_port"],
                    service=DID, media_port=free_port(span=3), timeout=hold_ms / 1000 + 30, workdir=tmp_path,
                    extra=("-d", str(hold_ms)))


def call_events(box, call_id: int, last: str) -> list[dict]:
    """The call's events once its last one is written (the engine commits at its loop's turn)."""
    def written():
        items = [e for e in box.api("GET", "/events", expect=200)["items"] if e["call_id"] == call_id]
        return items if items and items[-1]["event"] == last else None
    return box.wait_for(written, what=f"the call's {last} event")


def closed_call(box):
    return box.wait_for(lambda: (c := box.api("GET", "/calls", expect=200)["items"][0])["outcome"] and c,
                        what="closed CDR")


def queue_log(box) -> list[str]:
    response = requests.get(box.url("/api/v1/events/queue_log"), headers={"Authorization": f"Bearer {box.token}"},
                            timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    return response.text.splitlines()


def test_an_answered_call_is_entered_rung_answered_and_completed_by_the_caller(center, phone, tmp_path):
    box, agent, queue = center["box"], center["agent"], center["queue"]
    phone.register()
    phone.answer_calls()
    box.api("POST", f"/agents/{agent['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
    result = trunk_call(center, tmp_path, hold_ms=5500)        # the welcome takes 2.6 s
    assert result.returncode == 0, result.explain() + box.logs()
    call = closed_call(box)
    assert call["outcome"] == "answered"

    events = call_events(box, call["id"], "complete")
    assert [(e["event"], e["queue_id"], e["agent_id"]) for e in events] == [
        ("enter", queue["id"], None), ("ring", queue["id"], agent["id"]), ("answer", queue["id"], agent["id"]),
        ("complete", queue["id"], agent["id"])]
    enter, _, answer, complete = (e["data"] for e in events)
    assert enter["position"] == 1 and enter["caller"] == call["caller"]
    assert 0 <= answer["ring_seconds"] <= answer["wait_seconds"] == pytest.approx(call["wait_seconds"], abs=0.05)
    assert complete["by"] == "caller" and complete["talk_seconds"] == pytest.approx(call["talk_seconds"], abs=0.05)
    # The agent's side: the login of a moment ago, the wrap-up after the call is not configured.
    mine = [e["event"] for e in box.api("GET", "/events", expect=200)["items"] if e["agent_id"] == agent["id"]
            and e["call_id"] is None]
    assert mine[-2:] == ["join", "login"]

    lines = [line for line in queue_log(box) if f"|{call['id']}|" in line]
    verbs = [line.split("|")[4] for line in lines]
    assert verbs == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    assert lines[2].split("|")[2:4] == ["support", "Agent/1001"]


def test_an_abandoned_call_says_its_position_and_wait(center, tmp_path):
    box = center["box"]
    result = trunk_call(center, tmp_path, hold_ms=5000)   # nobody logged in: waits after the welcome, hangs up
    assert result.returncode == 0, result.explain() + box.logs()
    call = closed_call(box)
    assert call["outcome"] == "abandoned"

    events = call_events(box, call["id"], "abandon")
    assert [e["event"] for e in events] == ["enter", "abandon"]
    abandon = events[-1]["data"]
    assert (abandon["position"], abandon["original_position"]) == (1, 1)
    assert abandon["wait_seconds"] == pytest.approx(call["wait_seconds"], abs=0.05) and 0 < abandon["wait_seconds"] < 3
    (line,) = [line for line in queue_log(box) if f"|{call['id']}|" in line and "ABANDON" in line]
    assert line.split("|")[4:] == ["ABANDON", "1", "1", str(round(abandon["wait_seconds"]))]
