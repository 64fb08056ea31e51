-- Recordings' retention (issue 10, item 8): a recording's file removed by retention keeps its row,
-- so the call's record still says it was recorded, and when and why the file went.
ALTER TABLE recordings ADD COLUMN removed_at REAL;
ALTER TABLE recordings ADD COLUMN removed_reason TEXT;
CREATE INDEX recordings_kept ON recordings(started_at) WHERE removed_at IS NULL;
