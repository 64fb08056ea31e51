-- An agent's pause (ACD10) outlives the engine: the reason they paused for (or the ACD's automatic
-- pause after missed offers), NULL when they are not paused. Restored into the ACD at start.
ALTER TABLE agents ADD COLUMN paused_reason TEXT;
