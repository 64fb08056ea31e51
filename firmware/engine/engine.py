"""The engine: accepts calls from the edge, runs them through queues to agents, and keeps the store.

Single-threaded: `run()` alternates between the user agent's events (pjsua2), the control socket,
the calls' clocks and the ACD's, so no state here needs a lock. What is left here is the loop,
start and stop, the dispatcher of the ACD's actions, and the host that calls are given
(`calls.host.CallHost`). Elsewhere: the door of inbound calls (admission.py), the configuration
(configuration.py), the commands (commands.py), the callback and alarm books, the call records
(call_record.py), the legs (legs.py; SIP in ua.py and sip_ua.py; a card's line in firmware.cards).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from firmware import paths
from firmware.acd import (Acd, AgentActivity, AgentPaused, AgentState, Bridge, CallbackRegistered, CallFinished,
                          ClearAlarm, OfferCallback, Overflow, PlaceCallback, PlayMessage, RaiseAlarm, RingAgent,
                          StandbyLogin, StandbyLogout, StateRepaired, StopRinging)
from firmware.config import BoxConfig
from firmware.edge.dialogs import end_engine_dialogs
from firmware.edge.kamailio import reload_trunk_addresses
from firmware.edge.registrations import RegistrationWatcher
from firmware.engine import call_record
from firmware.engine.admission import Admission
from firmware.engine.alarm_book import AlarmBook
from firmware.engine.call_record import CallRecord
from firmware.engine.callback_book import CallbackBook
from firmware.engine.calls.callback import CallbackSession
from firmware.engine.calls.conference import ConferenceRoom
from firmware.engine.calls.feature_call import FeatureCall
from firmware.engine.calls.host import KeyListener, RingOffer
from firmware.engine.calls.inbound import InboundSession
from firmware.engine.commands import Commands
from firmware.engine.configuration import Configuration
from firmware.engine.disk_guard import DiskGuard
from firmware.engine.control import ControlServer
from firmware.engine.inband_keys import InbandKeys
from firmware.engine.load_report import LoadReport
from firmware.engine.legs import Leg, LegOwner
from firmware.engine.prompt_files import PromptFiles
from firmware.engine.sipmsg import name_addr, offer_display, offer_headers
from firmware.store import commit_pending, open_store, queries

log = logging.getLogger(__name__)

POLL_MS = 10
PUBLISH_INTERVAL = 0.25


class Engine:
    def __init__(self, config: BoxConfig, store: sqlite3.Connection):
        self.config = config
        self.store = store
        self.data_dir = paths.data_dir()
        self.acd = Acd()
        self.load = LoadReport()           # tells the edge when this loop falls behind (503 for new calls)
        self.configuration = Configuration(store, self.acd)
        self.callback_book = CallbackBook(store, self.acd)
        self.alarms = AlarmBook(store)
        self.disk = DiskGuard(store, self.alarms, self.data_dir)     # recordings' retention, disk-full alarm
        self.commands = Commands(self)
        self.prompt_files = PromptFiles(config.prompts_dir)
        self.sessions: dict[int, InboundSession] = {}
        self.callbacks: dict[int, CallbackSession] = {}    # by the ACD's id of the call called back
        self.feature_calls: set[FeatureCall] = set()      # agents' phones told what their feature code did
        self.rooms: dict[int, ConferenceRoom] = {}
        self.registrations: RegistrationWatcher | None = None    # the agents' phones at the edge, and edge commands
        self._registrations_seen = 0
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_order = itertools.count()
        self.admission = Admission(self)
        self.ua = None                     # sip_ua.SipUa, or memory_leg.MemoryUa in tests (start)
        self.cards = None                  # firmware.cards.tdm_leg.CardTrunks: the serial cards' lines (start)
        self.hub = None                    # the media hub (cython_ext.pjport.MediaHub) once started
        self.control: ControlServer | None = None
        self.running = False
        self._dirty = True
        self._last_publish = 0.0
        self.configuration.load()

    # --- start, loop, stop ----------------------------------------------------------------------

    def start(self, ua=None, hub=None, *, edge: bool = True, control: bool = True, cards=None) -> None:
        """With the box's own SIP user agent, media hub and card lines unless given others (tests give
        memory ones)."""
        if ua is None:
            from firmware.engine.sip_ua import SipUa      # pjsua2 only where it is used
            ua = SipUa(self.config, self.incoming_call)
        ua.start()
        if hub is None:
            # Bridged calls meet in our mixer inside pjmedia's clock (no Python per frame).
            from cython_ext.pjport import MediaHub        # links pjmedia: after the SIP endpoint exists
            hub = MediaHub(rate=8000)
        self.ua, self.hub = ua, hub
        self.inband_keys = InbandKeys(hub)
        self.alarms.take_over(time.monotonic())
        if edge:
            self.registrations = RegistrationWatcher()
            self.registrations.start()
            self.load.start()              # from the loop's own thread: the one it watches
        restored = self.callback_book.restore_all(self.configuration.queues)
        if restored:
            log.warning("%d open callbacks restored from the store", restored)
        ua.sync_trunks(self.configuration.trunks)
        if cards is None:
            from firmware.cards.tdm_leg import CardTrunks
            cards = CardTrunks(self.incoming_card_call, self.alarms.apply)
        self.cards = cards
        cards.sync(self.configuration.trunks)
        if control:
            self.control = ControlServer(paths.engine_socket_path(), self.commands.by_name(),
                                         snapshot=self.commands.status)
        self.running = True
        log.info("engine ready on %s:%s", self.config.bind_address, self.config.engine_port)

    def run(self) -> None:
        commit_pending(self.store)         # what the start wrote
        while self.running:
            self.turn()

    def turn(self) -> None:
        """One turn of the loop, in one transaction: every CDR and queue event written in it reaches
        the disk with a single fsync (group commit) instead of one per row. The store opens it at
        the turn's first write (GroupCommitConnection)."""
        try:
            self.ua.poll(POLL_MS)
            if self.cards.poll(time.monotonic()):
                self.changed()
            self.admission.take_arrivals()
            self.inband_keys.deliver()
            if self.control is not None:
                self.control.poll(0)
            now = time.monotonic()
            # the ACD runs on the monotonic clock; schedules need the wall clock (which NTP may set)
            self.acd.wall_offset = time.time() - now
            for call in [*self.sessions.values(), *self.feature_calls]:
                call.tick(now)
            self.act(self.acd.tick(now))
            self._run_timers(now)
            self.alarms.settle(now)
            self.disk.check(now)
            self._apply_registrations(now)
        finally:
            commit_pending(self.store)
        self.ua.end_of_turn(now)
        if self._dirty and now - self._last_publish >= PUBLISH_INTERVAL and self.control is not None:
            self._dirty = False
            self._last_publish = now
            self.control.publish()

    def stop(self, cause: str = "engine-stop") -> None:
        """Hangs up every call (closing its CDR), lets the BYEs go out, then shuts pjsua2 down in order."""
        self.running = False
        if self.registrations is not None:
            self.load.stop()
            self.registrations.stop()
        for room in list(self.rooms.values()):
            room.close()
        self.rooms.clear()
        self._hang_up_all(cause)
        self.ua.pump(2.0)
        self.cards.stop()                  # the lines go on hook; their media left the bridge with their legs
        self.hub.close()
        self._run_timers(now=float("inf"))
        self.sessions.clear()
        self.callbacks.clear()
        self.feature_calls.clear()
        self.inband_keys.listeners.clear()     # no leg may outlive the user agent
        if self.control is not None:
            self.control.close()
        self.ua.shutdown()
        commit_pending(self.store)         # the CDRs the hang-ups closed

    def _hang_up_all(self, cause: str) -> None:
        # In a function of its own: a loop variable left in stop() would keep a Call alive.
        self.admission.refuse_waiting(503)
        for call in [*self.sessions.values(), *self.callbacks.values(), *self.feature_calls]:
            call.hang_up(cause)

    def reload(self) -> None:
        """The web changed the configuration: read it again, and tell the edge (from the edge's
        thread: the loop never waits for kamailio)."""
        self.configuration.load()
        self.changed()
        if self.ua is not None:
            self.ua.sync_trunks(self.configuration.trunks)
            self.cards.sync(self.configuration.trunks)
        if self.registrations is not None:
            self.registrations.submit(reload_trunk_addresses)
        self.settle(tick=True)

    # --- inbound calls (admission.py) -------------------------------------------------------------

    def incoming_call(self, leg: Leg, message: bytes | None) -> None:
        self.admission.incoming_call(leg, message)

    def incoming_card_call(self, leg: Leg, trunk: dict, caller: str) -> None:
        self.admission.incoming_card_call(leg, trunk, caller)

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

    def settle(self, tick: bool = False) -> None:
        self.act(self.acd.tick(time.monotonic()) if tick else None)

    def _ring(self, action: RingAgent) -> None:
        session, agent = self.sessions.get(action.call_id), self.configuration.agents.get(action.agent_id)
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
            session.stop_ringing(action.agent_id, action.reason)

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
            session.overflow(action.reason, action.destination, action.position)

    def _offer_callback(self, action: OfferCallback) -> None:
        session = self.sessions.get(action.call_id)
        if session is not None:
            session.offer_callback()

    def _callback_registered(self, action: CallbackRegistered) -> None:
        log.info("call %s: callback to %s registered", action.call_id, action.number)
        self.callback_book.registered(action)
        session = self.sessions.get(action.call_id)
        if session is not None:
            session.callback_registered(action.forced)

    def _place_callback(self, action: PlaceCallback) -> None:
        agent = self.configuration.agents.get(action.agent_id)
        if agent is None or action.call_id in self.callbacks:
            log.error("callback %s for agent %s cannot be placed", action.call_id, action.agent_id)
            self.acd.agent_no_answer(action.call_id, action.agent_id, time.monotonic(), reason="unreachable")
            return
        session = CallbackSession(self, CallRecord(self.store, action.call_id), action.agent_id, action.number,
                                  action.queue_id)
        self.callbacks[action.call_id] = session
        self.callback_book.save(action.call_id)
        session.start(agent["extension"])

    def _alarm(self, action: RaiseAlarm | ClearAlarm) -> None:
        """Shown in the live status and kept in the store, where the notifier finds it (ACD15)."""
        self.alarms.apply(action)

    def _report(self, action: AgentPaused | StandbyLogin | StandbyLogout | StateRepaired | CallFinished) -> None:
        level = logging.WARNING if isinstance(action, StateRepaired) else logging.INFO
        log.log(level, "ACD: %s", action)
        if isinstance(action, CallFinished) and action.outcome.startswith("callback"):
            self.callback_book.save(action.call_id)
        if isinstance(action, AgentPaused) and action.agent_id in self.configuration.agents:
            self.configuration.keep_pause(action.agent_id, action.reason)   # kept across a restart like any pause

    def _agent_activity(self, action: AgentActivity) -> None:
        self.configuration.keep_activity(action)

    _handlers = {
        RingAgent: _ring, StopRinging: _stop_ringing, Bridge: _bridge, PlayMessage: _play, Overflow: _overflow,
        OfferCallback: _offer_callback, CallbackRegistered: _callback_registered, PlaceCallback: _place_callback,
        RaiseAlarm: _alarm, ClearAlarm: _alarm, AgentPaused: _report, StandbyLogin: _report,
        StandbyLogout: _report, StateRepaired: _report, CallFinished: _report, AgentActivity: _agent_activity,
    }

    def _apply_registrations(self, now: float) -> None:
        """An agent whose phone is no longer registered is unavailable, and available again once it
        registers (ACD: the state follows the phone, not only a failed ring)."""
        watcher = self.registrations
        if watcher is None or watcher.version == self._registrations_seen:
            return
        self._registrations_seen = watcher.version
        registered = watcher.registered
        for agent_id, agent in self.configuration.agents.items():
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

    # --- the host of calls (calls.host.CallHost) -----------------------------------------------------

    def changed(self) -> None:
        self._dirty = True

    def ended(self, call) -> None:
        if isinstance(call, InboundSession):
            self.sessions.pop(call.call_id, None)
            for room in self.rooms.values():
                room.call_ended(call.call_id)
        elif isinstance(call, CallbackSession):
            if self.callbacks.get(call.call_id) is call:
                del self.callbacks[call.call_id]
            self.callback_book.save(call.call_id)
        else:
            self.feature_calls.discard(call)

    def prompt(self, parts) -> tuple[list[str], float]:
        return self.prompt_files.files(parts, self.configuration.language)

    def new_recording(self, kind: str, call_id: int) -> tuple[Path, Path]:
        relative = call_record.recording_path(kind, call_id)
        path = self.data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return relative, path

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        heapq.heappush(self.timers, (time.monotonic() + seconds, next(self._timer_order), action))

    def _run_timers(self, now: float) -> None:
        while self.timers and self.timers[0][0] <= now:
            _, _, action = heapq.heappop(self.timers)
            action()

    def ring(self, owner: LegOwner, extension: str, offer: RingOffer | None = None, role: str = "agent") -> Leg | None:
        """How an agent's phone is rung for a call: it shows the caller's number, the queue and what
        the caller keyed in (ACD3); the headers carry the same for phones and tools that read them."""
        if offer is None:
            return self.ua.call_phone(owner, extension, role)
        queue_name = self.configuration.queue_name(offer.queue_id)
        display = offer_display(queue_name, offer.caller_input, offer.callback)
        hostport = f"{self.config.bind_address}:{self.config.sip_port}"
        return self.ua.call_phone(owner, extension, role, local_uri=name_addr(display, offer.caller, hostport),
                                  headers=offer_headers(offer.call_id, queue_name, offer.caller_input))

    def dial_out(self, owner: LegOwner, number: str, call_id: int) -> Leg | None:
        """Through the trunk the call came in on, to call back or forward through it."""
        call = queries.get_call(self.store, call_id)
        trunk = self.configuration.trunk(call["trunk_id"] if call else None)
        if trunk is None:
            log.error("no trunk to dial %s", number)
            return None
        if trunk["type"] == "fxo":
            return self.cards.dial_out(owner, number, trunk)
        return self.ua.dial_out(owner, number, trunk)

    def open_record(self, caller: str, callee: str, **fields) -> CallRecord:
        return CallRecord.open(self.store, caller, callee, **fields)

    def extension_of(self, agent_id: int) -> str:
        return self.configuration.agents[agent_id]["extension"]

    def announces_agent(self, queue_id: int) -> bool:
        return self.configuration.announces_agent(queue_id)

    def required_skills(self, queue_id: int) -> dict[str, int] | None:
        return self.configuration.required_skills.get(queue_id)

    def listen_for_keys(self, call: KeyListener, leg: Leg) -> int:
        return self.inband_keys.listen(call, leg, f"call-{getattr(call, 'call_id', '')}-keys")

    def stop_listening_for_keys(self, hub_leg: int, remove: bool) -> None:
        self.inband_keys.stop(hub_leg, remove)


def run_engine(config: BoxConfig) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    paths.ensure_layout()
    # Before this engine takes a call, every dialog of the edge with an engine is a lost one: BYE both ways.
    if ended := end_engine_dialogs():
        log.warning("ended %d dialogs the previous engine left at the edge", ended)
    store = open_store(group_commit=True)
    lost = call_record.close_lost_calls(store, "engine-restart")
    if queries.close_open_agent_activity(store, time.time()):
        log.warning("ended the logins and pauses the previous engine left open")
    call_record.close_open_agents(store)
    if lost:
        log.warning("closed %d calls lost by the previous engine: %s", len(lost), lost)
    repaired = call_record.repair_recordings(store, paths.data_dir())
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
