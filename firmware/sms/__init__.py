"""SMS (TEL11): a GSM modem driven by 3GPP TS 27.005 AT commands over a serial line, or the HTTP
gateway; the queue of messages out and in (firmware.sms.service), and a modem simulator behind a
pseudo-terminal (`callbox card-sim gsm`). docs/sms.md tells the whole story."""
