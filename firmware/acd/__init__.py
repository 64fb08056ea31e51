"""Pure queue routing logic: events in, actions out; no I/O and no clock of its own (time is passed in)."""

from firmware.acd.model import Acd, AgentState, RingAgent  # noqa: F401
