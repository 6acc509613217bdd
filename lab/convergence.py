"""Has a run converged? The relative change of its validation loss over the end of training.

The loss judged is the validation reconstruction objective ``val/recon``
(:data:`lab.train.SELECT_METRIC`; before, ``val/loss`` with the bottleneck's terms, whose VQ
commitment term rises while quality still improves).

Pure Python (no torch), so that :mod:`analysis` reads the same threshold as the training loop.

With validations ``(s_i, L_i)`` of a run of ``T`` total steps and a window ``f`` (default
:data:`FRACTION` = 1/5), the window starts at step ``b = (1 - f) T`` and

* ``L_ref = L(b)``, linearly interpolated between the last validation at or before ``b`` and
  the first one after it (exactly ``L_i`` when a validation falls on ``b``, as it does when
  ``T`` and ``b`` are multiples of the validation interval), so the window is the same for every
  validation interval;
* ``L_end`` = the loss at the last validation (normally step ``T``);
* ``change = (L_end - L_ref) / max(|L_ref|, TINY)``.

Negative: the loss still fell over the window (still improving). ``|L_ref|`` because losses may
be negative (a negative SI-SDR loss): the sign of ``change`` is always that of ``L_end - L_ref``.
NaN when there are fewer than 2 validations, none at or before ``b``, none after ``b``, or a
non-finite loss at either end. Validations are sorted by step; of two at the same step (a
resumed run), the later one in the sequence counts.

A run whose loss fell by more than 1 % over its last fifth (``change < NOT_CONVERGED_BELOW``)
is *not converged*: more steps would likely have improved it. The training loop logs
``change`` as the final metric :data:`CHANGE_METRIC` and :func:`is_converged` as
:data:`FLAG_METRIC` (1.0 / 0.0).

**Early stopping** (``optim.patience`` > 0): after each validation the loop asks
:func:`plateaued`: none of the last ``patience`` validation losses beat the best one before them
by more than ``min_delta`` of its size. A run stopped so is converged by this criterion (its
loss stopped falling) and logs :data:`STOPPED_METRIC` = 1; a run that reaches its step cap
is judged by the window above, over the steps it ran, and stays flagged if still improving.
Both are functions of the validation history, which checkpoints carry, so a resumed run stops
where an uninterrupted one would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

FRACTION = 0.2
NOT_CONVERGED_BELOW = -0.01
TINY = 1e-12
CHANGE_METRIC = "convergence/val_rel_change"
FLAG_METRIC = "convergence/converged"
STOPPED_METRIC = "convergence/stopped_early"


def relative_change(steps: Sequence[int], losses: Sequence[float], total_steps: int,
                    fraction: float = FRACTION) -> float:
    """``(L_end - L_ref) / max(|L_ref|, TINY)`` over the last ``fraction`` of ``total_steps``
    (see the module docstring); NaN when it is not defined.

    >>> round(relative_change([100, 200, 300, 400, 500], [5.0, 4.0, 3.0, 2.2, 2.0], 500), 4)
    -0.0909
    """
    if len(steps) != len(losses):
        raise ValueError(f"steps and losses differ in length: {len(steps)} != {len(losses)}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    by_step = dict(zip((int(s) for s in steps), (float(v) for v in losses), strict=True))
    points = sorted(by_step.items())
    if len(points) < 2:
        return math.nan
    start = (1.0 - fraction) * total_steps
    before = [p for p in points if p[0] <= start]
    after = [p for p in points if p[0] > start]
    if not before or not after:
        return math.nan
    (s0, l0), (s1, l1) = before[-1], after[0]
    ref = l0 if s0 == start else l0 + (l1 - l0) * (start - s0) / (s1 - s0)
    end = points[-1][1]
    if not (math.isfinite(ref) and math.isfinite(end)):
        return math.nan
    return (end - ref) / max(abs(ref), TINY)


def is_converged(change: float, threshold: float = NOT_CONVERGED_BELOW) -> bool | None:
    """``change >= threshold`` (a fall of exactly 1 % still counts as converged); None when
    ``change`` is NaN (not measurable)."""
    if math.isnan(change):
        return None
    return change >= threshold


def plateaued(losses: Sequence[float], patience: int, min_delta: float) -> bool:
    """True when none of the last ``patience`` of ``losses`` (validation losses in step order)
    is below ``best - min_delta * max(|best|, TINY)``, ``best`` the lowest loss before them;
    False when ``patience`` is 0 or there are at most ``patience`` losses.

    >>> plateaued([3.0, 2.0, 1.999, 2.1], patience=2, min_delta=0.01)
    True
    >>> plateaued([3.0, 2.0, 1.9, 2.1], patience=2, min_delta=0.01)
    False
    """
    if patience <= 0 or len(losses) <= patience:
        return False
    best = min(losses[:-patience])
    bar = best - min_delta * max(abs(best), TINY)
    return not any(v < bar for v in losses[-patience:])


def plateau_schedule(losses: Sequence[float], patience: int, min_delta: float, max_cuts: int
                     ) -> tuple[int, bool]:
    """``(cuts, stop)`` of the plateau schedule after validation ``losses`` (in step order):
    walking through them with the best loss so far, a loss below ``best - min_delta *
    max(|best|, TINY)`` is an improvement; ``patience`` validations in a row without one make a
    plateau, which halves the rate (``cuts`` + 1, the count restarts) or, once ``max_cuts``
    halvings were made, stops the run. A function of the history, so a resumed run follows the
    same schedule.

    >>> plateau_schedule([3.0, 2.0, 2.0, 2.0, 1.5, 1.5, 1.5], 2, 0.01, 1)
    (1, True)
    >>> plateau_schedule([3.0, 2.0, 2.0, 2.0, 1.5], 2, 0.01, 1)
    (1, False)
    """
    cuts, best, waited = 0, math.inf, 0
    for v in losses:
        improved = not math.isfinite(best) or v < best - min_delta * max(abs(best), TINY)
        if improved:
            best, waited = v, 0
            continue
        waited += 1
        if waited >= patience:
            if cuts >= max_cuts:
                return cuts, True
            cuts, waited = cuts + 1, 0
    return cuts, False
