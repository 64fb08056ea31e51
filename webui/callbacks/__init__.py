"""The callback list (ACD14): page, API resources and service."""
