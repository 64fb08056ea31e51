"""The wizard's writes. Every row it makes goes through its domain's service (trunks, agents, queues,
routes, settings), so each step is checked exactly as the API checks it and audited the same way;
the wizard itself keeps only its progress and the box's time zone."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, Conflict, NotFound

from firmware.store import queries
from firmware.timezone import time_zone_file
from webui.agents import service as agents
from webui.fields import FieldError
from webui.queues import service as queues
from webui.routes import service as routes
from webui.service import Data, Row, change
from webui.settings import service as settings
from webui.trunks import service as trunks
from webui.wizard import network
from webui.validation import read
from webui.wizard.schema import STEPS, LanguageStep, NetworkStep, Progress, TimeZoneStep, parse_progress, time_zones

WIZARD_KEY = "wizard"
TIME_ZONE_KEY = "time_zone"
ZONEINFO = Path("/usr/share/zoneinfo")
# No 0/O, 1/l/I: read off a printed sheet and typed into a phone's keypad menu.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 12
AGENT_ROWS = 5


# --- progress ---------------------------------------------------------------------------------------

def progress(conn) -> Progress:
    """The stored progress; none stored: an open wizard on a box with nothing configured yet (its
    admin made on the console), else a box set up before the wizard existed."""
    stored = parse_progress(queries.get_setting(conn, WIZARD_KEY))
    if stored is not None:
        return stored
    unconfigured = not (queries.list_trunks(conn) or queries.list_agents(conn, inactive=True) or queries.list_queues(conn))
    return Progress(status="open" if unconfigured else "finished")


def _save(conn, actor: str, state: Progress, action: str | None) -> Progress:
    with change(conn, {}):
        queries.set_setting(conn, WIZARD_KEY, state.model_dump_json())
        if action is not None:
            queries.audit(conn, actor, f"wizard.{action}", f"status={state.status} done={','.join(state.done)}")
    return state


def start(conn, actor: str) -> Progress:
    """The first admin was just created on the web (audited as "setup"): the wizard is shown from now on."""
    return _save(conn, actor, Progress(), None)


def step_done(conn, actor: str, step: str, **updates: Any) -> Progress:
    if step not in STEPS:
        raise NotFound(f"no wizard step {step}")
    state = progress(conn)
    done = list(state.done) if step in state.done else [*state.done, step]
    return _save(conn, actor, state.model_copy(update={"done": done, **updates}), step)


def end(conn, actor: str, status: str) -> Progress:
    """"finished" (the last step) or "skipped": the start page no longer leads here."""
    return _save(conn, actor, progress(conn).model_copy(update={"status": status}), status)


def reopen(conn, actor: str) -> Progress:
    return _save(conn, actor, progress(conn).model_copy(update={"status": "open"}), "reopen")


# --- language and time zone -------------------------------------------------------------------------

def save_language(conn, actor: str, user_id: int, data: Data) -> Progress:
    """The admin's page language (their own setting) and the prompts callers hear (the box's)."""
    body = read(LanguageStep, data)
    settings.update_settings(conn, actor, {settings.PROMPT_LANGUAGE_KEY: body.prompt_language})
    queries.set_user_language(conn, user_id, body.language, actor)
    return step_done(conn, actor, "language")


def system_time_zone() -> str:
    """The zone the machine runs in now (/etc/localtime's link), UTC if it cannot be told."""
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    zone = target.split("zoneinfo/", 1)[-1]
    return zone if zone in time_zones() else "UTC"


def save_time_zone(conn, actor: str, data_dir: Path, data: Data) -> Progress:
    """Kept in the settings and on the data partition as `config/timezone` (`callbox run` exports it as
    TZ: firmware/timezone.py, so the programs use it from their next start) and a `config/localtime`
    link into the zone database (for the image's /etc/localtime: the root is read-only)."""
    zone = read(TimeZoneStep, data).time_zone
    folder = data_dir / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".timezone.tmp").write_text(zone + "\n")
    os.replace(folder / ".timezone.tmp", time_zone_file(data_dir))
    link = folder / ".localtime.tmp"
    link.unlink(missing_ok=True)
    link.symlink_to(ZONEINFO / zone)
    os.replace(link, folder / "localtime")
    with change(conn, {}):
        queries.set_setting(conn, TIME_ZONE_KEY, zone)
        queries.audit(conn, actor, "settings.update", f"{TIME_ZONE_KEY}={zone}")
    return step_done(conn, actor, "timezone", time_zone=zone)


# --- network -----------------------------------------------------------------------------------------

def network_setting(data: Data, interfaces: list[str]) -> network.NetworkSetting:
    body = read(NetworkStep, data)
    if interfaces and body.interface not in interfaces:
        raise FieldError("interface", "must be one of {choices}", choices=", ".join(interfaces))
    if body.mode == "static" and body.address is None:
        raise FieldError("address", "is required")
    dns = [server for server in (body.dns1, body.dns2, body.dns3) if server]
    try:
        return network.parse_setting(body.interface, body.mode, body.address, body.gateway, dns)
    except ValueError as exc:
        if str(exc) == "gateway":
            raise FieldError("gateway", "must be an address inside the address's network") from None
        raise FieldError("address", "must be an address with its prefix length, like 192.168.1.20/24") from None


def apply_network(conn, actor: str, changes: network.NetworkChanges, data: Data,
                  interfaces: list[str]) -> network.PendingChange:
    setting = network_setting(data, interfaces)
    pending = changes.apply(setting)
    with change(conn, {}):
        queries.audit(conn, actor, "network.apply", network.setting_file(setting).replace("\n", "|"))
    return pending


# --- trunk, agents, queue, route ----------------------------------------------------------------------

def create_trunk(conn, actor: str, data: Data) -> Row:
    trunk = trunks.create_trunk(conn, actor, data)
    state = progress(conn)
    step_done(conn, actor, "trunk", trunk_ids=[*state.trunk_ids, trunk["id"]][-50:])
    return trunk


def new_sip_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def agent_rows(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The agents form's filled rows: name_N, extension_N, sip_password_N (N from 0)."""
    rows = []
    for n in range(AGENT_ROWS):
        row = {key: (form.get(f"{key}_{n}") or "") for key in ("name", "extension", "sip_password")}
        if row["name"].strip() or row["extension"].strip():
            rows.append(row)
    return rows


def create_agents(conn, actor: str, rows: list[dict[str, str]]) -> tuple[list[dict], BadRequest | Conflict | None, int]:
    """Creates the agents in order through the agents' service, each with the password given or a new
    one. Returns the created agents with their passwords (shown once: only a hash is stored), the
    error of the row that stopped it, and that row's index."""
    created: list[dict] = []
    if not rows:
        return created, FieldError("name_0", "is required"), 0
    problem: BadRequest | Conflict | None = None
    failed = -1
    for index, row in enumerate(rows):
        password = row["sip_password"] or new_sip_password()
        try:
            agent = agents.create_agent(conn, actor, {"name": row["name"], "extension": row["extension"],
                                                      "sip_password": password})
        except (BadRequest, Conflict) as exc:
            problem, failed = exc, index
            break
        created.append({**agent, "sip_password": password})
    if created:             # the agents made before a refused row count too
        state = progress(conn)
        step_done(conn, actor, "agents", agent_ids=[*state.agent_ids, *(a["id"] for a in created)][-200:])
    return created, problem, failed


def create_queue(conn, actor: str, form: MultiDict) -> Row:
    """The queue (its name and strategy: the queues' form without rules) and the agents ticked, each
    read as the queues' own forms are (the queue's page adds members one by one)."""
    queue = queues.create_queue(conn, actor, MultiDict([(key, form[key]) for key in ("name", "strategy") if key in form]))
    step_done(conn, actor, "queue", queue_id=queue["id"])      # made, even if a member is refused below
    for agent_id in form.getlist("member"):
        queues.add_member(conn, actor, queue["id"], MultiDict({"agent_id": agent_id}))
    return queue


def create_route(conn, actor: str, data: Data) -> Row:
    route = routes.create_route(conn, actor, data)
    step_done(conn, actor, "route", route_id=route["id"])
    return route


def wizard_rows(conn, state: Progress) -> dict[str, Any]:
    """The rows the wizard made that still exist (an admin may have deleted one meanwhile)."""
    trunk_rows = [t for t in (queries.get_trunk(conn, i) for i in state.trunk_ids) if t is not None]
    agent_rows_ = [a for a in (queries.get_agent(conn, i) for i in state.agent_ids) if a is not None]
    queue = queries.get_queue(conn, state.queue_id) if state.queue_id else None
    route = queries.get_inbound_route(conn, state.route_id) if state.route_id else None
    return {"trunks": trunk_rows, "agents": agent_rows_, "queue": queue, "route": route}
