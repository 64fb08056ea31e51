"""The first-run wizard through the Flask client (issue 10, item 3): shown after the admin is
created until finished or skipped, resumable, each step made through its domain's service."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash  # noqa: F401  (the agents' hashes are HA1, below)

from firmware.store import queries
from firmware.store.queries import sip_ha1
from webui.wizard import network
from webui.wizard.service import WIZARD_KEY

PASSWORD = "correct-horse"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def net_clock():
    return Clock()


@pytest.fixture
def net_dirs(tmp_path):
    sys_net = tmp_path / "sys-class-net"
    for name in ("lo", "eth0"):
        (sys_net / name).mkdir(parents=True)
    (sys_net / "eth0" / "device").mkdir()
    return tmp_path / "run-network", sys_net


@pytest.fixture
def commands():
    return []


@pytest.fixture
def app(make_app, data_dir, net_clock, net_dirs, commands):
    runtime, sys_net = net_dirs
    backend = network.NetworkdBackend(data_dir / "config" / "network", runtime, commands.append, sys_net)
    return make_app(NETWORK_BACKEND=backend, NETWORK_CLOCK=net_clock)


@pytest.fixture
def admin(client):
    response = client.post("/setup", data={"username": "root", "password": PASSWORD, "password2": PASSWORD})
    assert response.headers["Location"] == "/wizard"
    return client


def _location(response) -> str:
    assert response.status_code == 302, response.data[:2000]
    return response.headers["Location"]


def test_after_the_claim_the_wizard_starts_and_the_start_page_leads_there(admin):
    assert _location(admin.get("/wizard")) == "/wizard/language"
    assert _location(admin.get("/")) == "/wizard"
    page = admin.get("/wizard/language")
    assert page.status_code == 200 and b"Language of the prompts callers hear" in page.data


def test_skipped_the_start_page_is_the_live_board_again(admin, db):
    assert _location(admin.post("/wizard/skip")) == "/live"
    assert _location(admin.get("/")) == "/live"
    assert b"Run the wizard again" in admin.get("/wizard").data
    assert '"status":"skipped"' in queries.get_setting(db, WIZARD_KEY)


def test_resumes_at_the_first_step_not_done(admin):
    admin.post("/wizard/language", data={"language": "en", "prompt_language": "en"})
    assert _location(admin.get("/wizard")) == "/wizard/timezone"
    admin.post("/wizard/timezone/next")
    assert _location(admin.get("/wizard")) == "/wizard/network"


def test_the_wizard_is_for_admins_only(client, users, auth):
    auth.login("super")
    assert client.get("/wizard").status_code == 403
    assert client.post("/wizard/trunk", data={"name": "t"}).status_code == 403
    assert client.get("/").headers["Location"] == "/live"          # not led to the wizard


def test_a_box_set_up_before_the_wizard_is_not_led_there(client, users, auth):
    auth.login("admin")                     # agents exist, no progress stored: an older box
    assert _location(client.get("/")) == "/live"


def test_every_form_needs_its_csrf_token(make_app, data_dir):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/setup").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/setup", data={"username": "root", "password": PASSWORD, "password2": PASSWORD, "csrf_token": token})
    for path in ("/wizard/language", "/wizard/trunk", "/wizard/agents", "/wizard/skip", "/wizard/network/confirm"):
        assert client.post(path, data={"language": "en"}).status_code == 400, path
    assert '"status":"open"' in queries.get_setting(_db(app), WIZARD_KEY)


def _db(app):
    from firmware.store import connect
    return connect(app.config["DATABASE"])


def test_walk_every_step_creates_the_rows(admin, db, data_dir, engine, net_clock, commands, net_dirs):
    # language: the admin's pages and the callers' prompts
    assert _location(admin.post("/wizard/language", data={"language": "sv", "prompt_language": "de"})) == \
        "/wizard/timezone"
    assert queries.get_user_by_name(db, "root")["language"] == "sv"
    assert queries.get_setting(db, "prompt_language") == "de"
    admin.post("/language", data={"language": "en"})         # the rest of the test reads English

    # time zone, kept on the data partition
    assert admin.post("/wizard/timezone", data={"time_zone": "Mars/Olympus"}).status_code == 400
    assert _location(admin.post("/wizard/timezone", data={"time_zone": "Europe/Stockholm"})) == "/wizard/network"
    assert (data_dir / "config" / "timezone").read_text() == "Europe/Stockholm\n"
    assert str((data_dir / "config" / "localtime").readlink()).endswith("zoneinfo/Europe/Stockholm")

    # network: applied, confirmed by the page's script once settled
    page = admin.get("/wizard/network")
    assert b'<option>eth0</option>' in page.data and b"lo</option>" not in page.data
    form = {"interface": "eth0", "mode": "static", "address": "192.168.7.20/24", "gateway": "192.168.7.1",
            "dns1": "192.168.7.1"}
    assert admin.post("/wizard/network", data={**form, "gateway": "10.0.0.1"}).status_code == 400
    assert _location(admin.post("/wizard/network", data=form)) == "/wizard/network"
    runtime, _ = net_dirs
    written = (runtime / "10-callbox.network").read_text()
    assert "Address=192.168.7.20/24" in written and "Gateway=192.168.7.1" in written
    assert ["networkctl", "reconfigure", "eth0"] in commands
    pending = admin.get("/wizard/network")
    assert b"http://192.168.7.20/wizard/network/keep?token=" in pending.data
    assert admin.post("/wizard/network/confirm").json["verdict"] == "wait"      # not settled yet
    net_clock.now += network.SETTLE_SECONDS
    assert admin.post("/wizard/network/confirm").json == {"verdict": "keep", "next": "/wizard/trunk"}
    assert (data_dir / "config" / "network" / "10-callbox.network").read_text() == written

    # a trunk through the trunks' service, with its live check from the engine
    assert admin.post("/wizard/trunk", data={"name": "carrier", "type": "register", "address": "sip.example.com:99999",
                                             "username": "u1", "password": "p"}).status_code == 400
    assert queries.list_trunks(db) == []
    admin.post("/wizard/trunk", data={"name": "carrier", "type": "register", "address": "sip.example.com",
                                      "username": "u1", "password": "p"})
    trunk = queries.list_trunks(db)[0]
    assert (trunk["name"], trunk["type"], trunk["username"]) == ("carrier", "register", "u1")
    engine.answers["trunks"] = {"trunks": [{"id": trunk["id"], "name": "carrier", "type": "register",
                                            "registration": {"code": 403, "reason": "Forbidden", "expires": 0}}]}
    assert b"NOT registered (403 Forbidden)" in admin.get("/wizard/trunk").data
    engine.answers["trunks"]["trunks"][0]["registration"] = {"code": 200, "reason": "OK", "expires": 600}
    assert b"registered (200 OK)" in admin.get("/wizard/trunk").data
    assert "reload" in engine.names()
    admin.post("/wizard/trunk/next")

    # agents, and their phones' sheet with the passwords shown once
    sheet = admin.post("/wizard/agents", data={"name_0": "Ann", "extension_0": "1001",
                                               "name_1": "Bo", "extension_1": "1002", "sip_password_1": "bo-secret-1"})
    assert sheet.status_code == 200
    text = sheet.data.decode()
    generated = re.search(r"<td>1001</td><td><code>([^<]+)</code>", text).group(1)
    assert len(generated) == 12 and "bo-secret-1" in text and "Print" in text
    ann, bo = queries.get_agent_by_extension(db, "1001"), queries.get_agent_by_extension(db, "1002")
    stored = db.execute("SELECT sip_ha1 FROM agents WHERE extension = '1001'").fetchone()[0]
    assert stored == sip_ha1("1001", generated)
    # a clash stops at its row; the agents before it are made and shown
    clash = admin.post("/wizard/agents", data={"name_0": "Cy", "extension_0": "1003",
                                               "name_1": "Dup", "extension_1": "1001"})
    assert clash.status_code == 409 and b"already exists" in clash.data and b"<td>1003</td>" in clash.data
    assert b"Ann (1001), Bo (1002), Cy (1003)" in admin.get("/wizard/agents").data     # kept in the progress
    admin.post("/wizard/agents/next")

    # one queue with the agents, the number routed to it
    assert _location(admin.post("/wizard/queue", data={"name": "support", "member": [str(ann["id"]), str(bo["id"])]})) \
        == "/wizard/route"
    queue = queries.list_queues(db)[0]
    assert queue["name"] == "support"
    assert {m["id"] for m in queries.list_queue_members(db, queue["id"])} == {ann["id"], bo["id"]}
    assert admin.post("/wizard/route", data={"did": "not digits", "queue_id": str(queue["id"])}).status_code == 400
    assert _location(admin.post("/wizard/route", data={"did": "+4681234567", "queue_id": str(queue["id"])})) == \
        "/wizard/test-call"
    assert queries.route_for_did(db, "+4681234567")["queue_id"] == queue["id"]

    # the test call, as the engine's live status shows it arriving and answered
    page = admin.get("/wizard/test-call")
    assert b"+4681234567" in page.data and b"Waiting for a call" in page.data
    assert b"Waiting for a call" in admin.get("/wizard/test-call").data
    call = {"call_id": 7, "caller": "+46701112233", "did": "+4681234567", "queue_id": queue["id"], "phase": "queued",
            "ringing_agent_ids": [ann["id"]]}
    agent = {"id": ann["id"], "name": "Ann", "extension": "1001", "state": "idle"}
    engine.status = {"calls": [call], "agents": [agent], "active_calls": 1}
    assert b"Call from +46701112233" in admin.get("/wizard/test-call").data
    assert b"ringing Ann" in admin.get("/wizard/test-call").data
    engine.status = {"calls": [{**call, "phase": "talking", "agent_id": ann["id"], "ringing_agent_ids": []}],
                     "agents": [{**agent, "state": "busy", "call_id": 7}], "active_calls": 1}
    assert b"answered by Ann" in admin.get("/wizard/test-call").data

    assert _location(admin.post("/wizard/finish")) == "/live"
    assert _location(admin.get("/")) == "/live"
    actions = [e["action"] for e in queries.list_audit(db)]
    for action in ("trunk.create", "agent.create", "queue.create", "queue.member.add", "route.create",
                   "network.apply", "wizard.finished"):
        assert action in actions


def test_the_network_rolls_back_when_the_browser_does_not_come_back(admin, data_dir, net_clock, net_dirs, app):
    runtime, _ = net_dirs
    admin.post("/wizard/network", data={"interface": "eth0", "mode": "static", "address": "10.9.9.9/8"})
    assert "10.9.9.9" in (runtime / "10-callbox.network").read_text()
    net_clock.now += network.ROLLBACK_SECONDS
    assert admin.post("/wizard/network/confirm").json["verdict"] == "rollback"   # too late
    assert not (runtime / "10-callbox.network").exists()            # back to the image's default DHCP
    assert app.extensions["wizard_network"].pending() is None
    assert b"Apply" in admin.get("/wizard/network").data          # the form again, nothing pending


def test_the_new_address_confirms_with_the_links_token_and_no_session(admin, app, net_clock):
    admin.post("/wizard/network", data={"interface": "eth0", "mode": "dhcp"})
    token = app.extensions["wizard_network"].pending().token
    stranger = app.test_client()             # the new address: the old session cookie is not sent there
    assert b"No network change is waiting" in stranger.get("/wizard/network/keep?token=wrong").data
    assert stranger.post("/wizard/network/keep", data={"token": "wrong"}).status_code == 404
    assert app.extensions["wizard_network"].pending() is not None
    net_clock.now += network.SETTLE_SECONDS
    assert b"Keep the new setting" in stranger.get(f"/wizard/network/keep?token={token}").data
    kept = stranger.post("/wizard/network/keep", data={"token": token})
    assert b"is kept" in kept.data and app.extensions["wizard_network"].pending() is None


def test_callbox_run_exports_the_wizards_time_zone(data_dir, monkeypatch):
    from firmware import timezone

    monkeypatch.setenv("TZ", "UTC")
    assert timezone.export_time_zone(data_dir) is None               # none chosen: the machine's
    (data_dir / "config").mkdir(exist_ok=True)
    (data_dir / "config" / "timezone").write_text("Not/AZone\n")
    assert timezone.export_time_zone(data_dir) is None
    (data_dir / "config" / "timezone").write_text("Asia/Shanghai\n")
    assert timezone.export_time_zone(data_dir) == "Asia/Shanghai"
    import os
    assert os.environ["TZ"] == "Asia/Shanghai"


@pytest.mark.parametrize("step, form, message", [
    ("language", {"language": "fr", "prompt_language": "en"}, b"language: must be one of en, sv, de, zh"),
    ("language", {"language": "en"}, b"prompt_language: is required"),
    ("timezone", {"time_zone": "Europe/Atlantis"}, b"time_zone: is not a time zone of the zone database"),
    ("network", {"interface": "eth0", "mode": "static"}, b"address: is required"),
    ("network", {"interface": "wlan9", "mode": "dhcp"}, b"interface: must be one of eth0"),
    ("network", {"interface": "eth0", "mode": "bridge"}, b"mode: must be one of dhcp, static"),
    ("network", {"interface": "eth0", "mode": "static", "address": "192.168.1.300/24"},
     b"address: must be an address with its prefix length"),
    ("network", {"interface": "eth0", "mode": "static", "address": "192.168.1.2/24", "dns2": "dns.example"},
     b"dns2: is not an IP address"),
    ("network", {"interface": "eth0", "mode": "static", "address": "192.168.1.2/24", "gateway": "192.168.2.1"},
     b"gateway: must be an address inside the address&#39;s network"),
])
def test_the_wizards_own_steps_refuse_with_the_field_named(admin, app, step, form, message):
    response = admin.post(f"/wizard/{step}", data=form)
    assert response.status_code == 400
    assert message in response.data
    assert app.extensions["wizard_network"].pending() is None


def test_a_refused_member_leaves_the_queue_made_and_named(admin, db):
    response = admin.post("/wizard/queue", data={"name": "sales", "member": ["12ab"]})
    assert response.status_code == 400 and b"agent_id: must be an integer" in response.data
    assert b"Queue made: sales." in response.data
    assert admin.post("/wizard/queue", data={"name": "sales"}).status_code == 409
    assert [q["name"] for q in queries.list_queues(db)] == ["sales"]
