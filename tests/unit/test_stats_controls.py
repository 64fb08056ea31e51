"""Control variates and the M/G/1 mean wait, from small hand-made numbers."""

import math

import pytest

from firmware.stats.controls import Control, controlled_mean, mg1_mean_wait, poisson_excess, poisson_tail


def test_mg1_mean_wait_is_pollaczek_khinchine():
    # M/M/1, arrival rate 1, service rate 2: Wq = load / (service rate - arrival rate) = 0.5
    assert mg1_mean_wait(1.0, 0.5, 2 * 0.5 ** 2) == pytest.approx(0.5)
    # M/D/1 waits half as long as M/M/1 at the same load
    assert mg1_mean_wait(1.0, 0.5, 0.5 ** 2) == pytest.approx(0.25)
    assert mg1_mean_wait(2.0, 0.5, 0.5) == math.inf


def test_a_perfect_control_removes_the_luck_entirely():
    # y = 2x + 1 in every batch; the run's x came out 0.5 above its known mean
    xs = [1.0, 2.0, 3.0, 4.0]
    ys = [3.0, 5.0, 7.0, 9.0]
    estimate = controlled_mean(6.0, ys, [Control(2.5, xs, 2.0)])
    assert estimate.value == pytest.approx(5.0)
    assert estimate.standard_error == pytest.approx(0.0, abs=1e-12)


def test_an_unrelated_control_leaves_the_figure_and_widens_its_error():
    xs = [1.0, 2.0, 1.0, 2.0]
    ys = [4.0, 6.0, 6.0, 4.0]           # no correlation with xs: beta = 0
    estimate = controlled_mean(5.0, ys, [Control(1.5, xs, 1.0)])
    assert estimate.value == pytest.approx(5.0)
    # residual variance 4 / (4 - 2) = 2, over 4 batches, plus the uncertainty of the estimated beta
    # times the offset: 2 * (1/4 + 0.5**2 / 1) = 1
    assert estimate.standard_error == pytest.approx(1.0)


def test_batches_must_pair_up():
    with pytest.raises(ValueError, match="same number of batches"):
        controlled_mean(1.0, [1.0, 2.0, 3.0], [Control(1.0, [1.0, 2.0], 1.0)])


def test_two_controls_each_take_their_share_and_a_constant_one_is_left_out():
    # y = 2 x1 - x2 + 1 exactly; x1 ran 0.5 high, x2 ran 1 high
    x1 = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    x2 = [1.0, 0.0, 2.0, 1.0, 3.0, 2.0]
    ys = [2 * a - b + 1 for a, b in zip(x1, x2)]
    constant = Control(7.0, [7.0] * 6, 7.0)
    estimate = controlled_mean(10.0, ys, [Control(3.0, x1, 2.5), constant, Control(2.5, x2, 1.5)])
    assert estimate.value == pytest.approx(10.0 - 2 * 0.5 + 1 * 1.0)
    assert estimate.standard_error == pytest.approx(0.0, abs=1e-9)


def test_poisson_tail_and_excess():
    # mean 1: P(0) = P(1) = e^-1, P(2) = e^-1 / 2
    e = math.exp(-1.0)
    assert poisson_tail(1.0, 0) == 1.0
    assert poisson_tail(1.0, 2) == pytest.approx(1 - 2 * e)
    assert poisson_excess(1.0, 0) == pytest.approx(1.0)
    # E[(K-2)+] = E[K] - 2 + 2 P(0) + 1 P(1)
    assert poisson_excess(1.0, 2) == pytest.approx(1.0 - 2 + 3 * e)
