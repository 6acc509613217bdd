"""Statistics over seeds: the t-based confidence interval of a mean and the paired t-test.

For ``n`` values with mean ``m`` and sample standard deviation ``s`` (``ddof=1``), the two-sided
``level`` interval is ``m +- t_{(1+level)/2, n-1} s / sqrt(n)`` (Student; undefined for n < 2:
NaN). The paired test (seeds pair the runs: same seed, same data order and initial draw where the
models allow) is Student's t on the differences ``d_i = a_i - b_i``:
``t = mean(d) / (sd(d) / sqrt(n))`` with ``n - 1`` degrees of freedom, two-sided
``p = 2 P(T > |t|)``; identical pairs give ``t = 0, p = 1``. Checked against ``scipy.stats``
(``t.interval``, ``ttest_rel``) by the tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

TEST_NAME = "paired two-sided Student t-test over seeds"


@dataclass(frozen=True)
class MeanCI:
    mean: float
    half_width: float  # NaN when n < 2
    n: int


@dataclass(frozen=True)
class PairedTest:
    t: float
    p: float
    n: int  # number of pairs


def mean_ci(values: Sequence[float], level: float = 0.95) -> MeanCI:
    x = np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)
    n = len(x)
    if n == 0:
        return MeanCI(math.nan, math.nan, 0)
    if n == 1:
        return MeanCI(float(x[0]), math.nan, 1)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    return MeanCI(float(x.mean()), float(st.t.ppf((1 + level) / 2, n - 1)) * sem, n)


def paired_t(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Student's paired t-test of ``a`` against ``b`` (pairs with a non-finite value dropped)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples need equal lengths, got {len(a)} and {len(b)}")
    d = np.asarray([x - y for x, y in zip(a, b, strict=True)
                    if math.isfinite(x) and math.isfinite(y)], dtype=np.float64)
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
