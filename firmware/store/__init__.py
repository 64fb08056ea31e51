"""The box's SQLite store: schema migrations and every query, in one place."""

from firmware.store.db import commit_pending, connect, migrate, open_store  # noqa: F401
