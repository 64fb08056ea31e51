-- How the agent classified the call (ACD12): a code of the box's setting `dispositions`, an
-- optional note, who classified it and when. Classifying again replaces it (the audit log keeps each).
ALTER TABLE calls ADD COLUMN disposition TEXT;
ALTER TABLE calls ADD COLUMN disposition_note TEXT;
ALTER TABLE calls ADD COLUMN disposition_by INTEGER REFERENCES agents(id) ON DELETE SET NULL;
ALTER TABLE calls ADD COLUMN disposition_at REAL;
