-- The first schema: users and access, the telephony configuration, and what calls leave behind.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    agent_id      INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  REAL,
    created_at    REAL NOT NULL
);

-- Bearer tokens for the REST API; only a hash of the token is kept.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    label      TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     REAL NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Agents and their SIP credentials. Only the digest HA1 (md5(user:realm:password)) is stored,
-- which is what kamailio's auth_db needs; the plain password is never kept.
CREATE TABLE agents (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    extension  TEXT NOT NULL UNIQUE,
    sip_ha1    TEXT NOT NULL,
    created_at REAL NOT NULL
);

-- The registrar's view of the agents, in the shape kamailio's auth_db reads.
CREATE VIEW subscriber AS
    SELECT id, extension AS username, '' AS domain, sip_ha1 AS password,
           sip_ha1 AS ha1, '' AS ha1b
    FROM agents;

CREATE TABLE queues (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    strategy   TEXT NOT NULL DEFAULT 'longest-idle',
    ring_timeout_seconds INTEGER NOT NULL DEFAULT 15,
    created_at REAL NOT NULL
);

CREATE TABLE queue_members (
    queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    PRIMARY KEY (queue_id, agent_id)
);

-- Which agent is logged in to which queue; survives an engine restart.
CREATE TABLE agent_logins (
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    since    REAL NOT NULL,
    PRIMARY KEY (agent_id, queue_id)
);

CREATE TABLE trunks (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL CHECK (type IN ('peer', 'register')),
    address    TEXT NOT NULL,          -- host or host:port
    username   TEXT,
    password   TEXT,                   -- needed in clear to answer the provider's digest challenge
    created_at REAL NOT NULL
);

CREATE TABLE inbound_routes (
    id         INTEGER PRIMARY KEY,
    did        TEXT NOT NULL UNIQUE,
    queue_id   INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    created_at REAL NOT NULL
);

CREATE TABLE recordings (
    id               INTEGER PRIMARY KEY,
    call_id          INTEGER NOT NULL,
    path             TEXT NOT NULL,     -- relative to the data directory
    channels         INTEGER NOT NULL DEFAULT 1,
    started_at       REAL NOT NULL,
    duration_seconds REAL,
    bytes            INTEGER
);

-- One row per call. Written when the call arrives (outcome NULL while it lives) and closed at its end,
-- so a call that the engine loses in a crash is still there to be closed with a cause.
CREATE TABLE calls (
    id           INTEGER PRIMARY KEY,
    sip_call_id  TEXT,
    caller       TEXT NOT NULL,
    callee       TEXT NOT NULL,
    trunk_id     INTEGER REFERENCES trunks(id) ON DELETE SET NULL,
    queue_id     INTEGER REFERENCES queues(id) ON DELETE SET NULL,
    agent_id     INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    started_at   REAL NOT NULL,
    queued_at    REAL,
    answered_at  REAL,
    ended_at     REAL,
    wait_seconds REAL,
    talk_seconds REAL,
    outcome      TEXT CHECK (outcome IN ('answered', 'abandoned', 'overflowed', 'failed')),
    cause        TEXT,
    recording_id INTEGER REFERENCES recordings(id) ON DELETE SET NULL
);
CREATE INDEX calls_started ON calls(started_at);
CREATE INDEX calls_open ON calls(outcome) WHERE outcome IS NULL;

-- One row per state change of a call in a queue.
CREATE TABLE queue_events (
    id       INTEGER PRIMARY KEY,
    call_id  INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    queue_id INTEGER,
    agent_id INTEGER,
    event    TEXT NOT NULL CHECK (event IN ('enter', 'ring', 'noanswer', 'answer', 'abandon', 'complete', 'fail')),
    at       REAL NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX queue_events_call ON queue_events(call_id);
