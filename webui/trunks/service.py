"""The trunks' writes: create and delete."""

from __future__ import annotations

from werkzeug.exceptions import NotFound

from firmware.store import queries
from webui import fields, sip_fields
from webui.service import NAME, Data, Row, change, reload_engine

TRUNK_TYPES = ("peer", "register")
DTMF_MODES = ("rfc4733", "inband")     # how the trunk sends keys


def create_trunk(conn, actor: str, data: Data) -> Row:
    name = fields.text(data, "name", **NAME)
    kind = fields.choice(data, "type", TRUNK_TYPES)
    address = sip_fields.address(data, "address")
    username = sip_fields.sip_user(data, "username", required=kind == "register")
    password = fields.text(data, "password", required=kind == "register", max_length=128, strip=False)
    dtmf = fields.choice(data, "dtmf", DTMF_MODES, default=DTMF_MODES[0])
    with change(conn, {"name": name}):
        trunk = queries.create_trunk(conn, name, kind, address, username, password, dtmf)
        queries.audit(conn, actor, "trunk.create", f"id={trunk['id']} name={name} type={kind} address={address}")
    reload_engine()
    return trunk


def delete_trunk(conn, actor: str, trunk_id: int) -> None:
    trunk = queries.get_trunk(conn, trunk_id)
    if trunk is None:
        raise NotFound(f"no trunk {trunk_id}")
    with change(conn, {}):
        queries.delete_trunk(conn, trunk_id)
        queries.audit(conn, actor, "trunk.delete", f"id={trunk_id} name={trunk['name']}")
    reload_engine()

