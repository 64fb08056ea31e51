"""The alarms list (ACD15) on its page and in the API: open ones first, subjects by name, whether the
notices went out and the last delivery error; supervisors and up."""

from __future__ import annotations

import pytest

from firmware.store import queries


@pytest.fixture
def alarms(db, users):
    """A past alarm of queue Support (both notices out), an open one of that queue whose notice keeps
    failing, and an open one of a queue that is gone."""
    support = queries.create_queue(db, "Support")["id"]
    queries.raise_alarm(db, "few-agents", f"queue {support}", "0 agents logged in")
    queries.clear_alarm(db, "few-agents", f"queue {support}", "2 agents logged in")
    rows = {a["name"]: a for a in queries.list_alarms(db)}
    past = rows["few-agents"]["id"]
    queries.alarm_notice_sent(db, past, "raised", 1000.0)
    queries.alarm_notice_sent(db, past, "cleared", 2000.0)
    queries.raise_alarm(db, "long-wait", f"queue {support}", "longest wait 300 s")
    queries.raise_alarm(db, "sl-at-risk", "queue 77", "62 % answered in time")
    failing = next(a["id"] for a in queries.list_alarms(db) if a["name"] == "long-wait")
    queries.alarm_notice_failed(db, failing, "e-mail via mail.example.com:587: login refused (535)", 4000.0)
    return {"past": past, "failing": failing, "support": support}


def test_the_api_lists_open_alarms_first_with_their_notices(client, token, alarms):
    response = client.get("/api/v1/alarms", headers=token("supervisor"))
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(a["name"], a["open"]) for a in items] == [("sl-at-risk", True), ("long-wait", True),
                                                       ("few-agents", False)]
    sl, failing, past = items
    assert failing["subject"] == f"queue {alarms['support']}" and failing["subject_name"] == "queue Support"
    assert sl["subject_name"] == "queue 77"           # the queue is gone: its id it is
    assert failing["last_error"] == "e-mail via mail.example.com:587: login refused (535)"
    assert failing["attempts"] == 1 and failing["next_attempt_at"] == "1970-01-01T01:06:40Z"
    assert failing["raise_sent_at"] is None and failing["cleared_at"] is None
    assert past["cleared_detail"] == "2 agents logged in" and past["detail"] == "0 agents logged in"
    assert past["raise_sent_at"] == "1970-01-01T00:16:40Z" and past["clear_sent_at"] == "1970-01-01T00:33:20Z"
    assert past["next_attempt_at"] is None and past["raised_at"].endswith("Z")
    assert [a["name"] for a in client.get("/api/v1/alarms?limit=1", headers=token("admin")).get_json()["items"]] \
        == ["sl-at-risk"]


def test_the_api_needs_a_supervisor(client, token, alarms):
    assert client.get("/api/v1/alarms", headers=token("agent")).status_code == 403
    response = client.get("/api/v1/alarms?limit=0", headers=token("supervisor"))
    assert response.status_code == 400 and "limit" in response.get_json()["error"]


def test_the_page_shows_open_alarms_then_past_ones(client, auth, alarms):
    auth.login("super")
    page = client.get("/alarms").get_data(as_text=True)
    open_part, past_part = page.split("<h2>Past</h2>")
    assert "<h2>Open <small>2</small></h2>" in open_part
    assert open_part.index("sl-at-risk") < open_part.index("long-wait") and "few-agents" not in open_part
    assert "queue Support" in open_part and "queue 77" in open_part
    assert "login refused (535)" in open_part and "next try" in open_part
    assert "few-agents" in past_part and "(2 agents logged in)" in past_part
    assert past_part.count('<span class="status answered">sent ') == 2
    assert 'href="/alarms" aria-current="page"' in page


def test_the_page_and_its_link_are_for_supervisors(client, auth, alarms):
    auth.login("ann")
    assert client.get("/alarms").status_code == 403
    assert 'href="/alarms"' not in client.get("/live").get_data(as_text=True)


def test_without_alarms_the_page_says_so(client, auth, users):
    auth.login("admin")
    page = client.get("/alarms").get_data(as_text=True)
    assert "No open alarm." in page and "None yet." in page
