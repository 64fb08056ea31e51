"""Outbound registration of a provider trunk with digest auth, through the edge."""

import subprocess

import pytest

from tests.support.ports import free_port
from tests.support.sipp import background_sipp

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def test_register_trunk_authenticates_at_the_provider(box, tmp_path):
    port = free_port()
    with background_sipp("provider_registrar.xml", local_port=port, calls=1, timeout=20,
                         workdir=tmp_path) as provider:
        trunk = box.api("POST", "/trunks", {"name": "provider", "type": "register", "address": f"127.0.0.1:{port}",
                                            "username": "trunkuser", "password": "trunk-pw-42"}, expect=201)
        result = provider.wait(20)
    assert result.returncode == 0, result.explain() + box.logs()
    assert "password" not in box.api("GET", f"/trunks/{trunk['id']}", expect=200)
    assert "trunk-pw-42" not in box.logs(tail=10000)
    box.api("DELETE", f"/trunks/{trunk['id']}", expect=204)


def test_a_new_trunk_is_trusted_by_the_edge_at_once(box):
    """Its address is exempt from flood bans as soon as the API has answered."""
    trunk = box.api("POST", "/trunks", {"name": "second carrier", "type": "peer", "address": "127.0.0.9:5077"},
                    expect=201)
    dump = subprocess.run(["kamcmd", "-s", f"unix:{box.data / 'run' / 'kamailio_ctl'}", "permissions.addressDump"],
                          capture_output=True, text=True, timeout=5).stdout
    assert "127.0.0.9" in dump
    box.api("DELETE", f"/trunks/{trunk['id']}", expect=204)
