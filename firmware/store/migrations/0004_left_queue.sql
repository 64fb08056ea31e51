-- When a call left its queue without an agent (overflow, callback): its wait ends there, not when
-- the last message has played.
ALTER TABLE calls ADD COLUMN left_queue_at REAL;
