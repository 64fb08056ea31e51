"""The page where an admin edits a queue's rules: shown from the stored settings, saved through the
API's own checks with an audit entry and an engine reload, and a mistake shown at its input with
everything typed kept and nothing saved."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from firmware.acd.settings import parse_queue_settings
from firmware.store import queries
from tests.web.test_queue_form import FULL


class FormReader(HTMLParser):
    """What a browser would submit for the page's rules form, untouched: text inputs and
    textareas as shown, ticked checkboxes, each select's chosen option."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self.in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option = True

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "rules" in (attrs.get("class") or ""):
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") != "checkbox":
                self.data[name] = attrs.get("value") or ""
            elif "checked" in attrs:
                self.data[name] = "on"
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""
        elif tag == "select":
            self._select, self._first_option = name, True
        elif tag == "option" and self._select:
            value = attrs.get("value")
            if self._first_option or "selected" in attrs:
                self.data[self._select] = value if value is not None else "\0option-text"
            self._first_option = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data
        elif self._select and self.data.get(self._select) == "\0option-text":
            self.data[self._select] = data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.in_form = False


def untouched_form(page: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(page)
    return reader.data


def input_with_error(page: str, name: str) -> str:
    """The error message shown right after the input named `name` (inside its label or table cell)."""
    escaped = re.escape(name)
    match = re.search(rf'name="{escaped}"[^>]*aria-invalid="true"[^>]*>.*?<small class="field-error" '
                      rf'id="{escaped}-error">([^<]*)</small>', page, re.S)
    assert match, f"no error shown at {name}"
    return match.group(1)


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


@pytest.fixture
def queue(db):
    return queries.create_queue(db, "sales", "longest-idle")


def rules_url(queue) -> str:
    return f"/queues/{queue['id']}/rules"


def stored(db, queue) -> dict:
    return queries.get_queue(db, queue["id"])


def test_the_queues_page_links_each_queue_to_its_rules(admin, queue):
    page = admin.get("/queues").get_data(as_text=True)
    assert f'href="{rules_url(queue)}"' in page and ">Rules</a>" in page


def test_the_page_shows_the_stored_rules(admin, db, queue):
    queries.update_queue(db, queue["id"], strategy="skills", settings=FULL)
    db.commit()
    page = admin.get(rules_url(queue)).get_data(as_text=True)
    assert "<option selected>skills</option>" in page
    assert 'name="schedule.weekly.mon" value="08:00-12:00,13:00-17:00"' in page
    assert 'name="schedule.timezone" value="Europe/Stockholm"' in page
    assert re.search(r'name="schedule.exceptions"[^>]*>2026-12-24 08:00-12:00\n2026-12-31</textarea>', page)
    assert 'name="overflow[1].threshold" value="300"' in page
    assert 'name="overflow[1].destination.target" value="2"' in page
    assert 'name="callback.key" value="#"' in page
    assert 'name="callback.window.timezone" value="Europe/Berlin"' in page
    assert re.search(r'name="messages.repeated"[^>]*>queue-repeat\nwelcome</textarea>', page)


@pytest.fixture
def named_by_full(db, queue):
    """What FULL's rules name: queue 2, agents 1-8 and the pause reason "missed-calls"."""
    assert queries.create_queue(db, "backup", "longest-idle")["id"] == 2
    while max((a["id"] for a in queries.list_agents(db)), default=0) < 8:    # the users' fixture may have made some
        n = len(queries.list_agents(db)) + 1
        queries.create_agent(db, f"Agent {n}", f"30{n:02}", "sip-secret")
    queries.set_setting(db, "pause_reasons", json.dumps([{"code": "missed-calls"}]))
    db.commit()


def test_saving_the_shown_form_unchanged_keeps_the_rules(admin, db, queue, named_by_full, engine):
    # the form as the browser submits it, read from the page itself (template and functions together)
    assert untouched_form(admin.get(rules_url(queue)).get_data(as_text=True))["strategy"] == "longest-idle"
    assert admin.post(rules_url(queue), data=untouched_form(admin.get(rules_url(queue)).get_data(as_text=True)))\
        .status_code == 302
    assert stored(db, queue)["settings"] == {}
    queries.update_queue(db, queue["id"], strategy="skills", settings=FULL)
    db.commit()
    assert admin.post(rules_url(queue), data=untouched_form(admin.get(rules_url(queue)).get_data(as_text=True)))\
        .status_code == 302
    row = stored(db, queue)
    assert (row["strategy"], row["settings"]) == ("skills", FULL)


def typed_rules(**changes: str) -> dict[str, str]:
    """An admin's form: strategy, wrap-up, Monday hours in Stockholm, one overflow rule, a callback."""
    form = {"strategy": "round-robin", "wrapup": "15", "schedule.timezone": "Europe/Stockholm",
            "schedule.weekly.mon": "08:00-12:00,13:00-17:00", "schedule.holidays": "12-25",
            "overflow[0].condition": "max-wait", "overflow[0].threshold": "120",
            "overflow[0].destination.kind": "number", "overflow[0].destination.target": "+46701234567",
            "overflow[1].condition": "", "overflow[1].threshold": "", "overflow[1].destination.kind": "",
            "overflow[1].destination.target": "",
            "callback": "on", "callback.key": "2", "callback.ask_number": "on", "callback.offer_later": "on",
            "messages.announce_position": "on"}
    return {**form, **changes}


def test_saving_stores_what_was_typed(admin, db, queue, engine):
    response = admin.post(rules_url(queue), data=typed_rules())
    assert response.status_code == 302 and response.headers["Location"] == rules_url(queue)
    row = stored(db, queue)
    assert row["strategy"] == "round-robin"
    assert row["settings"] == {
        "wrapup": 15,
        "schedule": {"timezone": "Europe/Stockholm", "weekly": {"mon": "08:00-12:00,13:00-17:00", "tue": "",
                                                                 "wed": "", "thu": "", "fri": "", "sat": "", "sun": ""},
                     "holidays": ["12-25"]},
        "overflow": [{"condition": "max-wait", "threshold": 120,
                      "destination": {"kind": "number", "target": "+46701234567"}}],
        "callback": {"key": "2"}}
    config, _ = parse_queue_settings(row["settings"], row["strategy"])
    assert config.wrapup == 15 and config.schedule.timezone == "Europe/Stockholm"
    assert [(str(a), str(b)) for a, b in config.schedule.weekly[0]] == [("08:00:00", "12:00:00"),
                                                                        ("13:00:00", "17:00:00")]
    assert (12, 25) in config.schedule.holidays
    assert [(r.condition.value, r.threshold, r.destination.kind, r.destination.target) for r in config.overflow] == [
        ("closed", 0.0, "hangup", "closed"), ("max-wait", 120.0, "number", "+46701234567")]
    assert config.callback.key == "2"
    page = admin.get(rules_url(queue)).get_data(as_text=True)
    assert "Rules of queue sales saved." in page and 'name="overflow[0].threshold" value="120"' in page


def test_the_classification_checkbox_round_trips(admin, db, queue, engine):
    box = "Calls must be classified before the wrap-up ends"
    page = admin.get(rules_url(queue)).get_data(as_text=True)
    assert f'<input type="checkbox" name="disposition_required"> {box}' in page
    assert admin.post(rules_url(queue), data=typed_rules(disposition_required="on")).status_code == 302
    settings = stored(db, queue)["settings"]
    assert settings["disposition_required"] is True
    assert parse_queue_settings(settings)[0].disposition_required
    page = admin.get(rules_url(queue)).get_data(as_text=True)
    assert f'<input type="checkbox" name="disposition_required" checked> {box}' in page
    assert untouched_form(page)["disposition_required"] == "on"
    assert admin.post(rules_url(queue), data=typed_rules()).status_code == 302
    assert "disposition_required" not in stored(db, queue)["settings"]


def test_saving_is_audited_and_reloads_the_engine(admin, db, queue, engine):
    admin.post(rules_url(queue), data=typed_rules())
    entry = queries.list_audit(db, limit=1)[0]
    assert (entry["actor"], entry["action"]) == ("admin", "queue.update")
    assert f"id={queue['id']}" in entry["detail"] and "+46701234567" in entry["detail"]
    assert engine.names() == ["reload"]


@pytest.mark.parametrize("field, typed, message", [
    ("schedule.weekly.mon", "8 to 12", "must be opening hours like"),
    ("overflow[0].threshold", "two minutes", "must be a number"),
    ("schedule.timezone", "Mars/Olympus_Mons", "must be a time zone"),
])
def test_a_mistake_is_shown_at_its_input_and_nothing_is_saved(admin, db, queue, engine, field, typed, message):
    queries.update_queue(db, queue["id"], settings={"wrapup": 5})
    db.commit()
    response = admin.post(rules_url(queue), data=typed_rules(**{field: typed}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in input_with_error(page, field)
    assert f"Not saved: {field}: {message}" in page
    # everything typed is still there, the mistake too
    assert f'name="{field}" value="{typed}"' in page
    assert 'name="wrapup" value="15"' in page and 'name="callback.key" value="2"' in page
    assert 'name="overflow[0].destination.target" value="+46701234567"' in page
    assert "<option selected>round-robin</option>" in page
    row = stored(db, queue)
    assert (row["strategy"], row["settings"]) == ("longest-idle", {"wrapup": 5})
    assert engine.names() == []
    assert queries.list_audit(db, limit=1)[0]["action"] != "queue.update"


def test_a_bad_holiday_is_named_in_the_message_of_its_textarea(admin, db, queue, engine):
    response = admin.post(rules_url(queue), data=typed_rules(**{"schedule.holidays": "12-25\n12-32"}))
    assert response.status_code == 400
    assert input_with_error(response.get_data(as_text=True), "schedule.holidays").startswith("12-32: must be a date")


def test_a_removed_overflow_rule_is_gone(admin, db, queue, engine):
    admin.post(rules_url(queue), data=typed_rules())
    assert admin.post(rules_url(queue), data=typed_rules(**{"overflow[0].remove": "on"})).status_code == 302
    assert "overflow" not in stored(db, queue)["settings"]


def test_an_unknown_queue_is_404(admin, engine):
    assert admin.get("/queues/999/rules").status_code == 404
    assert admin.post("/queues/999/rules", data=typed_rules()).status_code == 404


@pytest.mark.parametrize("user", ["super", "ann"])
def test_only_an_admin_edits_rules(client, auth, db, queue, engine, user):
    auth.login(user)
    assert client.get(rules_url(queue)).status_code == 403
    assert client.post(rules_url(queue), data=typed_rules()).status_code == 403
    assert stored(db, queue)["settings"] == {} and engine.names() == []


def test_the_form_needs_its_csrf_token(make_app, users, password, db, queue):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": "admin", "password": password, "csrf_token": token}).status_code == 302
    refused = client.post(rules_url(queue), data=typed_rules())
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert stored(db, queue)["settings"] == {}
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(rules_url(queue)).get_data(as_text=True)).group(1)
    assert client.post(rules_url(queue), data={**typed_rules(), "csrf_token": token}).status_code == 302
    assert stored(db, queue)["settings"]["wrapup"] == 15


# --- skills, members, alarms, stand-by ----------------------------------------------------------

@pytest.fixture
def staff(db, queue):
    """Two members of the queue (Ann 2001, Bo 2002) and one agent outside it (Cy 2003)."""
    ann, bo, cy = (queries.create_agent(db, name, extension, "sip-secret")
                   for name, extension in (("Ann", "2001"), ("Bo", "2002"), ("Cy", "2003")))
    queries.add_queue_member(db, queue["id"], ann["id"])
    queries.add_queue_member(db, queue["id"], bo["id"])
    db.commit()
    return {"ann": ann["id"], "bo": bo["id"], "cy": cy["id"]}


def group_error(page: str, name: str) -> str:
    """The error shown once for a group of inputs (selects, checkboxes), marked on each of them."""
    match = re.search(rf'<small class="field-error" id="{re.escape(name)}-error">([^<]*)</small>', page)
    assert match, f"no error shown for {name}"
    assert f'aria-describedby="{name}-error"' in page
    return match.group(1)


def test_members_are_offered_for_order_and_weight_and_every_agent_for_stand_by(admin, db, queue, staff):
    settings = {"member_order": [staff["bo"], staff["ann"]], "member_weights": {str(staff["bo"]): 3},
                "standby": {"agents": [staff["cy"]], "on_waiting": 5}, "skills": {"de": 5}}
    queries.update_queue(db, queue["id"], settings=settings)
    db.commit()
    page = admin.get(rules_url(queue)).get_data(as_text=True)
    form = untouched_form(page)
    assert (form["member_order[0]"], form["member_order[1]"]) == (str(staff["bo"]), str(staff["ann"]))
    assert "member_order[2]" not in form                                   # one place per member
    assert not re.search(rf'name="member_order\[0\]".*?<option value="{staff["cy"]}"', page, re.S)  # not a member
    assert form[f"member_weights.{staff['bo']}"] == "3" and form[f"member_weights.{staff['ann']}"] == ""
    assert f"member_weights.{staff['cy']}" not in form
    assert form[f"standby.agents.{staff['cy']}"] == "on" and f"standby.agents.{staff['ann']}" not in form
    assert f'name="standby.agents.{staff["ann"]}"' in page                 # offered, not ticked
    assert form["skills"] == "de=5" and form["standby.on_waiting"] == "5"


def test_saving_skills_members_alarms_and_stand_by(admin, db, queue, staff, engine):
    typed = typed_rules(**{
        "skills": "de=5, sv = 3", "skill_rules[0].after": "30", "skill_rules[0].min_level": "2",
        "skill_rules[1].after": "", "skill_rules[1].min_level": "", "auto_pause_reason": "break",
        "member_order[0]": str(staff["bo"]), "member_order[1]": "",
        f"member_weights.{staff['ann']}": "2.5", f"member_weights.{staff['bo']}": "",
        "alarms.min_agents": "1", "alarms.sl_goal": "0.8", "alarms.sl_target": "",
        f"standby.agents.{staff['cy']}": "on", "standby.on_longest_wait": "90", "standby.off_longest_wait": "10"})
    assert admin.post(rules_url(queue), data=typed).status_code == 302
    settings = stored(db, queue)["settings"]
    assert {key: settings[key] for key in ("skills", "skill_rules", "member_order", "member_weights",
                                           "auto_pause_reason", "alarms", "standby")} == {
        "skills": {"de": 5, "sv": 3}, "skill_rules": [{"after": 30, "min_level": 2}],
        "member_order": [staff["bo"]], "member_weights": {str(staff["ann"]): 2.5}, "auto_pause_reason": "break",
        "alarms": {"min_agents": 1, "sl_goal": 0.8},
        "standby": {"agents": [staff["cy"]], "on_longest_wait": 90, "off_longest_wait": 10}}
    config, _ = parse_queue_settings(settings, "round-robin")
    assert config.member_order == (staff["bo"],) and config.member_weights == {staff["ann"]: 2.5}
    assert config.alarms.sl_goal == 0.8 and config.standby.agents == (staff["cy"],)
    assert [(r.after, r.min_level) for r in config.skill_rules] == [(30.0, 2)]
    assert engine.names() == ["reload"]


@pytest.mark.parametrize("changes, field, message", [
    ({"skills": "de=5, sv=11"}, "skills", "sv: must be a level from 1 to 10"),
    ({"skill_rules[0].after": "30", "skill_rules[0].min_level": "11"}, "skill_rules[0].min_level", "between"),
    ({"alarms.sl_goal": "80"}, "alarms.sl_goal", "between 0 and 1"),
    ({"standby.on_waiting": "5"}, "standby.agents", "at least one agent"),
    ({"standby.agents.{cy}": "on", "standby.off_waiting": "1"}, "standby.on_waiting", "needs a threshold"),
    ({"member_order[0]": "{ann}", "member_order[1]": "{ann}"}, "member_order", "twice"),
    ({"member_weights.{ann}": "heavy"}, "member_weights.{ann}", "must be a number"),
])
def test_a_mistake_in_the_new_rules_is_shown_at_its_input(admin, db, queue, staff, engine, changes, field, message):
    def named(text: str) -> str:
        return text.format(**staff)
    queries.update_queue(db, queue["id"], settings={"wrapup": 5})
    db.commit()
    typed = typed_rules(**{named(name): named(value) for name, value in changes.items()})
    response = admin.post(rules_url(queue), data=typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    field = named(field)
    shown = input_with_error(page, field) if f'name="{field}"' in page else group_error(page, field)
    assert message in shown
    assert "Not saved: " in page
    form = untouched_form(page)                  # everything typed is still there, the mistake too
    for name, value in typed.items():
        if not name.startswith(("overflow[1]", "skill_rules[1]")):
            assert form.get(name, "") == value, name
    assert stored(db, queue)["settings"] == {"wrapup": 5} and engine.names() == []
