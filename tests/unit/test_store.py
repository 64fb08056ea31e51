"""The store: migrations (also when several processes start at once) and the CDR life cycle."""

import multiprocessing
import sqlite3

import pytest

from firmware.store import open_store, queries
from firmware.store.db import _statements, migrate, schema_version


def _open(path):
    open_store(path).close()


def test_processes_starting_together_migrate_once(tmp_path):
    path = tmp_path / "callbox.db"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open, args=(path,)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * 6
    conn = open_store(path)
    assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == schema_version(conn)


def test_migrating_again_changes_nothing(tmp_path):
    conn = open_store(tmp_path / "callbox.db")
    version = schema_version(conn)
    assert migrate(conn) == version


def test_statements_split_on_complete_sql_only():
    script = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- note\nCREATE VIEW v AS\n  SELECT x FROM a;\n"
    assert _statements(script) == ["CREATE TABLE a (x TEXT DEFAULT ';');", "-- note\nCREATE VIEW v AS\n  SELECT x FROM a;"]


@pytest.fixture
def conn(tmp_path):
    return open_store(tmp_path / "callbox.db")


def test_answered_call_gets_wait_and_talk_times(conn):
    queue = queries.create_queue(conn, "support")
    agent = queries.create_agent(conn, "Ann", "1001", "pw-123456")
    call_id = queries.open_call(conn, "+46701", "4930100", started_at=100.0)
    queries.update_call(conn, call_id, queue_id=queue["id"], queued_at=103.0)
    queries.update_call(conn, call_id, agent_id=agent["id"], answered_at=110.5)
    queries.close_call(conn, call_id, "answered", "caller-hangup", ended_at=170.5)
    call = queries.get_call(conn, call_id)
    assert (call["outcome"], call["wait_seconds"], call["talk_seconds"]) == ("answered", 7.5, 60.0)
    assert (call["queue"], call["agent"]) == ("support", "1001")
    queries.close_call(conn, call_id, "failed", "again", ended_at=999.0)    # a call ends once
    assert queries.get_call(conn, call_id)["outcome"] == "answered"


def test_lost_calls_are_closed_with_a_cause(conn):
    queue = queries.create_queue(conn, "support")
    talking = queries.open_call(conn, "a", "1")
    queries.update_call(conn, talking, queue_id=queue["id"], queued_at=1.0, answered_at=2.0)
    waiting = queries.open_call(conn, "b", "1")
    queries.update_call(conn, waiting, queue_id=queue["id"], queued_at=1.0)
    done = queries.open_call(conn, "c", "1")
    queries.close_call(conn, done, "abandoned", "caller-hangup")
    assert sorted(queries.close_lost_calls(conn, "engine-restart")) == [talking, waiting]
    assert queries.get_call(conn, talking)["outcome"] == "answered"
    assert queries.get_call(conn, waiting)["outcome"] == "failed"
    assert [e["event"] for e in queries.list_queue_events(conn, waiting)] == ["fail"]
    assert queries.close_lost_calls(conn, "engine-restart") == []


def test_agent_password_is_kept_only_as_digest_ha1(conn):
    queries.create_agent(conn, "Ann", "1001", "s3cret-pw")
    stored = conn.execute("SELECT * FROM agents").fetchone()
    assert "s3cret-pw" not in [str(v) for v in stored]
    assert conn.execute("SELECT password FROM subscriber WHERE username = '1001'").fetchone()[0] == \
        queries.sip_ha1("1001", "s3cret-pw")


def test_unknown_outcome_is_refused(conn):
    call_id = queries.open_call(conn, "a", "1")
    with pytest.raises(ValueError, match="unknown outcome"):
        queries.close_call(conn, call_id, "lost", "x")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE calls SET outcome = 'lost' WHERE id = ?", (call_id,))


def test_a_call_that_left_its_queue_waited_until_it_left(conn):
    queue = queries.create_queue(conn, "support")
    call_id = queries.open_call(conn, "+46701", "4930100", started_at=100.0)
    queries.update_call(conn, call_id, queue_id=queue["id"], queued_at=103.0, left_queue_at=108.0)
    queries.close_call(conn, call_id, "overflowed", "overflow:max-wait", ended_at=115.0)
    assert queries.get_call(conn, call_id)["wait_seconds"] == 5.0
