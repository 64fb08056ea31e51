"""First-run setup, login, logout, lockout, the session cookie and the secret key."""

from __future__ import annotations

import os
import re
import stat

import pytest

from firmware.store import queries
from webui import create_app

PASSWORD = "correct-horse"  # the users fixture's password


def test_every_page_leads_to_setup_while_there_is_no_user(client):
    for url in ("/", "/calls", "/live", "/agents", "/login"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == "/setup"
    assert client.get("/setup").status_code == 200


def test_setup_creates_the_first_admin_and_logs_in(client, db):
    response = client.post("/setup", data={"username": "root", "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user = queries.get_user_by_name(db, "root")
    assert user["role"] == "admin"
    assert user["password_hash"] != PASSWORD
    assert client.get("/agents").status_code == 200  # logged in as that admin
    assert [e["action"] for e in queries.list_audit(db)] == ["setup"]


def test_a_second_setup_is_refused(client, db):
    client.post("/setup", data={"username": "root", "password": PASSWORD, "password2": PASSWORD})
    other = client.application.test_client()
    for method in (other.get, other.post):
        response = method("/setup", data={"username": "mallory", "password": PASSWORD, "password2": PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"] == "/login"
    assert queries.get_user_by_name(db, "mallory") is None
    assert queries.count_users(db) == 1


def test_the_first_admin_is_created_once_even_when_two_race(db):
    assert queries.create_first_admin(db, "first", "x") is not None
    assert queries.create_first_admin(db, "second", "x") is None


@pytest.mark.parametrize("form, message", [
    ({"username": "root", "password": "short", "password2": "short"}, b"password: must be at least 8"),
    ({"username": "root", "password": PASSWORD, "password2": PASSWORD + "x"}, b"password2: the passwords differ"),
    ({"username": "", "password": PASSWORD, "password2": PASSWORD}, b"username: is required"),
    ({"username": "two words", "password": PASSWORD, "password2": PASSWORD}, b"username: may contain"),
])
def test_setup_validates(client, db, form, message):
    response = client.post("/setup", data=form)
    assert response.status_code == 400
    assert message in response.data
    assert queries.count_users(db) == 0


def test_login_and_logout(client, auth, db):
    assert client.get("/login").status_code == 200
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/calls").status_code == 200
    response = auth.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/calls").headers["Location"].startswith("/login")
    assert [e["action"] for e in queries.list_audit(db)][:2] == ["logout", "login"]


def test_login_goes_back_to_the_page_asked_for_but_never_off_the_box(client, auth):
    response = client.post("/login?next=/calls%3Foutcome%3Danswered",
                           data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/calls?outcome=answered"
    auth.logout()
    response = client.post("/login?next=//evil.example/", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_the_login_redirect_names_the_page(client, users):
    assert client.get("/calls?page=2").headers["Location"] == "/login?next=/calls?page%3D2"


def test_wrong_password_and_unknown_user_look_the_same(client, auth, db):
    wrong = auth.login(password="nope-nope")
    unknown = auth.login(username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong username or password" in wrong.data and b"Wrong username or password" in unknown.data
    assert queries.list_audit(db)[0]["action"] == "login.failed"


def test_the_fixture_password_is_this_one(password):
    assert password == PASSWORD


def test_session_cookie_is_httponly_and_samesite_lax(auth):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def _login_from(client, address: str, username: str = "admin", password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failures_slow_down_their_address_only_and_are_kept_in_the_database(client, users, db, make_app):
    """Issue 8, finding 12: five failures used to lock the account itself, so anyone could keep the
    admin out. Now the address that fails waits, the account stays open from elsewhere."""
    attacker, admin_desk = "192.0.2.66", "192.0.2.10"
    for _ in range(5):
        assert _login_from(client, attacker, password="wrong-password").status_code == 401
    response = _login_from(client, attacker, password="wrong-password")
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    response = _login_from(client, attacker)          # while it waits, even the right password is not tried
    assert response.status_code == 429
    assert b"Too many failed logins from your address" in response.data

    # Another gunicorn worker (another app on the same database) makes the same address wait.
    other = make_app().test_client()
    assert _login_from(other, attacker).status_code == 429

    # The admin at their own desk is not locked out.
    assert _login_from(client, admin_desk).status_code == 302
    failures = [e for e in queries.list_audit(db) if e["action"] == "login.failed"]
    assert len(failures) == 6 and "wait=1" in failures[0]["detail"]      # the tries while waiting are not


def test_the_wait_doubles_with_each_further_failure(client, users, db):
    address = "192.0.2.66"
    waits = []
    for _ in range(9):
        db.execute("UPDATE login_failures SET blocked_until = 0")       # as if each wait had passed
        response = _login_from(client, address, password="wrong-password")
        waits.append(int(response.headers.get("Retry-After", 0)))
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8]


def test_refusals_read_the_same_for_a_known_and_an_unknown_name(client, users):
    """Neither a wrong password nor the throttle tells whether a user name exists."""
    def story(address, username):
        responses = [_login_from(client, address, username, "wrong-password") for _ in range(7)]
        # the CSRF token carries a timestamp: two stories a second apart differ there, and only there
        return [(r.status_code, r.headers.get("Retry-After"),
                 re.sub(r'name="csrf_token" value="[^"]*"', "", r.get_data(as_text=True).replace(username, "<name>")))
                for r in responses]

    assert story("192.0.2.1", "admin") == story("192.0.2.2", "nobody-here")


def test_an_unknown_name_costs_a_password_check_too(client, users, monkeypatch):
    from webui.auth import pages as auth_module

    checked = []
    real = auth_module.check_password_hash
    monkeypatch.setattr(auth_module, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    _login_from(client, "192.0.2.1", "nobody-here", "wrong-password")
    _login_from(client, "192.0.2.1", "admin", "wrong-password")
    assert len(checked) == 2 and checked[0].split("$")[0] == checked[1].split("$")[0]


def test_the_console_resets_a_password_and_lets_every_address_in_again(client, users, db, monkeypatch, capsys):
    import io

    from firmware import cli

    for _ in range(6):
        _login_from(client, "192.0.2.66", password="wrong-password")
    assert _login_from(client, "192.0.2.66").status_code == 429
    monkeypatch.setattr("sys.stdin", io.StringIO("console-chosen-pw\n"))
    assert cli.main(["admin", "reset-password", "--username", "admin", "--password-stdin"]) == 0
    assert _login_from(client, "192.0.2.66", password="console-chosen-pw").status_code == 302
    assert "user.reset-password" in [e["action"] for e in queries.list_audit(db)]

    monkeypatch.setattr("sys.stdin", io.StringIO("console-chosen-pw\n"))
    assert cli.main(["admin", "reset-password", "--username", "nobody", "--password-stdin"]) == 1
    assert "admins: admin" in capsys.readouterr().err


def test_secret_key_is_made_once_with_mode_0600(data_dir, app):
    key_file = data_dir / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert app.secret_key == key_file.read_text().strip()
    assert len(app.secret_key) == 64
    again = create_app({"TESTING": True})
    assert again.secret_key == app.secret_key
    assert not [p for p in data_dir.iterdir() if p.name.startswith(".secret_key")]


def test_a_given_secret_key_is_used_and_no_file_is_made(data_dir):
    app = create_app({"SECRET_KEY": "k" * 40})
    assert app.secret_key == "k" * 40
    assert not (data_dir / "secret_key").exists()


def test_admin_adds_users_with_a_role(client, auth, db, users):
    auth.login()
    agent_id = users["agent_row"]["id"]
    response = client.post("/users", data={"username": "bob", "role": "supervisor", "agent_id": "",
                                           "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert queries.get_user_by_name(db, "bob")["role"] == "supervisor"
    client.post("/users", data={"username": "carl", "role": "agent", "agent_id": str(agent_id),
                                "password": PASSWORD, "password2": PASSWORD})
    assert queries.get_user_by_name(db, "carl")["agent_id"] == agent_id
    response = client.post("/users", data={"username": "bob", "role": "agent",
                                           "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 409 and b"username: &#39;bob&#39; already exists" in response.data
    response = client.post("/users", data={"username": "dan", "role": "root",
                                           "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400 and b"role: must be one of" in response.data
    assert b"bob" in client.get("/users").data
    auth.logout()
    assert auth.login("bob").status_code == 302
    assert "user.create" in [e["action"] for e in queries.list_audit(db)]
