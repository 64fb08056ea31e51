"""Alarms (ACD15): page, API resource and the rows both show."""
