"""Every response carries the security headers (issue 8, finding 12), and no page needs what the
Content-Security-Policy forbids (inline scripts, inline event handlers, inline styles)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "webui" / "templates"


@pytest.mark.parametrize("path, logged_in", [
    ("/login", False), ("/live", False), ("/live", True), ("/agents", True), ("/static/style.css", False),
    ("/no-such-page", True), ("/api/v1/agents", False),
])
def test_every_response_has_the_security_headers(client, auth, path, logged_in):
    if logged_in:
        auth.login()
    response = client.get(path)
    policy = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"


def test_no_template_has_inline_script_or_style():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: inline event handler"
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), f"{template.name}: inline script"
        assert not re.search(r"<style|\sstyle\s*=", text), f"{template.name}: inline style"


def test_a_405_names_the_allowed_methods(client, token, users):
    response = client.open("/api/v1/agents", method="TRACE", headers=token("admin"))
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
