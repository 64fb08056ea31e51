-- The edge trusts the addresses of configured trunks: kamailio's permissions module reads them from
-- `address`, here a view over the trunks (IPv4 hosts only; a trunk given by name is not matched).
-- A provider sends all its calls from one address, which flood detection would otherwise ban.

-- kamailio checks the schema version of the tables it reads.
CREATE TABLE version (
    id            INTEGER PRIMARY KEY,
    table_name    VARCHAR(32) NOT NULL UNIQUE,
    table_version INTEGER DEFAULT 0 NOT NULL
);
INSERT INTO version (table_name, table_version) VALUES ('address', 6);

CREATE VIEW address AS
    SELECT id, 1 AS grp, host AS ip_addr, 32 AS mask, port, name AS tag
    FROM (SELECT id, name,
                 CASE WHEN instr(address, ':') > 0 THEN substr(address, 1, instr(address, ':') - 1)
                      ELSE address END AS host,
                 CASE WHEN instr(address, ':') > 0 THEN CAST(substr(address, instr(address, ':') + 1) AS INTEGER)
                      ELSE 0 END AS port
          FROM trunks)
    WHERE host GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*';
