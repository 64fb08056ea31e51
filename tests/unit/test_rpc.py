"""The edge's JSON-RPC client (firmware/edge/rpc.py) against a stand-in for kamailio's FIFO."""

from __future__ import annotations

import json
import os
import resource
import threading

import pytest

from firmware.edge import rpc
from tests.support.kamailio import data_dir_env


@pytest.fixture
def edge_fifo(tmp_path):
    """kamailio's jsonrpcs FIFO, read by a thread that answers each request with its params.

    The fixture opens the FIFO itself before the first test line runs: a reader thread opening it
    later raced the client, whose non-blocking open then found nobody reading (ENXIO)."""
    with data_dir_env(tmp_path):
        rpc.fifo_path().parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(rpc.fifo_path())
        # Read-write: the FIFO always has a reader, and reads block instead of
        # returning end-of-file each time a client closes its end.
        fifo = os.open(rpc.fifo_path(), os.O_RDWR)

        def serve():
            while (line := os.read(fifo, 4096)) != b"stop":
                request = json.loads(line)
                reply = json.dumps({"jsonrpc": "2.0", "result": request["params"], "id": request["id"]})
                with open(rpc.reply_dir() / request["reply_name"], "wb") as out:
                    out.write(reply.encode())

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        yield
        os.write(fifo, b"stop")
        server.join(timeout=5)
        os.close(fifo)


def test_a_command_gets_its_result(edge_fifo):
    assert rpc.call("htable.seti", "load", "engine_busy", 1) == ["load", "engine_busy", 1]


def test_a_client_holding_thousands_of_descriptors_still_reads_its_reply(edge_fifo):
    """The engine holds two RTP sockets per call: its reply FIFO is numbered past 1023, which select()
    refused (ValueError), and the engine's load report and registration watcher failed at ~300 calls."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert max(held) > 1024
        assert rpc.call("ul.dump", "brief") == ["brief"]
    finally:
        for fd in held:
            os.close(fd)


def test_an_edge_that_is_not_running_is_told_apart(tmp_path):
    with data_dir_env(tmp_path):
        rpc.reply_dir().mkdir(parents=True, exist_ok=True)
        with pytest.raises(rpc.EdgeUnavailable):
            rpc.call("ul.dump", timeout=0.2)
