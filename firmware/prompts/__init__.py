"""Prompts shared by the engine and the web: the catalogue of names and texts (no rendering here)."""
