"""Agents: their pages, API resources, service (the writes) and the form of their own rules."""
