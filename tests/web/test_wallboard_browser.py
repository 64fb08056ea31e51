"""The wallboard (STAT1) in a real browser: `callbox web` as shipped, Debian's chromium, and a stand-in
engine that pushes live statuses as the real one does. The kiosk link works without a login and
shows nothing but the board, a waiting call appears within 1 s of the engine's event, the longest
wait ticks in the browser, and a threshold turns a tile red."""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest

from firmware import live_status
from firmware.store import connect, queries, wallboard_tokens
from tests.web.test_browser import browser, web  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser]


class PushingEngine:
    """The engine's socket as the web meets it: `status` answered, `subscribe` kept open and sent
    every status pushed."""

    def __init__(self, path):
        self.status = live_status.LiveStatus().model_dump(mode="json")
        self.subscribers: list[socket.socket] = []
        self.lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            request = json.loads(conn.makefile("rb").readline())
            if request["cmd"] == "subscribe":
                with self.lock:
                    conn.sendall(self._line())
                    self.subscribers.append(conn)
            else:
                result = self.status if request["cmd"] == "status" else {}
                conn.sendall(json.dumps({"id": request["id"], "ok": True, "result": result}).encode() + b"\n")
                conn.close()

    def _line(self) -> bytes:
        return json.dumps({"event": "status", "status": self.status}).encode() + b"\n"

    def push(self, status: dict) -> None:
        with self.lock:
            self.status = live_status.checked(status)
            for conn in self.subscribers:
                conn.sendall(self._line())

    def close(self) -> None:
        self.server.close()
        for conn in self.subscribers:
            conn.close()


def waiting(*seconds: float) -> dict:
    calls = [{"call_id": 10 + n, "caller": f"+467000{n}", "phase": "queued", "position": n + 1, "queue_id": 1,
              "waited_seconds": s} for n, s in enumerate(seconds)]
    return {"queues": [{"id": 1, "name": "support", "waiting": calls,
                        "longest_wait_seconds": max(seconds, default=0.0)}],
            "agents": [{"id": 1, "name": "Ann Agent", "extension": "1001", "state": "idle", "queue_ids": [1]}],
            "calls": calls, "active_calls": len(calls)}


@pytest.fixture
def engine(web, tmp_path):  # noqa: F811 (the fixture)
    standin = PushingEngine(tmp_path / "run" / "engine.sock")
    yield standin
    standin.close()


@pytest.fixture
def kiosk_url(web, tmp_path, engine):  # noqa: F811 (the fixture)
    """A kiosk link, made as an admin would, on a box with queue "support" whose waiting tile turns
    amber at 1 caller and red at 2."""
    conn = connect(tmp_path / "callbox.db")
    queries.create_user(conn, "root", "scrypt:not-used", "admin")     # past the first-run setup
    queue = queries.create_queue(conn, "support")
    agent = queries.create_agent(conn, "Ann Agent", "1001", "sip-secret")
    queries.add_queue_member(conn, queue["id"], agent["id"])
    queries.set_setting(conn, "wallboard", json.dumps(
        {"queues": {str(queue["id"]): {"thresholds": {"waiting": {"amber": 1, "red": 2}}}}}))
    _, token = wallboard_tokens.create(conn, "hall TV", "admin")
    conn.commit()
    conn.close()
    engine.push(waiting())
    return f"{web}/wallboard/kiosk?token={token}"


def test_the_kiosk_shows_the_board_alone_and_follows_the_engine_within_a_second(kiosk_url, engine, browser):  # noqa: F811
    page, expect = browser
    page.goto(kiosk_url)
    board = page.locator("#wallboard")
    expect(board.locator('[data-scope="1"] h2')).to_have_text("support")
    # Nothing but the board: no header, navigation, link or form.
    for other in ("header", "nav", "a", "form"):
        expect(page.locator(other)).to_have_count(0)
    tile = board.locator('[data-scope="1"] [data-figure="waiting"]')
    expect(tile).to_have_class(re.compile(r"\bgreen\b"))

    pushed = time.monotonic()
    engine.push(waiting(3.0))
    page.wait_for_function("document.querySelector('#waiting-callers tbody').textContent.includes('+4670000')",
                           polling="raf", timeout=5000)
    assert time.monotonic() - pushed < 1.0, "the waiting call took longer than a second to appear"
    expect(tile.locator(".value")).to_have_text("1")
    expect(tile).to_have_class(re.compile(r"\bamber\b"))

    # The longest wait ticks in the browser between the engine's events.
    longest = board.locator('[data-scope="1"] [data-figure="longest_wait_seconds"] .value')
    expect(longest).to_have_text(re.compile(r"^0:0[34]$"))
    expect(longest).to_have_text(re.compile(r"^0:0[56]$"), timeout=3000)

    engine.push(waiting(9.0, 2.0))          # a second caller: the threshold's red
    expect(tile).to_have_class(re.compile(r"\bred\b"))
    expect(board.locator('[data-scope="total"] [data-figure="waiting"] .value')).to_have_text("2")
    expect(page.locator("#roster tbody tr")).to_contain_text("Ann Agent")

    page.goto(kiosk_url.replace("token=", "token=x"))            # a token that is not one: the login
    expect(page).to_have_url(re.compile(r"/login\?next=/wallboard$"))


def test_the_live_board_changes_only_what_changed_and_keeps_a_half_typed_note(web, tmp_path, engine, browser):  # noqa: F811
    """Issue 12, item 10: an update of the live board (another agent's state, a new caller) leaves the
    agent's half-typed classification note, its focus and the rest of the page as they were."""
    from werkzeug.security import generate_password_hash

    page, expect = browser
    conn = connect(tmp_path / "callbox.db")
    queue = queries.create_queue(conn, "support")
    ann = queries.create_agent(conn, "Ann Agent", "1001", "sip-secret")
    bo = queries.create_agent(conn, "Bo Other", "1002", "sip-secret")
    queries.create_user(conn, "ann", generate_password_hash("ann-password-1", method="pbkdf2:sha256:1000"), "agent",
                        ann["id"])
    conn.commit()
    conn.close()

    def status(bo_state: str, callers: int) -> dict:
        board = waiting(*[5.0] * callers)
        board["queues"][0]["id"] = queue["id"]
        board["agents"] = [
            {"id": ann["id"], "name": "Ann Agent", "extension": "1001", "state": "wrap-up",
             "queue_ids": [queue["id"]], "unclassified_call": 77},
            {"id": bo["id"], "name": "Bo Other", "extension": "1002", "state": bo_state, "queue_ids": [queue["id"]]}]
        return board

    engine.push(status("idle", 0))
    page.goto(f"{web}/login")
    page.fill('input[name="username"]', "ann")
    page.fill('input[name="password"]', "ann-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{web}/live")
    note = page.get_by_label("Note on call 77")
    expect(note).to_be_visible()
    note.fill("customer wants a")                     # half-typed, the cursor still in it
    page.evaluate("document.querySelector('[aria-label=\"Note on call 77\"]').dataset.mark = 'same element'")

    updated = page.evaluate("document.getElementById('board').dataset.updated || ''")
    engine.push(status("busy", 2))                    # Bo takes a call, two callers wait
    page.wait_for_function(f"(document.getElementById('board').dataset.updated || '') !== '{updated}'")
    expect(page.locator('tr[data-key^="agent-"]').filter(has_text="Bo Other")).to_contain_text("busy")
    expect(page.locator('tr[data-key^="call-"]')).to_have_count(2)
    expect(note).to_have_value("customer wants a")
    expect(note).to_be_focused()
    assert page.evaluate("document.querySelector('[aria-label=\"Note on call 77\"]').dataset.mark") == "same element"
    # The form still posts with the page's CSRF token.
    assert page.evaluate("document.querySelector('form.classify input[name=csrf_token]').value") != ""
