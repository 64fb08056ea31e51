-- Alarms (ACD15) as they were raised and cleared by the engine, so the notifier can send them by
-- e-mail and SMS, retrying until each of its two notices (raised, cleared) is out, and so the web
-- can list them. One open row (cleared_at NULL) per alarm name and subject at a time.
CREATE TABLE alarms (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,            -- few-agents, long-wait, sl-at-risk, ...
    subject           TEXT NOT NULL,            -- "queue 3"
    detail            TEXT NOT NULL DEFAULT '',
    raised_at         REAL NOT NULL,
    cleared_at        REAL,
    cleared_detail    TEXT NOT NULL DEFAULT '',
    raise_sent_at     REAL,                     -- the notices, once delivered (or nobody to tell)
    clear_sent_at     REAL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   REAL NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX alarms_one_open ON alarms(name, subject) WHERE cleared_at IS NULL;
CREATE INDEX alarms_unsent ON alarms(next_attempt_at)
    WHERE raise_sent_at IS NULL OR (cleared_at IS NOT NULL AND clear_sent_at IS NULL);
