-- Agents and users are deactivated, never erased (issue 8, finding 10): deleting an agent used to
-- take their name off every past call and classification and unlink their user. `deactivated_at`
-- (NULL: active) marks them gone for the edge, the engine, logins and lists, while history keeps
-- pointing at the row.
--
-- A new agent may take the extension of a deactivated one, so `extension` is unique among active
-- agents only: SQLite cannot drop the column's UNIQUE in place, so the table is rebuilt (db.migrate
-- runs migrations with foreign key enforcement off and checks the keys before committing, so the
-- rebuild neither cascades into the rows that point at agents nor leaves one dangling).
CREATE TABLE agents_new (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    extension      TEXT NOT NULL,
    sip_ha1        TEXT NOT NULL,
    created_at     REAL NOT NULL,
    settings       TEXT NOT NULL DEFAULT '{}',
    paused_reason  TEXT,
    deactivated_at REAL
);
INSERT INTO agents_new (id, name, extension, sip_ha1, created_at, settings, paused_reason)
    SELECT id, name, extension, sip_ha1, created_at, settings, paused_reason FROM agents;
DROP VIEW subscriber;
DROP TABLE agents;
ALTER TABLE agents_new RENAME TO agents;
CREATE UNIQUE INDEX agents_active_extension ON agents(extension) WHERE deactivated_at IS NULL;

-- The registrar's view: a deactivated agent's extension and password stop working at the edge.
CREATE VIEW subscriber AS
    SELECT id, extension AS username, '' AS domain, sip_ha1 AS password,
           sip_ha1 AS ha1, '' AS ha1b
    FROM agents WHERE deactivated_at IS NULL;

-- A user name stays taken after deactivation: the audit log names users by it.
ALTER TABLE users ADD COLUMN deactivated_at REAL;
