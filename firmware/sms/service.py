"""The SMS service: sends what is queued in the SMS log by the configured transport (the GSM modem
or the HTTP gateway), retries a failed message after 30 s, 1, 2, 4 ... minutes (at most an hour)
until the setting's retries are spent and then marks it failed, and keeps what the modem
receives: messages (concatenated ones joined) and delivery reports.

It runs in a thread of the notifier process (`callbox notifier`), the one process that owns the
modem's serial line: the engine, the web and the notifier's alarm notices only queue rows.
A modem that cannot be opened or prepared (no device, SIM PIN, no network) is tried again on the
same backoff; its error is logged once per change and shown on the SMS settings page (`status`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from firmware.notify import channels
from firmware.notify.config import SmsChannel
from firmware.sms import store
from firmware.sms.modem import Incoming, Modem, ModemError, Report, SendError
from firmware.sms.settings import SETTING_KEY, SmsSettings, SmsSettingsError, load
from firmware.store import queries

log = logging.getLogger(__name__)

FIRST_RETRY, LONGEST_RETRY = 30.0, 3600.0
POLL_SECONDS = 0.5
STATUS_KEY = "sms_status"     # what the service last found: shown on the settings page


def retry_delay(attempts: int, first: float = FIRST_RETRY) -> float:
    """After the `attempts`-th failed attempt."""
    return min(first * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


@dataclass
class ModemState:
    settings: SmsSettings
    modem: Modem | None = None
    failures: int = 0
    next_try: float = 0.0
    error: str = ""


class SmsService:
    def __init__(self, conn, *, first_retry: float = FIRST_RETRY,
                 open_modem: Callable[..., Modem] = Modem.open, clock: Callable[[], float] = time.time):
        self.conn = conn
        self.first_retry = first_retry
        self.open_modem = open_modem
        self.clock = clock
        self.state: ModemState | None = None
        self.last_status = ""

    def settings(self) -> SmsSettings:
        try:
            return load(queries.get_setting(self.conn, SETTING_KEY))
        except (SmsSettingsError, ValueError) as exc:
            self._status(f"SMS settings refused: {exc}")
            return SmsSettings()

    # --- one turn ----------------------------------------------------------------------------------

    def run_once(self, wait: float = 0.0) -> int:
        """Receives for up to `wait` seconds, then sends what is due; returns how many were sent."""
        settings = self.settings()
        modem = self._modem(settings)
        if modem is not None:
            try:
                self._received(modem.poll(wait))
            except ModemError as exc:
                self._lost(exc)
                modem = None
        elif wait:
            time.sleep(wait)
        if not settings.enabled:
            return 0
        sent = 0
        for message in store.due_messages(self.conn, self.clock()):
            if settings.transport == "modem" and modem is None:
                break                      # the messages wait for the modem, their attempts unspent
            if self._send(message, settings, modem):
                sent += 1
            elif settings.transport == "modem" and self.state is not None and self.state.modem is None:
                modem = None               # the modem went away while sending
        return sent

    def run(self, stop: threading.Event) -> None:
        log.info("SMS service ready")
        while not stop.is_set():
            try:
                self.run_once(POLL_SECONDS)
            except Exception:              # a bug must not end SMS for good: logged, tried again
                log.exception("SMS service turn failed")
                stop.wait(5)
        self.close()

    def close(self) -> None:
        if self.state is not None and self.state.modem is not None:
            self.state.modem.close()
            self.state.modem = None

    # --- the modem ---------------------------------------------------------------------------------

    def _modem(self, settings: SmsSettings) -> Modem | None:
        if settings.transport != "modem" or settings.modem is None:
            self.close()
            self.state = None
            if settings.enabled:
                self._status(f"ready: {settings.transport}")
            else:
                self._status("off")
            return None
        if self.state is None or self.state.settings != settings:
            self.close()
            self.state = ModemState(settings)
        state = self.state
        if state.modem is not None:
            return state.modem
        if time.monotonic() < state.next_try:
            return None
        options = settings.modem
        modem = None
        try:
            modem = self.open_modem(options.device, options.baudrate, mode=options.mode, pin=options.pin,
                                    delivery_reports=options.delivery_reports)
            modem.start()
            self._received(modem.read_stored())
        except ModemError as exc:
            if modem is not None:
                modem.close()
            state.failures += 1
            state.next_try = time.monotonic() + retry_delay(state.failures, min(self.first_retry, 30.0))
            self._status(f"modem {options.device}: {exc}")
            return None
        state.modem, state.failures = modem, 0
        self._status(f"ready: modem {options.device}" + (f" ({modem.own_number})" if modem.own_number else ""))
        return modem

    def _lost(self, exc: ModemError) -> None:
        self._status(f"modem lost: {exc}")
        self.close()
        if self.state is not None:
            self.state.failures += 1
            self.state.next_try = time.monotonic() + retry_delay(self.state.failures, min(self.first_retry, 30.0))

    def _status(self, text: str) -> None:
        if text != self.last_status:
            (log.info if text.startswith(("ready", "off")) else log.warning)("SMS: %s", text)
            self.last_status = text
            queries.set_setting(self.conn, STATUS_KEY, text)

    # --- sending -----------------------------------------------------------------------------------

    def _send(self, message: dict, settings: SmsSettings, modem: Modem | None) -> bool:
        attempts = message["attempts"] + 1
        now = self.clock()
        try:
            if settings.transport == "modem":
                assert modem is not None
                sender = modem.own_number
                self._send_by_modem(message, modem)
            else:
                assert settings.gateway is not None
                sender = settings.sender
                channels.send_sms(SmsChannel((message["number"],), settings.gateway.url, settings.gateway.token,
                                             sender=settings.sender), message["text"])
        except (ModemError, channels.DeliveryError) as exc:
            final = attempts > settings.retries
            store.attempt_failed(self.conn, message["id"], str(exc), transport=settings.transport, attempts=attempts,
                                 next_attempt_at=None if final else now + retry_delay(attempts, self.first_retry))
            log.warning("SMS %s to %s: attempt %d failed (%s)%s", message["id"], message["number"], attempts, exc,
                        ", given up" if final else "")
            if isinstance(exc, ModemError) and not isinstance(exc, SendError):
                self._lost(exc)
            return False
        store.message_sent(self.conn, message["id"], self.clock(), transport=settings.transport, sender=sender,
                           attempts=attempts)
        log.info("SMS %s to %s sent (%s)", message["id"], message["number"], settings.transport)
        return True

    def _send_by_modem(self, message: dict, modem: Modem) -> None:
        done = store.sent_part_count(self.conn, message["id"])
        try:
            references = modem.send(message["number"], message["text"], concat_reference=message["concat_reference"],
                                    skip_parts=done)
        except SendError as exc:
            self._parts_sent(message["id"], done, exc.references)
            raise
        self._parts_sent(message["id"], done, references)

    def _parts_sent(self, message_id: int, done: int, references: list[int]) -> None:
        now = self.clock()
        for offset, reference in enumerate(references, start=1):
            store.part_sent(self.conn, message_id, done + offset, reference, now)

    # --- receiving ---------------------------------------------------------------------------------

    def _received(self, events: list[Incoming | Report]) -> None:
        now = self.clock()
        for event in events:
            if isinstance(event, Report):
                report = event.report
                found = store.record_report(self.conn, report.reference, report.recipient, report.status,
                                            report.outcome, now)
                log.info("SMS delivery report %s (TP-MR %s, TP-ST %#04x) %s", report.outcome, report.reference,
                         report.status, f"for SMS {found}" if found else "matches no message")
                continue
            message = event.message
            if message.concatenation is not None and message.concatenation.total > 1:
                stored = store.add_fragment(self.conn, message, now)
            else:
                stored = store.store_incoming(self.conn, message.sender, message.text, message.encoding, 1, now)
            if stored is not None:
                log.info("SMS %s received from %s (%d part(s))", stored["id"], stored["number"], stored["parts"])


def run_in_thread(conn_factory: Callable[[], object]) -> tuple[threading.Thread, threading.Event]:
    """The service in a daemon thread of the calling process; set the event to stop it."""
    stop = threading.Event()

    def work() -> None:
        SmsService(conn_factory()).run(stop)

    thread = threading.Thread(target=work, name="sms-service", daemon=True)
    thread.start()
    return thread, stop
