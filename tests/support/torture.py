"""A bridged call kept under watch while a test throws SIP at the box (tests/integration/test_torture.py,
test_flood.py).

The caller (a trunk) and the agent each play a tone for the whole call; a tcpdump capture counts
the RTP both ways, so the test can compare a window before the torture with one during or after it.

    call = BridgedCall(center, workdir, seconds=120)
    with capture([call.caller_media, call.phone.media_port], workdir) as cap:
        call.start(cap)
        ...                          # call.audio(start, end), call.engine_alive()
        call.stop()
"""

from __future__ import annotations

import math
import os
import socket
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.pcap import write_pcma_pcap
from tests.support.ports import free_port
from tests.support.rtp import Capture
from tests.support.sipp import background_sipp, scenario_playing

PACKETS_PER_SECOND = 50          # 20 ms G.711 frames


def tone_pcap(path: Path, seconds: float, hertz: float) -> Path:
    """A pcap of A-law RTP carrying a steady tone (never silence, so a packet that carries sound is
    told from comfort noise)."""
    samples = array("h", (int(8000 * math.sin(2 * math.pi * hertz * n / 8000)) for n in range(int(seconds * 8000))))
    return write_pcma_pcap(samples.tobytes(), path)


@dataclass
class AudioWindow:
    """RTP packets of the call seen in [start, end): by direction, and how many of those the
    engine sent carry sound."""
    start: float
    end: float
    counts: dict[str, int] = field(default_factory=dict)
    sounding: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        return ", ".join(f"{k} {v} ({self.sounding.get(k, '-')} sounding)" for k, v in self.counts.items())


def audio_window(capture: Capture, caller_port: int, agent_port: int, start: float, end: float) -> AudioWindow:
    window = AudioWindow(start, end)
    packets = [p for p in capture.packets() if start <= p.time < end]
    flows = {"box->caller": [p for p in packets if p.dst_port == caller_port],
             "caller->box": [p for p in packets if p.src_port == caller_port],
             "box->agent": [p for p in packets if p.dst_port == agent_port],
             "agent->box": [p for p in packets if p.src_port == agent_port]}
    for name, flow in flows.items():
        window.counts[name] = len(flow)
        if name.startswith("box->"):
            window.sounding[name] = sum(not p.silent for p in flow)
    return window


def audio_flows(window: AudioWindow, minimum_share: float = 0.8) -> list[str]:
    """What is wrong with the audio of a window: every direction carries at least `minimum_share`
    of the packets 20 ms framing asks for, and what the box sends each side carries sound."""
    wanted = (window.end - window.start) * PACKETS_PER_SECOND * minimum_share
    problems = [f"{name}: {count} packets, wanted {wanted:.0f}" for name, count in window.counts.items() if count < wanted]
    problems += [f"{name}: only {n} of {window.counts[name]} packets carry sound"
                 for name, n in window.sounding.items() if n < window.counts[name] * minimum_share]
    return problems


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


class Sink:
    """A UDP socket standing for "elsewhere": a box relaying something here is an open relay."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.received: list[bytes] = []

    @property
    def address(self) -> tuple[str, int]:
        return self.sock.getsockname()

    def take(self, settle: float = 0.0) -> list[bytes]:
        """What arrived since the last call (waiting `settle` seconds first)."""
        if settle:
            time.sleep(settle)
        got = []
        while True:
            try:
                got.append(self.sock.recv(65535))
            except BlockingIOError:
                break
        self.received += got
        return got

    def close(self) -> None:
        self.sock.close()


class BridgedCall:
    """A trunk caller (the center's trunk SIPp, a 440 Hz tone) bridged to agent 1001's SIPp phone (a
    700 Hz tone), for `seconds` at most; the test ends it with stop()."""

    def __init__(self, center: dict, workdir: Path, seconds: float):
        # Imported here: tests.integration's conftest is a test package, tests.support is below it.
        from tests.integration.conftest import AGENT_PASSWORD, Phone

        self.center, self.box, self.workdir, self.seconds = center, center["box"], workdir, seconds
        self.phone = Phone(self.box, "1001", AGENT_PASSWORD, workdir)
        self.caller_media = free_port(span=3)
        self.capture: Capture | None = None
        self.caller = None
        self.engine_pid: int | None = None

    def start(self, capture: Capture, did: str) -> None:
        """Sets the call up and returns once the agent talks (past the bridge's first packets)."""
        box, center = self.box, self.center
        self.capture = capture
        self.phone.register()
        agent_voice = tone_pcap(self.workdir / "agent-tone.pcap", self.seconds + 60, 700)
        self.phone.answer_calls(voice=agent_voice, timeout=self.seconds + 120)
        box.api("POST", f"/agents/{center['agent']['id']}/login", {"queue_ids": [center["queue"]["id"]]}, expect=200)
        caller_voice = tone_pcap(self.workdir / "caller-tone.pcap", self.seconds + 60, 440)
        self.caller = background_sipp(scenario_playing("trunk_call.xml", caller_voice, self.workdir),
                                      remote=f"127.0.0.1:{box.sip_port}", local_port=center["trunk_port"],
                                      service=did, media_port=self.caller_media, timeout=self.seconds + 60,
                                      workdir=self.workdir, extra=("-d", str(int(self.seconds * 1000))))
        box.wait_for(lambda: any(a["state"] == "busy" for a in box.engine_status()["agents"]), timeout=20,
                     what="the agent to talk")
        time.sleep(1.0)                        # past the bridge's first packets
        self.engine_pid = box.engine_pid()

    def engine_alive(self) -> bool:
        return self.engine_pid is not None and process_alive(self.engine_pid)

    def audio(self, start: float, end: float) -> AudioWindow:
        assert self.capture is not None
        return audio_window(self.capture, self.caller_media, self.phone.media_port, start, end)

    def talking(self) -> bool:
        return any(c["phase"] == "talking" for c in self.box.engine_status()["calls"])

    def stop(self) -> None:
        if self.caller is not None:
            self.caller.stop()
        self.phone.stop()
