"""The first ACD: longest-idle distribution, positions, no lost call, one call per agent."""

from firmware.acd import Acd, AgentState, RingAgent


def test_call_waits_until_an_agent_logs_in():
    acd = Acd()
    assert acd.call_arrived(1, queue_id=10, now=0.0) == 1
    assert acd.dispatch(1.0) == []
    acd.login(7, [10], now=2.0)
    assert acd.dispatch(2.0) == [RingAgent(1, 7, acd.ring_timeout)]
    assert acd.agents[7].state == AgentState.RINGING


def test_longest_idle_agent_is_offered_first():
    acd = Acd()
    acd.login(1, [10], now=5.0)
    acd.login(2, [10], now=1.0)
    acd.login(3, [11], now=0.0)     # idle longest but not in the queue
    acd.call_arrived(100, 10, now=6.0)
    assert acd.dispatch(6.0) == [RingAgent(100, 2, acd.ring_timeout)]


def test_positions_follow_arrival_order_per_queue():
    acd = Acd()
    for call_id, queue_id, t in [(1, 10, 0.0), (2, 11, 1.0), (3, 10, 2.0), (4, 10, 3.0)]:
        acd.call_arrived(call_id, queue_id, now=t)
    assert [acd.position(c) for c in (1, 2, 3, 4)] == [1, 1, 2, 3]
    acd.call_left(1, now=4.0)
    assert [acd.position(c) for c in (3, 4)] == [1, 2]


def test_agent_gets_one_call_at_a_time_and_is_freed_at_the_end():
    acd = Acd()
    acd.login(7, [10], now=0.0)
    acd.call_arrived(1, 10, now=1.0)
    acd.call_arrived(2, 10, now=2.0)
    assert [a.call_id for a in acd.dispatch(2.0)] == [1]
    assert acd.dispatch(3.0) == []              # still ringing for call 1
    acd.agent_answered(1, 7, now=4.0)
    assert acd.dispatch(5.0) == []              # busy
    acd.call_ended(1, 7, now=60.0)
    assert acd.agents[7].idle_since == 60.0
    assert [a.call_id for a in acd.dispatch(60.0)] == [2]


def test_no_answer_puts_the_call_back_and_offers_it_again():
    acd = Acd()
    acd.login(7, [10], now=0.0)
    acd.login(8, [10], now=1.0)
    acd.call_arrived(1, 10, now=2.0)
    assert acd.dispatch(2.0)[0].agent_id == 7
    acd.agent_no_answer(1, 7, now=17.0)
    # 7 keeps its place as longest idle; the call is offered again and is still position 1
    assert acd.position(1) == 1
    assert acd.dispatch(17.0)[0].agent_id == 7


def test_unreachable_phone_makes_the_agent_unavailable_for_a_while():
    acd = Acd(unavailable_retry=10.0)
    acd.login(7, [10], now=0.0)
    acd.login(8, [10], now=1.0)
    acd.call_arrived(1, 10, now=2.0)
    acd.dispatch(2.0)
    acd.agent_no_answer(1, 7, now=2.1, unreachable=True)
    assert acd.agents[7].state == AgentState.UNAVAILABLE
    assert acd.dispatch(2.2)[0].agent_id == 8
    acd.agent_no_answer(1, 8, now=3.0)
    assert acd.dispatch(12.5)[0].agent_id == 7   # retried after the delay


def test_caller_hanging_up_while_ringing_frees_the_agent():
    acd = Acd()
    acd.login(7, [10], now=0.0)
    acd.call_arrived(1, 10, now=1.0)
    acd.dispatch(1.0)
    acd.call_left(1, now=3.0)
    assert acd.agents[7].state == AgentState.IDLE
    assert acd.waiting == {}


def test_logout_during_a_call_ends_in_logged_out():
    acd = Acd()
    acd.login(7, [10], now=0.0)
    acd.call_arrived(1, 10, now=1.0)
    acd.dispatch(1.0)
    acd.agent_answered(1, 7, now=2.0)
    acd.logout(7, now=3.0)
    assert acd.agents[7].state == AgentState.BUSY
    acd.call_ended(1, 7, now=9.0)
    assert acd.agents[7].state == AgentState.LOGGED_OUT
