"""The caller's callback menu, key by key."""

from firmware.engine.calls.callback_menu import Back, CallbackMenu, Chosen, Play

LATER = frozenset(range(14, 18))


def press(menu: CallbackMenu, keys: str) -> list:
    return [menu.key(k) for k in keys]


def test_own_number_as_soon_as_it_is_your_turn():
    menu = CallbackMenu("+46 70 123", ask_number=True, later_hours=LATER)
    assert menu.start() == Play(("callback-number-is", 4, 6, 7, 0, 1, 2, 3, "callback-number-choice"))
    assert press(menu, "1") == [Play(("callback-when",))]
    assert menu.key("1") == Chosen("+46 70 123", None)


def test_another_number_at_a_later_hour():
    menu = CallbackMenu("+4670123", ask_number=True, later_hours=LATER)
    menu.start()
    assert menu.key("2") == Play(("callback-enter-number",))
    assert press(menu, "0851234") == [None] * 7
    assert menu.key("#") == Play(("callback-when",))
    assert menu.key("2") == Play(("callback-enter-hour",))
    assert press(menu, "15#") == [None, None, Chosen("0851234", 15)]


def test_wrong_answers_are_asked_again_then_the_caller_goes_back_to_the_queue():
    menu = CallbackMenu("+4670123", ask_number=True, later_hours=LATER)
    menu.start()
    assert menu.key("7") == Play(("callback-invalid", "callback-number-choice"))
    menu.key("1")
    menu.key("2")
    assert press(menu, "9#") == [None, Play(("callback-invalid", "callback-enter-hour"))]   # not a later hour
    assert press(menu, "#") == [Play(("callback-invalid", "callback-enter-hour"))]        # nothing typed
    assert isinstance(menu.key("#"), Back)


def test_number_length_is_checked():
    menu = CallbackMenu("anonymous", ask_number=False, later_hours=frozenset())
    assert menu.start() == Play(("callback-enter-number",))    # no number to call back: one must be typed
    assert press(menu, "12#") == [None, None, Play(("callback-invalid", "callback-enter-number"))]
    assert press(menu, "1" * 21) == [None] * 20 + [Play(("callback-invalid", "callback-enter-number"))]
    assert press(menu, "123#") == [None, None, None, Chosen("123", None)]   # no later hours: no "when" step


def test_star_and_silence_leave_the_menu():
    menu = CallbackMenu("+4670123", ask_number=True, later_hours=LATER)
    menu.start()
    assert isinstance(menu.key("*"), Back)
    assert isinstance(menu.timeout(), Back)


def test_nothing_to_ask_chooses_at_once():
    menu = CallbackMenu("+4670123", ask_number=False, later_hours=frozenset())
    assert menu.start() == Chosen("+4670123", None)


def test_later_hours_are_what_is_left_of_today_and_open():
    import datetime as dt
    from zoneinfo import ZoneInfo

    from firmware.acd.settings import parse_queue_settings
    from firmware.engine.calls.callback_menu import hour_interval, later_hours
    zone = ZoneInfo("Europe/Stockholm")
    schedule = parse_queue_settings({"schedule": {"timezone": "Europe/Stockholm",
                                                  "weekly": {"mon": "08:00-12:00,13:00-17:00"}}})[0].schedule
    monday_10_30 = dt.datetime(2026, 11, 23, 10, 30, tzinfo=zone).timestamp()
    assert later_hours(monday_10_30, zone, schedule.is_open) == {11, 13, 14, 15, 16}
    assert later_hours(monday_10_30, zone, lambda t: True) == set(range(11, 24))
    start, end = hour_interval(monday_10_30, zone, 15)
    assert (start, end) == (dt.datetime(2026, 11, 23, 15, tzinfo=zone).timestamp(),
                            dt.datetime(2026, 11, 23, 16, tzinfo=zone).timestamp())
    # the night of the change to summer time: 02:00 does not exist, the hour is still one hour long
    spring = dt.datetime(2026, 3, 29, 0, 30, tzinfo=zone).timestamp()
    assert hour_interval(spring, zone, 3)[1] - hour_interval(spring, zone, 3)[0] == 3600
