"""CALLBOX_BIND=auto, the image's setting: `callbox run` turns it into one address every program shares."""

import ipaddress
import socket

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


def test_without_a_default_route_the_first_global_address_is_taken():
    from firmware.config import first_global_address

    address = first_global_address()
    assert address is None or ipaddress.ip_address(address).is_private or ipaddress.ip_address(address).is_global
