"""The simulator drives the real ACD: its M/M/N figures meet Erlang C, its sample paths meet an exact
FCFS recursion, and its figures with impatient callers meet Erlang A."""

import bisect

import pytest

from firmware.acd import QueueConfig, SkillRule, Strategy
from firmware.acd.simulate import Scenario, SimAgent, SimQueue, Simulation, simulate
from firmware.cli import main
from firmware.stats.erlang import erlang_a, erlang_c_figures

AHT = 180.0
CALLS = 200_000

MMN = [(10.0, n) for n in range(11, 16)] + [(2.0, n) for n in range(3, 6)]


@pytest.mark.slow
@pytest.mark.parametrize("load, agents", MMN, ids=[f"A{a:g}-N{n}" for a, n in MMN])
def test_mmn_service_level_asa_and_p_wait_meet_erlang_c(load, agents):
    result = simulate(Scenario(arrival_rate=load / AHT * 3600, aht=AHT, agents=agents, calls=CALLS,
                               sl_target=20.0, seed=7, strategy=Strategy.LONGEST_IDLE))
    expected = erlang_c_figures(load, agents, AHT, 20.0)
    steady, errors = result.steady_state(), result.standard_errors()
    print(f"\nA={load:g} N={agents}: Erlang C SL {expected.service_level:.4f} p_wait {expected.p_wait:.4f} "
          f"ASA {expected.asa:.2f}\n  steady state: SL {steady['service_level'].value:.4f} "
          f"p_wait {steady['p_wait'].value:.4f} ASA {steady['asa_seconds'].value:.2f} "
          f"(SE {steady['asa_seconds'].standard_error:.2f})\n  plain means:  SL {result.service_level:.4f} "
          f"p_wait {result.p_wait:.4f} ASA {result.asa_seconds:.2f} (SE {errors['asa_seconds']:.2f})")
    # The steady-state figures the simulator reports meet the required bounds.
    assert abs(steady["service_level"].value - expected.service_level) <= 0.01
    assert abs(steady["p_wait"].value - expected.p_wait) <= 0.01
    assert abs(steady["asa_seconds"].value - expected.asa) <= 0.05 * expected.asa
    # The plain means of the same calls agree too, at their own resolution: near saturation the ASA
    # of 200,000 calls has a standard error of 3 to 7 %, so there three standard errors.
    assert abs(result.service_level - expected.service_level) <= max(0.01, 3 * errors["service_level"])
    assert abs(result.p_wait - expected.p_wait) <= max(0.01, 3 * errors["p_wait"])
    assert abs(result.asa_seconds - expected.asa) <= max(0.05 * expected.asa, 3 * errors["asa_seconds"])
    assert result.calls == CALLS and result.abandoned == 0
    assert result.occupancy == pytest.approx(load / agents, abs=0.01)


def test_companions_see_the_same_arrivals_and_work():
    """The controls behind the steady-state figures, recomputed here from the draws: a server as fast
    as all agents together (Lindley recursion, every call served in arrival order) and unlimited
    servers (how many calls of the same work are still running when a call arrives)."""
    sim = Simulation(Scenario(arrival_rate=150, aht=AHT, agents=10, calls=5_000, seed=4, handle="lognormal",
                              handle_cv=0.7, wrapup=15.0, patience=200.0))
    handles, draw = [], sim._handle_time
    sim._handle_time = lambda: handles.append(draw()) or handles[-1]
    result = sim.run()
    arrivals = [sim.arrived_at[c] for c in result.call_numbers]
    wait = 0.0
    for i, (call, arrival) in enumerate(zip(result.call_numbers, arrivals)):
        if i:
            wait = max(0.0, wait + (handles[i - 1] + 15.0) / 10 - (arrival - arrivals[i - 1]))
        running = sum(1 for j in range(max(0, i - 200), i) if arrivals[j] + handles[j] + 15.0 > arrival)
        assert result.companion_seen[call] == (pytest.approx(wait, abs=1e-6), running)
    assert result.abandoned > 0 and result.steady_state() is not None


def test_no_steady_state_is_claimed_for_a_rush_hour_a_staff_change_or_an_overloaded_queue():
    base = {"aht": AHT, "calls": 500, "seed": 1}
    assert simulate(Scenario(arrival_rate=[(600, 100), (600, 300)], agents=12, **base)).steady_state() is None
    assert simulate(Scenario(arrival_rate=200, agents=12, agent_changes=[(100.0, 1, ())], **base)).steady_state() is None
    overloaded = simulate(Scenario(arrival_rate=200, agents=10, patience=60.0, **base))
    assert overloaded.steady_state() is None and "steady_state" not in overloaded.as_dict()


@pytest.mark.parametrize("strategy", [Strategy.LONGEST_IDLE, Strategy.RING_ALL, Strategy.RANDOM,
                                      Strategy.ROUND_ROBIN, Strategy.FEWEST_CALLS])
def test_every_wait_equals_an_exact_fcfs_recursion_on_the_same_draws(strategy):
    """Kiefer-Wolfowitz: call i starts at max(arrival, earliest free agent). The ACD-driven run must
    give the very same waits, call by call (any strategy: agents are interchangeable here)."""
    sim = Simulation(Scenario(arrival_rate=10 / AHT * 3600, aht=AHT, agents=11, calls=20_000, seed=3,
                              strategy=strategy))
    handles, draw = [], sim._handle_time
    sim._handle_time = lambda: handles.append(draw()) or handles[-1]
    result = sim.run()
    arrivals = [sim.arrived_at[c] for c in result.call_numbers]
    free = [0.0] * 11
    for arrival, handle, call in zip(arrivals, handles, result.call_numbers):
        start = max(arrival, free.pop(0))
        bisect.insort(free, start + handle)
        assert result.waits[call] == pytest.approx(start - arrival, abs=1e-6)


@pytest.mark.slow
def test_impatient_callers_meet_erlang_a():
    result = simulate(Scenario(arrival_rate=200, aht=AHT, agents=12, calls=CALLS, patience=120.0, seed=5))
    expected = erlang_a(10.0, 12, AHT, 120.0, 20.0)
    assert result.abandon_rate == pytest.approx(expected.p_abandon, abs=0.005)
    assert result.service_level == pytest.approx(expected.service_level, abs=0.01)
    assert result.asa_seconds == pytest.approx(expected.asa, rel=0.05)


def test_several_queues_skills_lognormal_wrapup_and_a_rush_hour():
    queues = [SimQueue(1, 0.7, QueueConfig(strategy=Strategy.SKILLS, skill_rules=(SkillRule(30, 1),)), {"de": 5}),
              SimQueue(2, 0.3, QueueConfig(strategy=Strategy.ROUND_ROBIN, weight=1))]
    from firmware.acd import AgentConfig
    agents = [SimAgent(i, (1, 2) if i % 2 else (1,), AgentConfig(skills={"de": 3 + i % 7})) for i in range(1, 13)]
    result = simulate(Scenario(arrival_rate=[(3600, 150), (3600, 300), (3600, 150)], aht=AHT, agents=agents,
                               calls=3000, patience=180.0, handle="lognormal", handle_cv=0.8, wrapup=10.0,
                               queues=queues, seed=2))
    assert result.calls == 3000 == result.answered + result.abandoned
    assert 0 < result.abandon_rate < 0.3 and 0.3 < result.occupancy < 1.0


def test_callbox_simulate_and_staffing_print_json(capsys):
    import json
    assert main(["simulate", "--arrival-rate", "200", "--aht", "180", "--agents", "12", "--sl-target", "20",
                 "--calls", "2000", "--seed", "1", "--patience", "120", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert {"service_level", "asa_seconds", "p_wait", "abandon_rate", "occupancy", "calls"} <= set(figures)
    assert figures["calls"] == 2000
    assert main(["staffing", "--arrival-rate", "200", "--aht", "180", "--sl-target", "20",
                 "--service-level", "0.8", "--json"]) == 0
    staffing = json.loads(capsys.readouterr().out)
    assert staffing["agents"] == 14 and staffing["service_level"] >= 0.8


def test_position_aware_estimate_beats_the_asterisk_method_by_30_percent():
    """The scenarios of bench/estimated_wait.py (steady, rush hour, agents leaving), 20,000 calls each."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "bench" / "estimated_wait.py"
    spec = importlib.util.spec_from_file_location("estimated_wait_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for name, scenario in bench.scenarios(20_000, seed=1).items():
        ours, asterisk = simulate(scenario).mean_absolute_errors()
        assert ours <= 0.7 * asterisk, f"{name}: {ours:.1f} s against Asterisk's {asterisk:.1f} s"
