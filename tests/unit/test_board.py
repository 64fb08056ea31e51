"""The board's I/O (TEL12, APP6) against a stand-in chip with python-periphery's GPIO interface."""

import io
from pathlib import Path

import pytest

from firmware.board.io import (FACTORY_HOLD_S, Board, Button, ButtonAction, LedState, led_level)
from firmware.board.listener import EngineWatch, ProtocolError, read_event, run_listener
from firmware.board.pins import PinMap, find_chip, parse_board_conf, pin_map
from firmware.board.standin import StandInChip

REPO = Path(__file__).resolve().parents[2]
PINS = PinMap(chip_label="pinctrl-bcm2711", led=17, button=27, relay=22)


@pytest.mark.parametrize("board", ["rpi4", "rpi5", "x86_64"])
def test_every_board_conf_reads(board):
    settings = parse_board_conf((REPO / "board" / board / "board.conf").read_text())
    assert settings["COMPATIBLE"] == f"callbox-{board}"
    pins = pin_map(settings)
    assert pins.empty == (board == "x86_64")


def test_a_pin_map_with_garbage_is_refused():
    with pytest.raises(ValueError, match="line 2"):
        parse_board_conf("LED_LINE=17\n$(reboot)\n")
    with pytest.raises(ValueError, match="RELAY_LINE"):
        pin_map({"RELAY_LINE": "-1"})


def test_the_chip_is_found_by_its_label():
    labels = {"/dev/gpiochip0": "rp1-other", "/dev/gpiochip4": "pinctrl-rp1"}
    assert find_chip("pinctrl-rp1", list(labels), labels.__getitem__) == "/dev/gpiochip4"
    with pytest.raises(LookupError):
        find_chip("pinctrl-bcm2711", list(labels), labels.__getitem__)


def _board(tmp_path):
    chip = StandInChip(tmp_path / "gpio.json")
    return chip, Board(PINS, opener=chip, chip_path="/dev/gpiochip0")


def test_the_relay_starts_released_so_the_lines_are_on_bypass(tmp_path):
    chip, board = _board(tmp_path)
    assert chip.levels()[22] is False
    board.relay.energise()
    assert chip.levels()[22] is True
    board.close()
    assert chip.levels()[22] is False, "closing the board releases the relay"


def _events(*states: tuple[str, str]) -> bytes:
    stream = b""
    for event, process in states:
        payload = f"processname:{process} groupname:{process} from_state:STARTING pid:42".encode()
        stream += f"ver:3.0 server:supervisor serial:1 pool:board poolserial:1 eventname:{event} len:{len(payload)}\n".encode()
        stream += payload
    return stream


def test_the_relay_follows_the_engine_and_ignores_other_programs(tmp_path):
    chip, board = _board(tmp_path)
    watch = EngineWatch(board)
    stream = io.BytesIO(_events(("PROCESS_STATE_RUNNING", "engine"), ("PROCESS_STATE_EXITED", "web"),
                                ("PROCESS_STATE_EXITED", "engine")))
    watch.handle(*read_event(stream))
    assert chip.levels()[22] is True and watch.state is LedState.READY
    watch.handle(*read_event(stream))
    assert chip.levels()[22] is True, "the web's exit is not the engine's"
    watch.handle(*read_event(stream))
    assert chip.levels()[22] is False and watch.state is LedState.FAULT


def test_the_listener_speaks_supervisors_protocol(tmp_path):
    chip, board = _board(tmp_path)
    out = io.BytesIO()
    assert run_listener(io.BytesIO(_events(("PROCESS_STATE_RUNNING", "engine"))), out, board) == 0
    assert out.getvalue() == b"READY\nRESULT 2\nOKREADY\n"
    assert chip.levels()[22] is False, "the end of the stream (supervisord gone) releases the relay"


@pytest.mark.parametrize("raw", [
    b"ver:3.0 eventname:PROCESS_STATE_RUNNING len:999999\n",
    b"ver:3.0 eventname:PROCESS_STATE_RUNNING len:-1\n",
    b"ver:3.0 eventname:PROCESS_STATE_RUNNING len:10\nshort",
    b"ver:3.0 noseparator len:0\n",
    b"ver:3.0 \xff len:0\n",
    b"x" * 5000,
])
def test_a_malformed_event_is_refused(raw):
    with pytest.raises(ProtocolError):
        read_event(io.BytesIO(raw))


def test_button_short_press_restarts_and_a_long_hold_asks_then_resets():
    button = Button()
    button.press(100.0)
    assert button.release(100.5) is ButtonAction.RESTART
    button.press(200.0)
    assert button.release(205.0) is None, "held 5 s: a change of mind"
    button.press(300.0)
    assert button.poll(300.0 + FACTORY_HOLD_S - 0.1) is None
    assert button.poll(300.0 + FACTORY_HOLD_S) is ButtonAction.CONFIRM
    assert button.poll(300.0 + FACTORY_HOLD_S + 1) is None, "confirmed once"
    assert button.release(312.0) is ButtonAction.FACTORY_RESET
    assert button.release(313.0) is None


def test_led_patterns():
    assert all(led_level(LedState.READY, t / 10) for t in range(20))
    assert [led_level(LedState.BOOTING, t) for t in (0.0, 0.25, 0.5, 0.75)] == [True, True, False, False]
    assert led_level(LedState.FAULT, 0.05) and not led_level(LedState.FAULT, 0.15)


def test_the_options_the_board_passes_are_periphery_s():
    """The stand-in must not accept what python-periphery's GPIO would refuse."""
    import inspect

    from periphery.gpio_cdev2 import Cdev2GPIO

    params = inspect.signature(Cdev2GPIO.__init__).parameters
    assert list(params)[1:4] == ["path", "line", "direction"]
    assert {"edge", "bias", "inverted", "label"} <= set(params)
