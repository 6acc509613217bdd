"""Statistics over seeds: intervals of a mean, the paired t-test, Holm's correction.

* :func:`mean_ci`: for ``n`` values with mean ``m`` and sample standard deviation ``s``
  (``ddof=1``), the two-sided ``level`` interval ``m +- t_{(1+level)/2, n-1} s / sqrt(n)``
  (Student; undefined for n < 2: NaN).
* :func:`paired_t`: seeds pair the runs (same seed, same data order and initial draw where the
  models allow), so the test is Student's t on the differences ``d_i = a_i - b_i``:
  ``t = mean(d) / (sd(d) / sqrt(n))`` with ``n - 1`` degrees of freedom, two-sided
  ``p = 2 P(T > |t|)``; identical pairs give ``t = 0, p = 1``. :func:`paired_difference` adds the
  t-interval of ``mean(d)`` (the effect and its interval in a verdict).
* :func:`holm`: Holm's (1979) step-down correction of a family of ``m`` p-values for the
  family-wise error rate: with the p-values sorted ``p_(1) <= ... <= p_(m)``, the adjusted
  ``p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``; a test is significant at level alpha when
  ``p~ < alpha``, which controls the probability of any false rejection at alpha under any
  dependence. NaN p-values (tests not done) stay NaN and do not count in ``m``.

``MIN_SEEDS``: a test is reported only with at least three pairs (with two, one degree of
freedom gives intervals of tens of dB). Checked against ``scipy.stats`` (``t.interval``,
``ttest_rel``) and ``statsmodels.stats.multitest.multipletests(method="holm")`` by the tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

TEST_NAME = "paired two-sided Student t-test over seeds"
CORRECTION = "Holm-Bonferroni"
MIN_SEEDS = 3


@dataclass(frozen=True)
class MeanCI:
    mean: float
    half_width: float  # NaN when n < 2
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width


@dataclass(frozen=True)
class PairedTest:
    t: float
    p: float
    n: int  # number of pairs


@dataclass(frozen=True)
class PairedDifference:
    """``mean(a - b)`` over the pairs with its t-interval, and the paired test."""

    effect: MeanCI
    test: PairedTest

    @property
    def n(self) -> int:
        return self.test.n


def _finite(values: Sequence[float]) -> np.ndarray:
    return np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)


def mean_ci(values: Sequence[float], level: float = 0.95) -> MeanCI:
    x = _finite(values)
    n = len(x)
    if n == 0:
        return MeanCI(math.nan, math.nan, 0)
    if n == 1:
        return MeanCI(float(x[0]), math.nan, 1)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    return MeanCI(float(x.mean()), float(st.t.ppf((1 + level) / 2, n - 1)) * sem, n)


def _differences(a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    if len(a) != len(b):
        raise ValueError(f"paired samples need equal lengths, got {len(a)} and {len(b)}")
    return np.asarray([x - y for x, y in zip(a, b, strict=True)
                       if math.isfinite(x) and math.isfinite(y)], dtype=np.float64)


def paired_t(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Student's paired t-test of ``a`` against ``b`` (pairs with a non-finite value dropped)."""
    d = _differences(a, b)
    n = len(d)
    if n < 2:
        return PairedTest(math.nan, math.nan, n)
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        mean = float(d.mean())
        return PairedTest(0.0, 1.0, n) if mean == 0.0 else \
            PairedTest(math.copysign(math.inf, mean), 0.0, n)
    t = float(d.mean()) / (sd / math.sqrt(n))
    return PairedTest(t, float(2 * st.t.sf(abs(t), n - 1)), n)


def paired_difference(a: Sequence[float], b: Sequence[float],
                      level: float = 0.95) -> PairedDifference:
    """The mean paired difference ``a - b`` with its ``level`` t-interval, and the test."""
    return PairedDifference(mean_ci(_differences(a, b).tolist(), level), paired_t(a, b))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given (NaN where a test was not done)."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, math.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = len(idx)
    if m == 0:
        return [float(x) for x in out]
    order = idx[np.argsort(p[idx], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return [float(x) for x in out]
