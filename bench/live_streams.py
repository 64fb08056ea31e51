"""Page loads while many live streams are open (issue 12, item 10).

    .venv/bin/python bench/live_streams.py [--streams 200] [--loads 60] [--worker-class gevent|gthread]

Starts the web as `callbox web` does (gunicorn, 2 workers; gevent as shipped, or the old gthread with
16 threads each) on a fresh data directory, with a stand-in engine that changes its status every
0.5 s (an agent's state, a waiting caller: a busy 20-seat center), logs in, and times `--loads`
loads of /calls and /live one after another: first with no stream open, then with `--streams` open
(180 live boards and 20 wallboards, each read by the benchmark). Prints the median, p95 and
slowest load of each run, their ratio, how many loads took over 5 s or failed, and how many
streams were still receiving updates. The figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from firmware import live_status  # noqa: E402
from firmware.store import open_store, queries  # noqa: E402

PASSWORD = "bench-password-1"
AGENTS = 20


class ChangingEngine:
    """The engine's socket: answers `status`, and pushes a changed status to every subscriber twice
    a second."""

    def __init__(self, path: Path):
        self.subscribers: list[socket.socket] = []
        self.lock = threading.Lock()
        self.tick = 0
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(64)
        threading.Thread(target=self._serve, daemon=True).start()
        threading.Thread(target=self._change, daemon=True).start()

    def status(self) -> dict:
        states = ("idle", "busy", "wrap-up", "ringing", "paused")
        agents = [{"id": n, "name": f"Agent {n}", "extension": str(1000 + n),
                   "state": states[(n + self.tick) % len(states)], "queue_ids": [1]} for n in range(1, AGENTS + 1)]
        waiting = [{"call_id": 100 + self.tick + n, "caller": f"+4670{n:05d}", "phase": "queued", "position": n + 1,
                    "queue_id": 1, "waited_seconds": 5.0 * n} for n in range(self.tick % 4)]
        return live_status.checked({"queues": [{"id": 1, "name": "support", "waiting": waiting,
                                                "longest_wait_seconds": max((w["waited_seconds"] for w in waiting),
                                                                            default=0.0)}],
                                    "agents": agents, "calls": waiting, "active_calls": len(waiting)})

    def _line(self) -> bytes:
        return json.dumps({"event": "status", "status": self.status()}).encode() + b"\n"

    def _serve(self) -> None:
        while True:
            conn, _ = self.server.accept()
            request = json.loads(conn.makefile("rb").readline())
            if request["cmd"] == "subscribe":
                with self.lock:
                    conn.sendall(self._line())
                    self.subscribers.append(conn)
            else:
                result = self.status() if request["cmd"] == "status" else {}
                conn.sendall(json.dumps({"id": request["id"], "ok": True, "result": result}).encode() + b"\n")
                conn.close()

    def _change(self) -> None:
        while True:
            time.sleep(0.5)
            with self.lock:
                self.tick += 1
                line = self._line()
                for conn in list(self.subscribers):
                    try:
                        conn.sendall(line)
                    except OSError:
                        self.subscribers.remove(conn)


class Streams:
    """Many SSE streams on raw sockets, read by one thread; counts the events each received."""

    def __init__(self, port: int, cookie: str, paths: list[str]):
        self.selector = selectors.DefaultSelector()
        self.events = [0] * len(paths)
        self.last = [0.0] * len(paths)
        self.socks = []
        for index, path in enumerate(paths):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                         "Accept: text/event-stream\r\n\r\n".encode())
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, index)
            self.socks.append(sock)
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while self.running:
            for key, _ in self.selector.select(0.2):
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if not data:
                    self.selector.unregister(key.fileobj)
                    continue
                count = data.count(b"\nevent: ") + data.startswith(b"event: ") + data.count(b"\r\n\r\nevent: ")
                if count:
                    self.events[key.data] += count
                    self.last[key.data] = time.monotonic()

    def receiving(self, within: float = 3.0) -> int:
        now = time.monotonic()
        return sum(1 for t in self.last if now - t < within)

    def close(self) -> None:
        self.running = False
        self.thread.join()
        for sock in self.socks:
            sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(data: Path, port: int, worker_class: str) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    concurrency = ["--worker-connections", "1000"] if worker_class == "gevent" else ["--threads", "16"]
    env = {**os.environ, "CALLBOX_DATA": str(data), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([str(gunicorn), "--worker-class", worker_class, "--workers", "2", *concurrency,
                             "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "3", "webui:create_app()"],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(data / "web.log", "wb"), cwd=REPO)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the web did not start: {(data / 'web.log').read_text()[-2000:]}")


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(f"{base}/login", data={"csrf_token": token, "username": "super", "password": PASSWORD},
                          timeout=10, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    return session


def loads(session: requests.Session, base: str, count: int) -> tuple[list[float], int]:
    times, failed = [], 0
    for n in range(count):
        url = f"{base}/calls" if n % 2 else f"{base}/live"
        started = time.monotonic()
        try:
            ok = session.get(url, timeout=10).status_code == 200
        except requests.RequestException:
            ok = False
        times.append(time.monotonic() - started)
        failed += not ok
    return times, failed


def summary(name: str, times: list[float], failed: int) -> dict:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    figures = {"median_ms": statistics.median(times) * 1000, "p95_ms": p95 * 1000, "max_ms": ordered[-1] * 1000,
               "over_5s": sum(t > 5 for t in times), "failed": failed}
    print(f"{name:>24}: median {figures['median_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
          f"max {figures['max_ms']:7.1f} ms  over 5 s {figures['over_5s']}  failed {failed}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--loads", type=int, default=60)
    parser.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cbx-bench-", dir="/tmp") as tmp:
        data = Path(tmp)
        (data / "run").mkdir()
        from werkzeug.security import generate_password_hash
        store = open_store(data / "callbox.db")
        queue = queries.create_queue(store, "support")
        for n in range(1, AGENTS + 1):
            agent = queries.create_agent(store, f"Agent {n}", str(1000 + n), "sip-secret-1")
            queries.add_queue_member(store, queue["id"], agent["id"])
        queries.create_user(store, "super", generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                            "supervisor")
        store.commit()
        store.close()
        ChangingEngine(data / "run" / "engine.sock")
        port = free_port()
        web = start_web(data, port, args.worker_class)
        base = f"http://127.0.0.1:{port}"
        try:
            session = login(base)
            loads(session, base, 6)                              # warm up both workers
            quiet = summary("no stream open", *loads(session, base, args.loads))
            cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
            wallboards = min(20, args.streams)
            paths = ["/live/stream"] * (args.streams - wallboards) + ["/wallboard/stream"] * wallboards
            streams = Streams(port, cookie, paths)
            deadline = time.monotonic() + 30
            while streams.receiving() < args.streams and time.monotonic() < deadline:
                time.sleep(0.2)
            print(f"{streams.receiving()} of {args.streams} streams receiving before the loads")
            busy = summary(f"{args.streams} streams open", *loads(session, base, args.loads))
            print(f"{streams.receiving()} of {args.streams} streams still receiving after the loads; "
                  f"{sum(streams.events)} events received")
            print(f"worker class {args.worker_class}: p95 ratio {busy['p95_ms'] / quiet['p95_ms']:.2f}, "
                  f"median ratio {busy['median_ms'] / quiet['median_ms']:.2f}")
            streams.close()
        finally:
            web.terminate()
            web.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
