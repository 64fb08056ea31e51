"""One SQLite connection per request, closed when the request ends."""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g

from firmware.store import connect


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
