-- queues.ring_timeout_seconds was never read: a queue's ring timeout is its rule `ring_timeout`
-- (queues.settings, unset: the ACD's 15 s). A column the API showed and nothing obeyed goes.
ALTER TABLE queues DROP COLUMN ring_timeout_seconds;
