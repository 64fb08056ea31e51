"""SIP trunks: page, API resources and service (the writes)."""
