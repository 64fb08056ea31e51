"""The alarms list (ACD15): open alarms first, then past ones, as the engine keeps them in the store
(so the list works while the engine is down), with whether each notice went out. Supervisors and up.
The page words each alarm in its reader's language with the notices' own words (firmware/notify/texts.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from firmware.notify import texts
from firmware.store import queries
from webui.access import requires
from webui.alarms.service import LIST_LIMIT, alarm_row
from webui.db import get_db
from webui.i18n import language

bp = Blueprint("alarms", __name__, template_folder="templates")


def _subject_names(conn, words: str) -> dict[str, str]:
    """ "queue 3" -> "kö Support", "agent 2" -> "Agent 1002 (Bo)": the store names subjects by id."""
    names = {f"queue {q['id']}": texts.subject("queue", words, name=q["name"]) for q in queries.list_queues(conn)}
    names.update({f"agent {a['id']}": texts.subject("agent", words, extension=a["extension"], name=a["name"])
                  for a in queries.list_agents(conn, inactive=True)})
    return names


def _worded(alarm: dict[str, Any], names: dict[str, str], words: str) -> dict[str, Any]:
    row = alarm_row(alarm, names)
    row.update(name=texts.alarm_name(alarm["name"], words), detail=texts.detail(alarm, words),
               cleared_detail=texts.known_text(alarm["cleared_detail"], words))
    return row


@bp.get("/alarms")
@requires("supervisor")
def alarms():
    conn = get_db()
    words = language()
    names = _subject_names(conn, words)
    rows = [_worded(alarm, names, words) for alarm in queries.list_alarms(conn, limit=LIST_LIMIT)]
    return render_template("alarms/list.html", open_alarms=[r for r in rows if r["open"]],
                           past_alarms=[r for r in rows if not r["open"]])
