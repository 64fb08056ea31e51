"""Fixtures shared by every test group."""

import pytest

from tests.support.notices import smtp_server, sms_gateway

pytest_plugins = ["tests.support.no_skip_in_ci"]


@pytest.fixture
def smtp():
    """A real SMTP server on loopback: (port, inbox)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def gateway():
    """A real HTTP SMS gateway on loopback: its URL (what it got: tests.support.notices.Gateway)."""
    with sms_gateway() as url:
        yield url
