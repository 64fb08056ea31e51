"""What a queue's rules name must exist, and what is still named or needed cannot be deleted.

The parser (firmware/acd/settings.py) checks the rules' shape and lists what they refer to; this
module checks those references against the store. Deleting a queue would also take its numbers
and its open callbacks with it (the store cascades), so a queue in use is refused with the reasons,
like a thing another queue's rules still name; the admin re-points those first.
"""

from __future__ import annotations

from collections.abc import Iterable

from firmware.acd.settings import Reference, SettingsError, parse_queue_settings, references
from firmware.prompts.catalogue import PROMPT_NAMES     # what a rule may name (number words are the engine's)
from firmware.message import Message
from firmware.store import queries
from webui.fields import SQLITE_INT_MAX, SQLITE_INT_MIN, FieldError

# A failed callback can still be requeued from the list, so it counts as needed too.
KEPT_CALLBACK_STATUSES = (*queries.OPEN_CALLBACK_STATUSES, "failed")


def check_references(conn, settings: dict, *, pause_codes: Iterable[str], queue_id: int | None = None) -> None:
    """Raises FieldError ("settings.<field>") at the first thing the rules name that does not exist."""
    pause_codes = set(pause_codes)
    for reference in references(settings):
        problem = _missing(conn, reference, pause_codes, queue_id)
        if problem:
            raise FieldError(f"settings.{reference.field}", problem)


def _missing(conn, reference: Reference, pause_codes: set[str], queue_id: int | None) -> str | None:
    kind, value = reference.kind, reference.value
    if kind in ("queue", "agent") and not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
        # no row has such an id; SQLite could not even be asked
        if kind == "queue":
            return Message("there is no queue {value}", value=value)
        return Message("there is no agent {value}", value=value)
    if kind == "queue":
        if value == queue_id:
            return Message("cannot be the queue itself")
        return None if queries.get_queue(conn, value) else Message("there is no queue {value}", value=value)
    if kind == "agent":
        agent = queries.get_agent(conn, value)
        return None if agent and agent["active"] else Message("there is no agent {value}", value=value)
    if kind == "prompt":
        return None if value in PROMPT_NAMES else Message("there is no prompt {value}", value=repr(value))
    return None if value in pause_codes else Message("there is no pause reason {value}", value=repr(value))


def named(conn, kind: str) -> dict[int | str, list[str]]:
    """Each thing of this kind that queue rules name, with those rules as "queue Sales (overflow[0]...)".
    Rules stored by hand and malformed name nothing (the engine runs that queue on the defaults)."""
    found: dict[int | str, list[str]] = {}
    for queue in queries.list_queues(conn):
        try:
            parse_queue_settings(queue["settings"], queue["strategy"])
        except SettingsError:
            continue
        for reference in references(queue["settings"]):
            if reference.kind == kind:
                found.setdefault(reference.value, []).append(f"queue {queue['name']} ({reference.field})")
    return found


def queue_uses(conn, queue_id: int) -> list[str]:
    """Why this queue cannot be deleted now; empty when it can."""
    uses = [f"number {route['did']} is routed to it"
            for route in queries.list_inbound_routes(conn) if route["queue_id"] == queue_id]
    uses += [f"{rule} sends callers to it" for rule in named(conn, "queue").get(queue_id, [])]
    callbacks = queries.count_callbacks(conn, queue_id, KEPT_CALLBACK_STATUSES)
    if callbacks:
        uses.append(f"{callbacks} callback{'s' if callbacks > 1 else ''} still to be made in it")
    return uses


def agent_uses(conn, agent_id: int) -> list[str]:
    """Why this agent cannot be deleted now (rules that name them); empty when they can."""
    return [f"{rule} names this agent" for rule in named(conn, "agent").get(agent_id, [])]
