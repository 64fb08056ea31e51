"""The registration watcher against a real kamailio holding 1,000 registered phones (issue 8, finding 15).

kamcmd's `ul.dump` answered "reply too big" from 300-400 phones on, the watcher then read nothing,
and the engine took every agent for gone. The phones register with digest auth through
bench/sipreg.py, each from its own loopback address (the edge counts floods per address).
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from bench.sipreg import Phone, register_all, source_address
from firmware.config import BoxConfig
from firmware.edge.registrations import POLL_SECONDS, RegistrationWatcher
from firmware.store import open_store, queries
from tests.support.kamailio import data_dir_env, running_kamailio
from tests.support.ports import free_ports

pytestmark = pytest.mark.sip

PHONES = 1000
FIRST_EXTENSION = 3000


def password(i: int) -> str:
    return f"phone-pw-{i}"


@pytest.fixture(scope="module")
def edge_with_phones(tmp_path_factory):
    data = tmp_path_factory.mktemp("callbox-data")
    with data_dir_env(data):
        conn = open_store()
        for i in range(PHONES):
            queries.create_agent(conn, f"Agent {i}", str(FIRST_EXTENSION + i), password(i))
        conn.close()
    sip_port, engine_port = free_ports(2)
    config = dataclasses.replace(BoxConfig.from_env(), bind_address="127.0.0.1", sip_port=sip_port,
                                 engine_port=engine_port)
    with running_kamailio(config, data, log_level=1) as edge, data_dir_env(data):
        phones = [Phone(str(FIRST_EXTENSION + i), password(i), "127.0.0.1:9", source=source_address(i))
                  for i in range(PHONES)]
        registered = [p for p in register_all(edge.address, phones) if p.status == 200]
        assert len(registered) == PHONES, [(p.user, p.status, p.error) for p in phones if p.status != 200][:5]
        yield edge


def test_a_thousand_registered_phones_are_seen_within_the_watchers_period(edge_with_phones):
    watcher = RegistrationWatcher()
    started = time.monotonic()
    watcher.start()
    try:
        while watcher.version == 0 and time.monotonic() - started < POLL_SECONDS:
            time.sleep(0.05)
        seen = time.monotonic() - started
        assert len(watcher.registered) == PHONES, f"the watcher saw {len(watcher.registered)} phones\n" \
                                                  f"{edge_with_phones.log(20)}"
        assert watcher.registered == {str(FIRST_EXTENSION + i) for i in range(PHONES)}
        assert seen < POLL_SECONDS
    finally:
        watcher.stop()
        watcher.join(5)


def test_an_expired_or_unregistered_phone_is_not_counted(edge_with_phones):
    gone = Phone(str(FIRST_EXTENSION), password(0), "127.0.0.1:9", source=source_address(0))
    assert register_all(edge_with_phones.address, [gone], expires=0)[0].status == 200
    watcher = RegistrationWatcher()
    watcher.poll()
    assert len(watcher.registered) == PHONES - 1 and str(FIRST_EXTENSION) not in watcher.registered
