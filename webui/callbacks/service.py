"""The callback list (ACD14): its filters and who may act, and the handler's note, requeue, cancel
and click to call, which the engine's ACD carries out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import Conflict, Forbidden, NotFound

from firmware.store import queries
from firmware.message import Message
from webui import engine
from webui.callbacks.schema import CallbackCall, CallbackFilters, CallbackNote
from webui.db import get_db
from webui.fields import FieldError
from webui.service import Data, Row
from webui.validation import read

LIST_PARAMETERS = ("sort", "order", "queue", "open")
ACTION_ROLES = {"note": "agent", "requeue": "agent", "call": "agent", "cancel": "supervisor"}
REQUEUE_STATUSES = ("no-answer", "failed")
CANCEL_STATUSES = ("waiting", "calling", "no-answer")    # open, and not being dialled right now


def callback_filters(args: Mapping[str, Any], *, allowed: tuple[str, ...] = LIST_PARAMETERS,
                     open_default: str = "0") -> dict[str, Any]:
    """The list_callbacks arguments from query parameters (shared by the page and the API); a
    parameter the list does not know is refused rather than silently ignored."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise FieldError(unknown[0], "is not a parameter of the callback list (use {allowed})", allowed=", ".join(allowed))
    filters = read(CallbackFilters, args)
    if filters.queue is not None and queries.get_queue(get_db(), filters.queue) is None:
        raise FieldError("queue", "no queue {queue_id}", queue_id=filters.queue)
    open_only = filters.open if "open" in filters.model_fields_set else open_default
    chosen = {"sort": filters.sort, "descending": filters.order == "desc", "queue_id": filters.queue,
              "open_only": open_only == "1"}
    if "limit" in allowed:      # the API pages; the page shows the store's default length
        chosen.update(limit=filters.limit, offset=filters.offset)
    return chosen


def require_callback(conn, call_id: int) -> Row:
    callback = queries.get_callback(conn, call_id)
    if callback is None:
        raise NotFound(Message("no callback {call_id}", call_id=call_id))
    return callback


def callback_handler(identity) -> int | None:
    """The agent a handler works as: the one linked to their user. A supervisor or admin without such
    a link (or a token) may act too, leaving the last handler as it was; an agent needs the link."""
    if identity.agent_id is None and not identity.at_least("supervisor"):
        raise Forbidden(Message("a handler with the agent role must be linked to an agent (Users page)"))
    return identity.agent_id


def act_on_callback(conn, identity, call_id: int, action: str, data: Data) -> Row:
    """note, requeue or cancel, each with the handler's short note (ACD14: "must write a short note").

    The request lives in the engine's ACD, so the engine makes the change and writes the row; the
    statuses are checked here first so the answer is the same whether the engine runs or not.
    """
    callback = require_callback(conn, call_id)
    text = read(CallbackNote, data).text
    allowed = {"requeue": REQUEUE_STATUSES, "cancel": CANCEL_STATUSES}.get(action)
    if allowed is not None and callback["status"] not in allowed:
        raise Conflict(Message("callback {call_id} is {status}: {action} needs one of {statuses}", call_id=call_id,
                               status=callback["status"], action=action, statuses=", ".join(allowed)))
    handler = callback_handler(identity)
    engine.command(f"callback_{action}", call_id=call_id, text=text, author=identity.name, agent_id=handler)
    queries.audit(conn, identity.name, f"callback.{action}", f"call={call_id} agent={handler} text={text}")
    return require_callback(conn, call_id)


CALL_STATUSES = ("waiting", "no-answer", "failed")      # open, and no phone ringing for it yet


def calling_agent(conn, identity, data: Data) -> int:
    """The agent whose phone rings for click to call: the one linked to the user. A supervisor or
    admin may name another in `agent_id` (to set a call up for an agent, or because their own user
    has no phone); an agent may name only themselves."""
    named = read(CallbackCall, data).agent_id
    if named is None:
        if identity.agent_id is None:
            if identity.at_least("supervisor"):
                raise Conflict(Message("a call needs an agent's phone: link this user to an agent (Users page) "
                                       "or name one in agent_id"))
            raise Conflict(Message("a call needs an agent's phone: link this user to an agent (Users page)"))
        return identity.agent_id
    if named != identity.agent_id and not identity.at_least("supervisor"):
        raise Forbidden(Message("only a supervisor may call through another agent's phone"))
    agent = queries.get_agent(conn, named)
    if agent is None or not agent["active"]:
        raise FieldError("agent_id", "no agent {agent_id}", agent_id=named)
    return named


def call_callback_now(conn, identity, call_id: int, data: Data) -> Row:
    """Click to call (ACD14): the callback is placed at once through the agent's phone, ahead of its
    turn, the queue's cap and the caller's interval. The engine's ACD refuses, saying why, when the
    agent is not logged in to the queue or not free; that reason is the 409's message. The engine
    writes the audit entry together with the change (see Engine._cmd_callback_call_now)."""
    callback = require_callback(conn, call_id)
    if callback["status"] not in CALL_STATUSES:
        raise Conflict(Message("callback {call_id} is {status}: call now needs one of {statuses}", call_id=call_id,
                               status=callback["status"], statuses=", ".join(CALL_STATUSES)))
    agent_id = calling_agent(conn, identity, data)
    engine.command("callback_call_now", call_id=call_id, agent_id=agent_id, author=identity.name)
    return require_callback(conn, call_id)

