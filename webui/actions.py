"""Every change the web makes to the box: validated, written together with its audit entry, then
announced to the engine. Pages and API both come here, so each rule lives in one place."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from collections.abc import Callable

from flask import current_app
from werkzeug.exceptions import Conflict, Forbidden, NotFound
from werkzeug.security import generate_password_hash

from firmware.acd import Strategy
from firmware.acd.settings import (DEFAULT_DISPOSITIONS, DEFAULT_PAUSE_REASONS, SettingsError, parse_agent_settings,
                                   parse_dispositions, parse_pause_reasons, parse_queue_settings, parse_stored)
from firmware.engine.prompts import LANGUAGES
from firmware.notify import channels as notify_channels
from firmware.notify import config as notify_config
from firmware.store import queries
from webui import engine, fields, references, sip_fields
from webui.fields import FieldError

Row = dict[str, Any]
Data = Mapping[str, Any]

STRATEGIES = tuple(s.value for s in Strategy)
TRUNK_TYPES = ("peer", "register")
DTMF_MODES = ("rfc4733", "inband")     # how the trunk sends keys
MIN_SIP_PASSWORD = 8
MIN_USER_PASSWORD = 8

NAME = dict(max_length=100)
EXTENSION = dict(max_length=20, pattern=r"[0-9]+", hint="must contain digits only")
DID = dict(max_length=32, pattern=r"\+?[0-9]+", hint="must be digits with an optional leading +")
# A caller on a route with a higher priority is served before the others waiting in the queue (ACD8).
ROUTE_PRIORITY = dict(minimum=0, maximum=9)
USERNAME = dict(max_length=64, pattern=r"[A-Za-z0-9._@-]+", hint="may contain letters, digits and . _ @ - only")

_UNIQUE = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)")


@contextmanager
def _change(conn: sqlite3.Connection, values: Data) -> Iterator[None]:
    """One transaction for a change and its audit entry; a clash with an existing row becomes 409."""
    try:
        with queries.transaction(conn):
            yield
    except sqlite3.IntegrityError as exc:
        match = _UNIQUE.search(str(exc))
        if match and match.group(1) in values:
            field = match.group(1)
            raise Conflict(f"{field}: {values[field]!r} already exists") from exc
        raise Conflict("the change conflicts with the current configuration") from exc


def _reload() -> None:
    engine.tell("reload")


def require_agent(conn, agent_id: int) -> Row:
    """An active agent: a deactivated one is history, not something to act on (404)."""
    agent = queries.get_agent(conn, agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    if not agent["active"]:
        raise NotFound(f"agent {agent['extension']} (id {agent_id}) is deactivated")
    return agent


def require_queue(conn, queue_id: int) -> Row:
    queue = queries.get_queue(conn, queue_id)
    if queue is None:
        raise NotFound(f"no queue {queue_id}")
    return queue


def _password(data: Data, name: str, minimum: int) -> str:
    value = fields.text(data, name, max_length=128, strip=False)
    assert value is not None
    if len(value) < minimum:
        raise FieldError(name, f"must be at least {minimum} characters")
    return value


# --- agents -----------------------------------------------------------------------------------

def _settings_field(exc: SettingsError) -> FieldError:
    """The parser's error as the API's, named under `settings` ("settings.skills.de")."""
    message = str(exc)[len(exc.field) + len(": "):]
    return FieldError(f"settings.{exc.field}" if exc.field else "settings", message)


def _agent_settings(data: Data) -> dict | None:
    """The agent's own rules if given, checked by the same parser the engine uses."""
    settings = data.get("settings")
    if settings is None:
        return None
    try:
        parse_agent_settings(settings)
    except SettingsError as exc:
        raise _settings_field(exc) from exc
    return settings


def create_agent(conn, actor: str, data: Data) -> Row:
    name = fields.text(data, "name", **NAME)
    extension = fields.text(data, "extension", **EXTENSION)
    password = _password(data, "sip_password", MIN_SIP_PASSWORD)
    settings = _agent_settings(data)
    with _change(conn, {"extension": extension}):
        agent = queries.create_agent(conn, name, extension, password, settings)
        queries.audit(conn, actor, "agent.create",
                      f"id={agent['id']} extension={extension} name={name} settings={agent['settings']}")
    _reload()
    return agent


def update_agent(conn, actor: str, agent_id: int, data: Data) -> Row:
    """Replaces the agent's own rules; the engine takes them up at its reload."""
    agent = require_agent(conn, agent_id)
    unknown = sorted(set(data) - {"settings"})
    if unknown:
        raise FieldError(unknown[0], "cannot be changed here")
    settings = _agent_settings(data)
    if settings is None:
        raise FieldError("settings", "is required")
    with _change(conn, {}):
        agent = queries.update_agent_settings(conn, agent_id, settings)
        queries.audit(conn, actor, "agent.update", f"id={agent_id} extension={agent['extension']} settings={settings}")
    _reload()
    return agent


def _refuse_if_used(what: str, uses: list[str]) -> None:
    if uses:
        raise Conflict(f"{what} cannot be deleted: {'; '.join(uses)}. Change those first.")


def deactivate_agent(conn, actor: str, agent_id: int) -> None:
    """What deleting an agent does: they leave their queues and the edge, history keeps them."""
    agent = require_agent(conn, agent_id)
    _refuse_if_used(f"agent {agent['extension']}", references.agent_uses(conn, agent_id))
    with _change(conn, {}):
        queries.deactivate_agent(conn, agent_id)
        queries.audit(conn, actor, "agent.deactivate", f"id={agent_id} extension={agent['extension']} "
                                                       f"name={agent['name']}")
    _reload()


# --- queues and members -------------------------------------------------------------------------

def _queue_settings(conn, data: Data, strategy: str, queue_id: int | None = None) -> dict | None:
    """The queue's rules if given, checked by the same parser the engine uses; what they name (other
    queues, agents, prompts, pause reasons) must exist."""
    settings = data.get("settings")
    if settings is None:
        return None
    try:
        parse_queue_settings(settings, strategy)
    except SettingsError as exc:
        if exc.field == "strategy":
            raise FieldError("strategy", str(exc).split(": ", 1)[1]) from exc
        raise _settings_field(exc) from exc
    references.check_references(conn, settings, pause_codes=pause_reason_codes(conn), queue_id=queue_id)
    return settings


def create_queue(conn, actor: str, data: Data) -> Row:
    name = fields.text(data, "name", **NAME)
    strategy = fields.choice(data, "strategy", STRATEGIES, default="longest-idle")
    settings = _queue_settings(conn, data, strategy)
    with _change(conn, {"name": name}):
        queue = queries.create_queue(conn, name, strategy, settings)
        queries.audit(conn, actor, "queue.create", f"id={queue['id']} name={name} strategy={strategy}")
    _reload()
    return queue


def update_queue(conn, actor: str, queue_id: int, data: Data) -> Row:
    """Changes the strategy and/or the rules; calls already waiting follow the new rules."""
    queue = require_queue(conn, queue_id)
    unknown = sorted(set(data) - {"strategy", "settings"})
    if unknown:
        raise FieldError(unknown[0], "cannot be changed here")
    strategy = fields.choice(data, "strategy", STRATEGIES, default=queue["strategy"])
    settings = _queue_settings(conn, data, strategy, queue_id)
    if settings is None:     # the stored rules must suit the strategy
        _queue_settings(conn, {"settings": queue["settings"]}, strategy, queue_id)
    with _change(conn, {}):
        queue = queries.update_queue(conn, queue_id, strategy=strategy, settings=settings)
        queries.audit(conn, actor, "queue.update", f"id={queue_id} strategy={strategy} settings={settings}")
    _reload()
    return queue


def delete_queue(conn, actor: str, queue_id: int) -> None:
    """Refused while the queue has numbers, open callbacks or other queues' rules pointing at it:
    the store would delete the numbers and callbacks with it."""
    queue = require_queue(conn, queue_id)
    _refuse_if_used(f"queue {queue['name']}", references.queue_uses(conn, queue_id))
    with _change(conn, {}):
        queries.delete_queue(conn, queue_id)
        queries.audit(conn, actor, "queue.delete", f"id={queue_id} name={queue['name']}")
    _reload()


def add_member(conn, actor: str, queue_id: int, data: Data) -> Row:
    queue = require_queue(conn, queue_id)
    agent_id = fields.identifier(data, "agent_id")
    agent = require_agent(conn, agent_id)
    with _change(conn, {}):
        if not queries.add_queue_member(conn, queue_id, agent_id):
            raise Conflict(f"agent_id: agent {agent_id} is already a member of queue {queue_id}")
        queries.audit(conn, actor, "queue.member.add", f"queue={queue['name']} agent={agent['extension']}")
    _reload()
    return member(queue_id, agent)


def remove_member(conn, actor: str, queue_id: int, agent_id: int) -> None:
    queue = require_queue(conn, queue_id)
    agent = require_agent(conn, agent_id)
    with _change(conn, {}):
        if not queries.remove_queue_member(conn, queue_id, agent_id):
            raise NotFound(f"agent {agent_id} is not a member of queue {queue_id}")
        queries.audit(conn, actor, "queue.member.remove", f"queue={queue['name']} agent={agent['extension']}")
    _reload()


def member(queue_id: int, agent: Row) -> Row:
    return {"queue_id": queue_id, "agent_id": agent["id"], "name": agent["name"], "extension": agent["extension"]}


# --- trunks and inbound routes ----------------------------------------------------------------

def create_trunk(conn, actor: str, data: Data) -> Row:
    name = fields.text(data, "name", **NAME)
    kind = fields.choice(data, "type", TRUNK_TYPES)
    address = sip_fields.address(data, "address")
    username = sip_fields.sip_user(data, "username", required=kind == "register")
    password = fields.text(data, "password", required=kind == "register", max_length=128, strip=False)
    dtmf = fields.choice(data, "dtmf", DTMF_MODES, default=DTMF_MODES[0])
    with _change(conn, {"name": name}):
        trunk = queries.create_trunk(conn, name, kind, address, username, password, dtmf)
        queries.audit(conn, actor, "trunk.create", f"id={trunk['id']} name={name} type={kind} address={address}")
    _reload()
    return trunk


def delete_trunk(conn, actor: str, trunk_id: int) -> None:
    trunk = queries.get_trunk(conn, trunk_id)
    if trunk is None:
        raise NotFound(f"no trunk {trunk_id}")
    with _change(conn, {}):
        queries.delete_trunk(conn, trunk_id)
        queries.audit(conn, actor, "trunk.delete", f"id={trunk_id} name={trunk['name']}")
    _reload()


def create_route(conn, actor: str, data: Data) -> Row:
    did = fields.text(data, "did", **DID)
    queue_id = fields.identifier(data, "queue_id")
    priority = fields.integer(data, "priority", required=False, **ROUTE_PRIORITY)
    priority = ROUTE_PRIORITY["minimum"] if priority is None else priority
    queue = require_queue(conn, queue_id)
    with _change(conn, {"did": did}):
        route = queries.create_inbound_route(conn, did, queue_id, priority)
        queries.audit(conn, actor, "route.create",
                      f"id={route['id']} did={did} queue={queue['name']} priority={priority}")
    _reload()
    return route


def delete_route(conn, actor: str, route_id: int) -> None:
    route = queries.get_inbound_route(conn, route_id)
    if route is None:
        raise NotFound(f"no inbound route {route_id}")
    with _change(conn, {}):
        queries.delete_inbound_route(conn, route_id)
        queries.audit(conn, actor, "route.delete", f"id={route_id} did={route['did']}")
    _reload()


# --- agents at work -----------------------------------------------------------------------------

def login_agent(conn, actor: str, agent_id: int, data: Data) -> list[int]:
    """Logs the agent in to some of their queues; the database is the truth, the engine is told."""
    agent = require_agent(conn, agent_id)
    queue_ids = fields.integer_list(data, "queue_ids")
    if not queue_ids:
        raise FieldError("queue_ids", "name at least one queue")
    member_of = set(queries.agent_queue_ids(conn, agent_id))
    strangers = sorted(set(queue_ids) - member_of)
    if strangers:
        raise FieldError("queue_ids", f"agent {agent_id} is not a member of queue {', '.join(map(str, strangers))}")
    with _change(conn, {}):
        logged_in = queries.login_agent(conn, agent_id, queue_ids)
        queries.audit(conn, actor, "agent.login", f"agent={agent['extension']} queues={logged_in}")
    engine.tell("agent_login", agent_id=agent_id, queue_ids=logged_in)
    return logged_in


def logout_agent(conn, actor: str, agent_id: int) -> list[int]:
    agent = require_agent(conn, agent_id)
    with _change(conn, {}):
        logged_in = queries.logout_agent(conn, agent_id)
        queries.audit(conn, actor, "agent.logout", f"agent={agent['extension']}")
    engine.tell("agent_logout", agent_id=agent_id)
    return logged_in


# --- an agent's pause and wrap-up (ACD9, ACD10) ----------------------------------------------------

PAUSE_REASONS_KEY = "pause_reasons"
WRAPUP_EXTEND_SECONDS = dict(minimum=1, maximum=600)


def pause_reasons(conn) -> list[dict]:
    """The reasons as stored (or the defaults while none are), as the engine reads them."""
    raw = queries.get_setting(conn, PAUSE_REASONS_KEY)
    try:
        if raw:
            return json.loads(raw)
    except ValueError:
        pass
    return [dict(reason) for reason in DEFAULT_PAUSE_REASONS]


def pause_reason_codes(conn) -> tuple[str, ...]:
    """The codes an agent may pause for, "no-answer" included (the parser always adds it); the
    defaults' when the stored list is refused, as in the engine."""
    reasons, _ = parse_stored(queries.get_setting(conn, PAUSE_REASONS_KEY), parse_pause_reasons,
                              DEFAULT_PAUSE_REASONS)
    return tuple(reason.code for reason in reasons)


def _agent_command(conn, actor: str, agent: Row, cmd: str, action: str, **args: Any) -> Row:
    """The pause and the wrap-up live in the engine's ACD, which answers with the agent's state
    ({agent_id, state, pause_reason}); its refusal (logged out, not in wrap-up) is a 409, its
    absence a 503, and nothing is audited then."""
    answer = engine.command(cmd, agent_id=agent["id"], **args)
    detail = "".join(f" {name}={value}" for name, value in args.items())
    queries.audit(conn, actor, action, f"agent={agent['extension']}{detail}")
    return answer


def pause_agent(conn, actor: str, agent_id: int, data: Data) -> Row:
    agent = require_agent(conn, agent_id)
    reason = fields.choice(data, "reason", pause_reason_codes(conn))
    return _agent_command(conn, actor, agent, "agent_pause", "agent.pause", reason=reason)


def unpause_agent(conn, actor: str, agent_id: int) -> Row:
    return _agent_command(conn, actor, require_agent(conn, agent_id), "agent_unpause", "agent.unpause")


def end_wrapup(conn, actor: str, agent_id: int, *, force: bool = False) -> Row:
    """`force` (a supervisor's) also ends a wrap-up that waits for the call's classification."""
    args = {"force": True} if force else {}
    return _agent_command(conn, actor, require_agent(conn, agent_id), "wrapup_end", "agent.wrapup.end", **args)


def extend_wrapup(conn, actor: str, agent_id: int, data: Data) -> Row:
    agent = require_agent(conn, agent_id)
    seconds = fields.integer(data, "seconds", **WRAPUP_EXTEND_SECONDS)
    return _agent_command(conn, actor, agent, "wrapup_extend", "agent.wrapup.extend", seconds=seconds)


# --- classifying calls (ACD12) ------------------------------------------------------------------

DISPOSITIONS_KEY = "dispositions"
DISPOSITION_NOTE = dict(max_length=500, multiline=True)


def dispositions(conn) -> list[dict]:
    """What a call may be classified as ({code, label}, in order): as stored, or the defaults."""
    return parse_stored(queries.get_setting(conn, DISPOSITIONS_KEY), parse_dispositions, DEFAULT_DISPOSITIONS)[0]


def classify_call(conn, actor: str, call_id: int, data: Data, *, by_agent: int | None) -> Row:
    """Sets how an answered call went (again: replaces it); `by_agent` is the classifying user's
    agent, if any. The engine is told, so a wrap-up that waited for this ends."""
    call = queries.get_call(conn, call_id)
    if call is None:
        raise NotFound(f"no call {call_id}")
    if call["answered_at"] is None or call["agent_id"] is None:
        raise Conflict(f"call {call_id} was not answered by an agent: there is nothing to classify")
    code = fields.choice(data, "disposition", tuple(d["code"] for d in dispositions(conn)))
    note = fields.text(data, "note", required=False, **DISPOSITION_NOTE) or ""
    with _change(conn, {}):
        queries.classify_call(conn, call_id, code, note, by_agent)
        queries.audit(conn, actor, "call.classify", f"call={call_id} disposition={code}")
    engine.tell("call_classified", agent_id=call["agent_id"], call_id=call_id)
    return queries.get_call(conn, call_id)


# --- the callback list (ACD14) ------------------------------------------------------------------

CALLBACK_NOTE = dict(max_length=500, multiline=True)
REQUEUE_STATUSES = ("no-answer", "failed")
CANCEL_STATUSES = ("waiting", "calling", "no-answer")    # open, and not being dialled right now


def require_callback(conn, call_id: int) -> Row:
    callback = queries.get_callback(conn, call_id)
    if callback is None:
        raise NotFound(f"no callback {call_id}")
    return callback


def callback_handler(identity) -> int | None:
    """The agent a handler works as: the one linked to their user. A supervisor or admin without such
    a link (or a token) may act too, leaving the last handler as it was; an agent needs the link."""
    if identity.agent_id is None and not identity.at_least("supervisor"):
        raise Forbidden("a handler with the agent role must be linked to an agent (Users page)")
    return identity.agent_id


def act_on_callback(conn, identity, call_id: int, action: str, data: Data) -> Row:
    """note, requeue or cancel, each with the handler's short note (ACD14: "must write a short note").

    The request lives in the engine's ACD, so the engine makes the change and writes the row; the
    statuses are checked here first so the answer is the same whether the engine runs or not.
    """
    callback = require_callback(conn, call_id)
    text = fields.text(data, "text", **CALLBACK_NOTE)
    allowed = {"requeue": REQUEUE_STATUSES, "cancel": CANCEL_STATUSES}.get(action)
    if allowed is not None and callback["status"] not in allowed:
        raise Conflict(f"callback {call_id} is {callback['status']}: {action} needs one of {', '.join(allowed)}")
    handler = callback_handler(identity)
    engine.command(f"callback_{action}", call_id=call_id, text=text, author=identity.name, agent_id=handler)
    queries.audit(conn, identity.name, f"callback.{action}", f"call={call_id} agent={handler} text={text}")
    return require_callback(conn, call_id)


CALL_STATUSES = ("waiting", "no-answer", "failed")      # open, and no phone ringing for it yet


def calling_agent(conn, identity, data: Data) -> int:
    """The agent whose phone rings for click to call: the one linked to the user. A supervisor or
    admin may name another in `agent_id` (to set a call up for an agent, or because their own user
    has no phone); an agent may name only themselves."""
    named = fields.identifier(data, "agent_id", required=False)
    if named is None:
        if identity.agent_id is None:
            hint = " or name one in agent_id" if identity.at_least("supervisor") else ""
            raise Conflict(f"a call needs an agent's phone: link this user to an agent (Users page){hint}")
        return identity.agent_id
    if named != identity.agent_id and not identity.at_least("supervisor"):
        raise Forbidden("only a supervisor may call through another agent's phone")
    agent = queries.get_agent(conn, named)
    if agent is None or not agent["active"]:
        raise FieldError("agent_id", f"no agent {named}")
    return named


def call_callback_now(conn, identity, call_id: int, data: Data) -> Row:
    """Click to call (ACD14): the callback is placed at once through the agent's phone, ahead of its
    turn, the queue's cap and the caller's interval. The engine's ACD refuses, saying why, when the
    agent is not logged in to the queue or not free; that reason is the 409's message. The engine
    writes the audit entry together with the change (see Engine._cmd_callback_call_now)."""
    callback = require_callback(conn, call_id)
    if callback["status"] not in CALL_STATUSES:
        raise Conflict(f"callback {call_id} is {callback['status']}: call now needs one of {', '.join(CALL_STATUSES)}")
    agent_id = calling_agent(conn, identity, data)
    engine.command("callback_call_now", call_id=call_id, agent_id=agent_id, author=identity.name)
    return require_callback(conn, call_id)


# --- users --------------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def new_password(data: Data) -> str:
    """A login password typed twice."""
    password = _password(data, "password", MIN_USER_PASSWORD)
    if data.get("password2") != password:
        raise FieldError("password2", "the passwords differ")
    return password


def deactivate_user(conn, actor: str, user_id: int, *, acting_user_id: int | None) -> Row:
    """The user can no longer log in; the audit log keeps their name. The last active admin stays
    (the console's `callbox admin reset-password` is the way back in, not a web without admin)."""
    user = queries.get_user(conn, user_id)
    if user is None or user["deactivated_at"] is not None:
        raise NotFound(f"no active user {user_id}")
    if user_id == acting_user_id:
        raise Conflict("you cannot deactivate yourself: ask another admin")
    with _change(conn, {}):
        if user["role"] == "admin" and queries.count_active_admins(conn) <= 1:
            raise Conflict(f"{user['username']} is the last admin")
        queries.deactivate_user(conn, user_id)
        queries.audit(conn, actor, "user.deactivate", f"username={user['username']} role={user['role']}")
    return user


def create_user(conn, actor: str, data: Data) -> Row:
    username = fields.text(data, "username", **USERNAME)
    role = fields.choice(data, "role", queries.ROLES)
    agent_id = fields.identifier(data, "agent_id", required=False)
    password = new_password(data)
    if agent_id is not None:
        require_agent(conn, agent_id)
    with _change(conn, {"username": username}):
        user = queries.create_user(conn, username, hash_password(password), role, agent_id)
        queries.audit(conn, actor, "user.create", f"username={username} role={role} agent_id={agent_id}")
    return user


# --- settings ---------------------------------------------------------------------------------

PROMPT_LANGUAGE_KEY = "prompt_language"
SETTING_KEYS = (PROMPT_LANGUAGE_KEY, PAUSE_REASONS_KEY, DISPOSITIONS_KEY, notify_config.SETTING_KEY)
MASK = "********"       # what masked() shows for a secret; given back, it keeps the stored one


def alarm_notifications(conn) -> dict:
    """The stored alarm notification settings, secrets included: never show them as they are."""
    raw = queries.get_setting(conn, notify_config.SETTING_KEY)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def get_settings(conn) -> Row:
    return {PROMPT_LANGUAGE_KEY: queries.get_setting(conn, PROMPT_LANGUAGE_KEY, "en"),
            PAUSE_REASONS_KEY: pause_reasons(conn), DISPOSITIONS_KEY: dispositions(conn),
            notify_config.SETTING_KEY: notify_config.masked(alarm_notifications(conn))}


def _checked_pause_reasons(conn, value: Any) -> list:
    """The new list, which must still hold every reason a queue pauses its agents for."""
    try:
        codes = {reason.code for reason in parse_pause_reasons(value)}
    except SettingsError as exc:      # its field is already the body's: pause_reasons[2].code
        raise FieldError(exc.field, str(exc)[len(exc.field) + len(": "):]) from exc
    used = references.named(conn, "pause_reason")
    dropped = sorted(set(used) - codes)
    if dropped:
        raise FieldError(PAUSE_REASONS_KEY,
                         f"{dropped[0]} is used by {', '.join(used[dropped[0]])}; keep it or change those rules first")
    return value


def _with_stored_secrets(conn, value: dict) -> dict:
    """The new settings, each secret given as the mask or left out replaced by the stored one (so a
    page or client never needs to know it); an empty channel is off and left out."""
    stored = alarm_notifications(conn)
    merged = {}
    for name, channel in value.items():
        if channel is None or channel == {}:
            continue
        if not isinstance(channel, dict):
            raise FieldError(f"{notify_config.SETTING_KEY}.{name}", "must be an object ({} or null: off)")
        channel = dict(channel)
        kept = stored.get(name) if isinstance(stored.get(name), dict) else {}
        for secret in notify_config.SECRETS:
            if channel.get(secret, MASK) == MASK:
                channel.pop(secret, None)
                if kept.get(secret):
                    channel[secret] = kept[secret]
        merged[name] = channel
    return merged


def _checked_notifications(conn, value: Any) -> dict:
    key = notify_config.SETTING_KEY
    if not isinstance(value, dict):
        raise FieldError(key, "must be an object with an email and/or sms channel")
    merged = _with_stored_secrets(conn, value)
    try:
        notify_config.parse_notification_settings(merged)
    except notify_config.NotificationSettingsError as exc:
        # The parser's messages name the field, never its value: safe with a secret in it.
        field = f"{key}.{exc.field}" if exc.field else key
        raise FieldError(field, str(exc)[len(exc.field) + len(": "):]) from exc
    return merged


def update_settings(conn, actor: str, data: Data) -> Row:
    """Changes the settings given (others stay); unknown keys are refused rather than ignored. The
    audit entry shows alarm notifications masked."""
    unknown = sorted(set(data) - set(SETTING_KEYS) - {"csrf_token"})
    if unknown:
        raise FieldError(unknown[0], "is not a setting")
    values: dict[str, tuple[str, str]] = {}       # key: (stored, as the audit log shows it)
    if PROMPT_LANGUAGE_KEY in data:
        language = fields.choice(data, PROMPT_LANGUAGE_KEY, tuple(LANGUAGES))
        values[PROMPT_LANGUAGE_KEY] = (language, language)
    if PAUSE_REASONS_KEY in data:
        reasons = json.dumps(_checked_pause_reasons(conn, data[PAUSE_REASONS_KEY]))
        values[PAUSE_REASONS_KEY] = (reasons, reasons)
    if DISPOSITIONS_KEY in data:
        try:
            checked = json.dumps(parse_dispositions(data[DISPOSITIONS_KEY]))
        except SettingsError as exc:      # its field is already the body's: dispositions[1].code
            raise FieldError(exc.field, str(exc)[len(exc.field) + len(": "):]) from exc
        values[DISPOSITIONS_KEY] = (checked, checked)
    if notify_config.SETTING_KEY in data:
        notifications = _checked_notifications(conn, data[notify_config.SETTING_KEY])
        values[notify_config.SETTING_KEY] = (json.dumps(notifications),
                                             json.dumps(notify_config.masked(notifications)))
    with _change(conn, {}):
        for key, (stored, shown) in values.items():
            queries.set_setting(conn, key, stored)
            queries.audit(conn, actor, "settings.update", f"{key}={shown}")
    _reload()
    return get_settings(conn)


# --- a test notice --------------------------------------------------------------------------------

TEST_SUBJECT = "Callbox test notice"
TEST_TEXT = "Callbox test notice: alarm notices reach you here."


def _delivered(send: Callable[[], None]) -> str | None:
    """None when sent, else why not (DeliveryError's text names no password or token)."""
    try:
        send()
    except notify_channels.DeliveryError as exc:
        return str(exc)
    return None


def send_test_notice(conn, actor: str) -> list[tuple[str, str | None]]:
    """A test text over every channel of the saved settings, right away: (channel, error or None)."""
    try:
        settings = notify_config.load(queries.get_setting(conn, notify_config.SETTING_KEY))
    except (notify_config.NotificationSettingsError, ValueError) as exc:
        raise Conflict(f"the saved alarm notifications are not valid ({exc}): save them again") from None
    results = []
    if settings.email is not None:
        email = settings.email
        results.append((f"e-mail to {', '.join(email.to)}",
                        _delivered(lambda: notify_channels.send_email(email, TEST_SUBJECT, TEST_TEXT))))
    if settings.sms is not None:
        sms = settings.sms
        results.append((f"SMS to {', '.join(sms.to)}", _delivered(lambda: notify_channels.send_sms(sms, TEST_TEXT))))
    if not results:
        raise Conflict("no channel is set up: save an e-mail or SMS channel first")
    queries.audit(conn, actor, "notifications.test",
                  "; ".join(f"{channel}: {error or 'sent'}" for channel, error in results))
    return results
