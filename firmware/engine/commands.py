"""The engine's commands, as methods: what the web asks over the engine's socket (control.py) and
what an agent's phone asks with a feature code (calls/feature_call.py) go through the same checks.

A method takes the command's arguments as keywords, checks them (they may come from JSON), acts on
the ACD and the calls, and answers a dict; a refusal is a `CommandError` with the reason. The
engine (a `CommandHost`) runs them in its loop's thread, so nothing here needs a lock.
"""

from __future__ import annotations

import inspect
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Protocol

from firmware.acd import Acd, AgentState
from firmware.engine import call_record
from firmware.engine.alarm_book import AlarmBook
from firmware.engine.callback_book import CallbackBook
from firmware.engine.calls.conference import ConferenceRoom
from firmware.engine.calls.host import CallHost
from firmware.engine.calls.inbound import InboundSession
from firmware.engine.calls.monitor import MONITOR_MODES
from firmware.engine.configuration import Configuration
from firmware.engine.control import CommandError
from firmware.store import commit_pending, queries

CALLBACK_NOTE_MAX = 500
DISPOSITION_NOTE_MAX = 500


class CommandHost(CallHost, Protocol):
    store: sqlite3.Connection
    acd: Acd
    configuration: Configuration
    callback_book: CallbackBook
    alarms: AlarmBook
    sessions: dict[int, InboundSession]           # live inbound calls by id
    rooms: dict[int, ConferenceRoom]

    def settle(self, tick: bool = False) -> None:
        """Carries out what the ACD decided (with tick: after a turn of its clock)."""

    def reload(self) -> None:
        """The configuration changed in the store."""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Commands:
    def __init__(self, host: CommandHost):
        self.host = host
        self._next_room = 1

    def by_name(self) -> dict[str, Callable[[dict], Any]]:
        """The socket's table: each command takes the request's `args`; arguments a command does
        not know are left aside, as they always were."""
        table = {}
        for name in SOCKET_COMMANDS:
            method = getattr(self, name)
            known = set(inspect.signature(method).parameters)
            table[name] = (lambda m, k: lambda args: m(**{n: v for n, v in args.items() if n in k}))(method, known)
        return table

    @property
    def _agents(self) -> dict[int, dict]:
        return self.host.configuration.agents

    # --- agents at work (ACD9, ACD10) ----------------------------------------------------------------

    def _agent(self, agent_id) -> int:
        if not _is_int(agent_id) or agent_id not in self._agents:
            raise CommandError(f"unknown agent {agent_id!r}")
        return agent_id

    def _logged_in_agent(self, agent_id) -> int:
        agent_id = self._agent(agent_id)
        if not self.host.acd.agent(agent_id).queue_ids:
            raise CommandError(f"agent {self._agents[agent_id]['extension']} is not logged in")
        return agent_id

    def _agent_answer(self, agent_id: int) -> dict:
        self.host.settle(tick=True)
        commit_pending(self.host.store)
        self.host.changed()
        agent = self.host.acd.agents[agent_id]
        paused = agent.pause_reason if agent.state is AgentState.PAUSED else agent.pending_pause
        return {"agent_id": agent_id, "state": agent.state.value, "pause_reason": paused}

    def agent_login(self, agent_id=None, queue_ids=None) -> dict:
        """Logs the agent in to these queues too; `agent_logins` keeps it for the next engine."""
        agent_id = self._agent(agent_id)
        queues = self.host.configuration.queues
        if not isinstance(queue_ids, list) or not all(_is_int(q) and q in queues for q in queue_ids):
            raise CommandError("queue_ids must be a list of known queue ids")
        now = time.monotonic()
        current = self.host.acd.agent(agent_id).queue_ids
        self.host.acd.login(agent_id, set(current) | set(queue_ids), now)
        queries.login_agent(self.host.store, agent_id, queue_ids)
        self.host.settle(tick=True)
        commit_pending(self.host.store)
        return {"agent_id": agent_id, "queue_ids": sorted(self.host.acd.agents[agent_id].queue_ids)}

    def agent_logout(self, agent_id=None) -> dict:
        agent_id = self._agent(agent_id)
        self.host.acd.logout(agent_id, time.monotonic())
        queries.logout_agent(self.host.store, agent_id)
        self.host.configuration.keep_pause(agent_id, None)
        self.host.settle()
        commit_pending(self.host.store)
        return {"agent_id": agent_id, "queue_ids": []}

    def agent_pause(self, agent_id=None, reason=None) -> dict:
        agent_id = self._logged_in_agent(agent_id)
        if reason not in self.host.acd.pause_reasons:
            raise CommandError(f"reason must be one of {', '.join(sorted(self.host.acd.pause_reasons))}")
        self.host.acd.pause(agent_id, reason, time.monotonic())
        self.host.configuration.keep_pause(agent_id, reason)
        return self._agent_answer(agent_id)

    def agent_unpause(self, agent_id=None) -> dict:
        agent_id = self._logged_in_agent(agent_id)
        self.host.acd.unpause(agent_id, time.monotonic())
        self.host.configuration.keep_pause(agent_id, None)
        return self._agent_answer(agent_id)

    def wrapup_end(self, agent_id=None, force=False) -> dict:
        """A wrap-up waiting for the call's classification ends only with force (a supervisor's);
        the agent classifies the call instead."""
        agent_id = self._logged_in_agent(agent_id)
        agent = self.host.acd.agents[agent_id]
        if agent.state is not AgentState.WRAP_UP:
            raise CommandError(f"agent {self._agents[agent_id]['extension']} is not in wrap-up")
        if agent.unclassified_call is not None and not force:
            raise CommandError(f"call {agent.unclassified_call} must be classified first")
        self.host.acd.wrapup_ended(agent_id, time.monotonic())
        return self._agent_answer(agent_id)

    def wrapup_extend(self, agent_id=None, seconds=None) -> dict:
        agent_id = self._logged_in_agent(agent_id)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 1 <= seconds <= 600:
            raise CommandError("seconds must be a number from 1 to 600")
        if self.host.acd.agents[agent_id].state is not AgentState.WRAP_UP:
            raise CommandError(f"agent {self._agents[agent_id]['extension']} is not in wrap-up")
        self.host.acd.wrapup_extend(agent_id, float(seconds), time.monotonic())
        return self._agent_answer(agent_id)

    # --- classifying calls (ACD12) -----------------------------------------------------------------

    def call_classify(self, call_id=None, disposition=None, note="", by_agent=None) -> dict:
        """Classifies an answered call (again: replaces it) and lets a wrap-up that waited for it end.
        The engine writes the call's record: the web asks here, as the phone's *46N does."""
        if not _is_int(call_id):
            raise CommandError("call_id must be a call id")
        call = queries.get_call(self.host.store, call_id)
        if call is None:
            raise CommandError(f"no call {call_id}")
        if call["answered_at"] is None or call["agent_id"] is None:
            raise CommandError(f"call {call_id} was not answered by an agent: there is nothing to classify")
        codes = [d["code"] for d in self.host.configuration.dispositions]
        if disposition not in codes:
            raise CommandError(f"disposition must be one of {', '.join(codes)}")
        if not isinstance(note, str) or len(note) > DISPOSITION_NOTE_MAX:
            raise CommandError(f"a note has at most {DISPOSITION_NOTE_MAX} characters")
        if by_agent is not None and not _is_int(by_agent):
            raise CommandError(f"unknown agent {by_agent!r}")
        call_record.classify(self.host.store, call_id, disposition, note, by_agent)
        return self.call_classified(agent_id=call["agent_id"], call_id=call_id)

    def call_classified(self, agent_id=None, call_id=None) -> dict:
        """The call was classified: a wrap-up that waited for that may end."""
        agent_id = self._agent(agent_id)
        if not _is_int(call_id):
            raise CommandError("call_id must be a call id")
        self.host.acd.call_classified(agent_id, call_id, time.monotonic())
        return self._agent_answer(agent_id)

    # --- supervisors on calls, conferences (TEL6, TEL7) ----------------------------------------------

    def _phone(self, extension) -> str:
        if not any(a["extension"] == extension for a in self._agents.values()):
            raise ValueError(f"no phone with extension {extension!r}")
        return extension

    def monitor(self, call_id=None, mode=None, extension=None) -> dict:
        """mode listen|whisper|barge|stop; `extension` the supervisor's phone, to start."""
        session = self.host.sessions.get(call_id)
        if session is None:
            raise CommandError(f"no live call {call_id!r}")
        try:
            if mode == "stop":
                session.stop_monitor()
            elif mode not in MONITOR_MODES:
                raise CommandError(f"mode must be one of {', '.join(MONITOR_MODES)} or stop")
            elif session.monitor is None:
                session.start_monitor(self._phone(extension), mode)
            else:
                session.set_monitor_mode(mode)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.host.changed()
        return session.describe(time.monotonic())["monitor"] or {"stopped": True}

    def _room(self, conference_id) -> ConferenceRoom:
        room = self.host.rooms.get(conference_id)
        if room is None:
            raise CommandError(f"no conference {conference_id!r}")
        return room

    def conference_create(self) -> dict:
        room = ConferenceRoom(self.host, self._next_room)
        self._next_room += 1
        self.host.rooms[room.id] = room
        self.host.changed()
        return room.describe()

    def conference_add(self, conference_id=None, call_id=None, extension=None) -> dict:
        """`extension` dials a phone in; `call_id` moves a live call in."""
        room = self._room(conference_id)
        try:
            if call_id is not None:
                session = self.host.sessions.get(call_id)
                if session is None:
                    raise ValueError(f"no live call {call_id!r}")
                member = room.add_call(session)
            else:
                member = room.add_phone(self._phone(extension))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return next(m for m in room.describe()["members"] if m["id"] == member.id)

    def conference_remove(self, conference_id=None, member_id=None) -> dict:
        room = self._room(conference_id)
        try:
            room.remove(member_id)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return room.describe()

    def conference_close(self, conference_id=None) -> dict:
        room = self._room(conference_id)
        room.close()
        del self.host.rooms[room.id]
        self.host.changed()
        return {"closed": room.id}

    # --- a handler's actions on the callback list (ACD14) --------------------------------------------
    # Each goes through the ACD, whose request the table then follows, and each carries the handler's
    # note (ACD14: "must write a short note").

    def _callback(self, call_id) -> int:
        acd = self.host.acd
        if _is_int(call_id) and call_id not in acd.callbacks:
            self.host.callback_book.take_up_failed(call_id, self.host.configuration.queues)
        if not _is_int(call_id) or call_id not in acd.callbacks:
            raise CommandError(f"no callback {call_id!r} in the engine (closed before the last restart?)")
        return call_id

    def _handler_note(self, call_id, agent_id, text, author) -> tuple[int, int | None, str]:
        """The callback, its handler (or None), and the note."""
        call_id = self._callback(call_id)
        if agent_id is not None:
            self._agent(agent_id)
        if not isinstance(text, str) or not text.strip() or len(text.strip()) > CALLBACK_NOTE_MAX:
            raise CommandError(f"a note of 1 to {CALLBACK_NOTE_MAX} characters is required")
        note = f"{author}: {text.strip()}" if isinstance(author, str) and author else text.strip()
        return call_id, agent_id, note

    def _note(self, call_id: int, agent_id: int | None, note: str) -> None:
        """A handler without an agent (a supervisor, a token) leaves the last handler as it was."""
        request = self.host.acd.callbacks[call_id]
        handler = agent_id if agent_id is not None else request.last_handler
        self.host.acd.callback_note(call_id, handler, note, time.monotonic())

    def _callback_answer(self, call_id: int) -> dict:
        self.host.settle()
        self.host.callback_book.save(call_id)
        # The loop commits once per turn, after the answer has gone out: the handler's note must be on
        # disk before the web reads the row back.
        commit_pending(self.host.store)
        self.host.changed()
        request = self.host.acd.callbacks[call_id]
        return {"call_id": call_id, "status": request.status, "attempts": request.attempts,
                "last_handler": request.last_handler, "log": request.last_log}

    def callback_note(self, call_id=None, text=None, author=None, agent_id=None) -> dict:
        call_id, agent_id, note = self._handler_note(call_id, agent_id, text, author)
        self._note(call_id, agent_id, note)
        return self._callback_answer(call_id)

    def callback_requeue(self, call_id=None, text=None, author=None, agent_id=None) -> dict:
        """Back on the list: one that failed, or one with no answer, whose next attempt (already
        queued by the ACD after its retry delay) is then made now."""
        call_id, agent_id, note = self._handler_note(call_id, agent_id, text, author)
        status = self.host.acd.callbacks[call_id].status
        if status not in ("no-answer", "failed"):
            raise CommandError(f"callback {call_id} is {status}: only one with no answer or failed is requeued")
        self._note(call_id, agent_id, f"requeued by {note}")
        self.host.acd.callback_requeue(call_id, time.monotonic())
        return self._callback_answer(call_id)

    def callback_cancel(self, call_id=None, text=None, author=None, agent_id=None) -> dict:
        """Off the list for good; one whose customer is being dialled right now is left alone."""
        call_id, agent_id, note = self._handler_note(call_id, agent_id, text, author)
        status = self.host.acd.callbacks[call_id].status
        if status not in queries.OPEN_CALLBACK_STATUSES or status == "connecting":
            raise CommandError(f"callback {call_id} is {status}: only a waiting, ringing or unanswered one is cancelled")
        self._note(call_id, agent_id, f"cancelled by {note}")
        self.host.acd.callback_cancel(call_id, time.monotonic())
        return self._callback_answer(call_id)

    def callback_call_now(self, call_id=None, agent_id=None, author=None) -> dict:
        """Click to call. The agent's phone rings at once, ahead of the callback's turn, the queue's
        cap and the caller's interval; the ACD says why when it cannot (agent not free, not in the
        queue, callback not open), and that reason is the answer.

        The audit entry is written here, with the change: the phone may answer within milliseconds,
        and a write of the web's landing between this loop turn's read and write of the store would
        make SQLite refuse the engine's write (a stale WAL snapshot)."""
        call_id, agent_id = self._callback(call_id), self._agent(agent_id)
        try:
            self.host.acd.callback_place_now(call_id, agent_id, time.monotonic())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        queries.audit(self.host.store, author if isinstance(author, str) else "engine", "callback.call",
                      f"call={call_id} agent={agent_id}")
        return self._callback_answer(call_id)

    # --- the box ------------------------------------------------------------------------------------

    def reload(self) -> dict:
        self.host.reload()
        return {"reloaded": True}

    def media_stats(self, reset=False) -> dict:
        return self.host.hub.tick_stats(reset=bool(reset))

    def trunks(self) -> dict:
        """Each trunk with the last answer to its registration (None for a peer: nothing to register)."""
        ua = getattr(self.host, "ua", None)
        registrations = ua.trunk_registrations() if hasattr(ua, "trunk_registrations") else {}
        cards = getattr(self.host, "cards", None)
        return {"trunks": [{"id": t["id"], "name": t["name"], "type": t["type"],
                            "registration": registrations.get(t["id"]) if t["type"] == "register" else None,
                            "line": cards.state(t["id"]) if cards is not None and t["type"] == "fxo" else None}
                           for t in self.host.configuration.trunks]}

    def card_test(self, trunk_id=None) -> dict:
        """The card test (APP3) on an fxo trunk's line: off hook, dial tone? The result comes in
        `trunks` (its line's last_check) within a few seconds."""
        cards = getattr(self.host, "cards", None)
        if not _is_int(trunk_id) or cards is None or not cards.check(trunk_id):
            raise CommandError(f"no card line {trunk_id!r}")
        return {"started": True}

    def status(self) -> dict:
        """The live status: queues with their waiting calls, agents, calls, callbacks, alarms, rooms."""
        host, now = self.host, time.monotonic()
        acd, configuration = host.acd, host.configuration
        calls = [s.describe(now) for s in host.sessions.values()]
        queues = []
        for queue_id, queue in configuration.queues.items():
            waiting = sorted((c for c in calls if c["queue_id"] == queue_id and c["phase"] == "queued"),
                             key=lambda c: c["position"] or 0)
            queues.append({"id": queue_id, "name": queue["name"], "waiting": waiting,
                           "longest_wait_seconds": max((c["waited_seconds"] for c in waiting), default=0.0)})
        agents = []
        for agent_id, agent in configuration.agents.items():
            state = acd.agents.get(agent_id)
            agents.append({
                "id": agent_id, "name": agent["name"], "extension": agent["extension"],
                "state": (state.state if state else AgentState.LOGGED_OUT).value,
                "pause_reason": (state.pause_reason if state.state is AgentState.PAUSED else state.pending_pause)
                if state else None,
                "queue_ids": sorted(state.queue_ids) if state else [],
                "call_id": state.current_call if state else None,
                "unclassified_call": state.unclassified_call if state else None,
            })
        # The ACD keeps times on the engine's monotonic clock: the list shows how long ago instead.
        callbacks = [{**row, "arrived": None, "interval": None, "waited_seconds": round(now - row["arrived"], 1)}
                     for row in acd.callback_list(open_only=True)]
        return {
            "queues": queues, "agents": agents, "calls": calls, "active_calls": len(calls),
            "callbacks": callbacks, "alarms": host.alarms.describe(),
            "conferences": [room.describe() for room in host.rooms.values()]}


SOCKET_COMMANDS = (
    "status", "agent_login", "agent_logout", "agent_pause", "agent_unpause", "wrapup_end", "wrapup_extend",
    "call_classify", "call_classified", "reload", "monitor", "conference_create", "conference_add",
    "conference_remove", "conference_close", "callback_note", "callback_requeue", "callback_cancel",
    "callback_call_now", "media_stats", "trunks", "card_test",
)
