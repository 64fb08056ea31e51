-- Failed logins are counted per source address, not per account (issue 8, finding 12): a lock per
-- account let anyone keep the admin out by failing five times, and its message told which names
-- exist. An address that keeps failing waits longer and longer before its next try; the counts are
-- here because gunicorn runs several workers, each with its own memory.
CREATE TABLE login_failures (
    address        TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failed_at REAL NOT NULL,
    blocked_until  REAL NOT NULL       -- no password is checked for this address before then
);

ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
