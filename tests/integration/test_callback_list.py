"""The callback list (ACD14) on a running box: a caller's callback is noted and cancelled through the
web API; the store's row and the engine's ACD agree after each step, also across a kill -9. Click to
call rings the agent's SIPp phone ahead of the interval the caller chose, then the customer."""

from __future__ import annotations

import json
import time

import pytest
import requests

from firmware.store import connect
from tests.integration.test_acd_calls import call_record, queue_with_rules
from tests.support.ports import free_port
from tests.support.sipp import background_sipp, run_sipp

pytestmark = [pytest.mark.sip, pytest.mark.slow]

DID = "4930500"
# the caller's one key makes the callback (trunk_call_callback.xml): no menu to answer
NO_MENU = {"callback": {"offer_when_wait_over": 0, "key": "1", "ask_number": False, "offer_later": False}}
CALL_NOW_DID = "4930510"
HOUR = 3600.0


def stored(box, call_id: int) -> dict:
    with connect(box.data / "callbox.db") as conn:
        row = conn.execute("SELECT * FROM callbacks WHERE call_id = ?", (call_id,)).fetchone()
    return {**dict(row), "log": json.loads(row["log"])}


def in_acd(box, call_id: int) -> dict | None:
    """The engine's open callback (its live status lists only open ones)."""
    return next((c for c in box.engine_status()["callbacks"] if c["call_id"] == call_id), None)


def post(box, path: str, body) -> requests.Response:
    return requests.post(box.url("/api/v1" + path), json=body, timeout=10,
                         headers={"Authorization": f"Bearer {box.token}"})


def test_a_callback_is_noted_and_cancelled_through_the_api(center, tmp_path):
    box = center["box"]
    queue_with_rules(center, "note and cancel", DID, NO_MENU)
    # Nobody is logged in: the caller keys 1 for a callback, which then waits on the list.
    result = run_sipp("trunk_call_callback.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service=DID, media_port=free_port(span=3), timeout=30, workdir=tmp_path)
    assert result.returncode == 0, result.explain() + box.logs()
    call_id = call_record(box, DID)["id"]
    listed = box.api("GET", "/callbacks?open=1&sort=arrived&order=desc", expect=200)["items"]
    assert [c["call_id"] for c in listed][:1] == [call_id]
    assert (listed[0]["status"], listed[0]["wanted_from"], listed[0]["wanted_until"]) == ("waiting", None, None)

    # The note reaches the ACD's log and the row; the token has no agent, so the handler stays unset.
    response = post(box, f"/callbacks/{call_id}/note", {"text": "customer prefers mornings"})
    assert response.status_code == 200, response.text
    author = response.json()["last_log"].split(":")[0]
    assert author.startswith("token#") and response.json()["last_log"].endswith(": customer prefers mornings")
    assert stored(box, call_id)["log"][-1] == response.json()["last_log"]
    assert in_acd(box, call_id)["log"] == response.json()["last_log"]
    assert (in_acd(box, call_id)["last_handler"], stored(box, call_id)["last_handler"]) == (None, None)

    # Refused without a note, and a waiting callback is not requeued: nothing changes.
    assert post(box, f"/callbacks/{call_id}/cancel", {}).status_code == 400
    assert post(box, f"/callbacks/{call_id}/requeue", {"text": "again"}).status_code == 409
    assert (stored(box, call_id)["status"], in_acd(box, call_id)["status"]) == ("waiting", "waiting")

    # The note was on disk: a crashed engine restores the callback with it.
    box.kill_engine()
    assert stored(box, call_id)["log"][-2:] == [f"{author}: customer prefers mornings", "restored after a restart"]
    assert in_acd(box, call_id)["status"] == "waiting"

    response = post(box, f"/callbacks/{call_id}/cancel", {"text": "reached by e-mail"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    row = stored(box, call_id)
    assert (row["status"], row["log"][-1]) == ("cancelled", f"cancelled by {author}: reached by e-mail")
    assert in_acd(box, call_id) is None                         # off the ACD's open list
    assert call_id not in [c["call_id"] for c in box.api("GET", "/callbacks?open=1", expect=200)["items"]]
    assert post(box, f"/callbacks/{call_id}/cancel", {"text": "twice"}).status_code == 409
    with connect(box.data / "callbox.db") as conn:
        audit = conn.execute("SELECT action FROM audit_log WHERE action LIKE 'callback.%' AND detail LIKE ? "
                             "ORDER BY id", (f"call={call_id} %",)).fetchall()
    assert [a[0] for a in audit] == ["callback.note", "callback.cancel"]


def test_click_to_call_rings_the_agent_ahead_of_the_callers_interval(center, phone, tmp_path):
    box, agent_id = center["box"], center["agent"]["id"]
    queue = queue_with_rules(center, "call now", CALL_NOW_DID, NO_MENU)
    result = run_sipp("trunk_call_callback.xml", f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                      service=CALL_NOW_DID, media_port=free_port(span=3), timeout=30, workdir=tmp_path)
    assert result.returncode == 0, result.explain() + box.logs()
    original = call_record(box, CALL_NOW_DID)
    call_id = original["id"]

    # The caller's menu to choose an interval is not in this test's hands: the stored request is given
    # one that starts in an hour, and a crashed engine restores it on its own clock.
    wanted_from = time.time() + HOUR          # the row was written when the callback was confirmed
    with connect(box.data / "callbox.db") as conn:
        conn.execute("UPDATE callbacks SET wanted_from = ? WHERE call_id = ?", (wanted_from, call_id))
    box.kill_engine()
    assert stored(box, call_id)["wanted_from"] == pytest.approx(wanted_from)

    # The agent logs in and is free, yet the callback waits for its interval.
    with background_sipp("customer_phone.xml", local_port=center["trunk_port"], media_port=free_port(span=3),
                         timeout=40, workdir=tmp_path, extra=("-d", "3000")) as customer:
        phone.register()
        phone.answer_calls()
        box.api("POST", f"/agents/{agent_id}/login", {"queue_ids": [queue["id"]]}, expect=200)
        # the engine notices the phone within its registration poll (2 s)
        box.wait_for(lambda: next(a for a in box.engine_status()["agents"] if a["id"] == agent_id)["state"] == "idle",
                     what="the agent to be idle")
        time.sleep(1.0)
        assert in_acd(box, call_id)["status"] == "waiting"

        # Click to call through the API (the admin token names the agent whose phone rings).
        response = post(box, f"/callbacks/{call_id}/call", {"agent_id": agent_id})
        assert response.status_code == 200, response.text + box.logs()
        assert (response.json()["status"], response.json()["last_handler"]) == ("calling", agent_id)
        assert response.json()["last_log"] == f"called now by agent {agent_id}"
        assert post(box, f"/callbacks/{call_id}/call", {"agent_id": agent_id}).status_code == 409   # placed already
        assert customer.wait(30).returncode == 0, customer.wait(1).explain() + box.logs()
    assert phone.uas.wait(10).returncode == 0, phone.uas.wait(1).explain() + box.logs()

    callback = box.wait_for(lambda: next((c for c in box.api("GET", "/calls", expect=200)["items"]
                                          if c.get("callback_of") == call_id and c["outcome"]), None),
                            what="the callback's CDR")
    assert (callback["outcome"], callback["agent"], callback["callee"]) == ("answered", "1001", original["caller"])
    row = box.wait_for(lambda: (r := stored(box, call_id))["status"] == "answered" and r, what="answered row")
    assert (row["last_handler"], row["attempts"]) == (agent_id, 1)
    with connect(box.data / "callbox.db") as conn:
        audit = conn.execute("SELECT detail FROM audit_log WHERE action = 'callback.call'").fetchall()
    assert [a[0] for a in audit] == [f"call={call_id} agent={agent_id}"]
