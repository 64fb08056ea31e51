"""SMS (TEL11): the log of messages out and in, sending one, and how the box sends (firmware/sms)."""
