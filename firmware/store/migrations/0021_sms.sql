-- SMS (issue 11, item 4, TEL11): the log of messages out and in. A message out is queued by whoever
-- sends it (the web or API, the engine's callback confirmation, the notifier's alarm notices) and
-- from then on written by the SMS service alone (firmware/sms/service.py, in the notifier process):
-- its attempts, the parts the modem accepted, their delivery reports. A message in is written by
-- the service once all its parts are there.
CREATE TABLE sms_messages (
    id               INTEGER PRIMARY KEY,
    direction        TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    number           TEXT NOT NULL,            -- the recipient (out) or the sender (in)
    text             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'undelivered', 'failed',
                                                     'received')),
    purpose          TEXT NOT NULL DEFAULT '', -- out: api, web, callback, alarm
    author           TEXT NOT NULL DEFAULT '', -- who asked: a user, "engine", "notifier"
    call_id          INTEGER REFERENCES calls(id),   -- a callback confirmation's call
    transport        TEXT NOT NULL DEFAULT '', -- modem or gateway, once tried
    sender           TEXT NOT NULL DEFAULT '', -- what the recipient sees as the sender, when known
    encoding         TEXT NOT NULL DEFAULT '', -- gsm7 or ucs2
    parts            INTEGER NOT NULL DEFAULT 1,
    concat_reference INTEGER NOT NULL DEFAULT 0,
    created_at       REAL NOT NULL,            -- queued, or received (in)
    sent_at          REAL,
    reported_at      REAL,                     -- the last delivery report
    report_status    INTEGER,                  -- its TP-ST (3GPP TS 23.040 9.2.3.15)
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  REAL NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sms_messages_created ON sms_messages(created_at);
CREATE INDEX sms_messages_due ON sms_messages(next_attempt_at) WHERE status = 'queued';

-- Each part of a message out that the modem accepted, with the TP-MR its report will name.
CREATE TABLE sms_parts (
    message_id     INTEGER NOT NULL REFERENCES sms_messages(id) ON DELETE CASCADE,
    part           INTEGER NOT NULL,
    reference      INTEGER NOT NULL,
    sent_at        REAL NOT NULL,
    report_status  INTEGER,
    reported_at    REAL,
    PRIMARY KEY (message_id, part)
);
CREATE INDEX sms_parts_unreported ON sms_parts(reference) WHERE reported_at IS NULL;

-- Parts of a concatenated message in, kept until the last one arrives (a restart loses none).
CREATE TABLE sms_fragments (
    sender       TEXT NOT NULL,
    reference    INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    sequence     INTEGER NOT NULL,
    text         TEXT NOT NULL,
    encoding     TEXT NOT NULL,
    received_at  REAL NOT NULL,
    PRIMARY KEY (sender, reference, total, sequence)
);
