"""The wallboard's figures (STAT1) on a hand-made day, every answer worked out by hand (docs/kpi.md)."""

from __future__ import annotations

from datetime import datetime

import pytest

from firmware.stats.wallboard import (DayLog, WallboardSettingsError, colour, day_start, figures,
                                      parse_settings)

SUPPORT, SALES = 1, 2


def day(*rows):
    return [{"id": n, "at": at, "event": event, "call_id": call, "queue_id": queue, "agent_id": agent,
             "data": data or {}} for n, (at, event, call, queue, agent, data) in enumerate(rows, 1)]


EVENTS = day(
    (50, "answer", 9, SUPPORT, 1, None),                 # entered before the day began: not the day's call
    (100, "enter", 1, SUPPORT, None, None),
    (110, "answer", 1, SUPPORT, 1, None),                # waited 10 s: within support's 20 s
    (170, "complete", 1, SUPPORT, 1, {"talk_seconds": 60.0}),
    (200, "enter", 2, SUPPORT, None, None),
    (230, "answer", 2, SUPPORT, 1, None),                # waited 30 s: past the threshold
    (320, "complete", 2, SUPPORT, 1, {"talk_seconds": 90.0}),
    (300, "enter", 3, SUPPORT, None, None),
    (303, "abandon", 3, SUPPORT, None, None),            # 3 s: a short abandon, left out of the service level
    (400, "enter", 4, SUPPORT, None, None),
    (440, "abandon", 4, SUPPORT, None, None),            # 40 s
    (500, "enter", 5, SUPPORT, None, None),
    (560, "overflow", 5, SUPPORT, None, {"reason": "max-wait", "destination": "queue"}),
    (560, "enter", 5, SALES, None, {"overflowed": True}),
    (565, "answer", 5, SALES, 2, None),                  # 5 s in sales: within its 10 s
    (600, "enter", 6, SUPPORT, None, None),              # still waiting (30 s at 630): past the threshold
    (625, "enter", 7, SUPPORT, None, None),              # still waiting (5 s): undecided
    (620, "pause", None, None, 3, {"reason": "lunch"}),
)

STATUS = {
    "queues": [
        {"id": SUPPORT, "name": "support", "longest_wait_seconds": 30.0, "waiting": [
            {"call_id": 6, "caller": "+4966", "position": 1, "waited_seconds": 30.0, "caller_input": "12"},
            {"call_id": 7, "caller": "+4977", "position": 2, "waited_seconds": 5.0, "caller_input": ""}]},
        {"id": SALES, "name": "sales", "longest_wait_seconds": 0.0, "waiting": []},
    ],
    "agents": [
        {"id": 1, "name": "Ann", "extension": "1001", "state": "idle", "queue_ids": [SUPPORT], "call_id": None},
        {"id": 2, "name": "Bo", "extension": "1002", "state": "busy", "queue_ids": [SALES], "call_id": 5},
        {"id": 3, "name": "Cy", "extension": "1003", "state": "paused", "pause_reason": "lunch",
         "queue_ids": [SUPPORT], "call_id": None},
        {"id": 4, "name": "Di", "extension": "1004", "state": "logged-out", "queue_ids": [], "call_id": None},
    ],
    "calls": [{"call_id": 5, "caller": "+4955", "agent_id": 2, "ringing_agent_ids": []},
              {"call_id": 6, "caller": "+4966", "agent_id": None, "ringing_agent_ids": []},
              {"call_id": 7, "caller": "+4977", "agent_id": None, "ringing_agent_ids": []}],
}
MEMBERS = {SUPPORT: [1, 3, 4], SALES: [2]}


@pytest.fixture
def board():
    log = DayLog(sl_targets={SUPPORT: 20.0, SALES: 10.0})
    log.add(EVENTS)
    settings = parse_settings({"queues": {"1": {"thresholds": {"waiting": {"amber": 1, "red": 2}}}}})
    return figures(log, STATUS, MEMBERS, settings, now=630.0)


def test_a_queues_calls_today(board):
    support = board["queues"][0]
    assert (support["offered"], support["answered"], support["answered_within_threshold"], support["abandoned"],
            support["abandoned_short"], support["overflowed"]) == (7, 2, 1, 1, 1, 1)
    # Service level: answered within 20 s / (offered - short abandons - calls still waiting under 20 s)
    assert support["service_level"] == pytest.approx(1 / 5, abs=1e-4)
    assert support["average_wait_seconds"] == 20.0 and support["average_talk_seconds"] == 75.0
    sales = board["queues"][1]
    assert (sales["offered"], sales["answered"], sales["service_level"], sales["average_wait_seconds"],
            sales["average_talk_seconds"]) == (1, 1, 1.0, 5.0, None)


def test_the_total_adds_up_the_queues(board):
    total = board["total"]
    assert (total["offered"], total["answered"], total["abandoned"], total["abandoned_short"], total["waiting"],
            total["longest_wait_seconds"]) == (8, 3, 1, 1, 2, 30.0)
    assert total["service_level"] == pytest.approx(2 / 6, abs=1e-4)
    assert total["average_wait_seconds"] == 15.0 and total["average_talk_seconds"] == 75.0


def test_agents_by_state(board):
    support, sales, total = board["queues"][0]["agents"], board["queues"][1]["agents"], board["total"]["agents"]
    assert (support["staffed"], support["idle"], support["paused"], support["paused_by_reason"],
            support["logged_out"]) == (2, 1, 1, {"lunch": 1}, 1)
    assert (sales["staffed"], sales["talking"], sales["logged_out"]) == (1, 1, 0)
    assert (total["staffed"], total["idle"], total["talking"], total["paused"], total["logged_out"]) == (3, 1, 1, 1, 1)


def test_thresholds_colour_the_figures_per_queue(board):
    support, sales = board["queues"][0]["colours"], board["queues"][1]["colours"]
    assert support == {"waiting": "red", "longest_wait_seconds": "green", "service_level": "red"}
    assert sales == {"waiting": "green", "longest_wait_seconds": "green", "service_level": "green"}
    assert [colour(v, {"amber": 0.8, "red": 0.6}) for v in (0.9, 0.8, 0.7, 0.6)] == ["green", "amber", "amber", "red"]
    assert [colour(v, {"amber": 60, "red": 120}) for v in (59, 60, 119, 120)] == ["green", "amber", "amber", "red"]


def test_the_waiting_callers_and_the_roster(board):
    assert [(w["caller"], w["position"], w["caller_input"], w["waited_seconds"]) for w in board["waiting"]] == \
        [("+4966", 1, "12", 30.0), ("+4977", 2, "", 5.0)]
    roster = {a["extension"]: a for a in board["agents"]}
    assert (roster["1001"]["calls_today"], roster["1001"]["since_seconds"], roster["1001"]["caller"]) == (2, 310.0, None)
    assert (roster["1002"]["calls_today"], roster["1002"]["caller"], roster["1002"]["queues"]) == (1, "+4955", ["sales"])
    assert (roster["1003"]["state"], roster["1003"]["pause_reason"], roster["1003"]["since_seconds"]) == \
        ("paused", "lunch", 10.0)


def test_a_short_abandon_limit_is_a_setting():
    log = DayLog(sl_targets={SUPPORT: 20.0}, short_abandon_seconds=2.0)
    log.add(EVENTS)
    assert (log.queues[SUPPORT].abandoned, log.queues[SUPPORT].abandoned_short) == (2, 0)


def test_today_starts_at_midnight_or_at_the_configured_hour():
    noon = datetime(2026, 12, 3, 12, 0).timestamp()
    assert day_start(noon) == datetime(2026, 12, 3).timestamp()
    assert day_start(noon, hour=6) == datetime(2026, 12, 3, 6).timestamp()
    assert day_start(datetime(2026, 12, 3, 5, 59).timestamp(), hour=6) == datetime(2026, 12, 2, 6).timestamp()


@pytest.mark.parametrize(("value", "field"), [
    ({"day_starts_at": 24}, "day_starts_at"), ({"short_abandon_seconds": -1}, "short_abandon_seconds"),
    ({"thresholds": {"talk": {"amber": 1, "red": 2}}}, "thresholds.talk"),
    ({"thresholds": {"waiting": {"amber": 1}}}, "thresholds.waiting"),
    ({"queues": {"x": {}}}, "queues.x"), ({"colour": 1}, "colour")])
def test_wrong_settings_are_refused_naming_the_field(value, field):
    with pytest.raises(WallboardSettingsError) as caught:
        parse_settings(value)
    assert caught.value.field == field
