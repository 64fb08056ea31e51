"""The card test of an analog line (APP3) as the console and tools ask it of the running engine:
the line's state, then off hook and listen for the exchange's dial tone (`card_test`), the result
read back from `trunks` (engine socket, firmware/engine/client.py)."""

from __future__ import annotations

import time

from firmware.engine.client import EngineClient, EngineError, EngineUnavailable

WAIT = 6.0          # the driver listens 3 s for dial tone; the rest is the line's own dialogue


def _line(client: EngineClient, trunk_id: int) -> dict | None:
    trunks = client.request("trunks")["trunks"]
    return next((t.get("line") for t in trunks if isinstance(t, dict) and t.get("id") == trunk_id), None)


def describe_line(line: dict | None) -> str:
    if not line:
        return "the engine has no line for this trunk yet"
    if not line.get("up"):
        return "line DOWN: the modem does not answer (see the trunk-down alarm)"
    duplex = "full" if line.get("full_duplex") else "half"
    return f"line up ({line.get('codec')}, {duplex} duplex), {line.get('state')}" + \
        (", in a call" if line.get("in_call") else "")


def run(trunk_id: int, client: EngineClient | None = None, wait: float = WAIT) -> str:
    """One line of text: the line's state and the dial tone check's result."""
    client = client or EngineClient(timeout=3.0)
    try:
        before = _line(client, trunk_id)
        if not before or not before.get("up"):
            return describe_line(before)
        previous = (before.get("last_check") or {}).get("at")
        client.request("card_test", trunk_id=trunk_id)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.2)
            line = _line(client, trunk_id) or {}
            check = line.get("last_check") or {}
            if check.get("at") and check.get("at") != previous:
                verdict = (f"dial tone after {check.get('seconds')} s" if check.get("dial_tone")
                           else f"NO dial tone: {check.get('detail')}")
                return f"{describe_line(before)}; {verdict}"
        return f"{describe_line(before)}; the test gave no result within {wait:.0f} s"
    except EngineUnavailable:
        return "engine not running"
    except (EngineError, KeyError, TypeError) as exc:
        return f"engine: {exc}"
