"""Firmware updates: the admin's page and API (upload a bundle, the slots and the last result,
the update address, "check now"). The work is firmware.update's; this is its window."""
