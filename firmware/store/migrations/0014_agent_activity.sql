-- An agent's time as reports count it (ACD10): logins, logouts, and pauses with their reason and
-- whether that reason was billable then. Written by the engine from the ACD's AgentActivity; a
-- login or pause the previous engine left open is closed at the next start ("engine-restart").
CREATE TABLE agent_activity (
    id       INTEGER PRIMARY KEY,
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    activity TEXT NOT NULL,                 -- login, logout, pause, pause-end
    reason   TEXT NOT NULL DEFAULT '',
    billable INTEGER NOT NULL DEFAULT 0,
    at       REAL NOT NULL
);
CREATE INDEX agent_activity_by_agent ON agent_activity(agent_id, at);
