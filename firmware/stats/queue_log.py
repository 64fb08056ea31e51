"""The event log as Asterisk's `queue_log`, so QueueMetrics or Asternic can read a Callbox's history.
Pure: events (firmware/store/events.py) and names in, lines out.

A line is `time|callid|queue|agent|EVENT|data1|data2|...`, as Asterisk's doc/queuelog.txt describes
it: epoch seconds, the call's id ("NONE" for an agent's event), the queue's name ("NONE" when none),
the agent as `Agent/<extension>` ("NONE"), the event and its data:

| ours                  | queue_log                                              |
|-----------------------|--------------------------------------------------------|
| enter                 | ENTERQUEUE|url (empty)|caller                          |
| noanswer              | RINGNOANSWER|ring time in ms                           |
| answer                | CONNECT|wait|bridged call id (callid-agent)|ring time    |
| abandon               | ABANDON|position|original position|wait                |
| complete by agent/box | COMPLETEAGENT|wait|talk|original position              |
| complete by caller    | COMPLETECALLER|wait|talk|original position             |
| transfer              | TRANSFER|to|context (callbox)|wait|talk|original position |
| overflow (no agent, closed) | EXITEMPTY|position|original position|wait       |
| overflow (other reasons)    | EXITWITHTIMEOUT|position|original position|wait |
| callback (asked by key)     | EXITWITHKEY|key (empty)|position|original position|wait |
| fail (engine died)    | COMPLETEAGENT when answered, else ABANDON (waits from the call's own events) |
| join / leave          | ADDMEMBER / REMOVEMEMBER (queue and agent, no data)    |
| pause / unpause       | PAUSE|reason / UNPAUSE|reason, one per queue the agent is in (else queue NONE) |

Times are whole seconds (rounded), as Asterisk writes them. Not exported: ring (Asterisk logs no
ring start), login and logout (members join and leave queues: ADDMEMBER/REMOVEMEMBER), wrap-up
(Asterisk has no such event), a forced callback (its overflow already says the call left).
Data from outside (a caller's number) loses `|` and control characters, which would break a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

EMPTY_REASONS = frozenset({"no-agent-logged-in", "no-agent-available", "closed"})
_UNSAFE = re.compile(r"[|\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(round(value))
    return _UNSAFE.sub("", str(value))


class QueueLog:
    """Turns events into lines, remembering what later lines need (a call's entry and answer, an
    agent's queues) from the events it has seen."""

    def __init__(self, queue_names: Mapping[int, str], agent_extensions: Mapping[int, str]):
        self.queue_names = queue_names
        self.agent_extensions = agent_extensions
        self.calls: dict[int, dict[str, Any]] = {}        # call -> entered_at, answered_at, original position
        self.member_of: dict[int, set[int | None]] = {}    # agent -> queues

    def _queue(self, queue_id: int | None) -> str:
        if queue_id is None:
            return "NONE"
        return _field(self.queue_names.get(queue_id, f"queue-{queue_id}")) or "NONE"

    def _agent(self, agent_id: int | None) -> str:
        if agent_id is None:
            return "NONE"
        return "Agent/" + _field(self.agent_extensions.get(agent_id, str(agent_id)))

    def _line(self, event: Mapping[str, Any], queue_id: int | None, verb: str, *data: Any) -> str:
        call = str(event["call_id"]) if event.get("call_id") is not None else "NONE"
        return "|".join([str(round(event["at"])), call, self._queue(queue_id), self._agent(event.get("agent_id")),
                         verb, *(_field(d) for d in data)])

    def lines(self, events: Iterable[Mapping[str, Any]]) -> Iterator[str]:
        for event in events:
            yield from self._lines(event)

    def _lines(self, event: Mapping[str, Any]) -> Iterator[str]:
        kind, data, queue = event["event"], event.get("data") or {}, event.get("queue_id")
        call = self.calls.setdefault(event["call_id"], {}) if event.get("call_id") is not None else {}
        if kind == "enter":
            call.setdefault("entered_at", event["at"])
            call.setdefault("original_position", data.get("position"))
            yield self._line(event, queue, "ENTERQUEUE", "", data.get("caller", ""))
        elif kind == "noanswer":
            ring = data.get("ring_seconds")
            yield self._line(event, queue, "RINGNOANSWER", round(ring * 1000) if ring is not None else 0)
        elif kind == "answer":
            call["answered_at"] = event["at"]
            yield self._line(event, queue, "CONNECT", data.get("wait_seconds"),
                             f"{event['call_id']}-{event.get('agent_id')}", data.get("ring_seconds"))
        elif kind == "abandon":
            yield self._line(event, queue, "ABANDON", data.get("position"), data.get("original_position"),
                             data.get("wait_seconds"))
        elif kind == "complete":
            verb = "COMPLETECALLER" if data.get("by") == "caller" else "COMPLETEAGENT"
            yield self._line(event, queue, verb, data.get("wait_seconds"), data.get("talk_seconds"),
                             data.get("original_position"))
        elif kind == "transfer":
            yield self._line(event, queue, "TRANSFER", data.get("to"), "callbox", data.get("wait_seconds"),
                             data.get("talk_seconds"), data.get("original_position"))
        elif kind == "overflow":
            verb = "EXITEMPTY" if data.get("reason") in EMPTY_REASONS else "EXITWITHTIMEOUT"
            yield self._line(event, queue, verb, data.get("position"), data.get("original_position"),
                             data.get("wait_seconds"))
        elif kind == "callback" and not data.get("forced"):
            yield self._line(event, queue, "EXITWITHKEY", "", data.get("position"), data.get("original_position"),
                             data.get("wait_seconds"))
        elif kind == "fail":
            yield self._failed(event, queue, call)
        elif kind in ("join", "leave"):
            members = self.member_of.setdefault(event["agent_id"], set())
            (members.add if kind == "join" else members.discard)(queue)
            yield self._line(event, queue, "ADDMEMBER" if kind == "join" else "REMOVEMEMBER")
        elif kind in ("pause", "unpause"):
            for queue_id in sorted(self.member_of.get(event["agent_id"]) or {None}, key=lambda q: q or 0):
                yield self._line(event, queue_id, kind.upper(), data.get("reason", ""))

    def _failed(self, event: Mapping[str, Any], queue: int | None, call: Mapping[str, Any]) -> str:
        entered, answered = call.get("entered_at"), call.get("answered_at")
        if event["data"].get("answered"):
            wait = answered - entered if entered is not None and answered is not None else None
            talk = event["at"] - answered if answered is not None else None
            return self._line(event, queue, "COMPLETEAGENT", wait, talk, call.get("original_position"))
        wait = event["at"] - entered if entered is not None else None
        return self._line(event, queue, "ABANDON", "", call.get("original_position"), wait)


def queue_log(events: Iterable[Mapping[str, Any]], queue_names: Mapping[int, str],
              agent_extensions: Mapping[int, str]) -> Iterator[str]:
    return QueueLog(queue_names, agent_extensions).lines(events)
