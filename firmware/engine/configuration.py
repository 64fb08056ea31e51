"""The box's configuration as the engine uses it: read from the store at start and at every
`reload` (the web wrote it), checked by the ACD's parsers, and handed to the ACD.

A rule the parsers refuse (written by an older version, or by hand) falls back to the defaults
with an error in the log: the box keeps taking calls.
"""

from __future__ import annotations

import logging
import sqlite3
import time

from firmware.acd import Acd, AgentActivity, AgentState
from firmware.acd.settings import (DEFAULT_DISPOSITIONS, DEFAULT_PAUSE_REASONS, SettingsError, call_skills,
                                   parse_agent_settings, parse_dispositions, parse_pause_reasons, parse_queue_settings,
                                   parse_stored)
from firmware.engine import prompts
from firmware.engine.sipmsg import parse_hostport
from firmware.store import events, queries

log = logging.getLogger(__name__)


# The ACD's activity names as the event log words them.
AGENT_EVENT_OF = {"pause-end": "unpause"}


class Configuration:
    def __init__(self, store: sqlite3.Connection, acd: Acd):
        self.store = store
        self.acd = acd
        self.agents: dict[int, dict] = {}
        self.queues: dict[int, dict] = {}
        self.routes: dict[str, dict] = {}
        self.trunks: list[dict] = []
        self.dispositions: list[dict] = []
        self.required_skills: dict[int, dict[str, int]] = {}
        self.pause_reason_choices: list[str] = []
        self.language = "en"

    def load(self) -> None:
        store = self.store
        self.agents = {a["id"]: a for a in queries.list_agents(store)}
        self.queues = {q["id"]: q for q in queries.list_queues(store)}
        for queue_id in set(self.acd.queues) - set(self.queues):
            log.info("queue %s was deleted: its callers hear the overflow message", queue_id)
            self.acd.remove_queue(queue_id, time.monotonic())
        self._configure_agents(time.monotonic())
        self._configure_queues(time.monotonic())
        self.routes = {r["did"]: r for r in queries.list_inbound_routes(store)}
        self.trunks = queries.list_trunks_with_secrets(store)
        self._configure_pause_reasons()
        self.dispositions = self._stored_list("dispositions", parse_dispositions, DEFAULT_DISPOSITIONS)
        self.language = queries.get_setting(store, "prompt_language", "en") or "en"
        if self.language not in prompts.LANGUAGES:
            self.language = "en"
        self._log_in_from_store(time.monotonic())

    def _log_in_from_store(self, now: float) -> None:
        """Agents are logged in to the queues `agent_logins` names (after a start or a reload)."""
        logins: dict[int, set[int]] = {}
        for row in queries.all_agent_logins(self.store):
            logins.setdefault(row["agent_id"], set()).add(row["queue_id"])
        for agent_id in set(self.acd.agents) | set(logins):
            # stand-by logins are the ACD's own (not stored): they stay until it ends them
            standby = self.acd.agents[agent_id].standby_queues if agent_id in self.acd.agents else set()
            wanted = (logins.get(agent_id, set()) | standby) & set(self.queues)
            if agent_id in self.agents and wanted:
                self.acd.login(agent_id, wanted, now)
                self._restore_pause(agent_id, now)
            else:
                self.acd.logout(agent_id, now)

    def _stored_list(self, key: str, parse, default: list):
        """A list setting as parsed, or the default's when the stored one is refused."""
        value, refused = parse_stored(queries.get_setting(self.store, key), parse, default)
        if refused is not None:
            log.error("stored %s refused (%s); using the defaults", key, refused)
        return value

    def _configure_pause_reasons(self) -> None:
        reasons = self._stored_list("pause_reasons", parse_pause_reasons, DEFAULT_PAUSE_REASONS)
        self.acd.set_pause_reasons(reasons)
        # what an agent's phone pauses for with *43N: the box's list in order, without the automatic one
        self.pause_reason_choices = [reason.code for reason in reasons if reason.code != "no-answer"]

    def _restore_pause(self, agent_id: int, now: float) -> None:
        """A pause kept in the store (from before a restart) is taken up again, once."""
        reason = self.agents[agent_id].get("paused_reason")
        agent = self.acd.agents[agent_id]
        if reason and agent.state is not AgentState.PAUSED and agent.pending_pause is None:
            self.acd.pause(agent_id, reason, now)

    def _configure_agents(self, now: float) -> None:
        for agent_id, agent in self.agents.items():
            try:
                config = parse_agent_settings(agent["settings"])
            except SettingsError as exc:
                log.error("agent %s: stored settings refused (%s); using the defaults", agent["extension"], exc)
                config = parse_agent_settings({})
            self.acd.configure_agent(agent_id, config, now)

    def _configure_queues(self, now: float) -> None:
        self.required_skills = {}
        for queue_id, queue in self.queues.items():
            name = f"queue-{queue_id}"
            try:
                config, messages = parse_queue_settings(queue["settings"], queue["strategy"], name)
                self.required_skills[queue_id] = call_skills(queue["settings"])
            except SettingsError as exc:
                log.error("queue %s: stored rules refused (%s); using the defaults", queue["name"], exc)
                config, messages = parse_queue_settings({}, "longest-idle", name)
            self.acd.add_message_set(name, messages)
            self.acd.configure_queue(queue_id, config, now)

    # --- what the engine looks up -------------------------------------------------------------------

    def announces_agent(self, queue_id: int) -> bool:
        queue = self.queues.get(queue_id)
        return bool(queue and queue["settings"].get("announce_agent"))

    def queue_name(self, queue_id: int | None) -> str:
        queue = self.queues.get(queue_id) if queue_id is not None else None
        return queue["name"] if queue else ""

    def agent_by_extension(self, extension: str) -> int | None:
        return next((i for i, a in self.agents.items() if a["extension"] == extension), None)

    def trunk(self, trunk_id: int | None) -> dict | None:
        return next((t for t in self.trunks if t["id"] == trunk_id), None)

    def trunk_for_source(self, source: str) -> dict | None:
        host, port = parse_hostport(source)
        for trunk in self.trunks:
            trunk_host, trunk_port = parse_hostport(trunk["address"])
            if trunk_host == host and trunk_port in (None, port):
                return trunk
        return None

    def keep_pause(self, agent_id: int, reason: str | None) -> None:
        """An agent's pause (or its end) is kept in the store, so the next engine takes it up."""
        queries.set_agent_pause(self.store, agent_id, reason)
        self.agents[agent_id]["paused_reason"] = reason

    def keep_activity(self, action: AgentActivity) -> None:
        """The one place agents' events are written: every activity goes to the event log
        (firmware/store/events.py); logins, logouts and pauses also to `agent_activity`, for the
        agent's time (logged in, paused per reason, billable): firmware/stats/agent_time.py."""
        if action.agent_id not in self.agents:
            return
        event = AGENT_EVENT_OF.get(action.activity, action.activity)
        data = {"reason": action.reason} if action.activity in ("pause", "pause-end") else {}
        events.append(self.store, event, agent_id=action.agent_id, queue_id=action.queue_id, **data)
        if action.activity not in queries.AGENT_ACTIVITIES:
            return
        reason = self.acd.pause_reasons.get(action.reason) if action.activity.startswith("pause") else None
        queries.add_agent_activity(self.store, action.agent_id, action.activity, action.reason,
                                   billable=bool(reason and reason.billable))
