"""Plain-line input and output on a serial tty (VT100 at 115200 8N1, or a pseudo-terminal).

No curses and no escape sequences: every prompt is one line, every answer one line. Whatever
arrives is hostile (line noise, a terminal sending arrow-key escapes, a paste of megabytes, bytes
that are not UTF-8): `Terminal.ask` turns each of those into a `BadInput` with a message for the
installer, and Ctrl-C or Ctrl-D into `Cancelled`, so the menu can answer and carry on.
"""

from __future__ import annotations

import errno
import os
import sys
import termios
import time
import unicodedata
from typing import BinaryIO, TextIO

MAX_LINE = 256              # nothing the console asks for is longer; the tty itself caps lines at 4095
MAX_EOFS_IN_A_ROW = 3       # a hung-up line reads as end-of-file forever: then leave


class BadInput(ValueError):
    """The line cannot be used; the message says why, for the installer."""


class Cancelled(Exception):
    """Ctrl-C or Ctrl-D at a prompt: back to the menu."""


class LineGone(Exception):
    """The terminal went away (hang-up, closed pseudo-terminal, stdin at its end)."""


class Terminal:
    def __init__(self, stdin: BinaryIO | None = None, stdout: TextIO | None = None):
        self.stdin = stdin or sys.stdin.buffer
        self.stdout = stdout or sys.stdout
        self._eofs = 0
        self._last_answer_at = time.monotonic()
        self.idle_before_answer = 0.0       # seconds between the answer before the last one and the last

    def say(self, text: str = "") -> None:
        # A serial VT100 wants CR LF; the tty's output processing (onlcr) adds the CR.
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        """One line typed by the installer, stripped of surrounding blanks.

        Raises BadInput (with the reason), Cancelled (Ctrl-C, Ctrl-D) or LineGone."""
        with _echo_off(self.stdin) if secret else _nothing():
            try:
                # The prompt inside: a Ctrl-C typed as soon as it shows is a cancel here too.
                self.stdout.write(prompt)
                self.stdout.flush()
                raw = self._read_line()
            except KeyboardInterrupt:
                self.say()
                raise Cancelled("cancelled (Ctrl-C)") from None
        if secret:
            self.say()          # the Enter the installer typed was not echoed
        now = time.monotonic()
        self.idle_before_answer, self._last_answer_at = now - self._last_answer_at, now
        return decode_line(raw)

    def _read_line(self) -> bytes:
        try:
            raw = self.stdin.readline(MAX_LINE + 1)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EBADF, errno.ENXIO):
                raise LineGone(str(exc)) from exc
            raise
        if raw == b"":
            self._eofs += 1
            interactive = _isatty(self.stdin)
            if not interactive or self._eofs >= MAX_EOFS_IN_A_ROW:
                raise LineGone("end of input")
            self.say()
            raise Cancelled("cancelled (Ctrl-D)")
        self._eofs = 0
        if not raw.endswith(b"\n") and len(raw) > MAX_LINE:
            self._drain_line()
            raise BadInput(f"that line is too long (at most {MAX_LINE} characters)")
        return raw

    def _drain_line(self) -> None:
        while True:
            rest = self.stdin.readline(4096)
            if rest == b"" or rest.endswith(b"\n"):
                return


def decode_line(raw: bytes) -> str:
    """The text of one line read from the tty; BadInput if it is not plain UTF-8 text."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("that line is not valid UTF-8 text; type plain characters") from None
    text = text.rstrip("\r\n")
    for char in text:
        if char == "\x1b":
            raise BadInput("escape sequences (arrow or function keys) are not accepted; type the answer")
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char != "\t":
            raise BadInput(f"control character U+{ord(char):04X} is not accepted")
    return text.strip()


def _isatty(stream) -> bool:
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _echo_off:
    """Turns the tty's echo off while a password is typed (and back on, whatever happens)."""

    def __init__(self, stream):
        self.fd = stream.fileno() if _isatty(stream) else None
        self.saved = None

    def __enter__(self):
        if self.fd is not None:
            self.saved = termios.tcgetattr(self.fd)
            quiet = termios.tcgetattr(self.fd)
            quiet[3] &= ~termios.ECHO
            termios.tcsetattr(self.fd, termios.TCSADRAIN, quiet)
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        return False
