"""Intervals, tests and corrections against scipy's and statsmodels'."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from analysis.stats import holm, mean_ci, paired_difference, paired_t


@pytest.mark.parametrize("n", [2, 3, 5, 17])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_mean_ci_matches_scipy_t_interval(n: int, level: float) -> None:
    x = np.random.default_rng(n).normal(3.0, 2.0, n)
    ci = mean_ci(x.tolist(), level)
    low, high = st.t.interval(level, n - 1, loc=x.mean(), scale=st.sem(x))
    assert ci.n == n
    assert ci.mean == pytest.approx(x.mean(), rel=1e-12)
    assert ci.mean - ci.half_width == pytest.approx(low, rel=1e-10)
    assert ci.mean + ci.half_width == pytest.approx(high, rel=1e-10)


def test_mean_ci_edge_cases() -> None:
    assert math.isnan(mean_ci([]).mean) and mean_ci([]).n == 0
    one = mean_ci([2.5])
    assert one.mean == 2.5 and math.isnan(one.half_width) and one.n == 1
    assert mean_ci([1.0, math.nan, 3.0]).n == 2  # non-finite values are not averaged in
    assert mean_ci([4.0, 4.0, 4.0]).half_width == 0.0


@pytest.mark.parametrize("n", [2, 3, 8])
def test_paired_t_matches_scipy_ttest_rel(n: int) -> None:
    rng = np.random.default_rng(10 + n)
    a = rng.normal(0, 1, n)
    b = a + rng.normal(0.3, 0.5, n)
    mine = paired_t(a.tolist(), b.tolist())
    ref = st.ttest_rel(a, b)
    assert mine.n == n
    assert mine.t == pytest.approx(float(ref.statistic), rel=1e-10)
    assert mine.p == pytest.approx(float(ref.pvalue), rel=1e-10)


def test_paired_t_degenerate_cases() -> None:
    assert math.isnan(paired_t([1.0], [2.0]).p)
    same = paired_t([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (same.t, same.p) == (0.0, 1.0)
    shifted = paired_t([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])  # constant difference: certain
    assert shifted.p == 0.0 and shifted.t == math.inf
    with pytest.raises(ValueError, match="equal lengths"):
        paired_t([1.0, 2.0], [1.0])


@pytest.mark.parametrize("m", [1, 2, 5, 10])
def test_holm_matches_statsmodels(m: int) -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(100 + m)
    p = np.concatenate([rng.uniform(0, 0.05, m // 2), rng.uniform(0, 1, m - m // 2)])
    rng.shuffle(p)
    reject, ref, _, _ = multipletests(p, alpha=0.05, method="holm")
    mine = holm(p.tolist())
    assert mine == pytest.approx(ref.tolist(), rel=1e-12, abs=1e-15)
    assert [x < 0.05 for x in mine] == reject.tolist()


def test_holm_closed_form_and_nan() -> None:
    # sorted 0.01, 0.02, 0.04 -> 3 * 0.01, max(0.03, 2 * 0.02), max(0.04, 1 * 0.04)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    out = holm([0.5, math.nan, 0.01])  # a test not done: not in the family (m = 2)
    assert out[0] == pytest.approx(0.5) and math.isnan(out[1]) and out[2] == pytest.approx(0.02)
    assert holm([0.9, 0.8]) == [1.0, 1.0]  # capped at 1
    assert holm([]) == []


def test_paired_difference_interval_matches_scipy() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(1.0, 1.0, 4), rng.normal(0.0, 1.0, 4)
    d = paired_difference(a.tolist(), b.tolist())
    low, high = st.t.interval(0.95, 3, loc=(a - b).mean(), scale=st.sem(a - b))
    assert (d.effect.low, d.effect.high) == (pytest.approx(low), pytest.approx(high))
    assert d.test.p == pytest.approx(float(st.ttest_rel(a, b).pvalue))
    assert d.n == 4
