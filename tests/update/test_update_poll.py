"""The update address (firmware/update/poll.py) against a real HTTP server on loopback: a newer
bundle for this board is fetched and installed; the board's own newest already running, a garbled
index or nobody answering change nothing and are recorded quietly."""

from __future__ import annotations

import functools
import http.server
import json
import socket
import threading

import pytest

from firmware.update import poll, state
from tests.update.world import read_version


@pytest.fixture
def vendor(world):
    """A vendor's web server: the directory `world.root / "vendor"`, its URL."""
    site = world.root / "vendor"
    site.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def publish(site, *entries):
    (site / "index.json").write_text(json.dumps({"bundles": list(entries)}))


def test_a_newer_bundle_for_this_board_is_fetched_and_installed(world, vendor):
    site, url = vendor
    world.bundle("b110", "1.1.0").rename(site / "callbox-1.1.0.raucb")
    world.bundle("b120", "1.2.0", compatible="callbox-rpi4").rename(site / "rpi4-1.2.0.raucb")
    publish(site, {"compatible": "callbox-test", "version": "1.1.0", "url": "callbox-1.1.0.raucb"},
            {"compatible": "callbox-rpi4", "version": "1.2.0", "url": "rpi4-1.2.0.raucb"},
            {"compatible": "callbox-test", "version": "junk", "url": "x"})
    assert poll.check_now(install=True, url=f"{url}/index.json") == 0
    assert read_version(world.slot_b) == "1.1.0"
    assert state.read("poll")["ok"] is True and state.read("pending")["version"] == "1.1.0"
    assert not (world.root / "box/update/download.raucb").exists()


def test_nothing_newer_garbled_or_offline_changes_nothing(world, vendor):
    site, url = vendor
    before = world.snapshot()
    publish(site, {"compatible": "callbox-test", "version": "1.0.0", "url": "same.raucb"})
    poll.check_now(install=True, url=f"{url}/index.json")
    assert state.read("poll")["message"] == "The box runs the newest version."
    (site / "index.json").write_text("<html>not json</html>")
    poll.check_now(install=True, url=f"{url}/index.json")
    assert "not understood" in state.read("poll")["message"]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert poll.check_now(install=True, url=f"http://127.0.0.1:{port}/index.json") == 0
    assert state.read("poll")["message"].startswith("Update check failed: the update address did not answer")
    assert world.snapshot() == before


@pytest.mark.parametrize("url", ["ftp://vendor.example/i.json", "file:///etc/passwd", "https://", "http://a b/",
                                 "https://vendor.example/\u202eindex", "http://" + "a" * 500])
def test_only_http_addresses_are_taken(url):
    with pytest.raises(ValueError):
        poll.valid_url(url)
