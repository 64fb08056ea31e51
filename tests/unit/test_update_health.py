"""The health check's parts against real sockets and a real SQLite file (firmware/update/health.py),
and the small pure parts of the update machinery (versions, RAUC's messages)."""

from __future__ import annotations

import http.server
import socket
import sqlite3
import threading

import pytest

from firmware.config import BoxConfig
from firmware.store import open_store
from firmware.update import health
from firmware.update.check import BundleRefused, explain, refuse_older
from firmware.update.rauc import reason
from firmware.update.version import parse_version


def config(sip_port: int = 9, web_port: int = 9) -> BoxConfig:
    base = BoxConfig.from_env()
    return BoxConfig(bind_address="127.0.0.1", sip_port=sip_port, engine_port=base.engine_port, web_port=web_port,
                     rtp_port_start=base.rtp_port_start, prompts_dir=base.prompts_dir, rootfs=base.rootfs)


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    monkeypatch.delenv("CALLBOX_TLS_CERT", raising=False)
    return tmp_path


def test_database_missing_damaged_behind_and_fine(data):
    assert not health.check_database().ok
    open_store().close()
    assert health.check_database().ok, health.check_database()
    with sqlite3.connect(data / "callbox.db") as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)")
    behind = health.check_database()
    assert not behind.ok and "this firmware needs" in behind.detail
    (data / "callbox.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert not health.check_database().ok


class _Answer(http.server.BaseHTTPRequestHandler):
    code = 200

    def do_GET(self):
        self.send_response(self.code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("code, ok", [(200, True), (302, True), (500, False), (503, False)])
def test_web_answers_below_500(data, code, ok):
    handler = type("Handler", (_Answer,), {"code": code})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert health.check_web(config(web_port=server.server_address[1])).ok is ok
    finally:
        server.shutdown()
        server.server_close()


def test_web_not_listening_fails(data):
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    check = health.check_web(config(web_port=port))
    assert not check.ok and "web:" in check.detail


def _sip_answerer(sock: socket.socket, answer: bool) -> None:
    request, peer = sock.recvfrom(65535)
    if not answer:
        return
    call_id = next(line for line in request.split(b"\r\n") if line.lower().startswith(b"call-id:"))
    sock.sendto(b"SIP/2.0 200 OK\r\n" + call_id + b"\r\nContent-Length: 0\r\n\r\n", peer)


@pytest.mark.parametrize("answer", [True, False])
def test_edge_must_answer_options(data, answer):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        thread = threading.Thread(target=_sip_answerer, args=(sock, answer), daemon=True)
        thread.start()
        check = health.check_edge(config(sip_port=sock.getsockname()[1]))
        thread.join(5)
    assert check.ok is answer, check


def test_engine_without_socket_fails(data):
    check = health.check_engine(timeout=0.5)
    assert not check.ok and "engine socket" in check.detail, check


def test_wait_healthy_asks_until_all_pass_or_the_deadline():
    now = [0.0]
    rounds = iter([[health.Check("web", False, "down")], [health.Check("web", True, "up")]])
    ok, results = health.wait_healthy(10, checks=lambda: next(rounds), clock=lambda: now[0],
                                      sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert ok and now[0] == 2.0
    ok, results = health.wait_healthy(5, checks=lambda: [health.Check("web", False, "down")],
                                      clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert not ok and health.summary(results) == "web: down"


@pytest.mark.parametrize("text, parsed", [("1.2.0", (1, 2)), ("0.1.0.412", (0, 1, 0, 412)), ("3", (3,))])
def test_versions_parse(text, parsed):
    assert parse_version(text) == parsed


@pytest.mark.parametrize("text", ["", "1.2.0-rc1", "v1.2", "1..2", "1.2.", "deadbeef", "1.2.0\n", "1" * 12])
def test_versions_that_cannot_be_ordered_are_refused(text):
    with pytest.raises(ValueError):
        parse_version(text)


def test_older_equal_newer():
    refuse_older("0.1.0.500", "0.1.0.412")
    refuse_older("0.2", "0.1.0.412")
    for older in ("0.1.0.411", "0.1.0.412", "0.1"):
        with pytest.raises(BundleRefused):
            refuse_older(older, "0.1.0.412")
    with pytest.raises(BundleRefused, match="cannot be compared"):
        refuse_older("0.2-beta", "0.1")


def test_rauc_reasons_become_words():
    out = ("installing\n  0% Installing\n 40% Checking bundle failed.\n100% Installing failed.\n"
           "LastError: Failed to check bundle: signature verification failed: Verify error: unable to get local "
           "issuer certificate\nInstalling `/data/update/upload.raucb` failed\n")
    assert reason(out).endswith("unable to get local issuer certificate")
    assert explain(reason(out)).startswith("The bundle is signed by a key this box does not trust.")
    assert reason("rauc-Message: 16:38:15.916: Invalid bundle format: Signature size is 0\n") == \
        "Invalid bundle format: Signature size is 0"
