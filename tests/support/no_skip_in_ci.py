"""Under CI=true a skipped test fails: a missing pjsua2 build, Cython extension, prompt or chromium
must turn CI red, never into a green skip (issue 9, item 9).

A pytest plugin rather than a rule in each test: a new `skipif` or `importorskip` anywhere is covered
without anyone remembering. Outside CI a skip stays a skip, so a developer without chromium can still
run the rest. Expected failures (xfail) are not skips and are left alone.
"""

from __future__ import annotations

import os

import pytest


def ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _fail_instead(report, what: str) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"{what} skipped under CI=true, which must not happen: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if ci() and report.skipped and not hasattr(report, "wasxfail"):
        _fail_instead(report, item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if ci() and report.skipped:
        _fail_instead(report, collector.nodeid or "collection")
