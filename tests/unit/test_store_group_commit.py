"""The engine's connection groups a turn's writes in one transaction without tripping over the web's
writes in between (GroupCommitConnection)."""

import sqlite3
import threading
import time

import pytest

from firmware.store import commit_pending, connect, open_store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "callbox.db"
    open_store(path).close()
    return path


def audit(conn, action: str) -> None:
    conn.execute("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, 'test', ?, '')", (time.time(), action))


def test_a_deferred_turn_that_read_before_the_web_wrote_cannot_write(db):
    """Why the engine does not BEGIN at the start of its turn: this is what it ran into."""
    engine, web = connect(db), connect(db)
    engine.execute("BEGIN")
    engine.execute("SELECT COUNT(*) FROM audit_log").fetchone()
    audit(web, "web-login")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        audit(engine, "engine-write")


def test_the_turn_opens_at_its_first_write_and_sees_the_web_s_rows(db):
    engine, web = connect(db, group_commit=True), connect(db)
    engine.execute("SELECT COUNT(*) FROM audit_log").fetchone()
    assert not engine.in_transaction                       # a read alone opens nothing
    audit(web, "web-login")
    audit(engine, "engine-1")
    audit(engine, "engine-2")
    assert engine.in_transaction
    assert web.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 1    # not yet committed
    commit_pending(engine)
    assert [r[0] for r in web.execute("SELECT action FROM audit_log ORDER BY id")] == \
        ["web-login", "engine-1", "engine-2"]


def test_the_web_waits_for_the_turn_instead_of_failing(db):
    engine, web = connect(db, group_commit=True), connect(db)
    audit(engine, "engine")                                # the turn holds the write lock ...
    done = threading.Event()

    def web_write():
        audit(web, "web")
        done.set()

    writer = threading.Thread(target=web_write)
    writer.start()
    assert not done.wait(0.3)                              # ... so the web waits (busy timeout) ...
    commit_pending(engine)
    assert done.wait(5)                                    # ... and writes once the turn is over
    writer.join()
    assert web.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 2
