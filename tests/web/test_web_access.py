"""Every route behind a login and a role, proved over the app's own url_map so new routes are covered;
the API takes bearer tokens only; every form needs its CSRF token."""

from __future__ import annotations

import re
import tempfile

import pytest
from flask import Flask

from webui import access, create_app

LOGIN_FREE = {"static", "auth.login", "auth.setup", "wizard.network_keep",  # keep: a token, not a session
              "wallboard.kiosk", "wallboard.kiosk_stream"}  # kiosk: its token


def _routes() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "collect-" * 4, "DATA_DIR": tmp, "DATABASE": f"{tmp}/callbox.db",
                          "ENGINE_SOCKET": f"{tmp}/engine.sock"})
        roles = {e: getattr(v, "required_role", None) for e, v in app.view_functions.items()}
        return [(rule.rule, method, roles[rule.endpoint]) for rule in app.url_map.iter_rules()
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}) if rule.endpoint not in LOGIN_FREE]


ROUTES = _routes()
RANK = access.ROLE_RANK


def _url(rule: str) -> str:
    # 99: no object has it, and it is not the id of the agent the `ann` user answers calls as.
    return re.sub(r"<(?:\w+:)?\w+>", "99", rule)


def _call(client, method: str, rule: str, **kwargs):
    return client.open(_url(rule), method=method, **kwargs)


def _ids(routes):
    return [f"{method} {rule}" for rule, method, _ in routes]


PAGES = [r for r in ROUTES if not r[0].startswith("/api/")]
API = [r for r in ROUTES if r[0].startswith("/api/")]


def test_the_route_lists_are_not_empty():
    assert len(PAGES) > 15 and len(API) > 25


@pytest.mark.parametrize("rule, method, role", PAGES, ids=_ids(PAGES))
def test_every_page_needs_a_login(client, users, rule, method, role):
    response = _call(client, method, rule)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=" if method == "GET" else "/login")


@pytest.mark.parametrize("rule, method, role", API, ids=_ids(API))
def test_every_api_route_needs_a_token(client, users, rule, method, role):
    response = _call(client, method, rule, json={})
    assert response.status_code == 401
    assert response.is_json and "token" in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("rule, method, role", API, ids=_ids(API))
def test_a_session_cookie_does_not_open_the_api(client, auth, rule, method, role):
    auth.login("admin")
    response = _call(client, method, rule, json={})
    assert response.status_code == 401


def test_a_wrong_token_is_refused(client, users):
    for header in ("Bearer not-a-token", "Basic YWRtaW46eA==", "Bearer "):
        response = client.get("/api/v1/calls", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.is_json


@pytest.mark.parametrize("user", ["agent", "supervisor"])
def test_pages_above_the_role_are_forbidden(client, auth, user):
    auth.login({"agent": "ann", "supervisor": "super"}[user])
    checked = 0
    for rule, method, role in PAGES:
        if RANK[role] > RANK[user]:
            response = _call(client, method, rule)
            assert response.status_code == 403, f"{method} {rule} let a {user} in"
            checked += 1
    assert checked


@pytest.mark.parametrize("user", ["agent", "supervisor"])
def test_api_routes_above_the_role_are_forbidden(client, token, users, user):
    headers = token(user)
    checked = 0
    for rule, method, role in API:
        if RANK[role] > RANK[user]:
            response = _call(client, method, rule, json={}, headers=headers)
            assert response.status_code == 403, f"{method} {rule} let a {user} token in"
            assert "role" in response.get_json()["error"]
            checked += 1
    assert checked


def test_configuration_pages_are_admin_only_and_agents_see_calls_and_live(app):
    configuration = ("agents.", "queues.", "trunks.", "routes.", "users.", "settings.")
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith(configuration):
            assert view.required_role == "admin", endpoint
    for endpoint in ("calls.calls", "live.board", "live.stream", "calls.recording_download"):
        assert app.view_functions[endpoint].required_role == "agent"


def test_an_agent_sees_only_calls_and_live_in_the_nav(client, auth):
    auth.login("ann")
    page = client.get("/calls").get_data(as_text=True)
    assert 'href="/calls"' in page and 'href="/live"' in page
    for admin_only in ("/agents", "/queues", "/trunks", "/inbound-routes", "/users", "/audit"):
        assert f'href="{admin_only}"' not in page


def test_an_agent_acts_on_their_own_agent_only(client, auth, db, users, engine):
    from firmware.store import queries

    own = users["agent_row"]["id"]
    other = queries.create_agent(db, "Bo", "1002", "sip-secret")["id"]
    queue = queries.create_queue(db, "sales")["id"]
    queries.add_queue_member(db, queue, own)
    queries.add_queue_member(db, queue, other)
    auth.login("ann")
    assert client.post(f"/live/agents/{own}/login", data={"queue_ids": str(queue)}).status_code == 302
    assert queries.logged_in_queue_ids(db, own) == [queue]
    assert client.post(f"/live/agents/{other}/login", data={"queue_ids": str(queue)}).status_code == 403
    assert client.post(f"/live/agents/{other}/logout").status_code == 403
    assert client.post(f"/live/agents/{own}/logout").status_code == 302
    assert queries.logged_in_queue_ids(db, own) == []


def test_an_agent_token_cannot_log_agents_in(client, token, users):
    response = client.post(f"/api/v1/agents/{users['agent_row']['id']}/logout", headers=token("agent"))
    assert response.status_code == 403


def test_a_view_without_a_role_check_stops_the_app():
    app = Flask("probe")
    app.add_url_rule("/open", "open", lambda: "oops")
    with pytest.raises(RuntimeError, match="open"):
        access.check_every_view(app)


# --- CSRF -----------------------------------------------------------------------------------------

@pytest.fixture
def csrf_client(make_app, users):
    return make_app(WTF_CSRF_ENABLED=True).test_client()


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_form_without_its_csrf_token_is_refused(csrf_client, password, db):
    from firmware.store import queries

    login = csrf_client.post("/login", data={"username": "admin", "password": password})
    assert login.status_code == 400 and b"CSRF" in login.data
    token = _csrf_token(csrf_client.get("/login").get_data(as_text=True))
    assert csrf_client.post("/login", data={"username": "admin", "password": password,
                                            "csrf_token": token}).status_code == 302

    form = {"name": "Bo", "extension": "1002", "sip_password": "sip-secret"}
    refused = csrf_client.post("/agents", data=form)
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert queries.get_agent_by_extension(db, "1002") is None
    forged = csrf_client.post("/agents", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 400
    token = _csrf_token(csrf_client.get("/agents").get_data(as_text=True))
    assert csrf_client.post("/agents", data={**form, "csrf_token": token}).status_code == 302
    assert queries.get_agent_by_extension(db, "1002") is not None
    assert csrf_client.post("/logout").status_code == 400


def test_the_api_needs_no_csrf_token_but_a_bearer_token(csrf_client, token):
    response = csrf_client.post("/api/v1/queues", json={"name": "sales"}, headers=token("admin"))
    assert response.status_code == 201
