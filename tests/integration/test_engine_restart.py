"""kill -9 of the engine during a bridged call: the edge ends both of the call's dialogs (issue 8, finding 7).

The caller (a SIPp trunk that waits for the box's BYE) and the agent's SIPp phone must each get a
BYE, and answer it 200, within 5 s of the kill. Before, both sat in dead air until they hung up.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.integration.conftest import DID
from tests.support.ports import free_port
from tests.support.sipp import background_sipp

pytestmark = [pytest.mark.sip, pytest.mark.slow]

BYE_WITHIN = 5.0


def test_a_killed_engines_calls_get_a_bye_on_both_sides(center, phone, tmp_path):
    box = center["box"]
    phone.register()
    agent = phone.answer_calls(timeout=60)
    box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [center["queue"]["id"]]}, expect=200)
    caller = background_sipp("trunk_call_box_hangs_up.xml", remote=f"127.0.0.1:{box.sip_port}",
                             local_port=center["trunk_port"], service=DID, media_port=free_port(span=3),
                             timeout=60, workdir=tmp_path)
    with caller:
        box.wait_for(lambda: any(a["state"] == "busy" for a in box.engine_status()["agents"]), timeout=15,
                     what="the agent to talk")
        old_pid = box.engine_pid()
        os.kill(old_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        caller_result = caller.wait(BYE_WITHIN)
        caller_seconds = time.monotonic() - killed_at
        agent_result = agent.wait(max(0.1, BYE_WITHIN - (time.monotonic() - killed_at)))
        agent_seconds = time.monotonic() - killed_at
    assert caller_result.returncode == 0, f"the caller got no BYE within {BYE_WITHIN} s\n" \
                                          + caller_result.explain() + box.logs()
    assert agent_result.returncode == 0, f"the agent got no BYE within {BYE_WITHIN} s\n" \
                                         + agent_result.explain() + box.logs()
    assert caller_seconds < BYE_WITHIN and agent_seconds < BYE_WITHIN
    # Both answered the BYE: SIPp sent its 200 (the scenario's last message).
    for result in (caller_result, agent_result):
        assert "SIP/2.0 200 OK" in result.messages.split("BYE sip:")[-1], result.messages[-2000:]
    box.wait_for(lambda: (pid := box.engine_pid()) and pid != old_pid and box.engine_status() is not None,
                 timeout=10, what="the engine to come back")
    assert "ended 2 dialogs the previous engine left at the edge" in box.logs(tail=200)
