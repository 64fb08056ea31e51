"""Agents and users are deactivated, never erased (issue 8, finding 10): the store keeps every row
history points at, the edge's `subscriber` view and the engine see active agents only, and an
extension is free again once its agent is gone."""

from __future__ import annotations

import sqlite3
import time

import pytest

from firmware.config import BoxConfig
from firmware.store import commit_pending, connect, db as store_db, open_store, queries


@pytest.fixture
def conn(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLBOX_DATA", str(tmp_path))
    connection = open_store(tmp_path / "callbox.db")
    yield connection
    connection.close()


def _history(conn) -> dict:
    """An agent with a queue, a login, a user, an answered and classified call and a callback."""
    agent = queries.create_agent(conn, "Ann Agent", "1001", "sip-secret")
    queue = queries.create_queue(conn, "sales")
    queries.add_queue_member(conn, queue["id"], agent["id"])
    queries.login_agent(conn, agent["id"], [queue["id"]])
    user = queries.create_user(conn, "ann", "hash", "agent", agent["id"])
    call = queries.open_call(conn, "+4940999", "4940123")
    queries.update_call(conn, call, queue_id=queue["id"], agent_id=agent["id"], queued_at=1.0, answered_at=2.0)
    queries.close_call(conn, call, "answered", "caller-hangup", 30.0)
    queries.classify_call(conn, call, "sale", "", agent["id"])
    queries.save_callback(conn, call, queue["id"], "+4940999", 1.0)
    queries.update_callback(conn, call, status="answered", attempts=1, last_handler=agent["id"], log=[])
    queries.add_agent_activity(conn, agent["id"], "login")
    return {"agent": agent, "queue": queue, "user": user, "call": call}


def _history_before_0016(conn) -> dict:
    """_history as a box of schema 15 holds it (written with SQL: today's queries know column 16's)."""
    conn.execute("INSERT INTO agents (id, name, extension, sip_ha1, created_at) VALUES (1, 'Ann Agent', '1001', "
                 "'ha1', 0)")
    queue = queries.create_queue(conn, "sales")
    queries.add_queue_member(conn, queue["id"], 1)
    queries.login_agent(conn, 1, [queue["id"]])
    conn.execute("INSERT INTO users (id, username, password_hash, role, agent_id, created_at) "
                 "VALUES (1, 'ann', 'hash', 'agent', 1, 0)")
    call = queries.open_call(conn, "+4940999", "4940123")
    queries.update_call(conn, call, queue_id=queue["id"], agent_id=1, queued_at=1.0, answered_at=2.0)
    queries.close_call(conn, call, "answered", "caller-hangup", 30.0)
    queries.classify_call(conn, call, "sale", "", 1)
    queries.save_callback(conn, call, queue["id"], "+4940999", 1.0)
    queries.update_callback(conn, call, status="answered", attempts=1, last_handler=1, log=[])
    queries.add_agent_activity(conn, 1, "login")
    return {"agent": {"id": 1}, "queue": queue, "user": {"id": 1}, "call": call}


def test_the_migration_rebuilds_agents_without_touching_what_points_at_them(tmp_path, monkeypatch):
    """0016 rebuilds the agents table; with foreign keys enforced, dropping the old one would have
    nulled every call's agent and unlinked every user (and deleted members and logins)."""
    every = store_db._migrations()
    monkeypatch.setattr(store_db, "_migrations", lambda: [m for m in every if m[0] < 16])
    conn = open_store(tmp_path / "old.db")
    made = _history_before_0016(conn)
    monkeypatch.setattr(store_db, "_migrations", lambda: every)
    assert store_db.migrate(conn) == every[-1][0]

    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    call = queries.get_call(conn, made["call"])
    assert (call["agent"], call["agent_name"], call["disposition_by"]) == ("1001", "Ann Agent", "1001")
    assert queries.get_user(conn, made["user"]["id"])["agent_id"] == made["agent"]["id"]
    assert queries.agent_queue_ids(conn, made["agent"]["id"]) == [made["queue"]["id"]]
    assert queries.logged_in_queue_ids(conn, made["agent"]["id"]) == [made["queue"]["id"]]
    assert queries.get_callback(conn, made["call"])["last_handler_extension"] == "1001"
    assert conn.execute("SELECT username FROM subscriber").fetchall()[0][0] == "1001"


def test_a_migration_that_leaves_a_row_pointing_nowhere_is_rolled_back(tmp_path, monkeypatch):
    every = store_db._migrations()
    broken = (99, "0099_broken.sql", "INSERT INTO queue_members (queue_id, agent_id) VALUES (7, 7);")
    monkeypatch.setattr(store_db, "_migrations", lambda: [*every, broken])
    with pytest.raises(RuntimeError, match="point nowhere"):
        open_store(tmp_path / "callbox.db")
    conn = connect(tmp_path / "callbox.db")
    assert store_db.schema_version(conn) == every[-1][0]
    assert conn.execute("SELECT COUNT(*) FROM queue_members").fetchone()[0] == 0


def test_a_deactivated_agent_keeps_their_history_and_leaves_everything_else(conn):
    made = _history(conn)
    agent_id = made["agent"]["id"]
    assert queries.deactivate_agent(conn, agent_id)
    assert not queries.deactivate_agent(conn, agent_id)              # once

    call = queries.get_call(conn, made["call"])
    assert (call["agent"], call["agent_name"], call["disposition_by"]) == ("1001", "Ann Agent", "1001")
    assert queries.get_user(conn, made["user"]["id"])["agent_id"] == agent_id
    assert queries.get_agent(conn, agent_id)["active"] is False
    assert queries.list_agents(conn) == []
    assert [a["id"] for a in queries.list_agents(conn, inactive=True)] == [agent_id]
    assert queries.agent_queue_ids(conn, agent_id) == [] and queries.logged_in_queue_ids(conn, agent_id) == []
    assert queries.get_agent_by_extension(conn, "1001") is None
    assert conn.execute("SELECT COUNT(*) FROM subscriber").fetchone()[0] == 0   # the edge refuses the phone


def test_a_new_agent_takes_a_deactivated_agents_extension_but_two_active_ones_cannot_share_it(conn):
    old = queries.create_agent(conn, "Ann Agent", "1001", "old-secret")
    queries.deactivate_agent(conn, old["id"])
    new = queries.create_agent(conn, "Bo Agent", "1001", "new-secret")
    assert new["id"] != old["id"]
    assert queries.get_agent_by_extension(conn, "1001")["id"] == new["id"]
    assert [tuple(r) for r in conn.execute("SELECT id, ha1 FROM subscriber")] == [
        (new["id"], queries.sip_ha1("1001", "new-secret"))]
    with pytest.raises(sqlite3.IntegrityError, match="agents.extension"):
        queries.create_agent(conn, "Cy Agent", "1001", "cy-secret")


def test_the_engine_routes_to_active_agents_only(conn):
    from firmware.acd import AgentState
    from firmware.engine.engine import Engine

    made = _history(conn)
    other = queries.create_agent(conn, "Bo Agent", "1002", "sip-secret")
    queries.add_queue_member(conn, made["queue"]["id"], other["id"])
    queries.login_agent(conn, other["id"], [made["queue"]["id"]])
    engine = Engine(BoxConfig.from_env(), connect(conn.execute("PRAGMA database_list").fetchone()[2],
                                                    group_commit=True))
    commit_pending(engine.store)
    assert set(engine.configuration.agents) == {made["agent"]["id"], other["id"]}

    queries.deactivate_agent(conn, made["agent"]["id"])
    engine.configuration.load()                                             # what the web's "reload" does
    assert set(engine.configuration.agents) == {other["id"]}
    assert engine.acd.agent(made["agent"]["id"]).state is AgentState.LOGGED_OUT
    assert engine.acd.agent(other["id"]).state is not AgentState.LOGGED_OUT


def test_a_deactivated_user_is_kept_and_the_admins_are_counted(conn):
    admin = queries.create_user(conn, "root", "hash", "admin")
    other = queries.create_user(conn, "boss", "hash", "admin")
    assert queries.count_active_admins(conn) == 2
    assert queries.deactivate_user(conn, other["id"], at=time.time())
    assert queries.count_active_admins(conn) == 1
    assert [u["username"] for u in queries.list_users(conn)] == ["root"]
    assert [u["username"] for u in queries.list_users(conn, inactive=True)] == ["root", "boss"]
    assert queries.get_user_by_name(conn, "boss")["deactivated_at"] is not None
    with pytest.raises(sqlite3.IntegrityError):
        queries.create_user(conn, "boss", "hash", "agent")          # the audit log names users by name
    assert admin["id"] != other["id"]
