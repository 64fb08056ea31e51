"""The web's side of the engine socket: nothing here may break a page when the engine is down."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from werkzeug.exceptions import Conflict, ServiceUnavailable

from firmware import live_status
from firmware.engine.client import EngineClient, EngineError, EngineUnavailable
from firmware.message import Message

log = logging.getLogger(__name__)

NOT_RUNNING = Message("engine not running")


def client(timeout: float = 5.0) -> EngineClient:
    return EngineClient(current_app.config["ENGINE_SOCKET"], timeout=timeout)


def tell(cmd: str, **args: Any) -> bool:
    """Sends a command whose effect is already in the database (the engine reads it at start),
    so an engine that is down or refuses only costs a log line."""
    try:
        client(timeout=2.0).request(cmd, **args)
        return True
    except EngineUnavailable:
        return False
    except EngineError as exc:
        log.warning("engine refused %s: %s", cmd, exc)
        return False


def status() -> tuple[dict | None, str | None]:
    """The engine's live status (firmware/live_status.py), or None and the reason it is not available."""
    try:
        return live_status.checked(client().request("status")), None
    except EngineUnavailable:
        return None, NOT_RUNNING
    except EngineError as exc:
        return None, Message("engine error: {problem}", problem=str(exc))
    except ValueError as exc:      # a status of another shape (pydantic's ValidationError)
        log.error("the engine's status does not fit its shape: %s", exc)
        return None, Message("engine error: {problem}", problem="unreadable status")


def command(cmd: str, **args: Any) -> Any:
    """A command whose effect lives in the engine: 503 when it is down, 409 when it refuses."""
    try:
        return client().request(cmd, **args)
    except EngineUnavailable:
        raise ServiceUnavailable(NOT_RUNNING) from None
    except EngineError as exc:
        raise Conflict(str(exc)) from None
