"""Control variates for steady-state figures of a simulation (Lavenberg and Welch, 1981).

Near saturation the mean wait of even 200,000 simulated calls is a noisy figure: one long busy
period moves it by 10 %. A *control* is a second figure measured on the same random draws whose
expectation is known exactly; where the simulation happened to run heavy, the control ran heavy too,
and subtracting `beta * (control - its expectation)` takes most of that luck out again. `beta` is
estimated from batch means of both figures, so a control that does not correlate costs nothing.

The formulas below give the exact means of the simulator's controls (firmware/acd/simulate.py):
a single server as fast as all agents together (M/G/1, Pollaczek-Khinchine) and as many servers as
there are callers (M/G/infinity: the number busy is Poisson, whatever the handle times).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def mg1_mean_wait(arrival_rate: float, mean_service: float, service_second_moment: float) -> float:
    """Mean wait in queue of M/G/1 (Pollaczek-Khinchine); infinite at or above saturation."""
    load = arrival_rate * mean_service
    if load >= 1.0:
        return math.inf
    return arrival_rate * service_second_moment / (2.0 * (1.0 - load))


def poisson_tail(mean: float, n: int) -> float:
    """P(K >= n) for K ~ Poisson(mean)."""
    return max(0.0, 1.0 - sum(_poisson_terms(mean, n)))


def poisson_excess(mean: float, m: int) -> float:
    """E[max(0, K - m)] for K ~ Poisson(mean): E[K] - m + sum over k < m of (m - k) P(k)."""
    return mean - m + sum((m - k) * p for k, p in enumerate(_poisson_terms(mean, m)))


def _poisson_terms(mean: float, count: int) -> list[float]:
    terms, p = [], math.exp(-mean)
    for k in range(count):
        terms.append(p)
        p *= mean / (k + 1)
    return terms


@dataclass(frozen=True)
class Estimate:
    value: float
    standard_error: float


@dataclass(frozen=True)
class Control:
    """A figure measured on the same draws: over the whole run, over each batch, and its exact mean."""
    overall: float
    batches: list[float]
    expected: float


def controlled_mean(overall: float, batches: list[float], controls: list[Control]) -> Estimate:
    """`overall` corrected by controls whose expectations are known (multiple regression on batch means).

    `batches` holds the figure over consecutive batches (more batches than controls + 2); `overall`
    is the figure over the whole run. A control that does not vary over the batches is left out.
    """
    n = len(batches)
    if any(len(c.batches) != n for c in controls) or n < len(controls) + 3:
        raise ValueError("need the same number of batches for the figure and its controls, more than controls + 2")
    controls = [c for c in controls if _spread(c.batches) > 0]
    mean_y = sum(batches) / n
    centred_y = [y - mean_y for y in batches]
    centred_x = [[x - sum(c.batches) / n for x in c.batches] for c in controls]
    cross = [[_dot(xi, xj) for xj in centred_x] for xi in centred_x]
    beta = _solve(cross, [_dot(xi, centred_y) for xi in centred_x])
    residuals = [y - sum(b * x[i] for b, x in zip(beta, centred_x)) for i, y in enumerate(centred_y)]
    residual_variance = _dot(residuals, residuals) / (n - len(controls) - 1)
    offsets = [c.overall - c.expected for c in controls]
    # Var = s^2 (1/n + d' S^-1 d): the batch noise plus the uncertainty of the estimated betas
    spread_of_betas = _dot(offsets, _solve(cross, offsets)) if controls else 0.0
    value = overall - _dot(beta, offsets)
    return Estimate(value, math.sqrt(residual_variance * (1.0 / n + spread_of_betas)))


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def _spread(values: list[float]) -> float:
    return max(values) - min(values) if values else 0.0


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gauss-Jordan with partial pivoting for the few (at most a handful) controls."""
    size = len(rhs)
    rows = [list(row) + [value] for row, value in zip(matrix, rhs)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0.0:
            raise ValueError("controls are linearly dependent")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(size):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col])]
    return [rows[i][size] / rows[i][i] for i in range(size)]
