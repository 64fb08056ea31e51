"""Every media test runs twice: on the compiled kernel ("c") and on its pure-Python reference ("py")."""

from __future__ import annotations

import pytest

from cython_ext import kernel


def _load(name: str, impl: str):
    try:
        return kernel(name, impl)
    except ImportError as exc:  # a missing build is a failure, not a skip: `make setup` builds it
        pytest.fail(f"cython_ext.{name} is not built ({exc}); run `make cython`")


def _kernel_fixture(name: str):
    @pytest.fixture(params=["c", "py"], ids=["compiled", "reference"], name=name)
    def fixture(request):
        return _load(name, request.param)

    return fixture


g711 = _kernel_fixture("g711")
mixer = _kernel_fixture("mixer")
jitter = _kernel_fixture("jitter")
dtmf = _kernel_fixture("dtmf")
tones = _kernel_fixture("tones")
recorder = _kernel_fixture("recorder")
