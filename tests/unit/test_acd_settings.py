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
        "callback": {"offer_when_wait_over": 60, "key": "2", "max_concurrent": 3},
        "messages": {"repeated": ["queue-repeat", "queue-first"], "frequency": 20, "announce_wait": True},
    }, "round-robin")
    assert config.strategy is Strategy.ROUND_ROBIN
    assert (config.ring_timeout, config.wrapup, config.max_no_answer) == (20.0, 15.0, 3)
    assert config.overflow[0].condition is Condition.MAX_WAIT and config.overflow[0].threshold == 300
    assert config.overflow[0].destination == Destination("queue", 2)
    assert config.overflow[1].destination == Destination("hangup", "closed")
    assert (config.callback.offer_when_wait_over, config.callback.key, config.callback.max_concurrent) == (60, "2", 3)
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
])
def test_bad_settings_name_their_field(settings, field):
    with pytest.raises(SettingsError) as error:
        parse_queue_settings(settings)
    assert error.value.field == field


def test_an_unknown_strategy_is_refused():
    with pytest.raises(SettingsError, match="strategy"):
        parse_queue_settings({}, "loudest-first")
