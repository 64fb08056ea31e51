"""An agent's logged-in and pause time from their activity, within a window."""

import pytest

from firmware.stats.agent_time import agent_time


def event(at, activity, reason="", billable=False):
    return {"at": at, "activity": activity, "reason": reason, "billable": billable}


DAY = [event(100, "login"), event(200, "pause", "lunch"), event(500, "pause-end", "lunch"),
       event(600, "pause", "training", True), event(700, "pause-end", "training", True), event(900, "logout")]


def test_a_day_in_the_window():
    figures = agent_time(DAY, 0, 1000)
    assert figures.logged_in == 800
    assert figures.paused == {"lunch": 300, "training": 100} and figures.paused_total == 400
    assert figures.billable_paused == 100


@pytest.mark.parametrize("since, until, logged_in, paused", [
    (300, 1000, 600, {"lunch": 200, "training": 100}),     # the window opens during lunch
    (0, 650, 550, {"lunch": 300, "training": 50}),         # ... and closes during training
    (950, 2000, 0, {}),                                    # after the logout
    (300, 400, 100, {"lunch": 100}),
])
def test_a_window_cuts_what_it_does_not_hold(since, until, logged_in, paused):
    figures = agent_time(DAY, since, until)
    assert (figures.logged_in, {k: v for k, v in figures.paused.items() if v}) == (logged_in, paused)


def test_what_is_still_open_counts_up_to_the_window_end():
    figures = agent_time([event(100, "login"), event(150, "pause", "break")], 0, 400)
    assert (figures.logged_in, figures.paused) == (300, {"break": 250})


def test_a_repeated_event_does_not_count_twice():
    figures = agent_time([event(0, "login"), event(10, "login"), event(20, "logout"), event(30, "logout")], 0, 100)
    assert figures.logged_in == 20
