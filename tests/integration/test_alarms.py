"""ACD15 on a running box: the engine raises the few-agents alarm of a queue nobody staffs, keeps it in
the store, and the notifier process mails it to a real SMTP server; logging in clears it by mail too."""

from __future__ import annotations

import json
import time

import pytest
from aiosmtpd.controller import Controller

from firmware.store import connect
from tests.integration.test_acd_calls import queue_with_rules
from tests.support.ports import free_port

pytestmark = [pytest.mark.sip, pytest.mark.slow]


class Inbox:
    def __init__(self):
        self.mails: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(envelope.content.decode())
        return "250 OK"


def test_a_queue_without_agents_is_mailed_and_so_is_the_all_clear(center):
    box = center["box"]
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with connect(box.data / "callbox.db") as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('alarm_notifications', ?)", (json.dumps(
                {"email": {"to": ["supervisor@example.com"], "from": "callbox@example.com", "host": "127.0.0.1",
                           "port": smtp.port, "security": "none"}}),))
        queue = queue_with_rules(center, "night shift", "4930900", {"alarms": {"min_agents": 1, "agents_margin": 0}})
        box.wait_for(lambda: inbox.mails, timeout=20, what="the alarm's mail")
        assert "Subject: Callbox alarm: few-agents on queue night shift" in inbox.mails[0]
        assert "0 agents logged in" in inbox.mails[0]

        box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
        box.wait_for(lambda: len(inbox.mails) >= 2, timeout=20, what="the all-clear mail")
        assert "Subject: Callbox alarm cleared: few-agents on queue night shift" in inbox.mails[1]
        time.sleep(3)
        assert len(inbox.mails) == 2                       # each notice once
    finally:
        smtp.stop()
