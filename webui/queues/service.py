"""The queues' writes: create, change strategy and rules, delete; add and remove members."""

from __future__ import annotations

from werkzeug.exceptions import Conflict, NotFound

from firmware.acd import Strategy
from firmware.acd.settings import SettingsError, parse_queue_settings
from firmware.store import queries
from firmware.message import Message
from webui import references
from webui.agents.service import require_agent
from webui.fields import FieldError
from webui.queues.schema import MemberCreate, QueueCreate, QueueUpdate
from webui.validation import read
from webui.service import Data, Row, change, refuse_if_used, reload_engine, settings_field
from webui.settings.service import pause_reason_codes

def require_queue(conn, queue_id: int) -> Row:
    queue = queries.get_queue(conn, queue_id)
    if queue is None:
        raise NotFound(Message("no queue {queue_id}", queue_id=queue_id))
    return queue


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
            raise FieldError("strategy", exc.message) from exc
        raise settings_field(exc) from exc
    references.check_references(conn, settings, pause_codes=pause_reason_codes(conn), queue_id=queue_id)
    return settings


def create_queue(conn, actor: str, data: Data) -> Row:
    body = read(QueueCreate, data, judged_elsewhere=("settings",))
    name, strategy = body.name, (body.strategy or Strategy.LONGEST_IDLE).value
    settings = _queue_settings(conn, data, strategy)
    with change(conn, {"name": name}):
        queue = queries.create_queue(conn, name, strategy, settings)
        queries.audit(conn, actor, "queue.create", f"id={queue['id']} name={name} strategy={strategy}")
    reload_engine()
    return queue


def update_queue(conn, actor: str, queue_id: int, data: Data) -> Row:
    """Changes the strategy and/or the rules; calls already waiting follow the new rules."""
    queue = require_queue(conn, queue_id)
    body = read(QueueUpdate, data, judged_elsewhere=("settings",))
    strategy = body.strategy.value if body.strategy else queue["strategy"]
    settings = _queue_settings(conn, data, strategy, queue_id)
    if settings is None:     # the stored rules must suit the strategy
        _queue_settings(conn, {"settings": queue["settings"]}, strategy, queue_id)
    with change(conn, {}):
        queue = queries.update_queue(conn, queue_id, strategy=strategy, settings=settings)
        queries.audit(conn, actor, "queue.update", f"id={queue_id} strategy={strategy} settings={settings}")
    reload_engine()
    return queue


def delete_queue(conn, actor: str, queue_id: int) -> None:
    """Refused while the queue has numbers, open callbacks or other queues' rules pointing at it:
    the store would delete the numbers and callbacks with it."""
    queue = require_queue(conn, queue_id)
    refuse_if_used(f"queue {queue['name']}", references.queue_uses(conn, queue_id))
    with change(conn, {}):
        queries.delete_queue(conn, queue_id)
        queries.audit(conn, actor, "queue.delete", f"id={queue_id} name={queue['name']}")
    reload_engine()


def add_member(conn, actor: str, queue_id: int, data: Data) -> Row:
    queue = require_queue(conn, queue_id)
    agent_id = read(MemberCreate, data).agent_id
    agent = require_agent(conn, agent_id)
    with change(conn, {}):
        if not queries.add_queue_member(conn, queue_id, agent_id):
            raise Conflict(Message("agent_id: agent {agent_id} is already a member of queue {queue_id}",
                                       agent_id=agent_id, queue_id=queue_id))
        queries.audit(conn, actor, "queue.member.add", f"queue={queue['name']} agent={agent['extension']}")
    reload_engine()
    return member(queue_id, agent)


def remove_member(conn, actor: str, queue_id: int, agent_id: int) -> None:
    queue = require_queue(conn, queue_id)
    agent = require_agent(conn, agent_id)
    with change(conn, {}):
        if not queries.remove_queue_member(conn, queue_id, agent_id):
            raise NotFound(Message("agent {agent_id} is not a member of queue {queue_id}", agent_id=agent_id,
                                       queue_id=queue_id))
        queries.audit(conn, actor, "queue.member.remove", f"queue={queue['name']} agent={agent['extension']}")
    reload_engine()


def member(queue_id: int, agent: Row) -> Row:
    return {"queue_id": queue_id, "agent_id": agent["id"], "name": agent["name"], "extension": agent["extension"]}

