"""Where alarm notices go in tests: a real SMTP server (aiosmtpd) and a real HTTP SMS gateway
(http.server), both on loopback. Use the `smtp` and `gateway` fixtures of tests/conftest.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

from aiosmtpd.controller import Controller

from tests.support.ports import free_port


class Inbox:
    """The mails the SMTP server took: (recipients, the whole message as text)."""

    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


class Gateway(BaseHTTPRequestHandler):
    """An SMS gateway: records (Authorization header, JSON body) and answers `status`."""
    received: list = []
    status = 200

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append((self.headers.get("Authorization"), body))
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def sms_gateway() -> Iterator[str]:
    """Yields the gateway's URL; Gateway.received and Gateway.status start afresh."""
    Gateway.received, Gateway.status = [], 200
    server = HTTPServer(("127.0.0.1", free_port()), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/send"
    finally:
        server.shutdown()
        server.server_close()
