"""The live board and agent desk, the live status and conferences: pages over SSE and API resources."""
