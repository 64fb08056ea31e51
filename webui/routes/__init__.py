"""Inbound routes (a DID to a queue): page, API resources and service (the writes)."""
