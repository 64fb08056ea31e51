-- The callback list survives the engine: a callback is written when the caller asks for it and kept
-- up to date; at start the engine puts the open ones back in the ACD, in their original place.
CREATE TABLE callbacks (
    call_id      INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    queue_id     INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    number       TEXT NOT NULL,
    caller_input TEXT NOT NULL DEFAULT '',
    requested_at REAL NOT NULL,
    arrived_at   REAL NOT NULL,          -- when the caller first called: their place in the queue
    forced       INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'waiting',
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_handler INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    log          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX callbacks_open ON callbacks(status) WHERE status IN ('waiting', 'calling', 'connecting', 'no-answer');
