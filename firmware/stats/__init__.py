"""Queueing formulas for forecasting and staffing: Erlang B, C and A, and a staffing calculator."""

from firmware.stats.erlang import (ErlangA, ErlangC, agents_needed, erlang_a, erlang_b, erlang_c,  # noqa: F401
                                   offered_load)
