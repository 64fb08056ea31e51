"""Alarm notices (ACD15) by e-mail and SMS: the `callbox notifier` process reads the alarms the
engine keeps in the store and delivers each one raised and cleared, retrying until it is out."""
