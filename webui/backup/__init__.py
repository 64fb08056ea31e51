"""Backup and restore on the web: the download, the upload to restore, the schedule of copies."""
