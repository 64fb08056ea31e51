"""The installer's console: a numbered menu on the serial port (`callbox console`)."""
