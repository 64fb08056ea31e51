"""The reset button as the listener reads it from its line: debounced, then short press (restart),
10 s hold (the LED confirms) and release (factory reset); and pin maps that wire one line twice."""

import pytest

from firmware.board.io import DEBOUNCE_S, FACTORY_HOLD_S, Board, Debounce
from firmware.board.listener import ButtonWatch
from firmware.board.pins import PinMap, pin_map
from firmware.board.standin import StandInChip

BUTTON = 27


@pytest.fixture
def button(tmp_path):
    chip = StandInChip(tmp_path / "gpio.json")
    board = Board(PinMap(chip_label="pinctrl-bcm2711", led=17, button=BUTTON, relay=22), opener=chip,
                  chip_path="/dev/gpiochip0")
    done: list[str] = []
    watch = ButtonWatch(board, restart=lambda: done.append("restart"), reset=lambda: done.append("reset"))

    def level(pressed: bool, at: float) -> None:
        chip._set(BUTTON, pressed)
        watch.tick(at)

    return watch, level, done


def test_bounces_shorter_than_the_debounce_time_are_no_press(button):
    watch, level, done = button
    t = 10.0
    for _ in range(5):                       # contacts chattering, 10 ms apart
        level(True, t)
        level(False, t + 0.01)
        t += 0.02
    watch.tick(t + 1)
    assert done == []


def test_a_short_press_restarts_the_services(button):
    watch, level, done = button
    level(True, 10.0)
    level(False, 10.02)                      # a bounce
    level(True, 10.03)
    watch.tick(10.03 + DEBOUNCE_S)
    level(False, 10.6)
    watch.tick(10.6 + DEBOUNCE_S)
    assert done == ["restart"]


def test_a_10_s_hold_confirms_on_the_led_then_release_resets(button):
    watch, level, done = button
    level(True, 10.0)
    watch.tick(10.0 + DEBOUNCE_S)
    watch.tick(10.0 + FACTORY_HOLD_S - 0.1)
    assert not watch.confirming
    watch.tick(10.0 + FACTORY_HOLD_S + DEBOUNCE_S)
    assert watch.confirming, "the LED shows its confirmation pattern"
    assert done == [], "nothing is reset before the release"
    level(False, 21.0)
    watch.tick(21.0 + DEBOUNCE_S)
    assert done == ["reset"] and not watch.confirming


def test_a_hold_let_go_before_10_s_does_nothing(button):
    watch, level, done = button
    level(True, 10.0)
    watch.tick(10.0 + DEBOUNCE_S)
    level(False, 15.0)
    watch.tick(15.0 + DEBOUNCE_S)
    assert done == []


def test_debounce_reports_each_steady_change_once():
    debounce = Debounce()
    assert debounce.sample(True, 0.0) is None
    assert debounce.sample(True, DEBOUNCE_S) is True
    assert debounce.sample(True, 1.0) is None


@pytest.mark.parametrize("settings, message", [
    ({"GPIO_CHIP_LABEL": "x", "LED_LINE": "17", "RELAY_LINE": "17"}, "RELAY_LINE: line 17 is LED_LINE"),
    ({"GPIO_CHIP_LABEL": "x", "LED_LINE": "4", "BUTTON_LINE": "4"}, "BUTTON_LINE: line 4 is LED_LINE"),
    ({"LED_LINE": "17"}, "no GPIO_CHIP_LABEL"),
    ({"GPIO_CHIP_LABEL": "x", "BUTTON_LINE": "27.0"}, "BUTTON_LINE"),
    ({"GPIO_CHIP_LABEL": "x", "RELAY_LINE": "99999"}, "RELAY_LINE"),
    ({"GPIO_CHIP_LABEL": "x", "RELAY_LINE": "２２"}, "RELAY_LINE"),      # fullwidth digits: isdigit() is True
])
def test_pin_maps_wiring_a_line_twice_or_badly_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        pin_map(settings)


def test_the_relay_drops_when_the_engines_process_ends_before_supervisord_says_so(tmp_path):
    """supervisord hands its EXITED event over at its loop's next turn (up to 1 s later): the
    listener watches the engine's process itself (pidfd) and drops the relay the moment it ends."""
    import signal
    import subprocess
    import time

    from firmware.board.listener import EngineWatch

    chip = StandInChip(tmp_path / "gpio.json")
    board = Board(PinMap(chip_label="x", led=17, button=BUTTON, relay=22), opener=chip, chip_path="/dev/gpiochip0")
    watch = EngineWatch(board)
    engines = [subprocess.Popen(["sleep", "100"]) for _ in range(2)]
    try:
        running = {"eventname": "PROCESS_STATE_RUNNING"}
        watch.handle(running, f"processname:engine groupname:engine from_state:STARTING pid:{engines[0].pid}".encode())
        assert chip.levels()[22] is True
        engines[0].send_signal(signal.SIGKILL)
        started = time.monotonic()
        while chip.levels()[22] is not False:
            assert time.monotonic() - started < 1.0, "released by the process's end, not by an event"
            time.sleep(0.005)
        # a newer engine is up: the end of an older process it no longer is does not release it
        watch.handle(running, f"processname:engine pid:{engines[1].pid}".encode())
        watch.engine_died(engines[0].pid)
        assert chip.levels()[22] is True
        watch.handle({"eventname": "PROCESS_STATE_RUNNING"}, b"processname:engine pid:99999999999")
        assert watch.pid is None and chip.levels()[22] is True, "a pid of 11 digits is not watched"
    finally:
        for engine in engines:
            engine.kill()
            engine.wait()


def test_the_led_shows_a_call_in_progress_from_the_engines_published_status(tmp_path):
    """The listener subscribes to the engine's socket as the web's live views do: calls in progress
    turn the ready LED into the call pattern; garbage or a gone engine counts as no call."""
    import json
    import socket
    import threading
    import time

    from firmware.board.io import LedState
    from firmware.board.listener import EngineWatch, follow_calls, led_state

    path = tmp_path / "engine.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    chip = StandInChip(tmp_path / "gpio.json")
    board = Board(PinMap(chip_label="x", led=17, button=BUTTON, relay=22), opener=chip, chip_path="/dev/gpiochip0")
    watch = EngineWatch(board)
    watch.handle({"eventname": "PROCESS_STATE_RUNNING"}, b"processname:engine")
    button = ButtonWatch(board)
    stop = threading.Event()
    follower = threading.Thread(target=follow_calls, args=(watch, stop, path, 0.05), daemon=True)
    follower.start()

    def until(predicate):
        started = time.monotonic()
        while not predicate():
            assert time.monotonic() - started < 5
            time.sleep(0.01)

    def status(**fields) -> bytes:
        return json.dumps({"event": "status", "status": fields}).encode() + b"\n"

    try:
        conn, _ = server.accept()
        assert json.loads(conn.recv(4096))["cmd"] == "subscribe"
        conn.sendall(status(active_calls=2))
        until(lambda: led_state(watch, button) is LedState.CALL)
        conn.sendall(status(active_calls=True))       # not a count
        until(lambda: led_state(watch, button) is LedState.READY)
        conn.sendall(status(active_calls=1) + b"{not json\n")
        conn, _ = server.accept()                     # dropped the garbage, subscribed again
        assert watch.calls == 0
        conn.sendall(status(active_calls=3))
        until(lambda: watch.calls == 3)
        conn.close()                                   # the engine went away
        until(lambda: watch.calls == 0)
    finally:
        stop.set()
        server.close()
        follower.join(5)


def test_the_buttons_factory_reset_is_the_consoles(tmp_path, monkeypatch):
    """The hold's action runs the console's factory reset (a rename there must not leave the button
    doing nothing): the database and the recordings go; supervisorctl is not reachable here."""
    from firmware.board import listener

    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    monkeypatch.delenv("SUPERVISOR_SERVER_URL", raising=False)
    (tmp_path / "callbox.db").write_bytes(b"db")
    (tmp_path / "recordings" / "2026").mkdir(parents=True)
    (tmp_path / "recordings" / "2026" / "call-1.wav").write_bytes(b"RIFF")
    listener.factory_reset()
    assert not (tmp_path / "callbox.db").exists()
    assert list((tmp_path / "recordings").iterdir()) == []
