"""The notifier: every alarm notice the engine left in the store, out by every configured channel.

A notice is done when every channel took it; a channel that failed is tried again (after 1, 2,
4 ... minutes, at most an hour) while the ones that took it are not asked twice. Without any
channel configured a notice counts as done: nobody to tell, and nobody flooded with old news when
a channel is set up later.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass, field

from firmware.notify import channels, texts
from firmware.notify.config import SETTING_KEY, EmailChannel, NotificationSettings, NotificationSettingsError, load
from firmware.sms import service as sms_service
from firmware.sms import store as sms_store
from firmware.store import commit_pending, queries

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
FIRST_RETRY, LONGEST_RETRY = 60.0, 3600.0


def notice(alarm: dict, kind: str, subject_name: str, language: str = "en") -> tuple[str, str]:
    """(mail subject, text) of a notice in the setting's language; the text is also the SMS."""
    return texts.notice(alarm, kind, subject_name, language)


def retry_delay(attempts: int) -> float:
    return min(FIRST_RETRY * 2 ** attempts, LONGEST_RETRY)


@dataclass
class Notifier:
    conn: object
    # (alarm, kind, channel) a notice still being retried was taken by
    delivered: set[tuple[int, str, str]] = field(default_factory=set)

    def settings(self) -> NotificationSettings:
        try:
            return load(queries.get_setting(self.conn, SETTING_KEY))
        except (NotificationSettingsError, ValueError) as exc:
            log.error("alarm notifications not configured correctly (%s): nothing is sent", exc)
            return NotificationSettings()

    def run_once(self, now: float | None = None) -> int:
        """Delivers what is due; returns how many notices were completed."""
        now = time.time() if now is None else now
        settings = self.settings()
        done = 0
        for alarm in queries.alarm_notices_due(self.conn, now):
            kind = "raised" if alarm["raise_sent_at"] is None else "cleared"
            failures = self._deliver(alarm, kind, settings)
            if failures:
                queries.alarm_notice_failed(self.conn, alarm["id"], "; ".join(failures),
                                            now + retry_delay(alarm["attempts"]))
                log.warning("alarm %s (%s): %s", alarm["id"], kind, "; ".join(failures))
            else:
                queries.alarm_notice_sent(self.conn, alarm["id"], kind, now)
                # the notice is done: what its channels took need not be remembered any longer
                self.delivered = {key for key in self.delivered if key[:2] != (alarm["id"], kind)}
                done += 1
            commit_pending(self.conn)
        return done

    def _deliver(self, alarm: dict, kind: str, settings: NotificationSettings) -> list[str]:
        subject, text = notice(alarm, kind, self._subject_name(alarm["subject"], settings.language),
                               settings.language)
        failures = []
        for channel in settings.channels:
            label = "email" if isinstance(channel, EmailChannel) else "sms"
            key = (alarm["id"], kind, label)
            if key in self.delivered:
                continue
            try:
                if label == "email":
                    channels.send_email(channel, subject, text)
                elif channel.url:
                    channels.send_sms(channel, text)
                else:           # the SMS service sends, logs and retries it (firmware/sms)
                    for number in channel.to:
                        sms_store.queue_message(self.conn, number, text, purpose="alarm", author="notifier")
            except channels.DeliveryError as exc:
                failures.append(str(exc))
                continue
            self.delivered.add(key)
            log.info("alarm %s (%s) sent by %s", alarm["id"], kind, label)
        return failures

    def _subject_name(self, subject: str, language: str = "en") -> str:
        """ "queue 3" -> "queue Support", "agent 2" -> "agent 1002 (Bob)", while they exist. """
        kind, _, ident = subject.partition(" ")
        if kind == "queue" and ident.isdigit():
            queue = queries.get_queue(self.conn, int(ident))
            if queue is not None:
                return texts.subject("queue", language, name=queue["name"])
        if kind == "agent" and ident.isdigit():
            agent = queries.get_agent(self.conn, int(ident))
            if agent is not None:
                return texts.subject("agent", language, extension=agent["extension"], name=agent["name"])
        return subject


def run_notifier() -> int:
    from firmware import paths
    from firmware.store import open_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    paths.ensure_layout()
    notifier = Notifier(open_store(group_commit=True))
    sms_thread, sms_stop = sms_service.run_in_thread(open_store)
    running = True

    def stop(signum, frame):
        nonlocal running
        running = False
        sms_stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from firmware.backup.schedule import ScheduledBackups

    backups = ScheduledBackups(notifier.conn)   # the scheduled backup copies: a slow chore off the engine's loop
    log.info("notifier ready")
    while running:
        notifier.run_once()
        backups.tick()
        time.sleep(POLL_SECONDS)
    sms_thread.join(timeout=5)
    return 0
