"""Queues and their members: pages, API resources, service (the writes) and the rules form."""
