"""The store: migrations (also when several processes start at once) and the CDR life cycle."""

import multiprocessing
import sqlite3

import pytest

from firmware.store import open_store, queries
from firmware.store.db import _migrations, _statements, migrate, schema_version


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
    assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(_migrations())


def test_migrating_again_changes_nothing(tmp_path):
    conn = open_store(tmp_path / "callbox.db")
    version = schema_version(conn)
    assert migrate(conn) == version


def test_a_migration_numbered_below_the_newest_applied_is_still_applied(tmp_path):
    """Branches get their numbers ahead and land in any order: 0021 may be applied before 0020."""
    conn = open_store(tmp_path / "callbox.db")
    newest = schema_version(conn)
    lower = _migrations()[-2][0]
    conn.execute("DELETE FROM schema_migrations WHERE version = ?", (lower,))
    applied = []
    import firmware.store.db as store_db

    original = store_db._statements
    store_db._statements = lambda sql: applied.append(sql) or []     # its SQL ran once already
    try:
        assert migrate(conn) == newest
    finally:
        store_db._statements = original
    assert len(applied) == 1
    assert conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (lower,)).fetchone()


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


# --- the callback list (ACD14) ------------------------------------------------------------------

def _callback(conn, queue_id: int, arrived_at: float, *, status: str = "waiting", caller_input: str = "",
              handler: int | None = None, log: list[str] = (), wanted: tuple[float | None, float | None] = (None, None)):
    call_id = queries.open_call(conn, f"+4670{arrived_at:.0f}", "4930100", started_at=arrived_at)
    queries.save_callback(conn, call_id, queue_id, f"+4670{arrived_at:.0f}", arrived_at, caller_input=caller_input,
                          wanted_from=wanted[0], wanted_until=wanted[1])
    queries.update_callback(conn, call_id, status=status, attempts=0, last_handler=handler, log=list(log))
    return call_id


@pytest.fixture
def callback_list(conn):
    """Three callbacks in two queues, each column ordering them differently."""
    support, sales = queries.create_queue(conn, "support")["id"], queries.create_queue(conn, "sales")["id"]
    ann = queries.create_agent(conn, "Ann", "1001", "pw-123456")["id"]
    bo = queries.create_agent(conn, "Bo", "1002", "pw-123456")["id"]
    first = _callback(conn, support, 100.0, status="no-answer", caller_input="42", handler=bo,
                      log=["requested by the caller", "no answer (attempt 1)"])
    second = _callback(conn, sales, 200.0, status="answered", caller_input="7", handler=ann,
                       log=["requested by the caller"], wanted=(50.0, 900.0))
    third = _callback(conn, support, 300.0, caller_input="", log=["forced by overflow"])
    return {"ids": (first, second, third), "support": support, "sales": sales}


@pytest.mark.parametrize("column, expected", [
    ("arrived", (0, 1, 2)), ("queue", (1, 0, 2)), ("caller_input", (2, 0, 1)), ("status", (1, 0, 2)),
    ("last_handler", (1, 0, 2)), ("log", (2, 0, 1)), ("interval", (1, 0, 2)),
])
def test_the_callback_list_sorts_by_each_column(conn, callback_list, column, expected):
    ids = callback_list["ids"]
    rows = queries.list_callbacks(conn, sort=column)
    assert [r["call_id"] for r in rows] == [ids[i] for i in expected]
    descending = queries.list_callbacks(conn, sort=column, descending=True)
    assert [r["call_id"] for r in descending] == [ids[i] for i in reversed(expected)]


def test_the_callback_list_filters_by_queue_and_open_status(conn, callback_list):
    first, _answered, third = callback_list["ids"]
    assert [r["call_id"] for r in queries.list_callbacks(conn, queue_id=callback_list["support"])] == [first, third]
    assert [r["call_id"] for r in queries.list_callbacks(conn, open_only=True)] == [first, third]
    assert queries.list_callbacks(conn, queue_id=callback_list["sales"], open_only=True) == []
    with pytest.raises(ValueError, match="column"):
        queries.list_callbacks(conn, sort="number; DROP TABLE calls")


def test_a_callback_row_names_its_queue_handler_and_last_log(conn, callback_list):
    row = queries.get_callback(conn, callback_list["ids"][1])
    assert (row["queue"], row["last_handler_extension"], row["last_handler_name"]) == ("sales", "1001", "Ann")
    assert (row["wanted_from"], row["wanted_until"], row["last_log"]) == (50.0, 900.0, "requested by the caller")
    assert row["log"] == ["requested by the caller"] and row["forced"] is False
    assert queries.get_callback(conn, 9999) is None
