"""Pure queue routing logic: events in, actions out; no I/O and no clock of its own (time is passed in)."""

from firmware.acd.actions import (Action, AgentActivity, AgentPaused, Bridge, CallbackRegistered, CallFinished,  # noqa: F401
                                  ClearAlarm, Destination, OfferCallback, Overflow, PlaceCallback, PlayMessage,
                                  RaiseAlarm, RingAgent, StandbyLogin, StandbyLogout, StateRepaired, StopRinging)
from firmware.acd.config import (AgentConfig, AlarmPolicy, CallbackPolicy, Condition, MessageSet,  # noqa: F401
                                 OverflowRule, PauseReason, QueueConfig, SkillRule, StandbyPolicy, Strategy)
from firmware.acd.core import Acd  # noqa: F401
from firmware.acd.schedule import Schedule, hours  # noqa: F401
from firmware.acd.states import Agent, AgentState, CallbackRequest, CallKind, Queue, WaitingCall  # noqa: F401
