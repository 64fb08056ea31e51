"""Property-based tests: random event sequences never break the ACD's promises.

A small driver plays the engine: it answers, rejects and hangs up calls the ACD rang, moves agents
in and out, lets time pass. After every step it checks that no agent holds two calls, that no call
is lost, that no call gets two outcomes and that, within one priority of one queue, calls are offered
in arrival order; at the end, once every caller has hung up, every call has exactly one outcome.
"""

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.acd import (Acd, AgentActivity, AgentConfig, AgentState, Bridge, CallbackPolicy, CallFinished, CallKind, PlaceCallback,
                          QueueConfig, RingAgent, StopRinging, Strategy)

QUEUES = (10, 20)
AGENTS = (1, 2, 3, 4)

# names repeated to weigh them: most steps move calls along, fewer change the agents
NAMES = (["arrive"] * 6 + ["answer"] * 6 + ["end"] * 4 + ["wait"] * 3 + ["no-answer"] * 2 + ["hang-up"] * 2
         + ["login", "logout", "pause", "phone", "wrap-up-end", "callback-result", "remove-queue", "classify"]
         + ["callback", "call-now"] * 3)
op = st.tuples(st.sampled_from(NAMES), st.integers(0, 7), st.integers(0, 3))
LOGINS = [(10,), (20,), (10, 20), ()]
REASONS = ["timeout", "rejected", "busy", "unreachable"]
WAITS = [0.5, 3.0, 20.0, 60.0]

config = st.fixed_dictionaries({
    "strategy": st.sampled_from(list(Strategy)),
    "wrapup": st.sampled_from([0.0, 5.0]),
    "ring_timeout": st.sampled_from([None, 4.0]),
    "weight": st.integers(0, 2),
    "disposition_required": st.booleans(),
})


class Driver:
    def __init__(self, acd: Acd):
        self.acd = acd
        self.now = 0.0
        self.next_call = 1
        self.arrived: dict[int, tuple[int, int, float]] = {}
        self.ringing: set[tuple[int, int]] = set()     # (call, agent) the phone rings for
        self.talking: dict[int, int] = {}              # call -> agent, bridged or callback connecting
        self.outcomes: Counter = Counter()
        self.logged_in: set[int] = set()               # as the agents' activity tells it
        self.paused: dict[int, str] = {}
        self.wrapping: set[int] = set()
        self.member_of: dict[int, set[int]] = {}       # agent -> queues, as join and leave tell it

    def apply(self, actions: list) -> None:
        for action in actions:
            if isinstance(action, (RingAgent, PlaceCallback)):
                self.check_fifo(action)
                assert (action.call_id, action.agent_id) not in self.ringing
                strategy = self.acd.queues[self.acd.waiting[action.call_id].queue_id].config.strategy
                if strategy is not Strategy.RING_ALL or isinstance(action, PlaceCallback):
                    assert not any(c == action.call_id for c, _ in self.ringing), "a call rings two agents"
                self.ringing.add((action.call_id, action.agent_id))
            elif isinstance(action, StopRinging):
                self.ringing.discard((action.call_id, action.agent_id))
            elif isinstance(action, Bridge):
                self.talking[action.call_id] = action.agent_id
            elif isinstance(action, AgentActivity):
                self.check_activity(action)
            elif isinstance(action, CallFinished):
                self.outcomes[action.call_id] += 1
                assert self.outcomes[action.call_id] == 1, f"call {action.call_id} got a second outcome"
        self.check()

    def check_activity(self, event: AgentActivity) -> None:
        """The agents' activity tells a consistent story: logins and logouts alternate, a pause
        begins only while logged in and ends (with its reason) before the logout."""
        agent = event.agent_id
        if event.activity == "login":
            assert agent not in self.logged_in, f"agent {agent} logged in twice"
            self.logged_in.add(agent)
        elif event.activity == "logout":
            assert agent in self.logged_in and agent not in self.paused, f"agent {agent}: logout {self.paused}"
            self.logged_in.discard(agent)
        elif event.activity == "pause":
            assert agent in self.logged_in and agent not in self.paused, f"agent {agent}: pause"
            self.paused[agent] = event.reason
        elif event.activity == "wrapup":
            assert agent in self.logged_in and agent not in self.wrapping, f"agent {agent}: wrapup"
            self.wrapping.add(agent)
        elif event.activity == "wrapup-end":
            assert agent in self.wrapping, f"agent {agent}: wrapup-end"
            self.wrapping.discard(agent)
        elif event.activity == "join":
            assert event.queue_id not in self.member_of.setdefault(agent, set()), f"agent {agent}: join twice"
            self.member_of[agent].add(event.queue_id)
        elif event.activity == "leave":
            assert event.queue_id in self.member_of.get(agent, set()), f"agent {agent}: leave {event.queue_id}"
            self.member_of[agent].discard(event.queue_id)
        else:
            assert event.activity == "pause-end", event
            assert self.paused.pop(agent, None) == event.reason, f"agent {agent}: pause-end {event.reason}"

    def check_fifo(self, ring) -> None:
        """No older call of the same queue and priority waits unoffered while a younger one rings."""
        if not isinstance(ring, RingAgent):
            return
        call = self.acd.waiting[ring.call_id]
        queue = self.acd.queues[call.queue_id]
        if queue.config.strategy is Strategy.SKILLS and call.skills:
            return
        for other in self.acd.waiting.values():
            if (other.queue_id == call.queue_id and other.kind is CallKind.LIVE and other.priority == call.priority
                    and other.key < call.key and not other.ringing and other.not_before <= self.now):
                raise AssertionError(f"call {ring.call_id} offered before older call {other.id}")

    def check(self) -> None:
        acd = self.acd
        holding = Counter(agent for _, agent in self.ringing) + Counter(self.talking.values())
        assert all(n <= 1 for n in holding.values()), f"an agent holds two calls: {holding}"
        for agent in acd.agents.values():
            if agent.state in (AgentState.RINGING, AgentState.BUSY):
                assert agent.current_call is not None
            assert (agent.state is AgentState.IDLE) == any(agent.id in acd.queues[q].idle for q in agent.queue_ids) \
                or not agent.queue_ids
        for call_id in self.arrived:
            places = (call_id in acd.waiting) + (self.outcomes[call_id] == 1 and call_id not in acd.waiting) \
                + (call_id in acd._talking and self.outcomes[call_id] == 0)
            assert places >= 1, f"call {call_id} is lost"
        assert acd._free == sum(1 for a in acd.agents.values() if a.state is AgentState.IDLE)
        for agent in acd.agents.values():       # the activity told so far matches the states
            assert (agent.id in self.logged_in) == (agent.state is not AgentState.LOGGED_OUT), agent
            assert (agent.id in self.paused) == (agent.state is AgentState.PAUSED), agent
            assert (agent.id in self.wrapping) == (agent.state is AgentState.WRAP_UP), agent
            assert self.member_of.get(agent.id, set()) == agent.queue_ids, agent

    def pick(self, items, index):
        items = sorted(items)
        return items[index % len(items)] if items else None

    def step(self, name, a, b) -> None:
        acd, now = self.acd, self.now
        agent = AGENTS[a % len(AGENTS)]
        if name == "arrive":
            call = self.next_call
            self.next_call += 1
            queue, priority = QUEUES[a % 2], int(b == 3)
            self.arrived[call] = (queue, priority, now)
            acd.call_arrived(call, queue, now, caller=f"+{call % 3}", priority=priority)
        elif name == "login":
            acd.login(agent, LOGINS[b], now)
        elif name == "logout":
            acd.logout(agent, now)
        elif name == "pause":
            acd.pause(agent, "break", now) if b % 2 else acd.unpause(agent, now)
        elif name == "phone":
            acd.phone_registered(agent, now) if b % 2 else acd.phone_unregistered(agent, now)
        elif name == "answer":
            pair = self.pick(self.ringing, a)
            if pair:
                self.ringing.discard(pair)
                call, agent = pair
                acd.agent_answered(call, agent, now)
                if call in acd.callbacks \
                        and acd.callbacks[call].status == "connecting":
                    self.talking[call] = agent
        elif name == "no-answer":
            pair = self.pick(self.ringing, a)
            if pair:
                self.ringing.discard(pair)
                acd.agent_no_answer(pair[0], pair[1], now, reason=REASONS[b])
        elif name == "hang-up":
            call = self.pick([c for c, w in acd.waiting.items() if w.kind is CallKind.LIVE], a)
            if call is not None:
                self.ringing = {p for p in self.ringing if p[0] != call}
                acd.call_left(call, now)
        elif name == "end":
            call = self.pick(self.talking, a)
            if call is not None:
                acd.call_ended(call, self.talking.pop(call), now)
        elif name == "wrap-up-end":
            acd.wrapup_ended(agent, now)
        elif name == "classify":         # the agent's own call, or now and then another one
            unclassified = acd.agents[agent].unclassified_call if agent in acd.agents else None
            acd.call_classified(agent, unclassified if unclassified is not None and b else self.next_call - 1, now)
        elif name == "callback":
            call = self.pick([c for c, w in acd.waiting.items() if w.kind is CallKind.LIVE], a)
            if call is not None:        # half of them for an interval the caller chose
                acd.callback_requested(call, now, interval=(now + WAITS[a % 4], now + 30.0) if b >= 2 else None)
        elif name == "callback-result":
            call = self.pick([c for c in self.talking if acd.callbacks.get(c) and
                              acd.callbacks[c].status == "connecting"], a)
            if call is not None:
                acd.callback_result(call, b % 2 == 1, now)
                if b % 2 == 0:
                    self.talking.pop(call)
        elif name == "call-now":       # a handler clicks to call; refused with a reason when it cannot be
            call = self.pick([c for c, r in sorted(acd.callbacks.items()) if r.status in ("waiting", "no-answer")], b)
            if call is not None:        # mostly a free handler of that list, sometimes anybody
                queue = acd.queues[acd.callbacks[call].queue_id]
                free = [m for m in queue.members if acd.agents[m].state is AgentState.IDLE]
                handler = self.pick(free, a) if free and a % 4 else agent
                try:
                    acd.callback_place_now(call, handler, now)
                except ValueError:
                    pass
        elif name == "remove-queue":    # an admin deletes queue 20, and maybe makes a new one (ids may be reused)
            acd.remove_queue(20, now)
            if b % 2:
                acd.configure_queue(20, QueueConfig(callback=CallbackPolicy(max_concurrent=1, retry_delay=5.0)), now)
        elif name == "wait":
            self.now += WAITS[b]
        self.apply(acd.tick(self.now))

    def finish(self) -> None:
        """Everybody hangs up: every call must end with exactly one outcome."""
        acd = self.acd
        for call in list(self.talking):
            if acd.callbacks.get(call) and acd.callbacks[call].status == "connecting":
                acd.callback_result(call, True, self.now)
            acd.call_ended(call, self.talking.pop(call), self.now)
        for call in list(acd.waiting):
            if acd.waiting[call].kind is CallKind.LIVE:
                acd.call_left(call, self.now)
            else:
                acd.callback_cancel(call, self.now)
        self.ringing.clear()
        self.apply(acd.tick(self.now + 1))
        assert acd.waiting == {}
        assert {c: self.outcomes[c] for c in self.arrived} == {c: 1 for c in self.arrived}
        assert all(a.current_call is None for a in acd.agents.values())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs=st.tuples(config, config), ops=st.lists(op, min_size=10, max_size=120), skilled=st.booleans(),
       logins=st.lists(st.sampled_from([(), (10,), (20,), (10, 20)]), min_size=4, max_size=4))
def test_random_event_sequences_keep_every_promise(configs, ops, skilled, logins):
    acd = Acd(ring_timeout=10.0)
    for queue_id, cfg in zip(QUEUES, configs):
        acd.configure_queue(queue_id, QueueConfig(callback=CallbackPolicy(max_concurrent=1, retry_delay=5.0), **cfg),
                            0.0)
    if skilled:
        for agent_id in AGENTS:
            acd.configure_agent(agent_id, AgentConfig(skills={"fr": agent_id * 2}), 0.0)
    for agent_id, queue_ids in zip(AGENTS, logins):
        acd.login(agent_id, queue_ids, 0.0)
    driver = Driver(acd)
    for name, a, b in ops:
        driver.step(name, a, b)
    driver.finish()
