"""The alarms (ACD15) as the page and the API show them: open first, then past ones, each subject
named, with whether its notice went out."""

from __future__ import annotations

from typing import Any

from firmware.store import queries

LIST_LIMIT = 200


def subject_names(conn) -> dict[str, str]:
    """ "queue 3" -> "queue Support", "agent 2" -> "agent 1002 (Bo)": the store names subjects by id."""
    names = {f"queue {q['id']}": f"queue {q['name']}" for q in queries.list_queues(conn)}
    names.update({f"agent {a['id']}": f"agent {a['extension']} ({a['name']})" for a in queries.list_agents(conn, inactive=True)})
    return names


def _notice_pending(alarm: dict[str, Any]) -> bool:
    return alarm["raise_sent_at"] is None or (alarm["cleared_at"] is not None and alarm["clear_sent_at"] is None)


def alarm_row(alarm: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """One alarm as the page and the API show it; the retry time only while a notice is failing."""
    failing = _notice_pending(alarm) and alarm["attempts"] > 0
    return {
        "id": alarm["id"], "name": alarm["name"], "subject": alarm["subject"],
        "subject_name": names.get(alarm["subject"], alarm["subject"]), "detail": alarm["detail"],
        "open": alarm["cleared_at"] is None, "raised_at": alarm["raised_at"], "cleared_at": alarm["cleared_at"],
        "cleared_detail": alarm["cleared_detail"], "raise_sent_at": alarm["raise_sent_at"],
        "clear_sent_at": alarm["clear_sent_at"], "attempts": alarm["attempts"], "last_error": alarm["last_error"],
        "next_attempt_at": alarm["next_attempt_at"] if failing else None,
    }


def alarm_rows(conn, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """Open alarms first (newest first), then past ones (newest first)."""
    names = subject_names(conn)
    return [alarm_row(a, names) for a in queries.list_alarms(conn, limit=limit)]
