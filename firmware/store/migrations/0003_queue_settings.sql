-- Queue rules (overflow, callbacks, wrap-up, ...) as a JSON object checked by firmware.acd.settings;
-- calls remember the digits the caller keyed and which call a callback answers; queue events gain
-- the overflow and callback steps.

ALTER TABLE queues ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

ALTER TABLE calls ADD COLUMN caller_input TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN direction TEXT NOT NULL DEFAULT 'inbound';
ALTER TABLE calls ADD COLUMN callback_of INTEGER REFERENCES calls(id) ON DELETE SET NULL;

-- SQLite cannot widen a CHECK constraint in place: the table is rebuilt.
CREATE TABLE queue_events_new (
    id       INTEGER PRIMARY KEY,
    call_id  INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    queue_id INTEGER,
    agent_id INTEGER,
    event    TEXT NOT NULL CHECK (event IN ('enter', 'ring', 'noanswer', 'answer', 'abandon', 'complete', 'fail',
                                            'overflow', 'callback')),
    at       REAL NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
INSERT INTO queue_events_new SELECT * FROM queue_events;
DROP TABLE queue_events;
ALTER TABLE queue_events_new RENAME TO queue_events;
CREATE INDEX queue_events_call ON queue_events(call_id);
