-- Caller priority (ACD8) by the number dialled: calls to a route with a higher priority are served
-- before the others waiting in the same queue (a VIP line, a partner hotline).
ALTER TABLE inbound_routes ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
