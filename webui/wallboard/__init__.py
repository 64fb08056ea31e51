"""The supervisor's window (issue 12): the event log's API and export, and the wallboard."""
