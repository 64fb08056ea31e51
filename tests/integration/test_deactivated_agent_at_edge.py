"""A deactivated agent's phone is refused by the real kamailio, and a new agent on the same
extension registers with their own password (issue 8, finding 10: the `subscriber` view that
kamailio's auth_db reads shows active agents only)."""

from __future__ import annotations

import dataclasses

import pytest

from firmware.config import BoxConfig
from firmware.store import open_store, queries
from tests.support.kamailio import data_dir_env, running_kamailio
from tests.support.ports import free_port, free_ports
from tests.support.sipp import run_sipp

pytestmark = pytest.mark.sip

EXT, OLD_PASSWORD, NEW_PASSWORD = "1001", "old-phone-pw", "new-phone-pw"


@pytest.fixture
def edge(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with data_dir_env(data):
        conn = open_store()
        queries.create_agent(conn, "Ann", EXT, OLD_PASSWORD)
        conn.close()
    sip_port, engine_port = free_ports(2)
    config = dataclasses.replace(BoxConfig.from_env(), bind_address="127.0.0.1",
                                 sip_port=sip_port, engine_port=engine_port)
    with running_kamailio(config, data) as k:
        yield k, data


def register(edge, tmp_path, password: str, scenario: str = "register.xml"):
    return run_sipp(scenario, edge.remote, local_port=free_port(), service=EXT, auth_password=password,
                    workdir=tmp_path)


def test_a_deactivated_agents_phone_is_refused_and_the_extension_serves_a_new_agent(edge, tmp_path):
    kamailio, data = edge
    assert register(kamailio, tmp_path, OLD_PASSWORD).returncode == 0, kamailio.log()

    with data_dir_env(data):
        conn = open_store()
        queries.deactivate_agent(conn, queries.get_agent_by_extension(conn, EXT)["id"])
        conn.close()
    refused = register(kamailio, tmp_path, OLD_PASSWORD)
    assert refused.returncode == 1 and "403" in refused.errors, refused.explain()

    with data_dir_env(data):
        conn = open_store()
        queries.create_agent(conn, "Bo", EXT, NEW_PASSWORD)
        conn.close()
    assert register(kamailio, tmp_path, OLD_PASSWORD, "register_refused.xml").returncode == 0, kamailio.log()
    assert register(kamailio, tmp_path, NEW_PASSWORD).returncode == 0, kamailio.log()
    assert kamailio.alive(), kamailio.log()
