"""CALLBOX_BIND=auto, the image's setting: `callbox run` turns it into one address every program shares."""

import ipaddress
import socket
import subprocess

from firmware.config import BoxConfig, default_route_address, resolve_auto_bind


def test_auto_becomes_an_address_of_this_machine(monkeypatch):
    monkeypatch.setenv("CALLBOX_BIND", "auto")
    resolve_auto_bind()
    address = BoxConfig.from_env().bind_address
    assert ipaddress.ip_address(address).version == 4
    # an address of this machine: a socket binds to it
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((address, 0))
    assert address == default_route_address()


def test_a_given_address_is_left_alone(monkeypatch):
    monkeypatch.setenv("CALLBOX_BIND", "127.0.0.1")
    resolve_auto_bind()
    assert BoxConfig.from_env().bind_address == "127.0.0.1"


IP_JSON = """[{"ifname": "lo", "addr_info": []},
 {"ifname": "eth0", "addr_info": [{"family": "inet", "local": "not an address"},
                                  {"family": "inet", "local": "192.0.2.7", "prefixlen": 24}]},
 {"ifname": "eth1", "addr_info": [{"family": "inet", "local": "198.51.100.9"}]}]"""


def fake_ip(stdout: str | None):
    """A stand-in for `ip -4 -json addr show ...`: its output, or a failure when None."""
    def run(args, **kwargs):
        assert args[:3] == ["ip", "-4", "-json"]
        if stdout is None:
            raise subprocess.CalledProcessError(1, args)
        return subprocess.CompletedProcess(args, 0, stdout=stdout, stderr="")
    return run


def test_without_a_default_route_the_first_global_address_is_taken(monkeypatch):
    from firmware import config

    monkeypatch.setattr(config.subprocess, "run", fake_ip(IP_JSON))
    assert config.first_global_address() == "192.0.2.7"      # the first valid one, in interface order
    monkeypatch.setattr(config.subprocess, "run", fake_ip('{"not": "a list"}'))
    assert config.first_global_address() is None
    monkeypatch.setattr(config.subprocess, "run", fake_ip(None))
    assert config.first_global_address() is None
