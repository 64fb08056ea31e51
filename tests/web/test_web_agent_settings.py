"""An agent's own rules (skills, wrap-up, delays after a missed offer): through the API and on the
agent's page, checked by the engine's parser with the field named, audited, and the engine reloaded."""

from __future__ import annotations

import re

import pytest

from firmware.acd.settings import SettingsError, parse_agent_settings
from firmware.store import queries
from tests.web.responses import api_error
from tests.web.test_web_api import AGENT, Api
from tests.web.test_web_queue_rules import input_with_error, untouched_form
from webui.agents import form as agent_form

RULES = {"skills": {"de": 7, "customer care": 3}, "wrapup": 20, "no_answer_delay": 30, "reject_delay": 10,
         "busy_delay": 5.5}


@pytest.fixture
def api(client, token):
    return Api(client, token("admin"))


@pytest.fixture
def agent(db):
    row = queries.create_agent(db, "Bo Agent", "1002", "sip-secret")
    db.commit()
    return row


def stored(db, agent) -> dict:
    return queries.get_agent(db, agent["id"])["settings"]


# --- the API ------------------------------------------------------------------------------------

def test_an_agent_is_created_with_rules_and_shows_them(api, db, engine):
    response = api.post("/agents", {**AGENT, "extension": "1003", "settings": RULES})
    assert response.status_code == 201
    created = response.get_json()
    assert created["settings"] == RULES
    assert api.get(f"/agents/{created['id']}").get_json()["settings"] == RULES
    assert api.post("/agents", {**AGENT, "extension": "1004"}).get_json()["settings"] == {}
    assert engine.names() == ["reload", "reload"]


def test_the_rules_are_replaced_audited_and_the_engine_reloads(api, db, engine, agent):
    response = api.put(f"/agents/{agent['id']}", {"settings": RULES})
    assert response.status_code == 200
    body = response.get_json()
    assert body["settings"] == RULES and body["extension"] == "1002" and body["created_at"].endswith("Z")
    assert stored(db, agent) == RULES
    assert parse_agent_settings(stored(db, agent)).skills == {"de": 7, "customer care": 3}
    entry = queries.list_audit(db, limit=1)[0]
    assert entry["action"] == "agent.update" and entry["actor"].endswith(":test-admin")
    assert f"id={agent['id']}" in entry["detail"] and "customer care" in entry["detail"]
    assert engine.names() == ["reload"]
    assert api.put(f"/agents/{agent['id']}", {"settings": {}}).status_code == 200
    assert stored(db, agent) == {}


@pytest.mark.parametrize("body, field", [
    ({"settings": {"skills": {"de": 11}}}, "settings.skills.de"),
    ({"settings": {"skills": {"de": "5"}}}, "settings.skills.de"),
    ({"settings": {"skills": ["de"]}}, "settings.skills"),
    ({"settings": {"wrapup": -1}}, "settings.wrapup"),
    ({"settings": {"busy_delay": "soon"}}, "settings.busy_delay"),
    ({"settings": {"ring_timeout": 5}}, "settings.ring_timeout"),
    ({"settings": [1]}, "settings"),
    ({}, "settings"),
    ({"settings": {}, "extension": "1009"}, "extension"),
])
def test_bad_rules_are_refused_by_field_and_nothing_changes(api, db, engine, agent, body, field):
    queries.update_agent_settings(db, agent["id"], {"wrapup": 5})
    db.commit()
    message = api_error(api.put(f"/agents/{agent['id']}", body), 400)
    assert message.startswith(f"{field}: ")
    assert stored(db, agent) == {"wrapup": 5} and engine.names() == []
    assert all(e["action"] != "agent.update" for e in queries.list_audit(db))


def test_creating_with_bad_rules_creates_nothing(api, db, engine):
    api_error(api.post("/agents", {**AGENT, "extension": "1005", "settings": {"skills": {"de": 0}}}), 400,
           "settings.skills.de:")
    assert queries.get_agent_by_extension(db, "1005") is None and engine.names() == []


def test_an_unknown_agent_is_404(api, engine):
    api_error(api.put("/agents/999", {"settings": {}}), 404, "no agent 999")


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_only_an_admin_changes_an_agents_rules(client, token, db, engine, agent, role):
    response = Api(client, token(role)).put(f"/agents/{agent['id']}", {"settings": RULES})
    api_error(response, 403, "role")
    assert stored(db, agent) == {} and engine.names() == []


# --- the form's pure functions ------------------------------------------------------------------

def round_trip(settings: dict) -> dict:
    return agent_form.form_to_settings(agent_form.read_form(agent_form.settings_to_form(settings)))


def test_every_rule_survives_the_form():
    assert round_trip(RULES) == RULES
    assert round_trip({}) == {} and round_trip(None) == {}


def test_skills_are_written_name_equals_level_by_commas_or_lines():
    values = agent_form.read_form({"skills": " de = 5,\nsv=3 ,, first line=2\n"})
    assert agent_form.form_to_settings(values) == {"skills": {"de": 5, "sv": 3, "first line": 2}}


def test_a_level_that_is_no_number_is_left_for_the_parser_to_name():
    settings = agent_form.form_to_settings(agent_form.read_form({"skills": "de=high", "wrapup": "soon"}))
    assert settings == {"skills": {"de": "high"}, "wrapup": "soon"}
    with pytest.raises(SettingsError) as error:
        parse_agent_settings({"skills": settings["skills"]})
    assert error.value.field == "skills.de"


@pytest.mark.parametrize("typed, words", [("de", "like"), ("de=5, de=6", "de is given twice")])
def test_skills_the_text_cannot_say_are_errors_of_the_skills_input(typed, words):
    with pytest.raises(SettingsError) as error:
        agent_form.form_to_settings(agent_form.read_form({"skills": typed}))
    assert error.value.field == "skills" and words in str(error.value)


@pytest.mark.parametrize("field, expected", [
    ("skills.de", ("skills", "de: bad")), ("skills", ("skills", "bad")), ("busy_delay", ("busy_delay", "bad")),
    ("colour", (None, "bad")),
])
def test_a_parser_error_is_placed_at_its_input(field, expected):
    assert agent_form.error_input(field, "bad") == expected


# --- the agent's page ---------------------------------------------------------------------------

@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


def page_url(agent) -> str:
    return f"/agents/{agent['id']}"


TYPED = {"skills": "de=7, sv=3", "wrapup": "20", "no_answer_delay": "30", "reject_delay": "", "busy_delay": "5"}


def test_the_agents_page_links_each_agent_to_its_page(admin, agent):
    assert f'href="{page_url(agent)}"' in admin.get("/agents").get_data(as_text=True)


def test_the_page_shows_the_stored_rules(admin, db, agent):
    queries.update_agent_settings(db, agent["id"], RULES)
    db.commit()
    page = admin.get(page_url(agent)).get_data(as_text=True)
    assert "Agent 1002 Bo Agent" in page
    assert 'name="skills" value="de=7, customer care=3"' in page
    assert 'name="wrapup" value="20"' in page and 'name="busy_delay" value="5.5"' in page
    assert untouched_form(page)["no_answer_delay"] == "30"


def test_saving_the_shown_form_unchanged_keeps_the_rules(admin, db, engine, agent):
    queries.update_agent_settings(db, agent["id"], RULES)
    db.commit()
    response = admin.post(page_url(agent), data=untouched_form(admin.get(page_url(agent)).get_data(as_text=True)))
    assert response.status_code == 302
    assert stored(db, agent) == RULES


def test_saving_stores_what_was_typed_audited_and_reloaded(admin, db, engine, agent):
    response = admin.post(page_url(agent), data=TYPED)
    assert response.status_code == 302 and response.headers["Location"] == page_url(agent)
    assert stored(db, agent) == {"skills": {"de": 7, "sv": 3}, "wrapup": 20, "no_answer_delay": 30, "busy_delay": 5}
    config = parse_agent_settings(stored(db, agent))
    assert (config.skills, config.wrapup, config.reject_delay, config.busy_delay) == ({"de": 7, "sv": 3}, 20, 0, 5)
    entry = queries.list_audit(db, limit=1)[0]
    assert (entry["actor"], entry["action"]) == ("admin", "agent.update")
    assert engine.names() == ["reload"]
    assert "Agent 1002 saved." in admin.get(page_url(agent)).get_data(as_text=True)


@pytest.mark.parametrize("field, typed, shown, message", [
    ("skills", "de=7, sv=12", "skills", "sv: must be a level from 1 to 10"),
    ("skills", "de=7, sv", "skills", "like"),
    ("wrapup", "twenty", "wrapup", "must be a number"),
    ("busy_delay", "7200", "busy_delay", "must be between"),
])
def test_a_mistake_is_shown_at_its_input_and_nothing_is_saved(admin, db, engine, agent, field, typed, shown, message):
    queries.update_agent_settings(db, agent["id"], {"wrapup": 5})
    db.commit()
    response = admin.post(page_url(agent), data={**TYPED, field: typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in input_with_error(page, shown)
    assert "Not saved:" in page
    # everything typed is still there, the mistake too
    for name, value in {**TYPED, field: typed}.items():
        assert f'name="{name}" value="{value}"' in page
    assert stored(db, agent) == {"wrapup": 5} and engine.names() == []
    assert all(e["action"] != "agent.update" for e in queries.list_audit(db))


def test_an_unknown_agent_page_is_404(admin, engine):
    assert admin.get("/agents/999").status_code == 404
    assert admin.post("/agents/999", data=TYPED).status_code == 404


@pytest.mark.parametrize("user", ["super", "ann"])
def test_only_an_admin_sees_or_saves_the_page(client, auth, db, engine, agent, user):
    auth.login(user)
    assert client.get(page_url(agent)).status_code == 403
    assert client.post(page_url(agent), data=TYPED).status_code == 403
    assert stored(db, agent) == {} and engine.names() == []


def test_the_form_needs_its_csrf_token(make_app, users, password, db, agent):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "admin", "password": password, "csrf_token": token})
    refused = client.post(page_url(agent), data=TYPED)
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert stored(db, agent) == {}
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page_url(agent)).get_data(as_text=True)).group(1)
    assert client.post(page_url(agent), data={**TYPED, "csrf_token": token}).status_code == 302
    assert stored(db, agent)["skills"] == {"de": 7, "sv": 3}
