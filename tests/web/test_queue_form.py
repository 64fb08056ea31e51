"""The rules form's pure functions: settings -> form values -> settings, empty means default, and the
parser's error fields mapped to the form's inputs."""

from __future__ import annotations

import copy

import pytest

from firmware.acd import settings as parser
from firmware.acd.settings import SettingsError, parse_queue_settings
from webui.queues import form as queue_form
from webui.queues.form import CHECKBOXES, form_to_settings, read_form, settings_to_form

WEEK = {"mon": "08:00-12:00,13:00-17:00", "tue": "08:00-17:00", "wed": "08:00-17:00", "thu": "08:00-17:00",
        "fri": "08:00-15:00", "sat": "10:00-13:00", "sun": ""}

# Every rule the parser knows, each away from its default.
FULL = {
    "ring_timeout": 20, "retry_delay": 5, "wrapup": 12.5, "max_no_answer": 3, "sticky_window": 86400,
    "sticky_hold": 20, "weight": 2, "handle_time": 240,
    "announce_agent": True, "disposition_required": True,
    "schedule": {"timezone": "Europe/Stockholm", "weekly": WEEK, "holidays": ["2026-12-25", "01-01"],
                 "exceptions": {"2026-12-24": "08:00-12:00", "2026-12-31": ""}},
    "overflow": [
        {"condition": "closed", "destination": {"kind": "hangup", "target": "closed"}},
        {"condition": "max-wait", "threshold": 300, "destination": {"kind": "queue", "target": 2}},
        {"condition": "no-agent-logged-in", "destination": {"kind": "number", "target": "+46812345"}},
        {"condition": "estimated-wait", "threshold": 600, "destination": {"kind": "callback"}},
        {"condition": "max-length", "threshold": 10, "destination": {"kind": "voicemail"}},
    ],
    "callback": {"offer_when_wait_over": 90, "max_concurrent": 4, "retry_delay": 600, "max_attempts": 5, "key": "#",
                 "window": {"timezone": "Europe/Berlin", "weekly": {**WEEK, "sat": ""},
                            "holidays": ["05-01"], "exceptions": {"2026-12-23": "09:00-11:00"}},
                 "ask_number": False, "offer_later": False},
    "messages": {"first": None, "repeated": ["queue-repeat", "welcome"], "frequency": 45,
                 "announce_position": False, "announce_wait": True},
    "skills": {"de": 5, "customer care": 2},
    "skill_rules": [{"after": 30, "min_level": 3}, {"after": 90.5, "min_level": 0}],
    "member_order": [3, 1, 2], "member_weights": {"3": 2.5, "1": 0.5}, "auto_pause_reason": "missed-calls",
    "alarms": {"min_agents": 2, "agents_margin": 2, "sl_target": 30, "sl_goal": 0.8, "sl_margin": 0.1,
               "max_longest_wait": 180, "wait_margin": 0.25, "min_calls": 20},
    "standby": {"agents": [7, 8], "on_waiting": 5, "on_longest_wait": 120, "on_available_at_most": 1,
                "off_waiting": 1, "off_longest_wait": 30, "min_on_seconds": 600},
}


def posted(values: dict[str, str]) -> dict[str, str]:
    """What a browser sends for a form showing `values`: every text input, ticked checkboxes only,
    the member order as one select per place and the stand-by agents as one checkbox per agent."""
    form = {name: value for name, value in values.items()
            if (value or name not in CHECKBOXES) and name not in queue_form.AGENT_LISTS}
    form.update({f"member_order[{place}]": agent_id
                 for place, agent_id in enumerate(queue_form.agent_ids(values["member_order"]))})
    form.update({f"standby.agents.{agent_id}": "on" for agent_id in queue_form.agent_ids(values["standby.agents"])})
    return form


# The boxes ticked on the form of a queue without rules (their parser default is true).
DEFAULT_TICKS = {"callback.ask_number": "on", "callback.offer_later": "on", "messages.announce_position": "on"}


def round_trip(settings: dict, strategy: str = "skills") -> dict:
    return form_to_settings(read_form(posted(settings_to_form(settings, strategy))))


def test_every_rule_survives_the_form():
    assert round_trip(FULL) == FULL
    assert parse_queue_settings(round_trip(FULL), "skills") == parse_queue_settings(FULL, "skills")


def test_the_strategy_is_shown_and_read_back():
    assert read_form(posted(settings_to_form(FULL, "round-robin")))["strategy"] == "round-robin"


def test_an_untouched_form_of_a_queue_without_rules_stores_nothing():
    assert round_trip({}) == {}
    assert round_trip(None) == {}


def test_the_form_covers_every_setting_of_the_parser():
    # A setting the form lacked would be dropped when an admin saves rules the API had set.
    assert set(queue_form.NUMBERS) == set(parser._NUMBERS)
    assert set(queue_form.CALLBACK_NUMBERS) == set(parser._CALLBACK_NUMBERS)
    assert set(queue_form.ALARM_NUMBERS) == set(parser._ALARM_NUMBERS)
    assert set(queue_form.STANDBY_NUMBERS) == set(parser._STANDBY_NUMBERS)
    assert round_trip(copy.deepcopy(FULL)).keys() == FULL.keys()


def test_numbers_are_numbers_and_other_text_is_left_for_the_parser():
    values = read_form({**DEFAULT_TICKS, "wrapup": " 15 ", "weight": "2.5", "ring_timeout": "soon"})
    assert form_to_settings(values) == {"wrapup": 15, "weight": 2.5, "ring_timeout": "soon"}
    with pytest.raises(SettingsError) as error:
        parse_queue_settings(form_to_settings(values))
    assert error.value.field == "ring_timeout"


def test_a_day_left_empty_is_closed_once_the_schedule_is_used():
    settings = form_to_settings(read_form({**DEFAULT_TICKS, "schedule.weekly.mon": "08:00-17:00"}))
    assert settings == {"schedule": {"weekly": {**dict.fromkeys(WEEK, ""), "mon": "08:00-17:00"}}}


def test_holidays_and_exceptions_one_a_line():
    values = read_form({"schedule.holidays": "2026-12-25\n\n 01-01 \n",
                        "schedule.exceptions": "2026-12-24 08:00-12:00, 13:00-14:00\n2026-12-31\n"})
    assert form_to_settings(values)["schedule"]["holidays"] == ["2026-12-25", "01-01"]
    assert form_to_settings(values)["schedule"]["exceptions"] == {"2026-12-24": "08:00-12:00, 13:00-14:00",
                                                                  "2026-12-31": ""}


def test_an_exception_given_twice_is_an_error_of_its_input():
    values = read_form({"schedule.exceptions": "2026-12-24 08:00-12:00\n2026-12-24 09:00-10:00"})
    with pytest.raises(SettingsError) as error:
        form_to_settings(values)
    assert error.value.field == "schedule.exceptions" and "2026-12-24 is given twice" in str(error.value)


def test_overflow_rows_left_empty_or_removed_are_dropped_and_the_rest_renumbered():
    form = {
        "overflow[0].condition": "max-wait", "overflow[0].threshold": "60", "overflow[0].destination.kind": "queue",
        "overflow[0].destination.target": "3", "overflow[0].remove": "on",
        "overflow[1].condition": "", "overflow[1].threshold": "", "overflow[1].destination.kind": "",
        "overflow[1].destination.target": "",
        "overflow[2].condition": "max-length", "overflow[2].threshold": "soon", "overflow[2].destination.kind": "number",
        "overflow[2].destination.target": "0701234",
    }
    values = read_form(form)
    assert queue_form.overflow_rows(values) == [
        {"condition": "max-length", "threshold": "soon", "kind": "number", "target": "0701234"}]
    assert len(queue_form.overflow_rows(values, blank=2)) == 3
    assert form_to_settings(values)["overflow"] == [
        {"condition": "max-length", "threshold": "soon", "destination": {"kind": "number", "target": "0701234"}}]
    with pytest.raises(SettingsError) as error:
        parse_queue_settings(form_to_settings(values))
    assert error.value.field == "overflow[0].threshold"


def test_a_queue_target_is_an_id_and_other_targets_stay_text():
    rule = {"overflow[0].condition": "closed", "overflow[0].destination.target": "12"}
    as_queue = form_to_settings(read_form({**rule, "overflow[0].destination.kind": "queue"}))
    as_message = form_to_settings(read_form({**rule, "overflow[0].destination.kind": "hangup"}))
    assert as_queue["overflow"][0]["destination"]["target"] == 12
    assert as_message["overflow"][0]["destination"]["target"] == "12"


def test_booleans_are_stored_only_away_from_their_default():
    values = read_form({**DEFAULT_TICKS, "callback": "on"})
    assert form_to_settings(values) == {"callback": {}}
    values = read_form({"announce_agent": "on", "messages.announce_wait": "on"})
    assert form_to_settings(values) == {"announce_agent": True, "messages": {"announce_position": False,
                                                                             "announce_wait": True}}


def test_callback_options_are_kept_on_the_form_but_not_stored_while_callbacks_are_off():
    values = read_form({**DEFAULT_TICKS, "callback.key": "2"})
    assert values["callback.key"] == "2" and form_to_settings(values) == {}


def test_agents_are_read_from_one_select_per_place_and_one_checkbox_per_agent():
    values = read_form({**DEFAULT_TICKS, "member_order[0]": "3", "member_order[1]": "", "member_order[2]": "1",
                        "member_weights.3": " 2 ", "member_weights.1": "", "standby.agents.8": "on",
                        "standby.agents.7": "on", "standby.on_waiting": "4"})
    assert (values["member_order"], values["standby.agents"]) == ("3, 1", "7, 8")
    assert form_to_settings(values) == {"member_order": [3, 1], "member_weights": {"3": 2},
                                        "standby": {"agents": [7, 8], "on_waiting": 4}}


def test_stand_by_thresholds_without_agents_are_kept_for_the_parser_to_refuse():
    settings = form_to_settings(read_form({**DEFAULT_TICKS, "standby.on_waiting": "4"}))
    assert settings == {"standby": {"agents": [], "on_waiting": 4}}
    with pytest.raises(SettingsError) as error:
        parse_queue_settings(settings)
    assert error.value.field == "standby.agents"


def test_skill_rules_rows_like_overflow_rows():
    values = read_form({"skill_rules[0].after": "60", "skill_rules[0].min_level": "0",
                        "skill_rules[1].after": "", "skill_rules[1].min_level": "",
                        "skill_rules[2].after": "30", "skill_rules[2].min_level": "3", "skill_rules[2].remove": "on",
                        "skill_rules[3].after": "90", "skill_rules[3].min_level": "high"})
    assert form_to_settings(values)["skill_rules"] == [{"after": 60, "min_level": 0},
                                                       {"after": 90, "min_level": "high"}]
    with pytest.raises(SettingsError) as error:
        parse_queue_settings(form_to_settings(values))
    assert error.value.field == "skill_rules[1].min_level"


def test_agents_the_rules_name_are_offered_even_when_not_listed():
    agents = [{"id": 1, "extension": "1001", "name": "Ann"}]
    assert queue_form.agent_choices(agents, ["3", "1"], ["3", "4"]) == [
        ("1", "1001 Ann"), ("3", "agent 3 (not listed)"), ("4", "agent 4 (not listed)")]


@pytest.mark.parametrize("field, settings, expected", [
    ("schedule.weekly.mon", {}, ("schedule.weekly.mon", "bad")),
    ("overflow[2].threshold", {}, ("overflow[2].threshold", "bad")),
    ("overflow[2].destination.target", {}, ("overflow[2].destination.target", "bad")),
    ("callback.window.timezone", {}, ("callback.window.timezone", "bad")),
    ("schedule.holidays[1]", {"schedule": {"holidays": ["01-01", "12-32"]}}, ("schedule.holidays", "12-32: bad")),
    ("callback.window.holidays[0]", {"callback": {"window": {"holidays": ["x"]}}},
     ("callback.window.holidays", "x: bad")),
    ("schedule.exceptions.2026-12-24", {}, ("schedule.exceptions", "2026-12-24: bad")),
    ("skills.de", {}, ("skills", "de: bad")),
    ("skill_rules[1].min_level", {}, ("skill_rules[1].min_level", "bad")),
    ("member_order", {}, ("member_order", "bad")),
    ("member_weights.3", {}, ("member_weights.3", "bad")),
    ("alarms.sl_goal", {}, ("alarms.sl_goal", "bad")),
    ("standby.agents", {}, ("standby.agents", "bad")),
    ("standby", {}, ("standby.on_waiting", "bad")),     # needs a threshold: the first one
    ("standby.on_waiting", {}, ("standby.on_waiting", "bad")),
    ("overflow[0].destination", {}, (None, "bad")),     # no input of its own: shown above the form
    ("settings_nobody_knows", {}, (None, "bad")),
])
def test_a_parser_error_is_placed_at_its_input(field, settings, expected):
    assert queue_form.error_input(field, "bad", settings) == expected
