"""ACD15 on a running box: the engine raises the few-agents alarm of a queue nobody staffs, keeps it in
the store, and the notifier process mails it to a real SMTP server; logging in clears it by mail too."""

from __future__ import annotations

import json
import time

import pytest

from firmware.store import connect
from tests.integration.test_acd_calls import queue_with_rules

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def test_a_queue_without_agents_is_mailed_and_so_is_the_all_clear(center, smtp):
    box = center["box"]
    port, inbox = smtp
    with connect(box.data / "callbox.db") as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('alarm_notifications', ?)", (json.dumps(
            {"email": {"to": ["supervisor@example.com"], "from": "callbox@example.com", "host": "127.0.0.1",
                       "port": port, "security": "none"}}),))
    queue = queue_with_rules(center, "night shift", "4930900", {"alarms": {"min_agents": 1, "agents_margin": 0}})
    box.wait_for(lambda: inbox.messages, timeout=20, what="the alarm's mail")
    mails = [text for _, text in inbox.messages]
    assert "Subject: Callbox alarm: few-agents on queue night shift" in mails[0]
    assert "0 agents logged in" in mails[0]

    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [queue["id"]]}, expect=200)
    box.wait_for(lambda: len(inbox.messages) >= 2, timeout=20, what="the all-clear mail")
    assert "Subject: Callbox alarm cleared: few-agents on queue night shift" in inbox.messages[1][1]
    time.sleep(3)
    assert len(inbox.messages) == 2                        # each notice once
