-- How a trunk sends keys: RFC 4733 telephone events, or in-band tones that the media hub detects.
ALTER TABLE trunks ADD COLUMN dtmf TEXT NOT NULL DEFAULT 'rfc4733' CHECK (dtmf IN ('rfc4733', 'inband'));
