"""The wallboard's figures (STAT1), per queue and in total, from the day's event log and the engine's
live status. Pure: events, the live status (firmware/live_status.py), the queues' thresholds and the
settings in; figures out. docs/kpi.md defines each figure in words, as computed here.

`DayLog` is fed the day's events in the order written (it may be fed more as they come: the web keeps
one per process and reads only the new rows), `figures` combines it with a live status.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

SHORT_ABANDON_SECONDS = 5.0
DEFAULT_SL_TARGET = 20.0          # the ACD's default (firmware/acd/config.py AlarmPolicy.sl_target)

# Figures that take a colour, and the default thresholds. A threshold is {"amber": a, "red": r}: when
# red >= amber a higher value is worse (waiting), else a lower one is (service level).
COLOURED = ("waiting", "longest_wait_seconds", "service_level", "abandoned", "average_wait_seconds",
            "agents_idle")
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "waiting": {"amber": 3, "red": 6},
    "longest_wait_seconds": {"amber": 60, "red": 120},
    "service_level": {"amber": 0.8, "red": 0.6},
}
SETTING_FIELDS = ("day_starts_at", "short_abandon_seconds", "thresholds", "queues")
AGENT_STATES = ("idle", "ringing", "busy", "wrap-up", "paused", "unavailable", "logged-out")


class WallboardSettingsError(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class WallboardSettings:
    day_starts_at: int = 0                          # hour of the day (box local time) "today" starts at
    short_abandon_seconds: float = SHORT_ABANDON_SECONDS
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_THRESHOLDS)
    queue_thresholds: Mapping[int, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)

    def thresholds_of(self, queue_id: int | None) -> dict[str, Mapping[str, float]]:
        own = self.queue_thresholds.get(queue_id, {}) if queue_id is not None else {}
        return {**self.thresholds, **own}

    def as_json(self) -> dict[str, Any]:
        return {"day_starts_at": self.day_starts_at, "short_abandon_seconds": self.short_abandon_seconds,
                "thresholds": {k: dict(v) for k, v in self.thresholds.items()},
                "queues": {str(q): {"thresholds": {k: dict(v) for k, v in t.items()}}
                           for q, t in sorted(self.queue_thresholds.items())}}


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise WallboardSettingsError(name, f"must be a number from {low:g} to {high:g}")
    return float(value)


def _thresholds(value: Any, name: str) -> dict[str, dict[str, float]]:
    if not isinstance(value, dict):
        raise WallboardSettingsError(name, "must be an object of figures")
    parsed = {}
    for figure, threshold in value.items():
        where = f"{name}.{figure}"
        if figure not in COLOURED:
            raise WallboardSettingsError(where, f"must be one of {', '.join(COLOURED)}")
        if not isinstance(threshold, dict) or set(threshold) != {"amber", "red"}:
            raise WallboardSettingsError(where, "must be {\"amber\": number, \"red\": number}")
        high = 1.0 if figure == "service_level" else 86400.0
        parsed[figure] = {k: _number(threshold[k], f"{where}.{k}", 0, high) for k in ("amber", "red")}
    return parsed


def parse_settings(value: Any) -> WallboardSettings:
    """The box setting `wallboard` (JSON); missing keys take their defaults, unknown ones are refused."""
    if value is None:
        return WallboardSettings()
    if not isinstance(value, dict):
        raise WallboardSettingsError("wallboard", "must be an object")
    unknown = set(value) - set(SETTING_FIELDS)
    if unknown:
        raise WallboardSettingsError(sorted(unknown)[0], "is not a wallboard setting")
    hour = value.get("day_starts_at", 0)
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise WallboardSettingsError("day_starts_at", "must be an hour from 0 to 23")
    short = _number(value.get("short_abandon_seconds", SHORT_ABANDON_SECONDS), "short_abandon_seconds", 0, 600)
    thresholds = {**DEFAULT_THRESHOLDS, **_thresholds(value.get("thresholds", {}), "thresholds")}
    queues = value.get("queues", {})
    if not isinstance(queues, dict):
        raise WallboardSettingsError("queues", "must be an object of queue ids")
    per_queue = {}
    for key, own in queues.items():
        if not (isinstance(key, str) and key.isdigit() and 0 < int(key) < 2**63):
            raise WallboardSettingsError(f"queues.{key}", "must be a queue id")
        if not isinstance(own, dict) or set(own) - {"thresholds"}:
            raise WallboardSettingsError(f"queues.{key}", "must be {\"thresholds\": {...}}")
        per_queue[int(key)] = _thresholds(own.get("thresholds", {}), f"queues.{key}.thresholds")
    return WallboardSettings(hour, short, thresholds, per_queue)


def day_start(now: float, hour: int = 0) -> float:
    """When "today" began: the last time the box's local clock read `hour`:00 (midnight by default; a
    24-hour center may start its day at 06:00)."""
    local = datetime.fromtimestamp(now)
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if start > local:
        start -= timedelta(days=1)
    return start.timestamp()


def colour(value: float | None, threshold: Mapping[str, float] | None) -> str | None:
    if value is None or threshold is None:
        return None
    amber, red = threshold["amber"], threshold["red"]
    if red >= amber:
        return "red" if value >= red else "amber" if value >= amber else "green"
    return "red" if value <= red else "amber" if value <= amber else "green"


# --- the day's events -------------------------------------------------------------------------------

@dataclass
class QueueDay:
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    overflowed: int = 0                   # left by overflow or for a callback
    failed: int = 0                       # waiting when the engine died
    waits: list[float] = field(default_factory=list)      # of answered calls, in this queue
    talks: list[float] = field(default_factory=list)      # of completed calls


@dataclass
class DayLog:
    """The day's events folded into counts. `sl_targets` gives each queue's service-level threshold
    (seconds); a call's wait in a queue counts from its `enter` into that queue."""
    sl_targets: Mapping[int, float]
    short_abandon_seconds: float = SHORT_ABANDON_SECONDS
    last_id: int = 0
    queues: dict[int, QueueDay] = field(default_factory=dict)
    entered: dict[tuple[int, int], float] = field(default_factory=dict)     # (call, queue) -> at
    agent_since: dict[int, float] = field(default_factory=dict)             # agent -> their last event
    agent_calls: Counter = field(default_factory=Counter)                   # agent -> calls answered

    def queue(self, queue_id: int) -> QueueDay:
        return self.queues.setdefault(queue_id, QueueDay())

    def add(self, events: Iterable[Mapping[str, Any]]) -> None:
        for event in events:
            self.last_id = max(self.last_id, event["id"])
            self._add(event)

    def _add(self, event: Mapping[str, Any]) -> None:
        kind, agent_id, queue_id = event["event"], event.get("agent_id"), event.get("queue_id")
        if agent_id is not None:
            self.agent_since[agent_id] = event["at"]
        if event.get("call_id") is None or queue_id is None:
            return
        day = self.queue(queue_id)
        key = (event["call_id"], queue_id)
        if kind == "enter":
            self.entered[key] = event["at"]
            day.offered += 1
            return
        if key not in self.entered:        # entered before the day began: not the day's call
            return
        wait = max(0.0, event["at"] - self.entered[key])
        if kind == "answer":
            day.answered += 1
            day.waits.append(wait)
            if wait <= self.sl_targets.get(queue_id, DEFAULT_SL_TARGET):
                day.answered_within += 1
            if agent_id is not None:
                self.agent_calls[agent_id] += 1
        elif kind == "abandon":
            if wait < self.short_abandon_seconds:
                day.abandoned_short += 1
            else:
                day.abandoned += 1
        elif kind in ("overflow", "callback"):
            if not (kind == "callback" and (event.get("data") or {}).get("forced")):   # its overflow counted
                day.overflowed += 1
        elif kind == "fail" and not (event.get("data") or {}).get("answered"):
            day.failed += 1
        elif kind in ("complete", "transfer"):
            talk = (event.get("data") or {}).get("talk_seconds")
            if talk is not None:
                day.talks.append(float(talk))


# --- the figures ----------------------------------------------------------------------------------

def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _agents(agents: list[Mapping[str, Any]], members: Iterable[int] | None) -> dict[str, Any]:
    """Agents by state; `members`: the queue's members (None: every agent of the box)."""
    counts = Counter(a["state"] for a in agents)
    reasons = Counter(a.get("pause_reason") or "" for a in agents if a["state"] == "paused")
    logged_out = len(set(members) - {a["id"] for a in agents}) if members is not None else counts["logged-out"]
    return {"staffed": sum(n for s, n in counts.items() if s != "logged-out"), "idle": counts["idle"],
            "talking": counts["busy"], "ringing": counts["ringing"], "wrap_up": counts["wrap-up"],
            "paused": counts["paused"], "paused_by_reason": dict(sorted(reasons.items())),
            "unavailable": counts["unavailable"], "logged_out": logged_out}


def _service_level(day: QueueDay, past_threshold: int) -> float | None:
    """Answered within the threshold / calls whose fate against it is known: answered (within or
    after), abandoned after the short-abandon limit, overflowed, lost with the engine, or still
    waiting past the threshold. Short abandons and callers still waiting within it do not count."""
    decided = day.answered + day.abandoned + day.overflowed + day.failed + past_threshold
    return round(day.answered_within / decided, 4) if decided > 0 else None


def _queue_figures(queue_id: int | None, name: str, day: QueueDay, waiting: list[Mapping[str, Any]],
                   agents: dict[str, Any], sl_target: float | None, past_threshold: int,
                   settings: WallboardSettings) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "queue_id": queue_id, "queue": name, "waiting": len(waiting),
        "longest_wait_seconds": max((w["waited_seconds"] for w in waiting), default=0.0),
        "agents": agents, "agents_idle": agents["idle"],
        "offered": day.offered, "answered": day.answered, "answered_within_threshold": day.answered_within,
        "abandoned": day.abandoned, "abandoned_short": day.abandoned_short, "overflowed": day.overflowed,
        "service_level_threshold_seconds": sl_target, "service_level": _service_level(day, past_threshold),
        "average_wait_seconds": _mean(day.waits), "average_talk_seconds": _mean(day.talks),
    }
    thresholds = settings.thresholds_of(queue_id)
    figures["colours"] = {name: colour(figures[name], thresholds.get(name)) for name in COLOURED
                          if name in thresholds}
    return figures


def _total(queues: list[dict[str, Any]]) -> QueueDay:
    total = QueueDay()
    for q in queues:
        day: QueueDay = q["_day"]
        for name in ("offered", "answered", "answered_within", "abandoned", "abandoned_short", "overflowed", "failed"):
            setattr(total, name, getattr(total, name) + getattr(day, name))
        total.waits += day.waits
        total.talks += day.talks
    return total


def figures(day: DayLog, status: Mapping[str, Any], members: Mapping[int, Iterable[int]],
            settings: WallboardSettings, now: float) -> dict[str, Any]:
    """The wallboard: per queue and in total, the waiting callers and the agents' roster."""
    agents = status.get("agents", [])
    calls = {c["call_id"]: c for c in status.get("calls", [])}
    queues = []
    past_total = 0
    for queue in status.get("queues", []):
        qid = queue["id"]
        target = day.sl_targets.get(qid, DEFAULT_SL_TARGET)
        mine = [a for a in agents if qid in a.get("queue_ids", [])]
        past = sum(1 for w in queue.get("waiting", []) if w["waited_seconds"] > target)
        past_total += past
        figures_ = _queue_figures(qid, queue["name"], day.queues.get(qid, QueueDay()), queue.get("waiting", []),
                                  _agents(mine, members.get(qid, ())), target, past, settings)
        queues.append({**figures_, "_day": day.queues.get(qid, QueueDay())})
    total_day = _total(queues)
    waiting_all = [w for q in status.get("queues", []) for w in q.get("waiting", [])]
    total = _queue_figures(None, "", total_day, waiting_all, _agents(agents, None), None, past_total, settings)
    for q in queues:
        del q["_day"]
    names = {q["id"]: q["name"] for q in status.get("queues", [])}
    waiting = [{"queue_id": q["id"], "queue": q["name"], "position": w.get("position"), "caller": w["caller"],
                "caller_input": w.get("caller_input", ""), "waited_seconds": w["waited_seconds"]}
               for q in status.get("queues", []) for w in q.get("waiting", [])]
    waiting.sort(key=lambda w: -w["waited_seconds"])
    roster = []
    for agent in agents:
        call = calls.get(agent.get("call_id")) if agent.get("call_id") is not None else None
        if call is None:
            call = next((c for c in calls.values() if agent["id"] in c.get("ringing_agent_ids", [])), None)
        since = day.agent_since.get(agent["id"])
        roster.append({"agent_id": agent["id"], "name": agent["name"], "extension": agent["extension"],
                       "state": agent["state"], "pause_reason": agent.get("pause_reason"),
                       "since_seconds": round(max(0.0, now - since), 1) if since is not None else None,
                       "caller": call["caller"] if call else None,
                       "queues": [names.get(q, str(q)) for q in agent.get("queue_ids", [])],
                       "calls_today": day.agent_calls.get(agent["id"], 0)})
    return {"queues": queues, "total": total, "waiting": waiting, "agents": roster}
