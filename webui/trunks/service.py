"""The trunks' writes: create and delete."""

from __future__ import annotations

from werkzeug.exceptions import NotFound, ServiceUnavailable

from firmware.message import N_
from firmware.store import queries
from webui import engine, fields, sip_fields
from webui.service import NAME, Data, Row, change, reload_engine

TRUNK_TYPES = ("peer", "register", "fxo")      # fxo: an analog line through a V.253 voice modem (issue 11)
DTMF_MODES = ("rfc4733", "inband")     # how the trunk sends keys
DIALECTS = ("auto", "conexant", "usr", "rockwell")     # firmware/cards (docs/cards.md)
# A serial device by an absolute path of plain characters (/dev/ttyACM0, /dev/serial/by-id/usb-...:1.0),
# no space or control character, and no `.` or `..` step (checked apart): the engine opens it as it is.
DEVICE_PATTERN = r"/[A-Za-z0-9._:+@=,-]+(/[A-Za-z0-9._:+@=,-]+)*"
# The number an fxo line answers for is an inbound route's number (webui/routes/schema.py's did).
NUMBER = dict(max_length=32, pattern=r"\+?[0-9]+", hint=N_("must be digits with an optional leading +"))
DEVICE = dict(max_length=200, pattern=DEVICE_PATTERN, hint=N_("must be an absolute device path"))


def create_trunk(conn, actor: str, data: Data) -> Row:
    name = fields.text(data, "name", **NAME)
    kind = fields.choice(data, "type", TRUNK_TYPES)
    card: dict[str, str | None] = {}
    if kind == "fxo":
        # a card's line: no address or account; the device, the modem's dialect and the line's number
        address, username, password = "", None, None
        card = {"device": _device(data),
                "dialect": fields.choice(data, "dialect", DIALECTS, default=DIALECTS[0]),
                "number": fields.text(data, "number", **NUMBER)}
    else:
        address = sip_fields.address(data, "address")
        username = sip_fields.sip_user(data, "username", required=kind == "register")
        password = fields.text(data, "password", required=kind == "register", max_length=128, strip=False)
    dtmf = fields.choice(data, "dtmf", DTMF_MODES, default=DTMF_MODES[0])
    with change(conn, {"name": name}):
        trunk = queries.create_trunk(conn, name, kind, address, username, password, dtmf, **card)
        where = f"device={card['device']}" if card else f"address={address}"
        queries.audit(conn, actor, "trunk.create", f"id={trunk['id']} name={name} type={kind} {where}")
    reload_engine()
    return trunk


def _device(data: Data) -> str:
    device = fields.text(data, "device", **DEVICE)
    assert device is not None
    if any(step in (".", "..") for step in device.split("/")):
        raise fields.FieldError("device", DEVICE["hint"])
    return device


def delete_trunk(conn, actor: str, trunk_id: int) -> None:
    trunk = queries.get_trunk(conn, trunk_id)
    if trunk is None:
        raise NotFound(f"no trunk {trunk_id}")
    with change(conn, {}):
        queries.delete_trunk(conn, trunk_id)
        queries.audit(conn, actor, "trunk.delete", f"id={trunk_id} name={trunk['name']}")
    reload_engine()



def _card_trunk(conn, trunk_id: int) -> Row:
    trunk = queries.get_trunk(conn, trunk_id)
    if trunk is None or trunk["type"] != "fxo":
        raise NotFound(f"no card trunk {trunk_id}")
    return trunk


def card_line(conn, trunk_id: int) -> dict:
    """The fxo trunk's line as the engine sees it (the engine's `trunks`); 503 while it has none."""
    _card_trunk(conn, trunk_id)
    known = engine.command("trunks").get("trunks", [])
    line = next((t.get("line") for t in known if isinstance(t, dict) and t.get("id") == trunk_id), None)
    if not isinstance(line, dict):
        raise ServiceUnavailable("the engine has no line for this trunk yet")
    return line


def start_line_test(conn, actor: str, trunk_id: int) -> dict:
    """Starts the card test (off hook, dial tone?); its result comes in the line's last_check."""
    trunk = _card_trunk(conn, trunk_id)
    answer = engine.command("card_test", trunk_id=trunk_id)
    with change(conn, {}):
        queries.audit(conn, actor, "trunk.line_test", f"id={trunk_id} name={trunk['name']}")
    return {"started": bool(answer.get("started"))}
