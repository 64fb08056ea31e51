"""The engine: accepts calls from the edge, runs them through queues to agents, and keeps the store.

Single-threaded: `run()` alternates between pjsua2's event polling, the control socket and the
sessions' clocks, so no state here needs a lock.
"""

from __future__ import annotations

import gc
import logging
import signal
import sqlite3
import time
from collections import deque
from pathlib import Path

import pjsua2 as pj

from cython_ext.pjport import MediaHub
from firmware import paths
from firmware.acd import (Acd, AgentActivity, AgentPaused, AgentState, Bridge, CallbackRegistered, CallbackRequest,
                          CallFinished, ClearAlarm, OfferCallback, Overflow, PlaceCallback, PlayMessage, RaiseAlarm,
                          RingAgent, StandbyLogin, StandbyLogout, StateRepaired, StopRinging)
from firmware.acd.settings import (DEFAULT_DISPOSITIONS, DEFAULT_PAUSE_REASONS, SettingsError, call_skills,
                                   parse_agent_settings, parse_dispositions, parse_pause_reasons, parse_queue_settings,
                                   parse_stored)
from firmware.config import BoxConfig
from firmware.edge.dialogs import end_engine_dialogs
from firmware.edge.kamailio import reload_trunk_addresses
from firmware.edge.registrations import RegistrationWatcher
from firmware.engine import agent_phone, prompts, sdp, trunk_calls, wavfix
from firmware.engine.agent_phone import FeatureCall
from firmware.engine.load_report import LoadReport
from firmware.engine.control import CommandError, ControlServer
from firmware.engine.session import MONITOR_MODES, CallbackSession, ConferenceRoom, InboundSession
from firmware.engine.sdp import UnusableSdp
from firmware.engine.sipmsg import (OFFER_CALL_HEADER, OFFER_INPUT_HEADER, OFFER_QUEUE_HEADER, SipMessageError,
                                    SipRequest, UntrustedRequest, edge_assertion, header_value, name_addr,
                                    offer_display, parse_hostport, parse_request, safe_text, uri_user)
from firmware.engine.ua import (KEYS_HEARD, Leg, TrunkAccount, call_setting_param, create_endpoint,
                                create_outbound_account, create_service_account, create_trunk_account)
from firmware.store import commit_pending, open_store, queries

log = logging.getLogger(__name__)

POLL_MS = 10
PUBLISH_INTERVAL = 0.25
PLAYER_LINGER = 1.0          # seconds a stopped prompt player is kept before it is destroyed
RECORDING_CLOSE_DELAY = 0.5   # seconds for pjmedia to close a dropped recorder's file
ALARM_GRACE = 30.0            # seconds after a start for the ACD to raise again what was open before


class Engine:
    def __init__(self, config: BoxConfig, store: sqlite3.Connection):
        self.config = config
        self.store = store
        self.data_dir = paths.data_dir()
        self.acd = Acd()
        self.load = LoadReport()           # tells the edge when this loop falls behind (503 for new calls)
        self.sessions: dict[int, InboundSession] = {}
        self.callbacks: dict[int, CallbackSession] = {}    # by the ACD's id of the call called back
        self.alarms: dict[tuple[str, str], str] = {}
        self.alarms_from_before: set[tuple[str, str]] = set()   # open in the store when this engine started
        self.registrations: RegistrationWatcher | None = None    # the agents' phones at the edge
        self._registrations_seen = 0
        self.alarms_grace_ends = 0.0
        self.rooms: dict[int, ConferenceRoom] = {}
        self.key_listeners: dict[int, InboundSession] = {}   # hub leg -> the call whose keys it hears
        self._next_room = 1
        self.retired: list = []            # pjsua2 objects to drop outside of their callbacks
        self.lingering: deque = deque()    # (when to drop, player): see retire_player
        self.running = False
        self._dirty = True
        self._last_publish = 0.0
        self._prompt_lengths: dict[str, float] = {}
        self.trunk_accounts: dict[int, TrunkAccount] = {}        # registering trunks, by id
        self.closing_recordings: list[tuple[float, int, Path]] = []   # (when to read, id, path)
        self.feature_calls: set[FeatureCall] = set()      # agents' phones told what their feature code did
        self.arrivals: deque = deque()     # (leg, request bytes) from onIncomingCall, answered in the loop
        self.commands = self._command_table()
        self.load_config()

    def _command_table(self) -> dict:
        """The engine's commands by name: for its control socket, and for agents' feature codes."""
        return {
            "status": lambda args: self.snapshot(),
            "agent_login": self._cmd_agent_login,
            "agent_logout": self._cmd_agent_logout,
            "agent_pause": self._cmd_agent_pause,
            "agent_unpause": self._cmd_agent_unpause,
            "wrapup_end": self._cmd_wrapup_end,
            "wrapup_extend": self._cmd_wrapup_extend,
            "call_classified": self._cmd_call_classified,
            "reload": self._cmd_reload,
            "monitor": self._cmd_monitor,
            "conference_create": self._cmd_conference_create,
            "conference_add": self._cmd_conference_add,
            "conference_remove": self._cmd_conference_remove,
            "conference_close": self._cmd_conference_close,
            "callback_note": self._cmd_callback_note,
            "callback_requeue": self._cmd_callback_requeue,
            "callback_cancel": self._cmd_callback_cancel,
            "callback_call_now": self._cmd_callback_call_now,
            "media_stats": lambda args: self.hub.tick_stats(reset=bool(args.get("reset"))),
        }

    # --- configuration --------------------------------------------------------------------------

    def load_config(self) -> None:
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
        self.language = queries.get_setting(store, "prompt_language", "en")
        if self.language not in prompts.LANGUAGES:
            self.language = "en"
        now = time.monotonic()
        logins: dict[int, set[int]] = {}
        for row in queries.all_agent_logins(store):
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
        self.changed()

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
        self.required_skills: dict[int, dict[str, int]] = {}
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

    def announces_agent(self, queue_id: int) -> bool:
        queue = self.queues.get(queue_id)
        return bool(queue and queue["settings"].get("announce_agent"))

    def trunk_for_source(self, source: str) -> dict | None:
        host, port = parse_hostport(source)
        for trunk in self.trunks:
            trunk_host, trunk_port = parse_hostport(trunk["address"])
            if trunk_host == host and trunk_port in (None, port):
                return trunk
        return None

    def _sync_trunk_registrations(self) -> None:
        """One TrunkAccount (registration and calls, ua.create_trunk_account) per registering trunk.
        (A trunk is not edited, only created and deleted.)"""
        wanted = {t["id"]: t for t in self.trunks if t["type"] == "register"}
        for trunk_id in list(self.trunk_accounts):
            if trunk_id not in wanted:
                # the registration ends; its calls account lives on in the legs of its calls (Leg.account)
                self.retire(self.trunk_accounts.pop(trunk_id))
        for trunk_id, trunk in wanted.items():
            if trunk_id not in self.trunk_accounts:
                try:
                    self.trunk_accounts[trunk_id] = create_trunk_account(
                        self.config, self.transport_id, trunk["address"], trunk["username"] or "",
                        trunk["password"] or "", self.incoming_call)
                except pj.Error as exc:
                    log.error("trunk %s: registration not started: %s", trunk["name"], exc.info())

    # --- start, loop, stop ----------------------------------------------------------------------

    def start(self) -> None:
        self.endpoint, self.transport_id = create_endpoint(self.config)
        self.account = create_service_account(self.config, self.transport_id, self.incoming_call)
        self.outbound_account = create_outbound_account(self.config, self.transport_id, self.incoming_call)
        # Bridged calls meet in our mixer inside pjmedia's clock (no Python per frame).
        self.hub = MediaHub(rate=8000)
        self.take_over_alarms()
        self.registrations = RegistrationWatcher()
        self.registrations.start()
        restored = self.restore_callbacks()
        if restored:
            log.warning("%d open callbacks restored from the store", restored)
        self._sync_trunk_registrations()
        self.control = ControlServer(paths.engine_socket_path(), self.commands, snapshot=self.snapshot)
        self.load.start()                  # from the loop's own thread: the one it watches
        self.running = True
        log.info("engine ready on %s:%s", self.config.bind_address, self.config.engine_port)

    def run(self) -> None:
        commit_pending(self.store)         # what the start wrote
        while self.running:
            # One transaction per turn of the loop: every CDR and queue event written in it reaches
            # the disk with a single fsync (group commit) instead of one per row. The store opens it
            # at the turn's first write (GroupCommitConnection).
            try:
                self.endpoint.libHandleEvents(POLL_MS)
                self._take_arrivals()
                self._take_keys()
                self.control.poll(0)
                now = time.monotonic()
                # the ACD runs on the monotonic clock; schedules need the wall clock (which NTP may set)
                self.acd.wall_offset = time.time() - now
                for session in [*self.sessions.values(), *self.feature_calls]:
                    session.tick(now)
                self.act(self.acd.tick(now))
                self._finish_closed_recordings(now)
                self._settle_alarms_from_before(now)
                self._apply_registrations(now)
            finally:
                commit_pending(self.store)
            self.retired.clear()
            while self.lingering and self.lingering[0][0] <= now:
                self.lingering.popleft()
            if self._dirty and now - self._last_publish >= PUBLISH_INTERVAL:
                self._dirty = False
                self._last_publish = now
                self.control.publish()

    def stop(self, cause: str = "engine-stop") -> None:
        """Hangs up every call (closing its CDR), lets the BYEs go out, then shuts pjsua2 down in order."""
        self.running = False
        self.load.stop()
        if self.registrations is not None:
            self.registrations.stop()
        for room in list(self.rooms.values()):
            room.close()
        self.rooms.clear()
        self._hang_up_all(cause)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            self.endpoint.libHandleEvents(POLL_MS)
        self.hub.close()
        self._finish_closed_recordings(now=float("inf"))
        self.lingering.clear()
        self.retired.clear()
        KEYS_HEARD.clear()                 # Legs held there must not outlive libDestroy
        self.sessions.clear()
        self.callbacks.clear()
        self.feature_calls.clear()
        self.trunk_accounts.clear()
        self.control.close()
        del self.account
        del self.outbound_account
        # A pjsua2 Call still alive after libDestroy aborts the process: collect every cycle first.
        gc.collect()
        self.endpoint.libDestroy()
        commit_pending(self.store)         # the CDRs the hang-ups closed

    def _hang_up_all(self, cause: str) -> None:
        # In a function of its own: a loop variable left in stop() would keep a Call alive.
        while self.arrivals:
            self._refuse(self.arrivals.popleft()[0], 503)
        for session in [*self.sessions.values(), *self.callbacks.values(), *self.feature_calls]:
            session.hang_up(cause)

    # --- calls ----------------------------------------------------------------------------------

    def incoming_call(self, leg: Leg, message: bytes | None) -> None:
        """pjsua2's onIncomingCall: only takes note. The call is answered or refused in the loop's
        turn (`_take_arrivals`), after the callback has returned: pjsua2 2.17 ends an INVITE without
        SDP at once when it is refused from inside the callback, then frees the request a second
        time and aborts (pjsip_rx_data_free_cloned)."""
        self.arrivals.append((leg, message))

    def _take_arrivals(self) -> None:
        while self.arrivals:
            leg, message = self.arrivals.popleft()
            if leg.disconnected:          # the caller gave up (CANCEL) before the engine's turn
                self.retire(leg)
                continue
            try:
                self._admit(leg, message)
            except Exception:
                # Whatever went wrong, the caller gets a final reply and the leg does not dangle.
                log.exception("incoming call refused with 500")
                self._refuse(leg, 500)

    def _admit(self, leg: Leg, message: bytes | None) -> None:
        if message is None:
            raise SipMessageError("the request could not be read")
        try:
            request = parse_request(message)
        except SipMessageError as exc:
            log.warning("call refused, not a SIP request by RFC 3261: %s", exc)
            self._refuse(leg, 400)
            return
        try:
            edge = edge_assertion(request)
        except UntrustedRequest as exc:
            log.warning("call refused, forged or missing edge headers: %s", exc)
            self._refuse(leg, 403)
            return
        did = safe_text(uri_user(request.uri))
        if edge.agent is not None:
            if self._sdp_refused(leg, request, f"agent {edge.agent}"):
                return
            call = agent_phone.agent_dialled(self, leg, edge.agent, did)
            if call is None:
                self._refuse(leg, 404)
            else:
                self.feature_calls.add(call)
            return
        caller = uri_user(request.text("From")) or "anonymous"
        trunk = self.trunk_for_source(edge.source)
        if trunk is None:
            log.warning("call from unknown source %s refused", edge.source)
            self._refuse(leg, 403)
            return
        if self._sdp_refused(leg, request, f"trunk {trunk['name']}"):
            return
        did = self.called_number(trunk, did, request)
        sip_call_id = request.text("Call-ID")
        route = self.routes.get(did)
        if route is None:
            log.info("call to unknown number %r from trunk %s", did, trunk["name"])
            call_id = queries.open_call(self.store, caller, did, sip_call_id, trunk["id"])
            queries.close_call(self.store, call_id, "failed", "unknown-number")
            self._refuse(leg, 404)
            return
        call_id = queries.open_call(self.store, caller, did, sip_call_id, trunk["id"])
        session = InboundSession(self, leg, call_id, route["queue_id"], caller, did,
                                 inband_dtmf=trunk.get("dtmf") == "inband", priority=route["priority"])
        self.sessions[call_id] = session
        try:
            leg.answer(call_setting_param(200))
        except pj.Error as exc:
            log.error("cannot answer call %s: %s", call_id, exc.info())
            session.hang_up("answer-failed")
        self.changed()

    def called_number(self, trunk: dict, request_user: str, request: SipRequest) -> str:
        """The number a trunk's caller dialled: trunk_calls.called_number, logged when it is not
        the request URI's user."""
        to_user = uri_user(request.text("To"))
        number, why = trunk_calls.called_number(trunk, request_user, to_user)
        if why:
            log.info("call from trunk %s to %r: %s", trunk["name"], number, why)
        return number

    def _sdp_refused(self, leg: Leg, request: SipRequest, who: str) -> bool:
        """Refuses with 488 an offer the box cannot use. An INVITE without a body is a delayed offer
        (RFC 3261 13.2.1): the box offers in its 200 and takes the answer from the ACK."""
        if not request.body:
            return False
        content_type = request.text("Content-Type").split(";", 1)[0].strip().lower()
        try:
            if content_type != "application/sdp":
                raise UnusableSdp(f"a body of type {content_type!r}")
            sdp.check(request.body)
        except UnusableSdp as exc:
            log.warning("call from %s refused with 488: %s", who, exc)
            self._refuse(leg, 488)
            return True
        return False

    def _refuse(self, leg: Leg, status: int) -> None:
        try:
            leg.hangup(call_setting_param(status))
        except pj.Error as exc:
            log.debug("refusing call: %s", exc.info())
        self.retire(leg)

    # --- what the ACD asks -------------------------------------------------------------------------

    def act(self, actions: list | None = None) -> None:
        """Carries out the ACD's actions (those given, or all waiting in its outbox)."""
        if actions is None:
            actions = self.acd.take_actions()
        for action in actions:
            handler = self._handlers.get(type(action))
            if handler is None:
                log.debug("ACD action %s", action)
            else:
                handler(self, action)
        if actions:
            self.changed()

    def _ring(self, action: RingAgent) -> None:
        session, agent = self.sessions.get(action.call_id), self.agents.get(action.agent_id)
        if session is None or agent is None:
            # The ACD and the engine disagree: report it and let the ACD repair its state.
            log.error("ACD offered call %s to agent %s, which the engine does not have", action.call_id,
                      action.agent_id)
            self.acd.agent_no_answer(action.call_id, action.agent_id, time.monotonic(), reason="unreachable")
            if session is None:
                self.acd.call_left(action.call_id, time.monotonic(), outcome="lost")
            return
        session.ring(action.agent_id, agent["extension"])

    def _stop_ringing(self, action: StopRinging) -> None:
        session = self.sessions.get(action.call_id) or self.callbacks.get(action.call_id)
        if session is not None:
            session.stop_ringing(action.agent_id)

    def _bridge(self, action: Bridge) -> None:
        session = self.sessions.get(action.call_id)
        if session is not None:
            session.bridge_to(action.agent_id)

    def _play(self, action: PlayMessage) -> None:
        session = self.sessions.get(action.call_id)
        if session is not None:
            session.play(action.parts)

    def _overflow(self, action: Overflow) -> None:
        log.info("call %s overflows from queue %s (%s) to %s", action.call_id, action.queue_id, action.reason,
                 action.destination)
        session = self.sessions.get(action.call_id)
        if session is not None:
            session.overflow(action.reason, action.destination)

    def _offer_callback(self, action: OfferCallback) -> None:
        session = self.sessions.get(action.call_id)
        if session is not None:
            session.offer_callback()

    def _callback_registered(self, action: CallbackRegistered) -> None:
        log.info("call %s: callback to %s registered", action.call_id, action.number)
        request = self.acd.callbacks.get(action.call_id)
        call = queries.get_call(self.store, action.call_id)
        if request is not None and call is not None:
            wanted_from, wanted_until = self._wanted_interval(request, time.monotonic(), time.time())
            queries.save_callback(self.store, action.call_id, request.queue_id, action.number, call["started_at"],
                                  caller_input=request.caller_input, forced=action.forced,
                                  wanted_from=wanted_from, wanted_until=wanted_until)
        session = self.sessions.get(action.call_id)
        if session is not None:
            session.callback_registered(action.forced)

    def _place_callback(self, action: PlaceCallback) -> None:
        agent = self.agents.get(action.agent_id)
        if agent is None or action.call_id in self.callbacks:
            log.error("callback %s for agent %s cannot be placed", action.call_id, action.agent_id)
            self.acd.agent_no_answer(action.call_id, action.agent_id, time.monotonic(), reason="unreachable")
            return
        session = CallbackSession(self, action.call_id, action.agent_id, action.number, action.queue_id)
        self.callbacks[action.call_id] = session
        self.save_callback_state(action.call_id)
        session.start(agent["extension"])

    def _alarm(self, action: RaiseAlarm | ClearAlarm) -> None:
        """Shown in the live status and kept in the store, where the notifier finds it (ACD15)."""
        key = (action.name, action.subject)
        if isinstance(action, RaiseAlarm):
            log.warning("alarm %s on %s: %s", action.name, action.subject, action.detail)
            self.alarms[key] = action.detail
            self.alarms_from_before.discard(key)
            queries.raise_alarm(self.store, action.name, action.subject, action.detail)
        else:
            log.info("alarm %s on %s cleared", action.name, action.subject)
            self.alarms.pop(key, None)
            queries.clear_alarm(self.store, action.name, action.subject)

    def _apply_registrations(self, now: float) -> None:
        """An agent whose phone is no longer registered is unavailable, and available again once it
        registers (ACD: the state follows the phone, not only a failed ring)."""
        watcher = self.registrations
        if watcher is None or watcher.version == self._registrations_seen:
            return
        self._registrations_seen = watcher.version
        registered = watcher.registered
        for agent_id, agent in self.agents.items():
            is_registered = agent["extension"] in registered
            state = self.acd.agent(agent_id)
            if not is_registered and state.state is AgentState.RINGING:
                # The dump may predate the phone's REGISTER; the ring's own answer is the fresher word
                # (a phone really gone fails it as unreachable). The next dump is looked at again.
                continue
            if is_registered != state.registered:
                log.info("agent %s: phone %s", agent["extension"], "registered" if is_registered else "gone")
                if is_registered:
                    self.acd.phone_registered(agent_id, now)
                else:
                    self.acd.phone_unregistered(agent_id, now)
                self.changed()

    def take_over_alarms(self) -> None:
        self.alarms_from_before = {(a["name"], a["subject"]) for a in queries.open_alarms(self.store)}
        self.alarms_grace_ends = time.monotonic() + ALARM_GRACE

    def _settle_alarms_from_before(self, now: float) -> None:
        """Alarms left open by the previous engine stay open while this one's ACD raises them again
        (no second notice); those it does not raise within ALARM_GRACE are over."""
        if self.alarms_from_before and now >= self.alarms_grace_ends:
            for name, subject in self.alarms_from_before:
                queries.clear_alarm(self.store, name, subject, "not raised again after the engine restarted")
            self.alarms_from_before.clear()

    def _report(self, action: AgentPaused | StandbyLogin | StandbyLogout | StateRepaired | CallFinished) -> None:
        level = logging.WARNING if isinstance(action, StateRepaired) else logging.INFO
        log.log(level, "ACD: %s", action)
        if isinstance(action, CallFinished) and action.outcome.startswith("callback"):
            self.save_callback_state(action.call_id)
        if isinstance(action, AgentPaused) and action.agent_id in self.agents:
            self._store_pause(action.agent_id, action.reason)      # kept across a restart like any pause

    def _agent_activity(self, action: AgentActivity) -> None:
        """Kept for the agent's time (logged in, paused per reason, billable): firmware/stats/agent_time.py."""
        if action.agent_id not in self.agents:
            return
        reason = self.acd.pause_reasons.get(action.reason) if action.activity.startswith("pause") else None
        queries.add_agent_activity(self.store, action.agent_id, action.activity, action.reason,
                                   billable=bool(reason and reason.billable))

    def save_callback_state(self, call_id: int) -> None:
        """The callback list row follows the ACD's request (status, attempts, handler, log)."""
        request = self.acd.callbacks.get(call_id)
        if request is not None:
            queries.update_callback(self.store, call_id, status=request.status, attempts=request.attempts,
                                    last_handler=request.last_handler, log=request.log)

    @staticmethod
    def _wanted_interval(request: CallbackRequest, now: float, wall: float) -> tuple[float | None, float | None]:
        """The interval the caller chose, from the ACD's monotonic clock to wall-clock times for the
        store; NULL/NULL ("as soon as possible") when they chose none, so a restart keeps their place.
        The ACD says which it is: an interval chosen "from now, no end" looks like no choice at all."""
        if request.keeps_place:
            return None, None
        start, end = request.interval
        return wall - (now - start), (wall - (now - end) if end is not None else None)

    @staticmethod
    def _acd_interval(row: dict, now: float, wall: float) -> tuple[float, float | None] | None:
        """The stored wall-clock interval back on the ACD's monotonic clock (None: as soon as possible)."""
        if row["wanted_from"] is None and row["wanted_until"] is None:
            return None
        start = now - (wall - row["wanted_from"]) if row["wanted_from"] is not None else now
        end = now - (wall - row["wanted_until"]) if row["wanted_until"] is not None else None
        return start, end

    def restore_callbacks(self) -> int:
        """Open callbacks of the store go back to the ACD in their places (after a restart or crash)."""
        restored = 0
        for row in queries.open_callbacks(self.store):
            if row["queue_id"] in self.queues:
                self._restore_callback(row)
                restored += 1
        return restored

    def _restore_callback(self, row: dict, failed: bool = False) -> None:
        now, wall = time.monotonic(), time.time()
        self.acd.callback_restored(row["call_id"], row["queue_id"], row["number"], now,
                                   arrived_at=now - (wall - row["arrived_at"]), caller_input=row["caller_input"],
                                   attempts=row["attempts"], forced=bool(row["forced"]), log=tuple(row["log"]),
                                   interval=self._acd_interval(row, now, wall), failed=failed)
        self.save_callback_state(row["call_id"])

    _handlers = {
        RingAgent: _ring, StopRinging: _stop_ringing, Bridge: _bridge, PlayMessage: _play, Overflow: _overflow,
        OfferCallback: _offer_callback, CallbackRegistered: _callback_registered, PlaceCallback: _place_callback,
        RaiseAlarm: _alarm, ClearAlarm: _alarm, AgentPaused: _report, StandbyLogin: _report,
        StandbyLogout: _report, StateRepaired: _report, CallFinished: _report, AgentActivity: _agent_activity,
    }

    def session_ended(self, session: InboundSession, legs: list) -> None:
        self.sessions.pop(session.call_id, None)
        for room in self.rooms.values():
            room.call_ended(session.call_id)
        self._drop_legs(legs)

    def feature_call_ended(self, call: FeatureCall) -> None:
        self.feature_calls.discard(call)
        self._drop_legs([call.leg])

    def callback_ended(self, session: CallbackSession, legs: list) -> None:
        if self.callbacks.get(session.call_id) is session:
            del self.callbacks[session.call_id]
        self.save_callback_state(session.call_id)
        self._drop_legs(legs)

    def _drop_legs(self, legs: list) -> None:
        for leg in legs:
            if leg is not None:
                leg.owner = None      # no cycle: the leg goes with the next `retired.clear()`
                self.retire(leg)

    def trunk_of_call(self, call_id: int) -> dict | None:
        """The trunk a call came in on (with its address), to call back or forward through it."""
        call = queries.get_call(self.store, call_id)
        trunk_id = call["trunk_id"] if call else None
        return next((t for t in self.trunks if t["id"] == trunk_id), None)

    def dial_out(self, number: str, trunk: dict | None, owner) -> Leg | None:
        """A call to a number through a trunk, sent by way of the edge; None if it cannot be placed.
        A peer trunk's calls go from the box's anonymous account, a registering trunk's from its own."""
        if trunk is None:
            log.error("no trunk to dial %s", number)
            return None
        account = self.outbound_account
        if trunk["type"] == "register":
            # the provider challenges the INVITE: only the trunk's own account has its credentials
            registered = self.trunk_accounts.get(trunk["id"])
            if registered is None or registered.calls is None:
                log.error("cannot dial %s through %s: the trunk has no account (see its registration)",
                          number, trunk["name"])
                return None
            account = registered.calls
        leg = Leg(account, "outbound")
        leg.owner = owner
        try:
            leg.makeCall(f"sip:{number}@{trunk['address']}", call_setting_param())
        except pj.Error as exc:
            log.error("cannot dial %s through %s: %s", number, trunk["name"], exc.info())
            leg.owner = None
            self.retire(leg)
            return None
        return leg

    def agent_uri(self, extension: str) -> str:
        return f"sip:{extension}@{self.config.bind_address}:{self.config.sip_port}"

    def offer_param(self, call_id: int, queue_id: int | None, caller: str, caller_input: str = "", *,
                    callback: bool = False) -> pj.CallOpParam:
        """How an agent's phone is rung for a call: it shows the caller's number, the queue and what
        the caller keyed in (ACD3); the headers carry the same for phones and tools that read them."""
        queue = self.queues.get(queue_id)
        queue_name = queue["name"] if queue else ""
        display = offer_display(queue_name, caller_input, callback)
        headers = {OFFER_CALL_HEADER: str(call_id), OFFER_QUEUE_HEADER: queue_name, OFFER_INPUT_HEADER: caller_input}
        hostport = f"{self.config.bind_address}:{self.config.sip_port}"
        return call_setting_param(local_uri=name_addr(display, caller, hostport),
                                  headers={k: header_value(v) for k, v in headers.items() if header_value(v)})

    def listen_for_keys(self, session: InboundSession, media: pj.AudioMedia) -> int:
        """A hub leg on the caller's audio that detects in-band DTMF in the media clock."""
        leg = self.hub.add_leg(f"call-{session.call_id}-keys")
        self.hub.attach(leg, media)
        self.hub.detect_dtmf(leg)
        self.key_listeners[leg] = session
        return leg

    def stop_listening_for_keys(self, leg: int, remove: bool) -> None:
        self.key_listeners.pop(leg, None)
        if remove:
            self.hub.remove_leg(leg)
        else:
            self.hub.detect_dtmf(leg, on=False)

    def _take_keys(self) -> None:
        """Keys heard since the last turn, handed to their calls here in the loop: RFC 4733 ones that
        pjmedia reported from its media thread, and in-band ones the hub detected."""
        while KEYS_HEARD:
            leg, digit = KEYS_HEARD.popleft()
            leg.deliver_key(digit)
        if not self.key_listeners:
            return
        for leg, keys in self.hub.take_digits():
            session = self.key_listeners.get(leg)
            if session is not None:
                for key in keys:
                    session.leg_dtmf(session.caller_leg, key)

    def retire(self, obj) -> None:
        """Keeps a pjsua2 object alive until the current callback has returned."""
        self.retired.append(obj)

    def retire_player(self, player: pj.AudioMediaPlayer, media: pj.AudioMedia | None) -> None:
        """Stops a prompt player at once and destroys it PLAYER_LINGER seconds later.

        At the end of its file a player posts an event that pjmedia's event thread delivers to the
        C++ AudioMediaPlayer later. Destroyed before that, the event thread calls through freed
        memory (SIGSEGV in file_on_event; pjproject PR #5045), and prompts are stopped exactly when
        they end, so under load this happened every few hundred calls. Disconnected, the bridge no
        longer reads the port (no new end-of-file), and a second later every event is delivered.
        """
        if media is not None:
            try:
                player.stopTransmit(media)
            except pj.Error as exc:
                log.debug("stopping a prompt: %s", exc.info())
        self.lingering.append((time.monotonic() + PLAYER_LINGER, player))

    def changed(self) -> None:
        self._dirty = True

    # --- prompts and recordings -----------------------------------------------------------------

    def number_prompts(self, number: int) -> list[str]:
        """The words that say a number (a position, minutes) in the box's prompt language."""
        return prompts.number_prompts(number, self.language)

    def prompt_files(self, names: list[str]) -> tuple[list[str], float]:
        files, total = [], 0.0
        for name in names:
            path = prompts.prompt_path(self.config.prompts_dir, self.language, name)
            key = str(path)
            if key not in self._prompt_lengths:
                try:
                    self._prompt_lengths[key] = wavfix.read_info(path).duration_seconds
                except (OSError, wavfix.WavError) as exc:
                    log.error("prompt %s unusable: %s", path, exc)
                    continue
            files.append(key)
            total += self._prompt_lengths[key]
        return files, total

    def recording_relative_path(self, call_id: int) -> Path:
        day = time.strftime("%Y/%m/%d")
        return Path("recordings") / day / f"call-{call_id}.wav"

    def finish_recording(self, recording_id: int | None, path: Path | None) -> None:
        """Notes a recording whose recorder was dropped. pjmedia closes the file on a later tick of
        its clock (port removal is asynchronous), so its length is read a little later."""
        if recording_id is not None and path is not None:
            self.closing_recordings.append((time.monotonic() + RECORDING_CLOSE_DELAY, recording_id, path))

    def _finish_closed_recordings(self, now: float) -> None:
        while self.closing_recordings and self.closing_recordings[0][0] <= now:
            _, recording_id, path = self.closing_recordings.pop(0)
            try:
                info = wavfix.read_info(path)
                queries.finish_recording(self.store, recording_id, info.duration_seconds, path.stat().st_size)
            except (OSError, wavfix.WavError) as exc:
                log.error("recording %s: %s", path, exc)

    # --- control commands -----------------------------------------------------------------------

    def _agent_arg(self, args: dict) -> int:
        agent_id = args.get("agent_id")
        if not isinstance(agent_id, int) or agent_id not in self.agents:
            raise CommandError(f"unknown agent {agent_id!r}")
        return agent_id

    def _cmd_agent_login(self, args: dict) -> dict:
        agent_id = self._agent_arg(args)
        queue_ids = args.get("queue_ids")
        if not isinstance(queue_ids, list) or not all(isinstance(q, int) and q in self.queues for q in queue_ids):
            raise CommandError("queue_ids must be a list of known queue ids")
        now = time.monotonic()
        current = self.acd.agent(agent_id).queue_ids
        self.acd.login(agent_id, set(current) | set(queue_ids), now)
        self.act(self.acd.tick(now))
        return {"agent_id": agent_id, "queue_ids": sorted(self.acd.agents[agent_id].queue_ids)}

    def _cmd_agent_logout(self, args: dict) -> dict:
        agent_id = self._agent_arg(args)
        self.acd.logout(agent_id, time.monotonic())
        self._store_pause(agent_id, None)
        self.act()
        return {"agent_id": agent_id, "queue_ids": []}

    # --- an agent's pause and wrap-up (ACD9, ACD10) -----------------------------------------------

    def _logged_in_agent_arg(self, args: dict) -> int:
        agent_id = self._agent_arg(args)
        if not self.acd.agent(agent_id).queue_ids:
            raise CommandError(f"agent {self.agents[agent_id]['extension']} is not logged in")
        return agent_id

    def _store_pause(self, agent_id: int, reason: str | None) -> None:
        queries.set_agent_pause(self.store, agent_id, reason)
        self.agents[agent_id]["paused_reason"] = reason

    def _agent_answer(self, agent_id: int) -> dict:
        self.act(self.acd.tick(time.monotonic()))
        commit_pending(self.store)
        self.changed()
        agent = self.acd.agents[agent_id]
        paused = agent.pause_reason if agent.state is AgentState.PAUSED else agent.pending_pause
        return {"agent_id": agent_id, "state": agent.state.value, "pause_reason": paused}

    def _cmd_agent_pause(self, args: dict) -> dict:
        agent_id = self._logged_in_agent_arg(args)
        reason = args.get("reason")
        if reason not in self.acd.pause_reasons:
            raise CommandError(f"reason must be one of {', '.join(sorted(self.acd.pause_reasons))}")
        self.acd.pause(agent_id, reason, time.monotonic())
        self._store_pause(agent_id, reason)
        return self._agent_answer(agent_id)

    def _cmd_agent_unpause(self, args: dict) -> dict:
        agent_id = self._logged_in_agent_arg(args)
        self.acd.unpause(agent_id, time.monotonic())
        self._store_pause(agent_id, None)
        return self._agent_answer(agent_id)

    def _cmd_wrapup_end(self, args: dict) -> dict:
        """{agent_id, force}: a wrap-up waiting for the call's classification ends only with force
        (a supervisor's); the agent classifies the call instead."""
        agent_id = self._logged_in_agent_arg(args)
        agent = self.acd.agents[agent_id]
        if agent.state is not AgentState.WRAP_UP:
            raise CommandError(f"agent {self.agents[agent_id]['extension']} is not in wrap-up")
        if agent.unclassified_call is not None and not args.get("force"):
            raise CommandError(f"call {agent.unclassified_call} must be classified first")
        self.acd.wrapup_ended(agent_id, time.monotonic())
        return self._agent_answer(agent_id)

    def _cmd_call_classified(self, args: dict) -> dict:
        """{agent_id, call_id}: the call was classified (the store has it already): a wrap-up that
        waited for that may end."""
        agent_id = self._agent_arg(args)
        call_id = args.get("call_id")
        if not isinstance(call_id, int):
            raise CommandError("call_id must be a call id")
        self.acd.call_classified(agent_id, call_id, time.monotonic())
        return self._agent_answer(agent_id)

    def _cmd_wrapup_extend(self, args: dict) -> dict:
        agent_id = self._logged_in_agent_arg(args)
        seconds = args.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 1 <= seconds <= 600:
            raise CommandError("seconds must be a number from 1 to 600")
        if self.acd.agents[agent_id].state is not AgentState.WRAP_UP:
            raise CommandError(f"agent {self.agents[agent_id]['extension']} is not in wrap-up")
        self.acd.wrapup_extend(agent_id, float(seconds), time.monotonic())
        return self._agent_answer(agent_id)

    def _cmd_monitor(self, args: dict) -> dict:
        """{call_id, mode: listen|whisper|barge|stop, extension (to start)}: a supervisor on a live call."""
        session = self.sessions.get(args.get("call_id"))
        if session is None:
            raise CommandError(f"no live call {args.get('call_id')!r}")
        mode = args.get("mode")
        try:
            if mode == "stop":
                session.stop_monitor()
            elif mode not in MONITOR_MODES:
                raise CommandError(f"mode must be one of {', '.join(MONITOR_MODES)} or stop")
            elif session.monitor is None:
                extension = args.get("extension")
                if not any(a["extension"] == extension for a in self.agents.values()):
                    raise CommandError(f"no phone with extension {extension!r}")
                session.start_monitor(extension, mode)
            else:
                session.set_monitor_mode(mode)
        except (ValueError, pj.Error) as exc:
            raise CommandError(exc.info() if isinstance(exc, pj.Error) else str(exc)) from None
        self.changed()
        return session.describe(time.monotonic())["monitor"] or {"stopped": True}

    def _room(self, args: dict) -> ConferenceRoom:
        room = self.rooms.get(args.get("conference_id"))
        if room is None:
            raise CommandError(f"no conference {args.get('conference_id')!r}")
        return room

    def _cmd_conference_create(self, args: dict) -> dict:
        room = ConferenceRoom(self, self._next_room)
        self._next_room += 1
        self.rooms[room.id] = room
        self.changed()
        return room.describe()

    def _cmd_conference_add(self, args: dict) -> dict:
        """{conference_id, extension} dials a phone in; {conference_id, call_id} moves a live call in."""
        room = self._room(args)
        try:
            if args.get("call_id") is not None:
                session = self.sessions.get(args["call_id"])
                if session is None:
                    raise ValueError(f"no live call {args['call_id']!r}")
                member = room.add_call(session)
            else:
                extension = args.get("extension")
                if not any(a["extension"] == extension for a in self.agents.values()):
                    raise ValueError(f"no phone with extension {extension!r}")
                member = room.add_phone(extension)
        except (ValueError, pj.Error) as exc:
            raise CommandError(exc.info() if isinstance(exc, pj.Error) else str(exc)) from None
        return next(m for m in room.describe()["members"] if m["id"] == member.id)

    def _cmd_conference_remove(self, args: dict) -> dict:
        room = self._room(args)
        try:
            room.remove(args.get("member_id"))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return room.describe()

    def _cmd_conference_close(self, args: dict) -> dict:
        room = self._room(args)
        room.close()
        del self.rooms[room.id]
        self.changed()
        return {"closed": room.id}

    # A handler's actions on the callback list (ACD14). Each one goes through the ACD, whose request
    # the table then follows, and each carries the handler's note (ACD14: "must write a short note").

    CALLBACK_NOTE_MAX = 500

    def _callback_arg(self, args: dict) -> int:
        call_id = args.get("call_id")
        if isinstance(call_id, int) and call_id not in self.acd.callbacks:
            self._take_up_failed_callback(call_id)
        if not isinstance(call_id, int) or call_id not in self.acd.callbacks:
            raise CommandError(f"no callback {call_id!r} in the engine (closed before the last restart?)")
        return call_id

    def _take_up_failed_callback(self, call_id: int) -> None:
        """A failed callback is not restored at start (the list keeps them all); a handler who acts
        on one brings it back into the ACD, as failed, to requeue or call it."""
        row = queries.get_callback(self.store, call_id)
        if row is not None and row["status"] == "failed" and row["queue_id"] in self.queues:
            self._restore_callback(row, failed=True)

    def _callback_args(self, args: dict) -> tuple[int, int | None, str]:
        """{call_id, text, author, agent_id (or null)}: the callback, its handler, and the note."""
        call_id = self._callback_arg(args)
        agent_id = args.get("agent_id")
        if agent_id is not None and (not isinstance(agent_id, int) or agent_id not in self.agents):
            raise CommandError(f"unknown agent {agent_id!r}")
        text = args.get("text")
        if not isinstance(text, str) or not text.strip() or len(text.strip()) > self.CALLBACK_NOTE_MAX:
            raise CommandError(f"a note of 1 to {self.CALLBACK_NOTE_MAX} characters is required")
        author = args.get("author")
        note = f"{author}: {text.strip()}" if isinstance(author, str) and author else text.strip()
        return call_id, agent_id, note

    def _note_callback(self, call_id: int, agent_id: int | None, note: str) -> None:
        """A handler without an agent (a supervisor, a token) leaves the last handler as it was."""
        request = self.acd.callbacks[call_id]
        handler = agent_id if agent_id is not None else request.last_handler
        self.acd.callback_note(call_id, handler, note, time.monotonic())

    def _callback_done(self, call_id: int) -> dict:
        self.act()
        self.save_callback_state(call_id)
        # The loop commits once per turn, after the answer has gone out: the handler's note must be on
        # disk before the web reads the row back.
        commit_pending(self.store)
        self.changed()
        request = self.acd.callbacks[call_id]
        return {"call_id": call_id, "status": request.status, "attempts": request.attempts,
                "last_handler": request.last_handler, "log": request.last_log}

    def _cmd_callback_note(self, args: dict) -> dict:
        call_id, agent_id, note = self._callback_args(args)
        self._note_callback(call_id, agent_id, note)
        return self._callback_done(call_id)

    def _cmd_callback_requeue(self, args: dict) -> dict:
        """Back on the list: one that failed, or one with no answer, whose next attempt (already
        queued by the ACD after its retry delay) is then made now."""
        call_id, agent_id, note = self._callback_args(args)
        status = self.acd.callbacks[call_id].status
        if status not in ("no-answer", "failed"):
            raise CommandError(f"callback {call_id} is {status}: only one with no answer or failed is requeued")
        self._note_callback(call_id, agent_id, f"requeued by {note}")
        self.acd.callback_requeue(call_id, time.monotonic())
        return self._callback_done(call_id)

    def _cmd_callback_cancel(self, args: dict) -> dict:
        """Off the list for good; one whose customer is being dialled right now is left alone."""
        call_id, agent_id, note = self._callback_args(args)
        status = self.acd.callbacks[call_id].status
        if status not in queries.OPEN_CALLBACK_STATUSES or status == "connecting":
            raise CommandError(f"callback {call_id} is {status}: only a waiting, ringing or unanswered one is cancelled")
        self._note_callback(call_id, agent_id, f"cancelled by {note}")
        self.acd.callback_cancel(call_id, time.monotonic())
        return self._callback_done(call_id)

    def _cmd_callback_call_now(self, args: dict) -> dict:
        """{call_id, agent_id, author}: click to call. The agent's phone rings at once, ahead of the
        callback's turn, the queue's cap and the caller's interval; the ACD says why when it cannot
        (agent not free, not in the queue, callback not open), and that reason is the answer.

        The audit entry is written here, with the change: the phone may answer within milliseconds,
        and a write of the web's landing between this loop turn's read and write of the store would
        make SQLite refuse the engine's write (a stale WAL snapshot)."""
        call_id, agent_id = self._callback_arg(args), self._agent_arg(args)
        try:
            self.acd.callback_place_now(call_id, agent_id, time.monotonic())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        author = args.get("author") if isinstance(args.get("author"), str) else "engine"
        queries.audit(self.store, author, "callback.call", f"call={call_id} agent={agent_id}")
        return self._callback_done(call_id)

    def _cmd_reload(self, args: dict) -> dict:
        self.load_config()
        self._sync_trunk_registrations()
        reload_trunk_addresses()
        self.act(self.acd.tick(time.monotonic()))
        return {"reloaded": True}

    def snapshot(self) -> dict:
        now = time.monotonic()
        calls = [s.describe(now) for s in self.sessions.values()]
        queues = []
        for queue_id, queue in self.queues.items():
            waiting = sorted((c for c in calls if c["queue_id"] == queue_id and c["phase"] == "queued"),
                             key=lambda c: c["position"] or 0)
            queues.append({"id": queue_id, "name": queue["name"], "waiting": waiting,
                           "longest_wait_seconds": max((c["waited_seconds"] for c in waiting), default=0.0)})
        agents = []
        for agent_id, agent in self.agents.items():
            state = self.acd.agents.get(agent_id)
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
                     for row in self.acd.callback_list(open_only=True)]
        alarms = [{"name": name, "subject": subject, "detail": detail} for (name, subject), detail in self.alarms.items()]
        return {"queues": queues, "agents": agents, "calls": calls, "active_calls": len(calls),
                "callbacks": callbacks, "alarms": alarms,
                "conferences": [room.describe() for room in self.rooms.values()]}


def repair_recordings(store: sqlite3.Connection, data_dir: Path) -> int:
    """Recordings left open by a crash: fix their WAV headers and record their real length."""
    repaired = 0
    for rec in queries.unfinished_recordings(store):
        path = data_dir / rec["path"]
        try:
            info = wavfix.repair(path)
        except (OSError, wavfix.WavError) as exc:
            log.error("recording %s cannot be repaired: %s", path, exc)
            queries.finish_recording(store, rec["id"], 0.0, 0)
            continue
        queries.finish_recording(store, rec["id"], info.duration_seconds, path.stat().st_size)
        repaired += 1
    return repaired


def run_engine(config: BoxConfig) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    paths.ensure_layout()
    # Before this engine takes a call, every dialog of the edge with an engine is a lost one: BYE both ways.
    if ended := end_engine_dialogs():
        log.warning("ended %d dialogs the previous engine left at the edge", ended)
    store = open_store(group_commit=True)
    lost = queries.close_lost_calls(store, "engine-restart")
    if queries.close_open_agent_activity(store, time.time()):
        log.warning("ended the logins and pauses the previous engine left open")
    if lost:
        log.warning("closed %d calls lost by the previous engine: %s", len(lost), lost)
    repaired = repair_recordings(store, paths.data_dir())
    if repaired:
        log.warning("repaired %d recordings cut short", repaired)
    engine = Engine(config, store)
    engine.start()

    def stop(signum, frame):
        engine.running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        engine.run()
    finally:
        engine.stop()
    return 0
