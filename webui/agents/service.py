"""The agents' writes: create, change their own rules, deactivate; log in and out of queues; pause
and wrap-up, which live in the engine's ACD."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound

from firmware.acd.settings import SettingsError, parse_agent_settings
from firmware.store import queries
from firmware.message import Message
from webui import engine, fields, references
from webui.agents.schema import AgentCreate, AgentLogin, WrapupExtend
from webui.fields import FieldError
from webui.service import Data, Row, change, refuse_if_used, reload_engine, settings_field
from webui.settings.service import pause_reason_codes
from webui.validation import read


def require_agent(conn, agent_id: int) -> Row:
    """An active agent: a deactivated one is history, not something to act on (404)."""
    agent = queries.get_agent(conn, agent_id)
    if agent is None:
        raise NotFound(Message("no agent {agent_id}", agent_id=agent_id))
    if not agent["active"]:
        raise NotFound(Message("agent {extension} (id {agent_id}) is deactivated", extension=agent["extension"],
                               agent_id=agent_id))
    return agent


def _agent_settings(data: Data) -> dict | None:
    """The agent's own rules if given, checked by the same parser the engine uses."""
    settings = data.get("settings")
    if settings is None:
        return None
    try:
        parse_agent_settings(settings)
    except SettingsError as exc:
        raise settings_field(exc) from exc
    return settings


def create_agent(conn, actor: str, data: Data) -> Row:
    body = read(AgentCreate, data, judged_elsewhere=("settings",))
    name, extension, password = body.name, body.extension, body.sip_password
    settings = _agent_settings(data)
    with change(conn, {"extension": extension}):
        agent = queries.create_agent(conn, name, extension, password, settings)
        queries.audit(conn, actor, "agent.create",
                      f"id={agent['id']} extension={extension} name={name} settings={agent['settings']}")
    reload_engine()
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
    with change(conn, {}):
        agent = queries.update_agent_settings(conn, agent_id, settings)
        queries.audit(conn, actor, "agent.update", f"id={agent_id} extension={agent['extension']} settings={settings}")
    reload_engine()
    return agent


def deactivate_agent(conn, actor: str, agent_id: int) -> None:
    """What deleting an agent does: they leave their queues and the edge, history keeps them."""
    agent = require_agent(conn, agent_id)
    refuse_if_used(f"agent {agent['extension']}", references.agent_uses(conn, agent_id))
    with change(conn, {}):
        queries.deactivate_agent(conn, agent_id)
        queries.audit(conn, actor, "agent.deactivate", f"id={agent_id} extension={agent['extension']} "
                                                       f"name={agent['name']}")
    reload_engine()


# --- agents at work -----------------------------------------------------------------------------


def login_agent(conn, actor: str, agent_id: int, data: Data) -> list[int]:
    """Logs the agent in to some of their queues. The engine keeps the logins (it alone writes
    `agent_logins`, as for a phone's *41): the web checks the form and asks it; its refusal is a 409,
    its absence a 503, and nothing is audited then."""
    agent = require_agent(conn, agent_id)
    queue_ids = read(AgentLogin, data).queue_ids
    if not queue_ids:
        raise FieldError("queue_ids", "name at least one queue")
    member_of = set(queries.agent_queue_ids(conn, agent_id))
    strangers = sorted(set(queue_ids) - member_of)
    if strangers:
        raise FieldError("queue_ids", "agent {agent_id} is not a member of queue {queues}", agent_id=agent_id,
                         queues=", ".join(map(str, strangers)))
    logged_in = engine.command("agent_login", agent_id=agent_id, queue_ids=queue_ids)["queue_ids"]
    queries.audit(conn, actor, "agent.login", f"agent={agent['extension']} queues={logged_in}")
    return logged_in


def logout_agent(conn, actor: str, agent_id: int) -> list[int]:
    agent = require_agent(conn, agent_id)
    logged_in = engine.command("agent_logout", agent_id=agent_id)["queue_ids"]
    queries.audit(conn, actor, "agent.logout", f"agent={agent['extension']}")
    return logged_in


# --- an agent's pause and wrap-up (ACD9, ACD10) ----------------------------------------------------


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
    seconds = read(WrapupExtend, data).seconds
    return _agent_command(conn, actor, agent, "wrapup_extend", "agent.wrapup.extend", seconds=seconds)

