"""Callbox: the firmware of an on-premise call-center appliance."""
