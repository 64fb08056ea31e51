"""Plain HTTP on the image redirects to HTTPS; a hostile Host header cannot pick the target."""

import pytest

from firmware.redirect import host_of, redirect_target


@pytest.mark.parametrize("header, host", [
    ("callbox.local", "callbox.local"),
    ("callbox.local:80", "callbox.local"),
    ("10.0.2.15", "10.0.2.15"),
    ("[fe80::1]:80", "[fe80::1]"),
    ("evil.example/x", None),
    ("a b", None),
    ("host:port", None),
    ("[::1", None),
    ("[nothex]", None),
    ("x" * 300, None),
    ("", None),
    (None, None),
])
def test_host_header(header, host):
    assert host_of(header) == host


def test_the_redirect_keeps_the_path_and_names_the_https_port():
    assert redirect_target("callbox.local", "/agents?page=2", "10.0.2.15", 443) == "https://callbox.local/agents?page=2"
    assert redirect_target("bad host", "/", "10.0.2.15", 8443) == "https://10.0.2.15:8443/"
    assert redirect_target(None, "http://elsewhere/", "fe80::1", 443) == "https://[fe80::1]/"
    assert "\r" not in redirect_target("callbox", "/a\r\nSet-Cookie: x", "10.0.2.15", 443)
