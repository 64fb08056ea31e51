"""Fixtures for end-to-end calls: a running box, configured through its API, and SIPp phones."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.box import Box
from tests.support.ports import free_port
from tests.support.sipp import background_sipp, run_sipp, scenario_path, scenario_playing

AGENT_PASSWORD = "agent-pw-1001"
DID = "4930100"


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    box = Box.create(tmp_path_factory.mktemp("box"))
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def center(box):
    """One queue with one agent (1001) and a peer trunk whose SIPp always calls from `trunk_port`."""
    trunk_port = free_port()
    agent = box.api("POST", "/agents", {"name": "Ann", "extension": "1001", "sip_password": AGENT_PASSWORD},
                    expect=201)
    queue = box.api("POST", "/queues", {"name": "support", "strategy": "longest-idle"}, expect=201)
    box.api("POST", f"/queues/{queue['id']}/members", {"agent_id": agent["id"]}, expect=201)
    trunk = box.api("POST", "/trunks", {"name": "carrier", "type": "peer", "address": f"127.0.0.1:{trunk_port}"},
                    expect=201)
    box.api("POST", "/inbound-routes", {"did": DID, "queue_id": queue["id"]}, expect=201)
    return {"agent": agent, "queue": queue, "trunk": trunk, "trunk_port": trunk_port, "box": box}


class Phone:
    """An agent's SIPp phone: registers with digest auth, then answers calls on the same port."""

    def __init__(self, box: Box, extension: str, password: str, workdir):
        self.box, self.extension, self.password, self.workdir = box, extension, password, workdir
        self.port = free_port()
        self.media_port = free_port(span=3)
        self.uas = None

    @property
    def edge(self) -> str:
        return f"127.0.0.1:{self.box.sip_port}"

    def register(self):
        result = run_sipp("register.xml", self.edge, local_port=self.port, service=self.extension,
                          auth_password=self.password, workdir=self.workdir)
        assert result.returncode == 0, result.explain()

    def unregister(self):
        """Every phone of this extension signs off (Contact: *, Expires: 0)."""
        scenario = self.workdir / "unregister.xml"
        scenario.write_text(scenario_path("register.xml").read_text().replace("Expires: 3600", "Expires: 0")
                            .replace("Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>",
                                     "Contact: *"))
        result = run_sipp(scenario, self.edge, local_port=self.port, service=self.extension,
                          auth_password=self.password, workdir=self.workdir)
        assert result.returncode == 0, result.explain()

    def answer_calls(self, calls: int = 1, timeout: float = 60.0, voice: Path | None = None):
        """Answers as agent_uas.xml does; with `voice` (a pcap), that is what the agent says."""
        scenario = scenario_playing("agent_uas.xml", voice, self.workdir) if voice else scenario_path("agent_uas.xml")
        self.uas = background_sipp(scenario, local_port=self.port, media_port=self.media_port,
                                   calls=calls, timeout=timeout, workdir=self.workdir)
        return self.uas

    def stop(self):
        if self.uas is not None:
            self.uas.stop()


@pytest.fixture
def phone(center, tmp_path):
    phone = Phone(center["box"], "1001", AGENT_PASSWORD, tmp_path)
    yield phone
    phone.stop()
    phone.unregister()          # the next test's phone starts alone (the registrar keeps a few at most)
    center["box"].api("POST", f"/agents/{center['agent']['id']}/logout", {})
