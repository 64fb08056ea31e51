-- An agent's own routing rules as a JSON object checked by firmware.acd.settings.parse_agent_settings:
-- skills with their levels, a wrap-up of their own, and pauses after an offer they missed.
ALTER TABLE agents ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
