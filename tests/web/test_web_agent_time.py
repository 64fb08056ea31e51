"""An agent's logins and pauses and the time they add up to (ACD10: billable pause time), from the API."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from firmware.store import queries
from tests.web.responses import api_error

DAY = "2026-03-10"          # a day in the past, in the box's local time


def at(clock: str, day: str = DAY) -> float:
    return datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M").timestamp()


@pytest.fixture
def agent(db, users):
    """Agent 1001 on DAY: logged in 08:00-17:00 (and on the day before 22:00 to 02:00), a billable
    coaching pause of 20 minutes, a lunch pause of 30 minutes."""
    agent_id = users["agent_row"]["id"]
    for when, activity, reason, billable in (
            (at("22:00", "2026-03-09"), "login", "", False), (at("02:00"), "logout", "", False),
            (at("08:00"), "login", "", False),
            (at("10:00"), "pause", "coaching", True), (at("10:20"), "pause-end", "coaching", True),
            (at("12:00"), "pause", "lunch", False), (at("12:30"), "pause-end", "lunch", False),
            (at("17:00"), "logout", "", False)):
        queries.add_agent_activity(db, agent_id, activity, reason, billable, when)
    db.commit()
    return agent_id


def _activity(client, token, agent_id, query="", role="supervisor"):
    return client.get(f"/api/v1/agents/{agent_id}/activity{query}", headers=token(role))


def test_a_supervisor_sees_an_agents_time_on_a_day(client, token, agent):
    response = _activity(client, token, agent, f"?from={DAY}&to={DAY}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert [i["activity"] for i in body["items"]] == ["logout", "login", "pause", "pause-end", "pause", "pause-end",
                                                      "logout"]
    assert body["logged_in_seconds"] == 2 * 3600 + 9 * 3600      # from midnight to 02:00, and 08:00-17:00
    assert body["paused_seconds"] == {"coaching": 1200, "lunch": 1800}
    assert body["billable_paused_seconds"] == 1200


def test_what_is_still_open_counts_up_to_now_and_the_default_is_today(client, token, db, users):
    agent_id, now = users["agent_row"]["id"], time.time()
    midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    login = max(midnight + 1, now - 600)
    queries.add_agent_activity(db, agent_id, "login", at=login)
    db.commit()
    body = _activity(client, token, agent_id).get_json()
    assert [i["activity"] for i in body["items"]] == ["login"]
    assert abs(body["logged_in_seconds"] - (now - login)) < 5


@pytest.mark.parametrize("query, words", [("?from=2026-13-01", ("from: is not a valid date",)),
                                          ("?from=2026-11-20&to=2026-11-19", ("to: must not be before from",)),
                                          ("?to=yesterday", ("to: must be a date",))])
def test_a_wrong_window_is_refused_at_its_field(client, token, agent, query, words):
    api_error(_activity(client, token, agent, query), 400, *words)


def test_an_unknown_agent_is_a_404_and_an_agent_token_may_not_look(client, token, agent):
    api_error(_activity(client, token, 999), 404, "no agent 999")
    assert _activity(client, token, agent, role="agent").status_code == 403
