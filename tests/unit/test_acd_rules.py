"""Every routing rule of the ACD, one small scenario each: events in, actions out."""

import datetime as dt

import pytest

from firmware.acd import (Acd, AgentConfig, AgentPaused, AgentState, AlarmPolicy, Bridge, CallbackPolicy,
                          CallbackRegistered, CallFinished, ClearAlarm, Condition, Destination, MessageSet,
                          OfferCallback, Overflow, OverflowRule, PauseReason, PlaceCallback, PlayMessage, QueueConfig,
                          RaiseAlarm, RingAgent, Schedule, SkillRule, StandbyLogin, StandbyLogout, StandbyPolicy,
                          StateRepaired, StopRinging, Strategy, hours)
from firmware.acd.estimator import erlang_median, speakable_wait


def rings(actions):
    return [(a.call_id, a.agent_id) for a in actions if isinstance(a, RingAgent)]


def of(kind, actions):
    return [a for a in actions if isinstance(a, kind)]


def center(strategy=Strategy.LONGEST_IDLE, agents=(1, 2, 3), **queue):
    acd = Acd()
    acd.configure_queue(10, QueueConfig(strategy=strategy, **queue), 0.0)
    for i, agent_id in enumerate(agents):
        acd.login(agent_id, [10], now=float(i))
    acd.tick(5.0)
    return acd


def serve(acd, call_id, now, queue=10, **kw):
    """A call arrives, is answered by whoever the ACD rings first, and ends a second later."""
    acd.call_arrived(call_id, queue, now, **kw)
    (call, agent), *_ = rings(acd.tick(now))
    acd.agent_answered(call, agent, now)
    acd.call_ended(call, agent, now + 1)
    acd.tick(now + 1)
    return agent


# --- distribution (ACD5) -------------------------------------------------------------------------

def test_ring_all_rings_every_free_agent_and_the_first_answer_wins():
    acd = center(Strategy.RING_ALL)
    acd.call_arrived(1, 10, 10.0)
    assert sorted(rings(acd.tick(10.0))) == [(1, 1), (1, 2), (1, 3)]
    acd.agent_answered(1, 2, 11.0)
    actions = acd.take_actions()
    assert sorted((a.agent_id, a.reason) for a in of(StopRinging, actions)) == [(1, "answered-elsewhere"),
                                                                                 (3, "answered-elsewhere")]
    assert of(Bridge, actions) == [Bridge(1, 2)]
    assert [acd.agents[i].state for i in (1, 2, 3)] == [AgentState.IDLE, AgentState.BUSY, AgentState.IDLE]


def test_sequential_always_starts_from_the_top_of_the_configured_order():
    acd = center(Strategy.SEQUENTIAL, member_order=(3, 1, 2))
    assert [serve(acd, c, 10.0 + c * 10) for c in (1, 2, 3)] == [3, 3, 3]
    acd.call_arrived(4, 10, 50.0)
    acd.call_arrived(5, 10, 50.0)
    assert rings(acd.tick(50.0)) == [(4, 3), (5, 1)]


def test_round_robin_remembers_where_it_stopped():
    acd = center(Strategy.ROUND_ROBIN, member_order=(2, 3, 1))
    assert [serve(acd, c, 10.0 + c * 10) for c in range(1, 6)] == [2, 3, 1, 2, 3]


def test_longest_idle_takes_the_agent_free_for_the_longest_time():
    acd = center(Strategy.LONGEST_IDLE)
    assert serve(acd, 1, 10.0) == 1
    assert serve(acd, 2, 20.0) == 2
    assert serve(acd, 3, 30.0) == 3
    assert serve(acd, 4, 40.0) == 1


def test_fewest_calls_and_least_talk_time():
    acd = center(Strategy.FEWEST_CALLS, agents=(1, 2))
    acd.agents[1].calls_answered = 5
    assert serve(acd, 1, 10.0) == 2
    acd = center(Strategy.LEAST_TALK_TIME, agents=(1, 2))
    acd.agents[2].talk_time = 600.0
    assert serve(acd, 1, 10.0) == 1


def test_random_and_weighted_random_follow_the_weights():
    acd = center(Strategy.RANDOM)
    assert {serve(acd, c, 10.0 * c) for c in range(1, 60)} == {1, 2, 3}
    acd = center(Strategy.WEIGHTED_RANDOM, member_weights={1: 8.0, 2: 1.0, 3: 0.0})
    picks = [serve(acd, c, 10.0 * c) for c in range(1, 200)]
    assert picks.count(3) == 0 and picks.count(1) > 3 * picks.count(2) > 0


def test_skills_pick_the_best_level_and_widen_with_the_wait():
    acd = Acd(ring_timeout=100.0)
    acd.configure_queue(10, QueueConfig(strategy=Strategy.SKILLS,
                                        skill_rules=(SkillRule(30, 5), SkillRule(60, 0))), 0.0)
    acd.configure_agent(1, AgentConfig(skills={"fr": 3}), 0.0)
    acd.configure_agent(2, AgentConfig(skills={"fr": 6}), 0.0)
    acd.configure_agent(3, AgentConfig(skills={"de": 9}), 0.0)
    for agent_id in (1, 2, 3):
        acd.login(agent_id, [10], 0.0)
    acd.call_arrived(1, 10, 1.0, skills={"fr": 5})
    assert rings(acd.tick(1.0)) == [(1, 2)]           # the best French speaker
    acd.call_arrived(2, 10, 2.0, skills={"fr": 8})
    assert rings(acd.tick(2.0)) == []                # nobody at level 8 ...
    assert rings(acd.tick(31.0)) == []               # ... after 30 s level 5 would do, agent 2 is ringing
    acd.agent_no_answer(1, 2, 31.5)
    assert rings(acd.tick(32.0)) == [(1, 2)]         # call 1 is older: it comes first
    assert rings(acd.tick(62.0)) == [(2, 1)]         # after 60 s anyone: the French level 3 before German
    with pytest.raises(ValueError):
        AgentConfig(skills={"fr": 11})


# --- ring timeout, retries, delays, auto-pause ---------------------------------------------------

def test_ring_timeout_stops_ringing_and_offers_the_next_agent():
    acd = center(ring_timeout=10.0)
    acd.call_arrived(1, 10, 10.0)
    assert rings(acd.tick(10.0)) == [(1, 1)]
    assert acd.next_deadline() == 20.0
    actions = acd.tick(20.0)
    assert of(StopRinging, actions) == [StopRinging(1, 1, "timeout")]
    assert rings(actions) == [(1, 1)]       # still the longest idle: no delay configured


def test_retry_delay_and_no_answer_delay():
    acd = center(ring_timeout=10.0, retry_delay=5.0)
    acd.configure_agent(1, AgentConfig(no_answer_delay=60.0), 0.0)
    acd.call_arrived(1, 10, 10.0)
    acd.tick(10.0)
    assert rings(acd.tick(20.0)) == []      # the call waits 5 s before the next offer
    assert rings(acd.tick(25.0)) == [(1, 2)]  # agent 1 is skipped for 60 s


def test_reject_and_busy_delays():
    acd = center(agents=(1, 2))
    acd.configure_agent(1, AgentConfig(reject_delay=30.0, busy_delay=90.0), 0.0)
    acd.call_arrived(1, 10, 10.0)
    acd.tick(10.0)
    acd.agent_rejected(1, 1, 11.0)
    assert rings(acd.tick(11.0)) == [(1, 2)]
    assert acd.agents[1].blocked_until == 41.0
    acd.agent_busy(1, 2, 12.0)
    assert acd.agents[2].blocked_until <= 12.0      # agent 2 has no busy delay
    assert rings(acd.tick(12.0)) == [(1, 2)]


def test_max_no_answer_pauses_the_agent_with_the_reason():
    acd = center(agents=(1,), max_no_answer=2, auto_pause_reason="missed-calls")
    acd.call_arrived(1, 10, 10.0)
    acd.tick(10.0)
    acd.agent_no_answer(1, 1, 20.0)
    acd.tick(20.0)
    acd.agent_no_answer(1, 1, 30.0)
    actions = acd.tick(30.0)
    assert of(AgentPaused, actions) == [AgentPaused(1, "missed-calls")]
    assert acd.agents[1].state == AgentState.PAUSED and acd.agents[1].pause_reason == "missed-calls"
    assert rings(actions) == []


# --- sticky agent (ACD6) -------------------------------------------------------------------------

def test_a_caller_calling_again_gets_their_last_agent_first_for_a_while():
    acd = center(sticky_window=3600.0, sticky_hold=20.0)
    acd.call_arrived(1, 10, 10.0, caller="+4930123")
    assert rings(acd.tick(10.0)) == [(1, 1)]
    acd.agent_answered(1, 1, 11.0)
    acd.call_arrived(2, 10, 100.0, caller="+4930123")
    assert rings(acd.tick(100.0)) == []             # waits for agent 1, though 2 and 3 are free
    acd.call_ended(1, 1, 105.0)
    assert rings(acd.tick(105.0)) == [(2, 1)]
    acd.agent_no_answer(2, 1, 106.0)
    acd.pause(1, "lunch", 106.0)
    assert rings(acd.tick(119.0)) == []
    assert rings(acd.tick(120.0)) == [(2, 2)]       # hold over: the queue takes it


def test_sticky_window_expires():
    acd = center(sticky_window=60.0, sticky_hold=20.0)
    acd.call_arrived(1, 10, 10.0, caller="x")
    acd.tick(10.0)
    acd.agent_answered(1, 1, 10.0)
    acd.call_arrived(2, 10, 100.0, caller="x")      # 90 s later: not sticky
    assert rings(acd.tick(100.0)) == [(2, 2)]


# --- overflow (ACD7) -----------------------------------------------------------------------------

VOICEMAIL = Destination("voicemail", "vm-1")


@pytest.mark.parametrize("condition, threshold, setup, expected", [
    (Condition.MAX_LENGTH, 1, "one-waiting", True),
    (Condition.MAX_LENGTH, 2, "one-waiting", False),
    (Condition.NO_AGENT_LOGGED_IN, 0, "nobody", True),
    (Condition.NO_AGENT_LOGGED_IN, 0, "paused", False),
    (Condition.NO_AGENT_AVAILABLE, 0, "paused", True),
    (Condition.NO_AGENT_AVAILABLE, 0, "idle", False),
    (Condition.ESTIMATED_WAIT, 100, "one-waiting", True),       # 2 calls ahead of 1 agent * 180 s
    (Condition.ESTIMATED_WAIT, 1000, "one-waiting", False),
    (Condition.CALLS_PER_AGENT, 1.5, "one-waiting", True),
    (Condition.CALLS_PER_AGENT, 2, "one-waiting", False),
])
def test_overflow_conditions_at_arrival(condition, threshold, setup, expected):
    acd = Acd()
    acd.configure_queue(10, QueueConfig(overflow=(OverflowRule(condition, VOICEMAIL, threshold),)), 0.0)
    if setup != "nobody":
        acd.login(1, [10], 0.0)
    if setup == "paused":
        acd.pause(1, "break", 0.0)
    if setup == "one-waiting":
        acd.call_arrived(100, 10, 0.0)
        acd.tick(0.0)
        acd.agent_answered(100, 1, 0.0)
        acd.call_arrived(101, 10, 0.0)
    acd.take_actions()
    position = acd.call_arrived(1, 10, 1.0)
    actions = acd.tick(1.0)
    if expected:
        assert position is None
        assert of(Overflow, actions) == [Overflow(1, 10, condition.value, VOICEMAIL)]
        assert of(CallFinished, actions) == [CallFinished(1, "overflow:voicemail")]
    else:
        assert position is not None and not of(Overflow, actions)


def test_overflow_when_closed_by_schedule_and_when_closing_while_waiting():
    schedule = Schedule.weekdays("08:00-17:00", "Europe/Berlin")
    acd = Acd()
    acd.wall_offset = dt.datetime(2024, 3, 4, 16, 59, 50, tzinfo=schedule._zone).timestamp()   # a Monday
    hangup = Destination("hangup", "closed-message")
    acd.configure_queue(10, QueueConfig(schedule=schedule, overflow=(OverflowRule(Condition.CLOSED, hangup),)), 0.0)
    assert acd.call_arrived(1, 10, 0.0) == 1          # 16:59:50: open
    assert not of(Overflow, acd.tick(1.0))
    actions = acd.tick(11.0)                          # 17:00:01: closed, the waiting caller goes
    assert of(Overflow, actions) == [Overflow(1, 10, "closed", hangup)]
    assert acd.call_arrived(2, 10, 12.0) is None


def test_max_wait_and_a_lowered_limit_applies_to_callers_already_waiting():
    number = Destination("number", "+4940999")
    def rule(s):
        return QueueConfig(overflow=(OverflowRule(Condition.MAX_WAIT, number, s),))
    acd = Acd()
    acd.configure_queue(10, rule(300), 0.0)
    acd.call_arrived(1, 10, 0.0)
    acd.call_arrived(2, 10, 100.0)
    assert acd.next_deadline() == 300.0
    assert not of(Overflow, acd.tick(250.0))
    acd.configure_queue(10, rule(120), 250.0)       # lowered: call 1 waited 250 s, call 2 150 s
    actions = acd.tick(250.0)
    assert [a.call_id for a in of(Overflow, actions)] == [1, 2]
    assert acd.waiting == {}


def test_overflow_to_another_queue_keeps_the_callers_place_by_arrival():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(overflow=(OverflowRule(Condition.MAX_WAIT, Destination("queue", 20), 60),)),
                        0.0)
    acd.call_arrived(1, 10, 0.0)
    acd.call_arrived(2, 20, 30.0)
    actions = acd.tick(60.0)
    assert of(Overflow, actions)[0].destination == Destination("queue", 20)
    assert not of(CallFinished, actions)
    assert acd.waiting[1].queue_id == 20 and acd.position(1) == 1 and acd.position(2) == 2


def test_overflow_to_a_queue_that_does_not_exist_turns_the_caller_away_and_says_so():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(overflow=(OverflowRule(Condition.MAX_WAIT, Destination("queue", 99), 60),)),
                        0.0)
    acd.call_arrived(1, 10, 0.0)
    actions = acd.tick(60.0)
    assert of(Overflow, actions) == [Overflow(1, 10, "max-wait", Destination("hangup", "overflow"))]
    assert of(CallFinished, actions) == [CallFinished(1, "overflow:hangup")]
    assert of(StateRepaired, actions)[0].detail == "overflow from queue 10 to queue 99: that queue does not exist"
    assert acd.waiting == {} and 99 not in acd.queues


def test_a_loop_of_overflow_rules_ends_with_the_overflow_message():
    acd = Acd()
    for here, there in ((10, 20), (20, 10)):
        acd.configure_queue(here, QueueConfig(overflow=(OverflowRule(Condition.NO_AGENT_LOGGED_IN,
                                                                     Destination("queue", there)),)), 0.0)
    acd.call_arrived(1, 10, 0.0)
    actions = acd.tick(0.0)
    assert [a.destination.kind for a in of(Overflow, actions)] == ["queue"] * 5 + ["hangup"]
    assert of(CallFinished, actions) == [CallFinished(1, "overflow:hangup")]
    assert "too many overflows in a row" in of(StateRepaired, actions)[0].detail


def test_a_removed_queue_lets_its_agents_go_and_loses_no_caller():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(alarms=AlarmPolicy(min_agents=3), callback=CallbackPolicy()), 0.0)
    acd.configure_queue(20, QueueConfig(), 0.0)
    acd.login(1, [10, 20], 0.0)
    acd.login(2, [10], 0.0)
    acd.pause(2, "lunch", 0.0)
    acd.call_arrived(1, 10, 1.0)                     # rings agent 1
    acd.call_arrived(2, 10, 2.0)
    acd.callback_requested(2, 3.0)
    acd.call_arrived(3, 10, 4.0)
    assert rings(acd.tick(4.0)) == [(1, 1)]          # and the few-agents alarm is raised
    acd.remove_queue(10, 5.0)
    actions = acd.take_actions()
    assert of(StopRinging, actions) == [StopRinging(1, 1, "queue-removed")]
    assert of(Overflow, actions) == [Overflow(call, 10, "queue-removed", Destination("hangup", "overflow"))
                                     for call in (1, 3)]
    assert {(a.call_id, a.outcome) for a in of(CallFinished, actions)} == {
        (1, "overflow:hangup"), (2, "callback-failed"), (3, "overflow:hangup")}
    assert acd.callbacks[2].status == "failed"
    assert of(ClearAlarm, actions) == [ClearAlarm("few-agents", "queue 10")]
    assert 10 not in acd.queues and acd.waiting == {}
    assert acd.agents[1].queue_ids == {20} and acd.agents[1].state is AgentState.IDLE
    assert acd.agents[2].state is AgentState.LOGGED_OUT
    acd.call_arrived(4, 20, 6.0)                     # the box goes on with the other queue
    assert rings(acd.tick(6.0)) == [(4, 1)]


def test_last_agent_logging_out_sends_callers_to_voicemail():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(overflow=(OverflowRule(Condition.NO_AGENT_LOGGED_IN, VOICEMAIL),)), 0.0)
    acd.login(1, [10], 0.0)
    acd.pause(1, "meeting", 0.0)
    acd.call_arrived(1, 10, 1.0)
    acd.logout(1, 2.0)
    assert of(CallFinished, acd.tick(2.0)) == [CallFinished(1, "overflow:voicemail")]


def test_overflow_to_callback_holds_the_place():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(overflow=(OverflowRule(Condition.MAX_LENGTH, Destination("callback"), 1),),
                                        callback=CallbackPolicy()), 0.0)
    acd.call_arrived(1, 10, 0.0, caller="111")
    acd.call_arrived(2, 10, 1.0, caller="222")
    actions = acd.tick(1.0)
    assert of(CallbackRegistered, actions) == [CallbackRegistered(2, "222", 1.0, True)]
    assert acd.callbacks[2].forced and acd.callbacks[2].status == "waiting"
    assert not of(CallFinished, actions)


# --- schedules (ACD1) ----------------------------------------------------------------------------

def test_schedule_weekly_hours_holidays_exceptions_and_time_zones():
    berlin = Schedule.weekdays("08:00-12:00,13:00-17:00", "Europe/Berlin", saturday="09:00-12:00")
    berlin.holidays |= {(12, 25), dt.date(2024, 4, 1)}
    berlin.exceptions[dt.date(2024, 12, 24)] = hours("08:00-10:00")
    berlin.exceptions[dt.date(2024, 3, 10)] = hours("10:00-14:00")       # an open Sunday

    def at(*args):
        return dt.datetime(*args, tzinfo=berlin._zone).timestamp()

    assert berlin.is_open(at(2024, 3, 4, 8, 0))              # Monday
    assert not berlin.is_open(at(2024, 3, 4, 12, 30))        # lunch
    assert not berlin.is_open(at(2024, 3, 4, 17, 0))         # end is exclusive
    assert berlin.is_open(at(2024, 3, 9, 11, 59))            # Saturday
    assert not berlin.is_open(at(2024, 3, 3, 11, 0))         # Sunday
    assert berlin.is_open(at(2024, 3, 10, 11, 0))            # the open Sunday
    assert not berlin.is_open(at(2024, 4, 1, 9, 0))          # Easter Monday
    assert not berlin.is_open(at(2025, 12, 25, 9, 0))        # every Christmas
    assert berlin.is_open(at(2024, 12, 24, 9, 0)) and not berlin.is_open(at(2024, 12, 24, 11, 0))
    # the same instant: 08:30 in Berlin is 07:30 UTC in winter, 06:30 UTC in summer
    utc = Schedule.weekdays("08:00-17:00", "UTC")
    assert berlin.is_open(at(2024, 1, 8, 8, 30)) and not utc.is_open(at(2024, 1, 8, 8, 30))
    assert berlin.is_open(at(2024, 7, 8, 8, 30)) and not utc.is_open(at(2024, 7, 8, 8, 30))
    allday = Schedule("Asia/Shanghai", {0: hours("00:00-00:00")})
    assert allday.is_open(dt.datetime(2024, 3, 4, 23, 59, tzinfo=allday._zone).timestamp())


# --- priorities and fairness (ACD8) --------------------------------------------------------------

def test_shared_agent_takes_the_longest_waiting_caller_across_queues():
    acd = Acd()
    acd.call_arrived(1, 10, 5.0)
    acd.call_arrived(2, 20, 1.0)
    acd.call_arrived(3, 10, 3.0)
    acd.login(1, [10, 20], 10.0)
    served = []
    for t in (10.0, 20.0, 30.0):
        (call, agent), = rings(acd.tick(t))
        served.append(call)
        acd.agent_answered(call, agent, t)
        acd.call_ended(call, agent, t + 5)
    assert served == [2, 3, 1]


def test_priority_first_then_queue_weight_then_arrival():
    acd = Acd()
    acd.configure_queue(20, QueueConfig(weight=5), 0.0)
    acd.call_arrived(1, 10, 0.0)
    acd.call_arrived(2, 20, 5.0)                    # heavier queue
    acd.call_arrived(3, 10, 9.0, priority=2)        # VIP
    acd.call_arrived(4, 10, 1.0)
    assert [acd.position(c) for c in (1, 4, 3)] == [2, 3, 1]
    acd.login(1, [10, 20], 10.0)
    served = []
    for t in (10.0, 20.0, 30.0, 40.0):
        (call, agent), = rings(acd.tick(t))
        served.append(call)
        acd.agent_answered(call, agent, t)
        acd.call_ended(call, agent, t + 5)
    assert served == [3, 2, 1, 4]


# --- agent states, wrap-up (ACD9), pauses (ACD10), phones ---------------------------------------

def test_wrap_up_per_queue_or_agent_with_early_end_and_extension():
    acd = center(agents=(1, 2), wrapup=30.0)
    acd.configure_agent(2, AgentConfig(wrapup=5.0), 0.0)
    acd.call_arrived(1, 10, 10.0)
    acd.call_arrived(2, 10, 10.0)
    acd.tick(10.0)
    for call, agent in ((1, 1), (2, 2)):
        acd.agent_answered(call, agent, 10.0)
        acd.call_ended(call, agent, 20.0)
    assert acd.agents[1].state == acd.agents[2].state == AgentState.WRAP_UP
    acd.tick(25.0)
    assert acd.agents[2].state == AgentState.IDLE          # own 5 s
    acd.wrapup_extend(1, 60.0, 40.0)
    acd.tick(60.0)
    assert acd.agents[1].state == AgentState.WRAP_UP       # 30 s + 60 s
    acd.wrapup_ended(1, 70.0)
    assert acd.agents[1].state == AgentState.IDLE and acd.agents[1].idle_since == 70.0


def test_a_queue_wanting_calls_classified_keeps_the_agent_in_wrap_up_until_they_are():
    acd = center(agents=(1, 2), wrapup=10.0, disposition_required=True)
    for call in (1, 2):
        acd.call_arrived(call, 10, 10.0)
    acd.tick(10.0)
    for call, agent in ((1, 1), (2, 2)):
        acd.agent_answered(call, agent, 10.0)
        acd.call_ended(call, agent, 20.0)
    acd.call_classified(2, 2, 25.0)                       # classified within the wrap-up: it ends on time
    acd.tick(60.0)
    assert acd.agents[2].state is AgentState.IDLE
    assert acd.agents[1].state is AgentState.WRAP_UP      # the 10 s are long gone, the call is not classified
    acd.reconcile(60.0)
    assert not of(StateRepaired, acd.take_actions())      # waiting for a classification is no stuck state
    acd.call_classified(1, 99, 61.0)                      # another call: nothing changes
    assert acd.agents[1].state is AgentState.WRAP_UP
    acd.call_classified(1, 1, 62.0)
    assert acd.agents[1].state is AgentState.IDLE and acd.agents[1].unclassified_call is None


def test_classifying_without_a_wrap_up_time_and_a_supervisor_ending_it():
    acd = center(agents=(1,), disposition_required=True)   # no wrap-up time: only the classification
    acd.call_arrived(1, 10, 10.0)
    acd.call_arrived(2, 10, 11.0)
    acd.tick(11.0)
    acd.agent_answered(1, 1, 11.0)
    acd.call_ended(1, 1, 20.0)
    assert acd.agents[1].state is AgentState.WRAP_UP and not rings(acd.tick(30.0))
    acd.wrapup_ended(1, 31.0)                             # ended by hand: the engine checked who may
    assert rings(acd.tick(31.0)) == [(2, 1)]


def test_pause_reasons_billable_time_and_alarm_after_max_duration():
    acd = center(agents=(1,))
    acd.add_pause_reason(PauseReason("training", billable=True, max_duration=600.0))
    acd.add_pause_reason(PauseReason("lunch", billable=False))
    acd.pause(1, "training", 100.0)
    assert acd.agents[1].state == AgentState.PAUSED
    acd.call_arrived(1, 10, 101.0)
    assert rings(acd.tick(101.0)) == []
    assert acd.next_deadline() == 700.0
    assert of(RaiseAlarm, acd.tick(700.0)) == [RaiseAlarm("pause-too-long:1", "agent 1", "paused (training) for 600 s")]
    acd.unpause(1, 800.0)
    actions = acd.tick(800.0)
    assert of(ClearAlarm, actions) == [ClearAlarm("pause-too-long:1", "agent 1")] and rings(actions) == [(1, 1)]
    acd.agent_answered(1, 1, 801.0)
    acd.pause(1, "lunch", 802.0)                   # asked during a call: starts once it ends
    assert acd.agents[1].state == AgentState.BUSY
    acd.call_ended(1, 1, 900.0)
    assert acd.agents[1].state == AgentState.PAUSED
    acd.unpause(1, 1000.0)
    assert acd.billable_pause(1) == 700.0
    assert acd.agents[1].pause_totals == {"training": 700.0, "lunch": 100.0}


def test_unregistered_phone_makes_the_agent_unavailable_until_it_registers():
    acd = center(agents=(1, 2))
    acd.call_arrived(1, 10, 10.0)
    assert rings(acd.tick(10.0)) == [(1, 1)]
    acd.phone_unregistered(1, 11.0)
    actions = acd.tick(11.0)
    assert StopRinging(1, 1, "unregistered") in actions and rings(actions) == [(1, 2)]
    assert acd.agents[1].state == AgentState.UNAVAILABLE
    acd.tick(100.0)
    assert acd.agents[1].state == AgentState.UNAVAILABLE    # no retry while unregistered
    acd.phone_registered(1, 101.0)
    assert acd.agents[1].state == AgentState.IDLE


def test_stuck_states_are_repaired_and_reported():
    acd = center(agents=(1, 2))
    acd.call_arrived(1, 10, 10.0)
    acd.tick(10.0)
    acd.waiting[1].ringing.clear()                  # the leg vanished without an event
    acd.agents[2].state = AgentState.BUSY           # busy with nothing: not reachable by events
    acd._free -= 1
    acd.queues[10].idle.discard(2)
    acd.reconcile(11.0)
    repaired = of(StateRepaired, acd.take_actions())
    assert {r.subject for r in repaired} == {"agent 1", "agent 2"}
    assert acd.agents[1].state == acd.agents[2].state == AgentState.IDLE
    acd.reconcile(12.0, live_calls=[])              # the driver has no such call any more
    assert of(CallFinished, acd.take_actions()) == [CallFinished(1, "lost")]


def test_an_answer_that_was_not_offered_is_refused_and_reported():
    acd = center(agents=(1, 2))
    acd.call_arrived(1, 10, 10.0)
    acd.tick(10.0)
    acd.agent_answered(1, 2, 11.0)
    actions = acd.take_actions()
    assert StopRinging(1, 2, "not-offered") in actions and of(StateRepaired, actions)
    assert acd.agents[2].state == AgentState.IDLE and acd.agents[1].state == AgentState.RINGING


# --- stand-by agents (ACD11) ---------------------------------------------------------------------

def test_standby_agents_come_in_at_the_threshold_and_leave_with_hysteresis():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(standby=StandbyPolicy(agents=(8, 9), on_waiting=3, off_waiting=0,
                                                              min_on_seconds=60.0)), 0.0)
    acd.login(1, [10], 0.0)
    for call in range(1, 5):
        acd.call_arrived(call, 10, 1.0)
    actions = acd.tick(1.0)
    assert of(StandbyLogin, actions) == [StandbyLogin(8, 10), StandbyLogin(9, 10)]
    assert len(rings(actions)) == 3
    answered = rings(actions)
    for call, agent in answered:
        acd.agent_answered(call, agent, 2.0)
    for call, agent in answered:
        acd.call_ended(call, agent, 10.0)
    acd.tick(10.0)
    assert not of(StandbyLogout, acd.tick(30.0))     # calm but not for 60 s yet
    (call, agent), = [(a.current_call, a.id) for a in acd.agents.values() if a.state == AgentState.RINGING]
    acd.agent_answered(call, agent, 31.0)
    assert of(StandbyLogout, acd.tick(70.0)) == [StandbyLogout(8, 10), StandbyLogout(9, 10)]


# --- announcements (ACD4) ------------------------------------------------------------------------

def test_first_then_rotating_messages_with_position_and_wait_shared_by_queues():
    acd = Acd()
    acd.add_message_set("main", MessageSet(first="welcome-queue", repeated=("music-a", "music-b"), frequency=30.0,
                                           announce_position=True, announce_wait=True))
    acd.configure_queue(10, QueueConfig(messages="main", handle_time=300.0), 0.0)
    acd.configure_queue(11, QueueConfig(messages="main"), 0.0)
    acd.login(1, [10], 0.0)
    acd.call_arrived(100, 10, 0.0)
    acd.tick(0.0)
    acd.agent_answered(100, 1, 0.0)
    acd.call_arrived(1, 10, 1.0)
    acd.call_arrived(2, 10, 2.0)
    acd.call_arrived(3, 11, 2.0)
    first = of(PlayMessage, acd.tick(2.0))
    assert [m.parts for m in first] == [("welcome-queue",)] * 3
    assert of(PlayMessage, acd.tick(32.0)) == [
        PlayMessage(1, ("music-a", "position", 1, "estimated-wait", "about", 4, "minutes")),
        PlayMessage(2, ("music-a", "position", 2, "estimated-wait", "about", 9, "minutes")),
        PlayMessage(3, ("music-a", "position", 1)),           # no agent in queue 11: no estimate spoken
    ]
    assert of(PlayMessage, acd.tick(61.0)) == [
        PlayMessage(1, ("music-b", "position", 1, "estimated-wait", "about", 4, "minutes"))]


def test_estimated_wait_is_rounded_for_speech():
    assert speakable_wait(20) == ("estimated-wait", "less-than", 1, "minutes")
    assert speakable_wait(61) == ("estimated-wait", "about", 2, "minutes")
    assert speakable_wait(11 * 60) == ("estimated-wait", "about", 15, "minutes")
    assert speakable_wait(41 * 60) == ("estimated-wait", "about", 50, "minutes")
    assert speakable_wait(3 * 3600) == ("estimated-wait", "more-than", 1, "hours")


def test_estimated_wait_uses_position_staffing_and_handle_time():
    acd = center(agents=(1, 2), handle_time=120.0)
    for call in range(1, 7):
        acd.call_arrived(call, 10, 10.0)
    for call, agent in rings(acd.tick(10.0)):
        acd.agent_answered(call, agent, 10.0)
    # calls 3..6 wait; with 2 agents of 120 s, the k-th in line needs k releases, one every 60 s:
    # the median of that Erlang-k wait is announced
    assert [acd.estimated_wait(c, 10.0) for c in (3, 4, 5, 6)] == [erlang_median(k) * 60.0 for k in (1, 2, 3, 4)]
    assert [round(acd.estimated_wait(c, 10.0)) for c in (3, 4, 5, 6)] == [41, 101, 160, 220]
    acd.logout(2, 11.0)
    acd.call_ended(2, 2, 11.0)
    handle = acd.queues[10].handle_time              # now also learnt from the call that ended
    assert acd.estimated_wait(6, 11.0) == pytest.approx(erlang_median(4) * handle)   # half the staff: twice the wait


# --- callbacks (ACD13, ACD14) and caller input (ACD3) --------------------------------------------

def test_voluntary_callback_keeps_the_place_and_is_served_in_arrival_order():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(offer_when_wait_over=60.0, key="1"),
                                        handle_time=300.0), 0.0)
    acd.login(1, [10], 0.0)
    acd.call_arrived(100, 10, 0.0)
    acd.tick(0.0)
    acd.agent_answered(100, 1, 0.0)
    acd.call_arrived(1, 10, 1.0, caller="+4930111", caller_input="4711")
    acd.call_arrived(2, 10, 2.0, caller="+4930222")
    actions = acd.tick(2.0)
    assert of(OfferCallback, actions) == [OfferCallback(1, "1"), OfferCallback(2, "1")]
    acd.caller_pressed(1, "1", 5.0)
    assert of(CallbackRegistered, acd.tick(5.0)) == [CallbackRegistered(1, "+4930111", 5.0, False)]
    assert acd.position(2) == 2                       # the callback still stands in front
    acd.call_ended(100, 1, 50.0)
    actions = acd.tick(50.0)
    assert of(PlaceCallback, actions) == [PlaceCallback(1, 1, "+4930111", 15.0)]
    assert of(PlaceCallback, actions)[0].caller_input == "4711"
    acd.agent_answered(1, 1, 52.0)
    acd.callback_result(1, True, 55.0, note="customer reached")
    assert of(CallFinished, acd.take_actions()) == [CallFinished(1, "callback-answered")]
    row, = acd.callback_list()
    assert row | {"interval": None} == {
        "call_id": 1, "arrived": 1.0, "interval": None, "queue": 10, "number": "+4930111", "caller_input": "4711",
        "last_handler": 1, "status": "answered", "attempts": 1, "log": "customer reached", "forced": False}


def test_callback_at_a_chosen_interval_waits_for_it():
    acd = center(agents=(1,))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy()), 0.0)
    acd.pause(1, "x", 5.0)
    acd.call_arrived(1, 10, 10.0, caller="111")
    acd.callback_requested(1, 11.0, number="222", interval=(1000.0, 2000.0))
    acd.unpause(1, 12.0)
    assert not of(PlaceCallback, acd.tick(12.0))
    assert of(PlaceCallback, acd.tick(1000.0)) == [PlaceCallback(1, 1, "222", 15.0)]


def test_a_callback_is_not_made_after_the_interval_the_caller_chose():
    acd = center(agents=(1,))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(retry_delay=300.0, max_attempts=3)), 0.0)
    acd.login(2, [10], 0.0)
    for call in (1, 2, 3):
        acd.call_arrived(call, 10, 1.0 + call)
    acd.tick(5.0)                                    # agents 1 and 2 take calls 1 and 2
    acd.agent_answered(1, 1, 5.0)
    acd.agent_answered(2, 2, 5.0)
    acd.call_arrived(4, 10, 6.0, caller="444")
    acd.callback_requested(4, 7.0, interval=(100.0, 200.0))
    acd.take_actions()
    assert not of(CallFinished, acd.tick(199.0))
    actions = acd.tick(200.0)                        # both agents still busy when the interval ends
    assert of(CallFinished, actions) == [CallFinished(4, "callback-expired")]
    assert acd.callbacks[4].status == "expired" and 4 not in acd.waiting
    acd.call_ended(1, 1, 210.0)
    assert [c for c, _ in rings(acd.tick(210.0))] == [3] and not of(PlaceCallback, acd.take_actions())
    assert acd.callback_list()[0]["log"] == "the wanted interval ended before the callback could be made"


def test_a_restored_callback_keeps_its_interval():
    acd = center(agents=(1,))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy()), 0.0)
    acd.callback_restored(7, 10, "777", 50.0, arrived_at=10.0, interval=(100.0, 200.0))
    acd.callback_restored(8, 10, "888", 50.0, arrived_at=20.0)
    assert [a.call_id for a in of(PlaceCallback, acd.tick(50.0))] == [8]
    acd.agent_answered(8, 1, 51.0)
    acd.callback_result(8, True, 52.0)
    acd.call_ended(8, 1, 60.0)
    assert not of(PlaceCallback, acd.tick(60.0))
    assert [a.call_id for a in of(PlaceCallback, acd.tick(100.0))] == [7]


def test_no_retry_of_a_callback_beyond_its_interval():
    acd = center(agents=(1,))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(retry_delay=300.0, max_attempts=3)), 0.0)
    acd.call_arrived(1, 10, 1.0)
    acd.callback_requested(1, 2.0, interval=(100.0, 350.0))
    assert of(PlaceCallback, acd.tick(100.0))
    acd.agent_answered(1, 1, 101.0)
    acd.callback_result(1, False, 120.0)              # no answer: the retry at 420 s would be too late
    assert acd.callbacks[1].status == "no-answer"
    assert of(CallFinished, acd.tick(350.0)) == [CallFinished(1, "callback-expired")]
    assert not of(PlaceCallback, acd.tick(420.0))


def test_an_agent_not_answering_a_callback_at_the_end_of_its_interval_ends_it():
    acd = center(agents=(1,))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(), ring_timeout=15.0), 0.0)
    acd.call_arrived(1, 10, 1.0)
    acd.callback_requested(1, 2.0, interval=(100.0, 110.0))
    assert of(PlaceCallback, acd.tick(100.0))
    actions = acd.tick(116.0)                        # the agent let it ring out after the interval
    assert of(CallFinished, actions + acd.tick(116.0)) == [CallFinished(1, "callback-expired")]


def test_callback_retry_then_failure_and_manual_requeue():
    acd = center(agents=(1,))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(retry_delay=100.0, max_attempts=2)), 0.0)
    acd.call_arrived(1, 10, 10.0)
    acd.callback_requested(1, 10.0)
    acd.tick(10.0)
    acd.agent_answered(1, 1, 11.0)
    acd.callback_result(1, False, 20.0)
    assert acd.callbacks[1].status == "no-answer" and acd.agents[1].state == AgentState.IDLE
    assert not of(PlaceCallback, acd.tick(50.0))
    acd.tick(120.0)
    acd.agent_answered(1, 1, 121.0)
    acd.callback_result(1, False, 130.0)
    assert of(CallFinished, acd.take_actions()) == [CallFinished(1, "callback-failed")]
    acd.callback_note(1, 1, "wrong number? try the office line", 131.0)
    acd.callback_requeue(1, 131.0)
    assert of(PlaceCallback, acd.tick(131.0))
    assert acd.callback_list("status")[0]["log"] == "wrong number? try the office line"


def test_requeue_after_no_answer_tries_again_now_instead_of_after_the_retry_delay():
    acd = center(agents=(1,))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(retry_delay=600.0, max_attempts=3)), 0.0)
    acd.call_arrived(1, 10, 1.0)
    acd.callback_requested(1, 2.0)
    acd.tick(2.0)
    acd.agent_answered(1, 1, 3.0)
    acd.callback_result(1, False, 30.0)
    assert not of(PlaceCallback, acd.tick(40.0))          # next attempt only at 630 s
    acd.callback_note(1, 1, "customer asked us to try again now", 41.0)
    acd.callback_requeue(1, 41.0)
    assert [a.call_id for a in of(PlaceCallback, acd.tick(41.0))] == [1]


def test_click_to_call_places_a_callback_with_the_chosen_agent_ahead_of_its_turn():
    acd = center(agents=(1, 2))
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(max_concurrent=1)), 0.0)
    acd.pause(1, "lunch", 0.0)
    acd.pause(2, "lunch", 0.0)
    for call in (1, 2):
        acd.call_arrived(call, 10, float(call))
        acd.callback_requested(call, 5.0, interval=(1000.0, None) if call == 2 else None)
    acd.take_actions()
    with pytest.raises(ValueError, match="agent 2 is not free"):
        acd.callback_place_now(2, 2, 10.0)
    with pytest.raises(ValueError, match="not logged in to queue 10"):
        acd.callback_place_now(2, 99, 10.0)
    acd.unpause(2, 11.0)
    assert [a.call_id for a in of(PlaceCallback, acd.tick(11.0))] == [1]     # its turn, for agent 2
    acd.unpause(1, 12.0)
    acd.callback_place_now(2, 1, 12.0)                   # before its interval and over the cap
    assert of(PlaceCallback, acd.take_actions()) == [PlaceCallback(2, 1, acd.callbacks[2].number, 15.0)]
    assert acd.callbacks[2].last_handler == 1 and acd.callbacks[2].log[-1] == "called now by agent 1"
    with pytest.raises(ValueError, match="not open"):
        acd.callback_place_now(2, 1, 13.0)


def test_cap_on_concurrent_callback_calls_and_fair_interleaving_with_live_callers():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(callback=CallbackPolicy(max_concurrent=1)), 0.0)
    for call, t in ((1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)):
        acd.call_arrived(call, 10, t)
    acd.callback_requested(1, 5.0)
    acd.callback_requested(2, 5.0)
    for agent in (1, 2, 3):
        acd.login(agent, [10], 10.0)
    actions = acd.tick(10.0)
    # callback 1 (arrived first), then callback 2 must wait for the cap: live call 3 and 4 go ahead
    assert [a.call_id for a in of(PlaceCallback, actions)] == [1]
    assert sorted(c for c, _ in rings(actions)) == [3, 4]


def test_caller_input_goes_with_the_call_to_the_agent():
    acd = center(agents=())
    acd.call_arrived(1, 10, 0.0, caller="+46 8 123")
    for key in "55012":
        acd.caller_pressed(1, key, 1.0)
    acd.login(1, [10], 2.0)
    ring, = of(RingAgent, acd.tick(2.0))
    assert (ring.caller, ring.caller_input, ring.queue_id) == ("+46 8 123", "55012", 10)


# --- alarms (ACD15) ------------------------------------------------------------------------------

def test_few_agents_alarm_with_hysteresis():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(alarms=AlarmPolicy(min_agents=2, agents_margin=1)), 0.0)
    acd.login(1, [10], 0.0)
    assert of(RaiseAlarm, acd.tick(0.0)) == [RaiseAlarm("few-agents", "queue 10", "1 agents logged in")]
    acd.login(2, [10], 1.0)
    assert not of(ClearAlarm, acd.tick(2.0))          # 2 is the limit: not yet clear
    acd.login(3, [10], 3.0)
    assert of(ClearAlarm, acd.tick(4.0)) == [ClearAlarm("few-agents", "queue 10")]


def test_long_wait_alarm_and_service_level_at_risk_is_predicted():
    acd = Acd()
    acd.configure_queue(10, QueueConfig(alarms=AlarmPolicy(max_longest_wait=60.0, sl_goal=0.8, sl_target=20.0,
                                                           min_calls=5), handle_time=60.0), 0.0)
    acd.login(1, [10], 0.0)
    for call in range(1, 6):
        acd.call_arrived(call, 10, 0.0)
    raised = {a.name for a in of(RaiseAlarm, acd.tick(0.0))}
    assert raised == {"service-level-at-risk"}        # nobody waited 20 s yet: predicted
    acd.agent_answered(1, 1, 0.0)
    assert {a.name for a in of(RaiseAlarm, acd.tick(61.0))} == {"long-wait"}
    for call in range(2, 6):
        acd.call_left(call, 62.0)
    assert {a.name for a in of(ClearAlarm, acd.tick(63.0))} == {"long-wait"}


def test_a_restored_callback_keeps_its_place_and_is_placed():
    from firmware.acd import Acd, PlaceCallback, QueueConfig

    acd = Acd()
    acd.configure_queue(1, QueueConfig(), now=0.0)
    acd.call_arrived(50, 1, now=100.0, caller="+46702")          # a live caller who came later
    acd.callback_restored(7, 1, "+46701", now=110.0, arrived_at=90.0, caller_input="42", attempts=1)
    assert [c.id for c in acd.queue_calls(1)] == [7, 50]
    assert acd.callback_list()[0]["log"] == "restored after a restart"
    acd.login(3, [1], now=111.0)
    actions = acd.tick(111.0)
    placed = [a for a in actions if isinstance(a, PlaceCallback)]
    assert [(a.call_id, a.agent_id, a.number) for a in placed] == [(7, 3, "+46701")]
