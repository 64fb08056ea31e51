"""Queue settings as stored: parsed into the ACD's configuration, bad ones refused by field."""

import pytest

from firmware.acd import Condition, Destination, Strategy
from firmware.acd.settings import SettingsError, parse_queue_settings


def test_empty_settings_give_the_defaults():
    config, messages = parse_queue_settings({}, "longest-idle", "queue-1")
    assert config.strategy is Strategy.LONGEST_IDLE and config.overflow == () and config.callback is None
    assert config.messages == "queue-1"
    assert (messages.first, messages.repeated, messages.announce_position) == ("queue-first", ("queue-repeat",), True)


def test_a_full_set_of_rules():
    config, messages = parse_queue_settings({
        "ring_timeout": 20, "wrapup": 15, "max_no_answer": 3,
        "overflow": [{"condition": "max-wait", "threshold": 300, "destination": {"kind": "queue", "target": 2}},
                     {"condition": "closed", "destination": {"kind": "hangup", "target": "closed"}}],
        "callback": {"offer_when_wait_over": 60, "key": "2", "max_concurrent": 3, "offer_later": False},
        "messages": {"repeated": ["queue-repeat", "queue-first"], "frequency": 20, "announce_wait": True},
    }, "round-robin")
    assert config.strategy is Strategy.ROUND_ROBIN
    assert (config.ring_timeout, config.wrapup, config.max_no_answer) == (20.0, 15.0, 3)
    assert config.overflow[0].condition is Condition.MAX_WAIT and config.overflow[0].threshold == 300
    assert config.overflow[0].destination == Destination("queue", 2)
    assert config.overflow[1].destination == Destination("hangup", "closed")
    assert (config.callback.offer_when_wait_over, config.callback.key, config.callback.max_concurrent) == (60, "2", 3)
    assert config.callback.ask_number and not config.callback.offer_later
    assert messages.repeated == ("queue-repeat", "queue-first") and messages.announce_wait


@pytest.mark.parametrize("settings,field", [
    ({"ring_timout": 5}, "ring_timout"),
    ({"ring_timeout": "5"}, "ring_timeout"),
    ({"wrapup": -1}, "wrapup"),
    ({"overflow": {}}, "overflow"),
    ({"overflow": [{"condition": "late", "destination": {"kind": "hangup"}}]}, "overflow[0].condition"),
    ({"overflow": [{"condition": "max-wait", "destination": {"kind": "moon"}}]}, "overflow[0].destination.kind"),
    ({"overflow": [{"condition": "max-wait", "destination": {"kind": "queue", "target": "2"}}]},
     "overflow[0].destination.target"),
    ({"overflow": [{"condition": "max-wait", "destination": {"kind": "number", "target": "abc"}}]},
     "overflow[0].destination.target"),
    ({"callback": {"key": "12"}}, "callback.key"),
    ({"callback": {"when": 3}}, "callback.when"),
    ({"messages": {"repeated": "queue-repeat"}}, "messages.repeated"),
    ({"messages": {"frequency": 1}}, "messages.frequency"),
    ({"announce_agent": "yes"}, "announce_agent"),
    ({"schedule": {"timezone": "Mars/Olympus"}}, "schedule.timezone"),
    ({"schedule": {"weekly": {"monday": "08:00-17:00"}}}, "schedule.weekly.monday"),
    ({"schedule": {"weekly": {"mon": "8 to 5"}}}, "schedule.weekly.mon"),
    ({"schedule": {"weekly": {"mon": "17:00-08:00"}}}, "schedule.weekly.mon"),
    ({"schedule": {"holidays": ["25.12.2026"]}}, "schedule.holidays[0]"),
    ({"schedule": {"exceptions": {"12-24": "08:00-12:00"}}}, "schedule.exceptions.12-24"),
    ({"callback": {"window": {"weekly": {"sun": 9}}}}, "callback.window.weekly.sun"),
    ({"callback": {"ask_number": "no"}}, "callback.ask_number"),
    ({"skills": {"de": 11}}, "skills.de"),
    ({"skills": ["de"]}, "skills"),
    ({"skill_rules": [{"after": 30}]}, "skill_rules[0].min_level"),
    ({"skill_rules": [{"after": 30, "min_level": 2.5}]}, "skill_rules[0].min_level"),
    ({"member_order": [1, 1]}, "member_order"),
    ({"member_weights": {"ann": 2}}, "member_weights.ann"),
    ({"auto_pause_reason": ""}, "auto_pause_reason"),
    ({"alarms": {"min_agents": 1.5}}, "alarms.min_agents"),
    ({"alarms": {"sl_goal": 80}}, "alarms.sl_goal"),
    ({"alarms": {"email": "x@y"}}, "alarms.email"),
    ({"standby": {"agents": [], "on_waiting": 3}}, "standby.agents"),
    ({"standby": {"agents": [4]}}, "standby"),
])
def test_bad_settings_name_their_field(settings, field):
    with pytest.raises(SettingsError) as error:
        parse_queue_settings(settings)
    assert error.value.field == field


def test_an_unknown_strategy_is_refused():
    with pytest.raises(SettingsError, match="strategy"):
        parse_queue_settings({}, "loudest-first")


def test_opening_hours_holidays_and_exceptions_in_the_queues_time_zone():
    import datetime as dt
    config, _ = parse_queue_settings({"schedule": {
        "timezone": "Europe/Stockholm", "weekly": {day: "08:00-12:00,13:00-17:00" for day in ("mon", "tue", "thu")},
        "holidays": ["01-06", "2026-11-24"], "exceptions": {"2026-11-26": "10:00-00:00"}},
        "callback": {"window": {"weekly": {"mon": "09:00-10:00"}}}})

    def at(day: int, hour: int, minute: int = 0) -> float:       # local time in Stockholm, November 2026
        return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=1))).timestamp()

    schedule = config.schedule
    assert schedule.is_open(at(23, 8)) and not schedule.is_open(at(23, 7, 59))      # Monday
    assert not schedule.is_open(at(23, 12, 30)) and schedule.is_open(at(23, 16, 59))
    assert not schedule.is_open(at(24, 10))             # a dated holiday
    assert not schedule.is_open(at(25, 10))             # Wednesday: not in the plan
    assert schedule.is_open(at(26, 23, 59)) and not schedule.is_open(at(26, 9))     # the exception
    assert not schedule.is_open(dt.datetime(2027, 1, 6, 10, tzinfo=dt.UTC).timestamp())   # every year
    window = config.callback.window
    assert window.timezone == "UTC" and window.is_open(dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC).timestamp())


def test_opening_hours_bring_a_closed_rule_unless_one_is_given():
    from firmware.acd.settings import CLOSED_BY_DEFAULT
    config, _ = parse_queue_settings({"schedule": {"weekly": {"mon": "08:00-17:00"}}, "overflow": [
        {"condition": "max-wait", "threshold": 60, "destination": {"kind": "hangup"}}]})
    assert config.overflow[0] == CLOSED_BY_DEFAULT and config.overflow[1].condition is Condition.MAX_WAIT
    own = {"condition": "closed", "destination": {"kind": "queue", "target": 7}}
    config, _ = parse_queue_settings({"schedule": {}, "overflow": [own]})
    assert config.overflow == (parse_queue_settings({"overflow": [own]})[0].overflow[0],)
    assert parse_queue_settings({})[0].overflow == ()


def test_skills_alarms_stand_by_and_member_rules():
    from firmware.acd import AlarmPolicy, SkillRule, StandbyPolicy
    from firmware.acd.settings import call_skills
    settings = {"skills": {"de": 5}, "skill_rules": [{"after": 60, "min_level": 1}, {"after": 30, "min_level": 3}],
                "member_order": [3, 1, 2], "member_weights": {"3": 2.5}, "auto_pause_reason": "missed calls",
                "alarms": {"min_agents": 2, "sl_goal": 0.8, "max_longest_wait": 180},
                "standby": {"agents": [7, 8], "on_waiting": 5, "off_waiting": 1}}
    config, _ = parse_queue_settings(settings)
    assert call_skills(settings) == {"de": 5}
    assert config.skill_rules == (SkillRule(30.0, 3), SkillRule(60.0, 1))        # in order of the wait
    assert (config.member_order, config.member_weights) == ((3, 1, 2), {3: 2.5})
    assert config.auto_pause_reason == "missed calls"
    assert config.alarms == AlarmPolicy(min_agents=2, sl_goal=0.8, max_longest_wait=180.0)
    assert config.standby == StandbyPolicy(agents=(7, 8), on_waiting=5, off_waiting=1)


def test_agent_settings():
    from firmware.acd import AgentConfig
    from firmware.acd.settings import parse_agent_settings
    assert parse_agent_settings({}) == AgentConfig()
    assert parse_agent_settings({"skills": {"de": 7}, "wrapup": 20, "no_answer_delay": 30}) == \
        AgentConfig(skills={"de": 7}, wrapup=20.0, no_answer_delay=30.0)
    for bad, field in (({"skills": {"de": 0}}, "skills.de"), ({"wrapup": -1}, "wrapup"), ({"pause": 1}, "pause")):
        with pytest.raises(SettingsError) as error:
            parse_agent_settings(bad)
        assert error.value.field == field


def test_pause_reasons():
    from firmware.acd import PauseReason
    from firmware.acd.settings import DEFAULT_PAUSE_REASONS, parse_pause_reasons
    assert parse_pause_reasons([{"code": "lunch", "max_seconds": 3600}, {"code": "meeting", "billable": True}]) == [
        PauseReason("lunch", False, 3600.0), PauseReason("meeting", True, None), PauseReason("no-answer")]
    assert {r.code for r in parse_pause_reasons(DEFAULT_PAUSE_REASONS)} >= {"break", "lunch", "no-answer"}
    for bad, field in (({"code": "Lunch Break"}, "pause_reasons[0].code"),
                       ({"code": "x", "billable": "yes"}, "pause_reasons[0].billable"),
                       ({"code": "x", "max_seconds": 5}, "pause_reasons[0].max_seconds"),
                       ({"code": "x", "colour": "red"}, "pause_reasons[0].colour")):
        with pytest.raises(SettingsError) as error:
            parse_pause_reasons([bad])
        assert error.value.field == field
    with pytest.raises(SettingsError, match="twice"):
        parse_pause_reasons([{"code": "x"}, {"code": "x"}])


def test_references_name_each_thing_the_rules_point_at_with_its_field():
    from firmware.acd.settings import Reference, references
    settings = {"overflow": [{"condition": "max-wait", "threshold": 60, "destination": {"kind": "queue", "target": 2}},
                             {"condition": "closed", "destination": {"kind": "hangup", "target": "closed"}},
                             {"condition": "max-length", "threshold": 9, "destination": {"kind": "voicemail"}}],
                "messages": {"first": None, "repeated": ["queue-repeat", "welcome"]},
                "member_order": [3], "member_weights": {"4": 2}, "standby": {"agents": [7], "on_waiting": 2},
                "auto_pause_reason": " missed "}
    parse_queue_settings(settings)
    assert references(settings) == [
        Reference("overflow[0].destination.target", "queue", 2),
        Reference("overflow[1].destination.target", "prompt", "closed"),
        Reference("messages.repeated[0]", "prompt", "queue-repeat"),
        Reference("messages.repeated[1]", "prompt", "welcome"),
        Reference("member_order[0]", "agent", 3),
        Reference("member_weights.4", "agent", 4),
        Reference("standby.agents[0]", "agent", 7),
        Reference("auto_pause_reason", "pause_reason", "missed"),
    ]
    assert references({}) == [] and references(None) == []
