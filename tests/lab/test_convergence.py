"""lab.convergence against closed forms: sampled exponential decays (with the window's start on
a validation and between two), flat and increasing curves, negative losses, too few points."""

from __future__ import annotations

import doctest
import math
import subprocess
import sys
from pathlib import Path

import pytest

import lab.convergence
from lab.convergence import (
    NOT_CONVERGED_BELOW,
    is_converged,
    plateau_schedule,
    plateaued,
    relative_change,
)


def decay(s: float, a: float = 2.0, tau: float = 300.0, c: float = 0.5) -> float:
    return a * math.exp(-s / tau) + c


def test_exponential_decay_window_start_on_a_validation() -> None:
    steps = list(range(50, 1001, 50))  # every k = 50 steps; the window starts at 800
    change = relative_change(steps, [decay(s) for s in steps], 1000)
    assert change == pytest.approx((decay(1000) - decay(800)) / decay(800), rel=1e-12)
    assert change < NOT_CONVERGED_BELOW and is_converged(change) is False


def test_exponential_decay_window_start_between_validations() -> None:
    steps = [*range(30, 1000, 30), 1000]  # 780 and 810 around 800; the last step validated
    change = relative_change(steps, [decay(s) for s in steps], 1000)
    ref = decay(780) + (decay(810) - decay(780)) * 20 / 30  # linear interpolation
    assert change == pytest.approx((decay(1000) - ref) / ref, rel=1e-12)


def test_linear_curve_is_interpolated_exactly() -> None:
    steps = [*range(30, 1000, 30), 1000]
    change = relative_change(steps, [5.0 - 0.002 * s for s in steps], 1000)
    assert change == pytest.approx((-0.002 * 200) / (5.0 - 0.002 * 800), rel=1e-12)


def test_slow_decay_is_converged() -> None:
    steps = list(range(100, 2001, 100))
    change = relative_change(steps, [decay(s, tau=50.0) for s in steps], 2000)
    assert -0.01 < change < 0 and is_converged(change) is True


def test_flat_and_increasing_curves() -> None:
    steps = list(range(10, 101, 10))
    assert relative_change(steps, [3.0] * len(steps), 100) == 0.0
    rising = [1.0 + 0.01 * s for s in steps]
    change = relative_change(steps, rising, 100)
    assert change == pytest.approx((2.0 - 1.8) / 1.8, rel=1e-12)
    assert is_converged(change) is True  # over-fitting is not "still improving"


def test_negative_losses() -> None:
    """A negative SI-SDR loss: falling means more negative; the sign follows L_end - L_ref."""
    steps = list(range(50, 1001, 50))
    losses = [-1.0 - decay(0) + decay(s) for s in steps]  # -1 at step 0, falling
    change = relative_change(steps, losses, 1000)
    ref, end = losses[steps.index(800)], losses[-1]
    assert ref < 0 and end < ref
    assert change == pytest.approx((end - ref) / abs(ref), rel=1e-12)
    assert change < NOT_CONVERGED_BELOW
    # the same curve shifted up to positive losses falls by the same amount, so the same sign
    shifted = [x + 20.0 for x in losses]
    assert relative_change(steps, shifted, 1000) < 0


def test_other_fraction_and_zero_reference() -> None:
    steps = list(range(50, 1001, 50))
    change = relative_change(steps, [decay(s) for s in steps], 1000, fraction=0.5)
    assert change == pytest.approx((decay(1000) - decay(500)) / decay(500), rel=1e-12)
    assert relative_change([1, 2, 4], [1.0, 0.0, 0.0], 4, fraction=0.5) == 0.0  # 0 / TINY


def test_not_defined_is_nan() -> None:
    assert math.isnan(relative_change([], [], 100))
    assert math.isnan(relative_change([100], [1.0], 100))
    assert math.isnan(relative_change([90, 100], [2.0, 1.0], 100))  # none at or before 80
    assert math.isnan(relative_change([20, 40, 60, 80], [4.0, 3.0, 2.0, 1.0], 100))  # none after
    assert math.isnan(relative_change([50, 100], [1.0, math.nan], 100))
    assert math.isnan(relative_change([40, 80, 100], [1.0, math.inf, 1.0], 100))
    assert is_converged(math.nan) is None


def test_order_and_repeated_steps() -> None:
    steps, losses = [100, 20, 80, 60, 40], [1.0, 5.0, 2.0, 3.0, 4.0]
    assert relative_change(steps, losses, 100) == pytest.approx(-0.5)
    # a resumed run validated step 80 twice: the later value counts
    assert relative_change([40, 80, 80, 100], [4.0, 9.0, 2.0, 1.0], 100) == pytest.approx(-0.5)


def test_threshold_and_errors() -> None:
    assert NOT_CONVERGED_BELOW == -0.01
    assert is_converged(-0.05) is False
    assert is_converged(-0.001) is True
    assert is_converged(NOT_CONVERGED_BELOW) is True  # "more than 1 %" is strict
    assert is_converged(-0.05, threshold=-0.1) is True
    with pytest.raises(ValueError, match="length"):
        relative_change([1, 2], [1.0], 2)
    with pytest.raises(ValueError, match="fraction"):
        relative_change([1, 2], [1.0, 1.0], 2, fraction=1.0)
    with pytest.raises(ValueError, match="total_steps"):
        relative_change([1, 2], [1.0, 1.0], 0)


def test_doctest_and_no_torch() -> None:
    assert doctest.testmod(lab.convergence).failed == 0
    code = "import sys, lab.convergence; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_plateau_is_no_improvement_by_min_delta_over_patience_validations() -> None:
    falling = [1.0 * 0.9**i for i in range(10)]
    assert not plateaued(falling, 3, 0.005)
    flat = [*falling, falling[-1], falling[-1] * 0.999, falling[-1] * 1.2]
    assert plateaued(flat, 3, 0.005) and not plateaued(flat, 3, 0.0005)
    assert not plateaued(flat, 4, 0.005)  # the fourth last (0.9^9) improved by 10 %
    assert not plateaued(flat, 0, 0.005) and not plateaued([1.0, 1.0], 2, 0.0)
    # negative losses (negative SI-SDR): an improvement is a fall by min_delta of |best|
    neg = [-5.0, -10.0, -10.04, -10.02]
    assert plateaued(neg, 2, 0.005) and not plateaued(neg, 2, 0.003)


def test_plateau_schedule_halves_then_stops_and_is_a_function_of_the_history() -> None:
    flat = [1.0] * 12
    # patience 2: plateaus at the 3rd, 5th, 7th validation; two halvings, then a stop
    states = [plateau_schedule(flat[:n], 2, 0.01, 2) for n in range(1, 8)]
    assert states == [(0, False), (0, False), (1, False), (1, False), (2, False), (2, False),
                      (2, True)]
    # an improvement restarts the count; negative losses improve by min_delta of |best|
    assert plateau_schedule([-5.0, -5.0, -5.1, -5.1], 2, 0.01, 3) == (0, False)
    assert plateau_schedule([-5.0, -5.0, -5.04, -5.04], 2, 0.01, 3) == (1, False)
    assert plateau_schedule([2.0, 1.0], 1, 0.0, 0) == (0, False)
    assert plateau_schedule([1.0, 1.0], 1, 0.0, 0) == (0, True)
