"""The words of alarm notices in the box's four languages (en, sv, de, zh).

The notices go to the addresses and numbers of the setting `alarm_notifications`, not to users, so
their language is that setting's `language` (chosen on the notifications page; English when unset).
The web's alarm list words alarms with the same tables, so a notice and the page say the same.
An alarm's detail is worded from its code and parameters (`alarms.detail_params`, written when the
ACD gave a firmware.message.Message); a detail without them is shown as it was stored.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from babel.numbers import format_percent

LANGUAGES = ("en", "sv", "de", "zh")     # the notices' languages (firmware.notify.config offers these)

NOTICES: dict[str, dict[str, str]] = {
    "en": {
        "raised_subject": "Callbox alarm: {alarm} on {subject}",
        "raised_text": "Callbox alarm {alarm} on {subject} since {at}: {detail}",
        "cleared_subject": "Callbox alarm cleared: {alarm} on {subject}",
        "cleared_text": "Callbox alarm {alarm} on {subject} cleared at {at}{reason}",
        "reason": " ({reason})",
        "queue": "queue {name}",
        "agent": "agent {extension} ({name})",
    },
    "sv": {
        "raised_subject": "Callbox-larm: {alarm} – {subject}",
        "raised_text": "Callbox-larm: {alarm} – {subject} sedan kl. {at}: {detail}",
        "cleared_subject": "Callbox-larm återställt: {alarm} – {subject}",
        "cleared_text": "Callbox-larm: {alarm} – {subject} återställt kl. {at}{reason}",
        "reason": " ({reason})",
        "queue": "kö {name}",
        "agent": "agent {extension} ({name})",
    },
    "de": {
        "raised_subject": "Callbox-Alarm: {alarm} – {subject}",
        "raised_text": "Callbox-Alarm: {alarm} – {subject} seit {at} Uhr: {detail}",
        "cleared_subject": "Callbox-Alarm aufgehoben: {alarm} – {subject}",
        "cleared_text": "Callbox-Alarm: {alarm} – {subject} um {at} Uhr aufgehoben{reason}",
        "reason": " ({reason})",
        "queue": "Warteschlange {name}",
        "agent": "Agent {extension} ({name})",
    },
    "zh": {
        "raised_subject": "Callbox 告警：{subject} {alarm}",
        "raised_text": "Callbox 告警：{subject} {alarm}，自 {at} 起：{detail}",
        "cleared_subject": "Callbox 告警已解除：{subject} {alarm}",
        "cleared_text": "Callbox 告警：{subject} {alarm}，已于 {at} 解除{reason}",
        "reason": "（{reason}）",
        "queue": "队列 {name}",
        "agent": "坐席 {extension}（{name}）",
    },
}

# English keeps the alarm's own name (what the logs and the API say).
ALARM_NAMES: dict[str, dict[str, str]] = {
    "en": {},
    "sv": {"few-agents": "för få agenter", "long-wait": "lång väntetid",
           "service-level-at-risk": "servicenivån i fara", "pause-too-long": "för lång paus",
           "state-repaired": "tillstånd reparerat", "disk-full": "datapartitionen nästan full"},
    "de": {"few-agents": "zu wenige Agenten", "long-wait": "lange Wartezeit",
           "service-level-at-risk": "Servicelevel gefährdet", "pause-too-long": "Pause zu lang",
           "state-repaired": "Zustand repariert", "disk-full": "Datenpartition fast voll"},
    "zh": {"few-agents": "坐席不足", "long-wait": "等待时间过长", "service-level-at-risk": "服务水平告急",
           "pause-too-long": "暂停时间过长", "state-repaired": "状态已修复", "disk-full": "数据分区将满"},
}

# Details by the code the ACD gave them (firmware/acd/core.py; disk-full: firmware/engine/disk_guard.py);
# `level` is a fraction.
DETAILS: dict[str, dict[str, str]] = {
    "en": {"few-agents": "{agents} agents logged in", "long-wait": "longest wait {seconds} s",
           "service-level-at-risk": "predicted service level {level}", "pause-too-long": "paused ({reason}) for {seconds} s",
           "disk-full": "data partition {percent}% full, {free_mb} MB free"},
    "sv": {"few-agents": "{agents} agenter inloggade", "long-wait": "längsta väntetid {seconds} s",
           "service-level-at-risk": "förväntad servicenivå {level}", "pause-too-long": "pausad ({reason}) i {seconds} s",
           "disk-full": "datapartitionen {percent} % full, {free_mb} MB ledigt"},
    "de": {"few-agents": "{agents} Agenten angemeldet", "long-wait": "längste Wartezeit {seconds} s",
           "service-level-at-risk": "erwarteter Servicelevel {level}", "pause-too-long": "pausiert ({reason}) seit {seconds} s",
           "disk-full": "Datenpartition zu {percent} % belegt, {free_mb} MB frei"},
    "zh": {"few-agents": "已登录坐席 {agents} 名", "long-wait": "最长等待 {seconds} 秒",
           "service-level-at-risk": "预计服务水平 {level}", "pause-too-long": "暂停（{reason}）已 {seconds} 秒",
           "disk-full": "数据分区已用 {percent}%，剩余 {free_mb} MB"},
}

# The box's default pause reasons (an alarm's `reason`); reasons an admin made are shown as made.
REASONS: dict[str, dict[str, str]] = {
    "en": {},
    "sv": {"break": "rast", "lunch": "lunch", "meeting": "möte", "training": "utbildning", "admin": "administration",
           "no-answer": "missade samtal"},
    "de": {"break": "Pause", "lunch": "Mittagspause", "meeting": "Besprechung", "training": "Schulung",
           "admin": "Verwaltung", "no-answer": "nicht angenommen"},
    "zh": {"break": "休息", "lunch": "午餐", "meeting": "会议", "training": "培训", "admin": "行政事务",
           "no-answer": "未接听"},
}

# Details the engine writes as text (firmware/engine), worded by their English.
KNOWN_TEXTS: dict[str, dict[str, str]] = {
    "sv": {"not raised again after the engine restarted": "inte utlöst igen efter omstarten av motorn"},
    "de": {"not raised again after the engine restarted": "nach dem Neustart der Engine nicht erneut ausgelöst"},
    "zh": {"not raised again after the engine restarted": "引擎重启后未再次触发"},
}


def language_or_english(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def alarm_name(name: str, language: str) -> str:
    """ "pause-too-long:3" (the ACD keys it by agent) -> "för lång paus"; English: "pause-too-long"."""
    base = name.split(":")[0]
    return ALARM_NAMES[language_or_english(language)].get(base, base)


def known_text(text: str, language: str) -> str:
    return KNOWN_TEXTS.get(language_or_english(language), {}).get(text, text)


def detail(alarm: dict[str, Any], language: str) -> str:
    """The alarm's detail in `language`, from its code and parameters when it has them."""
    language = language_or_english(language)
    try:
        coded = json.loads(alarm.get("detail_params") or "null")
        template = DETAILS[language][coded["code"]]
        params = dict(coded["params"])
        if "level" in params:
            params["level"] = format_percent(params["level"], locale=language)
        if "reason" in params:
            params["reason"] = REASONS[language].get(params["reason"], params["reason"])
        return template.format(**params)
    except (TypeError, KeyError, ValueError):
        return known_text(alarm["detail"], language)


def notice(alarm: dict[str, Any], kind: str, subject_name: str, language: str = "en") -> tuple[str, str]:
    """(mail subject, text) of a notice in `language`; the text is also the SMS. `subject_name` is
    already worded (`subject`)."""
    words = NOTICES[language_or_english(language)]
    at = dt.datetime.fromtimestamp(alarm["raised_at" if kind == "raised" else "cleared_at"]).strftime("%H:%M")
    values = {"alarm": alarm_name(alarm["name"], language), "subject": subject_name, "at": at}
    if kind == "raised":
        return (words["raised_subject"].format(**values),
                words["raised_text"].format(**values, detail=detail(alarm, language)))
    cleared = alarm.get("cleared_detail") or ""
    reason = words["reason"].format(reason=known_text(cleared, language)) if cleared else ""
    return words["cleared_subject"].format(**values), words["cleared_text"].format(**values, reason=reason)


def subject(kind: str, language: str, **values: Any) -> str:
    """ "queue" (name) or "agent" (extension, name) in `language`."""
    return NOTICES[language_or_english(language)][kind].format(**values)
