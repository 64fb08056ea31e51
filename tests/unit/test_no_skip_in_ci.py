"""The CI plugin turns skips into failures under CI=true, and only then."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SKIPPING = '''
import pytest

missing = pytest.importorskip("a_module_that_is_not_installed")

def test_never_collected():
    pass
'''

SKIPPING_IN_A_TEST = '''
import pytest

def test_needs_a_build():
    pytest.skip("pjsua2 is not built")

@pytest.mark.xfail(strict=True, reason="a known shortfall")
def test_known_shortfall():
    assert False
'''


def run(tmp_path: Path, source: str, ci: str) -> subprocess.CompletedProcess:
    test = tmp_path / "test_sample.py"
    test.write_text(source)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.support.no_skip_in_ci", "-q",
                           "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(test)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("source", [SKIPPING, SKIPPING_IN_A_TEST], ids=["at-collection", "in-a-test"])
def test_a_skip_fails_under_ci(tmp_path, source):
    result = run(tmp_path, source, "true")
    assert result.returncode in (1, 2), result.stdout  # a failed test, or an error at collection
    assert "skipped under CI=true" in result.stdout


def test_a_skip_stays_a_skip_outside_ci_and_xfail_is_untouched(tmp_path):
    result = run(tmp_path, SKIPPING_IN_A_TEST, "")
    assert result.returncode == 0, result.stdout
    assert "1 skipped, 1 xfailed" in result.stdout
    under_ci = run(tmp_path, SKIPPING_IN_A_TEST, "true")
    assert "1 failed, 1 xfailed" in under_ci.stdout
