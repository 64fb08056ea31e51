"""Starting and stopping the box as a whole (issue 8, finding 14).

A supervisord killed with -9 must not leave its programs running (kamailio kept the SIP port and
the next box's edge could not bind), and `callbox run` refuses to start on a taken port, naming
the process that holds it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.box import BIN, Box

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"        # a zombie has let go of everything


def descendants(pid: int) -> set[int]:
    """Every process below pid (kamailio's and gunicorn's workers included), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def bindable(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        if kind == socket.SOCK_STREAM:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_killing_supervisord_stops_every_program_of_the_box(tmp_path):
    box = Box.create(tmp_path / "box")
    box.start()
    supervisord = box.process.pid          # `callbox run` execs supervisord
    programs = descendants(supervisord)
    try:
        names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in programs if alive(pid)}
        assert "kamailio" in names and len(programs) >= 5, names       # kamailio forks its workers
        os.kill(supervisord, signal.SIGKILL)
        box.process.wait(5)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(pid) for pid in programs):
            time.sleep(0.1)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:80]
                for pid in programs if alive(pid)}
        assert not left, f"still running after supervisord was killed: {left}"
        assert bindable(socket.SOCK_DGRAM, box.sip_port) and bindable(socket.SOCK_STREAM, box.sip_port)
        assert bindable(socket.SOCK_DGRAM, box.engine_port) and bindable(socket.SOCK_STREAM, box.web_port)
    finally:
        box.stop()
        for pid in programs:            # what outlived supervisord (the bug), so that no test after trips on it
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("port_name, kind, purpose", [
    ("sip_port", socket.SOCK_DGRAM, "SIP port 127.0.0.1:{port}/udp"),
    ("sip_port", socket.SOCK_STREAM, "SIP port 127.0.0.1:{port}/tcp"),
    ("engine_port", socket.SOCK_DGRAM, "engine port 127.0.0.1:{port}/udp"),
    ("web_port", socket.SOCK_STREAM, "web port 127.0.0.1:{port}/tcp"),
])
def test_a_box_does_not_start_on_a_taken_port_and_names_the_holder(tmp_path, port_name, kind, purpose):
    box = Box.create(tmp_path / "box")
    port = getattr(box, port_name)
    me = Path("/proc/self/comm").read_text().strip()
    with socket.socket(socket.AF_INET, kind) as holder:
        holder.bind(("127.0.0.1", port))
        if kind == socket.SOCK_STREAM:
            holder.listen()
        run = subprocess.Popen([str(BIN / "callbox"), "run"], env=box.env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = run.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGTERM)
            output, _ = run.communicate(timeout=30)
            pytest.fail(f"the box started although {purpose.format(port=port)} was taken:\n{output}")
    assert run.returncode != 0, output
    assert f"{purpose.format(port=port)} is taken by {me} (pid {os.getpid()})" in output, output
