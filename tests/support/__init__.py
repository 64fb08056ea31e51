"""Helpers for integration tests: free ports, a running kamailio, SIPp runs, raw SIP messages."""
