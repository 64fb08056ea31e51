"""The box's health after a boot: the four parts an update must not break, each asked for real.

- kamailio answers a SIP OPTIONS on the box's SIP port (any final answer: it is alive and parsing);
- the engine answers `status` on its socket;
- the web answers an HTTP request on its port (any status below 500);
- the database opens, passes SQLite's quick_check and has every migration of this firmware.

`wait_healthy` asks again until all four pass or the deadline comes: after a boot the box needs
from seconds (hardware) to minutes (QEMU under TCG) to come up.
"""

from __future__ import annotations

import http.client
import os
import sqlite3
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from firmware import paths
from firmware.config import BoxConfig, default_route_address
from firmware.console.linetest import send_options
from firmware.engine.client import EngineClient, EngineError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def box_address(config: BoxConfig) -> str:
    # CALLBOX_BIND=auto is resolved by `callbox run` for its own children; resolve it the same way
    if config.bind_address.strip().lower() == "auto":
        return default_route_address()
    return config.bind_address


def check_edge(config: BoxConfig) -> Check:
    host = box_address(config)
    target = f"[{host}]:{config.sip_port}" if ":" in host else f"{host}:{config.sip_port}"
    result = send_options(target, timeout=2.0)
    return Check("edge", result.code is not None, result.line())


def check_engine(timeout: float = 2.0) -> Check:
    try:
        status = EngineClient(timeout=timeout).request("status")
    except (EngineError, OSError) as exc:
        return Check("engine", False, str(exc) or f"engine: {type(exc).__name__}")
    return Check("engine", isinstance(status, dict), "engine answers its socket")


def check_web(config: BoxConfig, timeout: float = 3.0) -> Check:
    host = box_address(config)
    if os.environ.get("CALLBOX_TLS_CERT"):
        # the box's own self-signed certificate: this asks whether the web answers, not who it is
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, config.web_port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(host, config.web_port, timeout=timeout)
    try:
        connection.request("GET", "/login", headers={"User-Agent": "callbox-health"})
        code = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return Check("web", False, f"web: {exc or type(exc).__name__}")
    finally:
        connection.close()
    return Check("web", code < 500, f"web answers {code}")


def check_database() -> Check:
    from firmware.store.db import _migrations, schema_version

    path = paths.database_path()
    if not path.exists():
        return Check("database", False, f"no database at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=10)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            have = schema_version(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("database", False, f"database: {exc}")
    want = max((number for number, _, _ in _migrations()), default=0)
    if verdict != "ok":
        return Check("database", False, f"database damaged: {verdict}")
    if have != want:
        return Check("database", False, f"database at schema {have}, this firmware needs {want}")
    return Check("database", True, f"database opens, schema {have}")


def check_all(config: BoxConfig | None = None) -> list[Check]:
    config = config or BoxConfig.from_env()
    return [check_edge(config), check_engine(), check_web(config), check_database()]


def wait_healthy(deadline_s: float, checks: Callable[[], list[Check]] = check_all,
                 interval_s: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[bool, list[Check]]:
    """All checks passing at once (True) or the last failing round when the deadline came (False)."""
    end = clock() + deadline_s
    while True:
        results = checks()
        if all(check.ok for check in results):
            return True, results
        if clock() >= end:
            return False, results
        sleep(min(interval_s, max(0.0, end - clock())))


def summary(results: list[Check]) -> str:
    return "; ".join(f"{check.name}: {'ok' if check.ok else check.detail}" for check in results)

