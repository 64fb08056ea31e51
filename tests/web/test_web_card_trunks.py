"""Card trunks (issue 11): `POST /api/v1/trunks {type: "fxo", device, dialect?, number}` is checked by
the same rules the OpenAPI says, stored for the engine, and offered on the trunks page."""

from __future__ import annotations

import pytest

from firmware.store import queries
from tests.web.responses import api_error
from tests.web.test_web_api import Api


@pytest.fixture
def api(client, token):
    return Api(client, token("admin"))


def test_an_fxo_trunk_is_created_with_its_device_dialect_and_number(api, db):
    response = api.post("/trunks", {"name": "analog 1", "type": "fxo", "device": "/dev/serial/by-id/usb-Conexant_"
                                    "USB_Modem-if00", "dialect": "conexant", "number": "4930100"})
    assert response.status_code == 201, response.get_json()
    trunk = response.get_json()
    assert (trunk["type"], trunk["device"], trunk["dialect"], trunk["number"], trunk["address"]) == \
        ("fxo", "/dev/serial/by-id/usb-Conexant_USB_Modem-if00", "conexant", "4930100", "")
    assert api.get(f"/trunks/{trunk['id']}").get_json() == trunk
    stored = queries.list_trunks_with_secrets(db)[0]
    assert (stored["device"], stored["number"]) == (trunk["device"], "4930100")
    default = api.post("/trunks", {"name": "analog 2", "type": "fxo", "device": "/dev/ttyACM1", "number": "+4930101"})
    assert default.get_json()["dialect"] == "auto"
    assert api.post("/trunks", {"name": "pbx", "type": "peer", "address": "10.0.0.2"}).get_json()["device"] is None


@pytest.mark.parametrize("body, field", [
    ({"name": "a", "type": "fxo", "number": "4930100"}, "device"),
    ({"name": "a", "type": "fxo", "device": "dev/ttyS0", "number": "4930100"}, "device"),
    ({"name": "a", "type": "fxo", "device": "/dev/../etc/passwd", "number": "4930100"}, "device"),
    ({"name": "a", "type": "fxo", "device": "/dev/tty S0", "number": "4930100"}, "device"),
    ({"name": "a", "type": "fxo", "device": "/dev/ttyS0\n", "number": "4930100"}, "device"),
    ({"name": "a", "type": "fxo", "device": "/dev/ttyS0"}, "number"),
    ({"name": "a", "type": "fxo", "device": "/dev/ttyS0", "number": "49-30"}, "number"),
    ({"name": "a", "type": "fxo", "device": "/dev/ttyS0", "number": "4930100", "dialect": "hayes"}, "dialect"),
    ({"name": "a", "type": "peer"}, "address"),
])
def test_card_trunk_fields_are_checked(api, body, field):
    api_error(api.post("/trunks", body), 400, f"{field}:")


def test_the_openapi_describes_the_card_trunk(client, token):
    description = client.get("/api/v1/openapi.json", headers=token("agent")).get_json()
    schema = description["components"]["schemas"]["TrunkCreate"]
    assert "fxo" in schema["properties"]["type"]["enum"]
    assert {"device", "dialect", "number"} <= set(schema["properties"])


def test_the_page_creates_an_fxo_trunk(auth, client, db):
    auth.login()
    page = client.get("/trunks").get_data(as_text=True)
    assert 'name="device"' in page and '>rockwell<' in page and 'name="number"' in page


def test_the_line_and_its_card_test_through_the_api(api, db, engine):
    trunk = api.post("/trunks", {"name": "analog", "type": "fxo", "device": "/dev/ttyACM0", "number": "4930100"})
    trunk_id = trunk.get_json()["id"]
    line = {"up": True, "state": "idle", "codec": "ulaw", "full_duplex": False, "in_call": False, "last_check": None}
    engine.answers["trunks"] = {"trunks": [{"id": trunk_id, "name": "analog", "type": "fxo", "registration": None,
                                            "line": line}]}
    assert api.get(f"/trunks/{trunk_id}/line").get_json() == line
    engine.answers["card_test"] = {"started": True}
    started = api.post(f"/trunks/{trunk_id}/line/test")
    assert (started.status_code, started.get_json()) == (202, {"started": True})
    assert ("card_test", {"trunk_id": trunk_id}) in engine.commands
    peer = api.post("/trunks", {"name": "pbx", "type": "peer", "address": "10.0.0.2"}).get_json()
    api_error(api.get(f"/trunks/{peer['id']}/line"), 404, "no card trunk")
    engine.refusals["card_test"] = "the line is talking, not idle"
    api_error(api.post(f"/trunks/{trunk_id}/line/test"), 409, "not idle")


def test_the_page_shows_the_line_and_starts_its_test(auth, client, db, engine):
    trunk = queries.create_trunk(db, "analog", "fxo", "", device="/dev/ttyACM0", dialect="auto", number="4930100")
    db.commit()
    engine.answers["trunks"] = {"trunks": [{"id": trunk["id"], "name": "analog", "type": "fxo", "registration": None,
                                            "line": {"up": True, "state": "idle", "codec": "ulaw",
                                                     "full_duplex": False, "in_call": False,
                                                     "last_check": {"dial_tone": True, "seconds": 0.2,
                                                                    "detail": "dial tone", "at": 1.0}}}]}
    engine.answers["card_test"] = {"started": True}
    auth.login()
    page = client.get("/trunks").get_data(as_text=True)
    assert "Line up (ulaw, half duplex), idle." in page and "dial tone after 0.2 s" in page
    response = client.post(f"/trunks/{trunk['id']}/line-test",
                           follow_redirects=True)
    assert "Line test started" in response.get_data(as_text=True)
    assert ("card_test", {"trunk_id": trunk["id"]}) in engine.commands
