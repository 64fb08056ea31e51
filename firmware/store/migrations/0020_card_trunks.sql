-- Trunk cards over serial (issue 11): a trunk of type `fxo` is an analog line through a V.253 voice
-- modem at `device` (a serial device, best a stable name such as /dev/serial/by-id/...), spoken to in
-- `dialect` (auto, conexant, usr, rockwell), answering for `number`: the inbound route with that
-- number takes its calls, as it takes a SIP trunk's calls to that number. Its `address` is empty.
-- SQLite cannot widen the type's CHECK in place, so the table is rebuilt (foreign keys are off while
-- migrating: calls keep their trunk_id); the edge's `address` view over it is made again.
CREATE TABLE trunks_new (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL CHECK (type IN ('peer', 'register', 'fxo')),
    address    TEXT NOT NULL,          -- host or host:port ('' for a card)
    username   TEXT,
    password   TEXT,                   -- needed in clear to answer the provider's digest challenge
    created_at REAL NOT NULL,
    dtmf       TEXT NOT NULL DEFAULT 'rfc4733' CHECK (dtmf IN ('rfc4733', 'inband')),
    device     TEXT,                   -- fxo: the modem's serial device
    dialect    TEXT CHECK (dialect IN ('auto', 'conexant', 'usr', 'rockwell')),
    number     TEXT                    -- fxo: the number the line answers for (an inbound route's)
);
INSERT INTO trunks_new (id, name, type, address, username, password, created_at, dtmf)
    SELECT id, name, type, address, username, password, created_at, dtmf FROM trunks;
DROP VIEW address;
DROP TABLE trunks;
ALTER TABLE trunks_new RENAME TO trunks;

CREATE VIEW address AS
    SELECT id, 1 AS grp, host AS ip_addr, 32 AS mask, port, name AS tag
    FROM (SELECT id, name,
                 CASE WHEN instr(address, ':') > 0 THEN substr(address, 1, instr(address, ':') - 1)
                      ELSE address END AS host,
                 CASE WHEN instr(address, ':') > 0 THEN CAST(substr(address, instr(address, ':') + 1) AS INTEGER)
                      ELSE 0 END AS port
          FROM trunks WHERE type != 'fxo')
    WHERE host GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*';
