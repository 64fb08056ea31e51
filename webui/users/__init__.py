"""Web users and the audit log: pages and service (the writes)."""
