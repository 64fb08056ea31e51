-- Four languages (issue 9, item 8). A user's own language for the web's pages (NULL: as their
-- browser asks, by Accept-Language). An alarm's detail as its code and parameters (JSON:
-- {"code": "few-agents", "params": {"agents": 0}}) beside the English text, so its notices and
-- the alarm list can word it in their reader's language; NULL for details that have no code.
ALTER TABLE users ADD COLUMN language TEXT CHECK (language IN ('en', 'sv', 'de', 'zh'));
ALTER TABLE alarms ADD COLUMN detail_params TEXT;
