"""Control variates for steady-state figures of a simulation (Lavenberg and Welch, 1981).

Near saturation the mean wait of even 200,000 simulated calls is a noisy figure: one long busy
period moves it by 10 %. A *control* is a second figure measured on the same random draws whose
expectation is known exactly; where the simulation happened to run heavy, the control ran heavy too,
and subtracting `beta * (control - its expectation)` takes most of that luck out again. `beta` is
estimated from batch means of both figures, so a control that does not correlate costs nothing.

The control used here is a single server N times faster than one agent, fed the very same arrival
times and the very same work (handle plus wrap-up): its mean wait is given exactly by the
Pollaczek-Khinchine formula, whatever the routing rules of the real queue.
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


@dataclass(frozen=True)
class Estimate:
    value: float
    standard_error: float


def controlled_mean(overall: float, batches: list[float], control_overall: float, control_batches: list[float],
                    control_expected: float) -> Estimate:
    """`overall` corrected by a control whose expectation is known.

    `batches` and `control_batches` are the two figures over the same consecutive batches (at least
    three); `overall` and `control_overall` are the figures over the whole run.
    """
    n = len(batches)
    if n != len(control_batches) or n < 3:
        raise ValueError("need the same number of batches, at least three, for both figures")
    mean_y = sum(batches) / n
    mean_x = sum(control_batches) / n
    sxx = sum((x - mean_x) ** 2 for x in control_batches)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(control_batches, batches))
    beta = sxy / sxx if sxx > 0 else 0.0
    residual = sum((y - mean_y - beta * (x - mean_x)) ** 2 for x, y in zip(control_batches, batches)) / (n - 2)
    offset = control_overall - control_expected
    variance = residual * (1.0 / n + (offset ** 2 / sxx if sxx > 0 else 0.0))
    return Estimate(overall - beta * offset, math.sqrt(variance))
