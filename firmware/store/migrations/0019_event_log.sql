-- The event log (issue 12, item 1): one append-only row per thing that happens to a call in a queue
-- or to an agent, from which the wallboard and every report are derived, and which is exported as
-- Asterisk's queue_log. Written by the engine only (firmware/engine/call_record.py for calls,
-- Configuration.keep_activity for agents), in its loop's group-commit transaction.
-- `id` is the order of writing (after_id pages on it); `at` is epoch seconds (wall clock).
-- `data` is a JSON object whose keys depend on the event (firmware/store/events.py says which).
-- No foreign keys: the log outlives the rows it names, and must never be rewritten by a cascade.
CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    at       REAL NOT NULL,
    event    TEXT NOT NULL CHECK (event IN ('enter', 'ring', 'noanswer', 'answer', 'abandon', 'complete',
                                            'transfer', 'overflow', 'callback', 'fail', 'login', 'logout',
                                            'join', 'leave', 'pause', 'unpause', 'wrapup', 'wrapup-end')),
    call_id  INTEGER,
    queue_id INTEGER,
    agent_id INTEGER,
    data     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_call ON events(call_id) WHERE call_id IS NOT NULL;
CREATE INDEX events_agent ON events(agent_id, at) WHERE agent_id IS NOT NULL;
-- Append-only: nothing changes or removes a row once written.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

-- The wallboard's kiosk links (issue 12, item 2): a read-only token in a TV's URL shows the wallboard
-- and nothing else. Created by an admin, revocable; only the token's SHA-256 is kept.
CREATE TABLE wallboard_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at REAL
);
