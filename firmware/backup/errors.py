"""Why a backup cannot be made or restored: each refusal is one sentence an installer can act on."""

from __future__ import annotations


class BackupError(Exception):
    """A backup refused or failed; str() is the message for the console, the web and the log."""


class WrongPassphrase(BackupError):
    pass


class DamagedBackup(BackupError):
    """Cut short, altered, or not a Callbox backup at all."""


class UnsafeMember(DamagedBackup):
    """A member the box would not write: a link, an absolute path, `..`, too large, too many."""


class NewerBackup(BackupError):
    """Made by a newer firmware: restoring it here would mean running data this firmware does not know."""
