"""Backup and restore (issue 10, item 5; APP5): one file with the database, the configuration, the
uploaded sounds and, if asked, the recordings.

`manifest` is pure (names, versions, member checks); `crypto` the passphrase encryption; `archive`
writes and reads the file as a stream; `restore` stages a backup beside the live data and swaps it
in (power-cut safe); `schedule` the scheduled copies to a folder or USB stick; `console_item` the
console's "Restore a backup".
"""
