"""Runs that had not converged, and the variants they mark.

lab logs ``convergence/val_rel_change`` (the relative change of the validation loss over the last
fifth of training, :func:`lab.convergence.relative_change`) as a final metric of every trained
run. A run is *not converged* when :func:`lab.convergence.is_converged` says so (the loss still
fell by more than 1 %: the threshold is :data:`lab.convergence.NOT_CONVERGED_BELOW`, the one
source of truth); ``convergence/converged`` (1.0 / 0.0) is read only where the change is missing.
Runs without either metric (codec baselines, runs logged before lab measured it) are never marked.
A variant is marked (:data:`MARK` in every results cell, `` (not converged)`` in figure legends)
when any of its seeds' runs is not converged.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import pandas as pd

from analysis.runs import METRIC
from analysis.select import Resolved
from lab.convergence import (
    CHANGE_METRIC,
    FLAG_METRIC,
    FRACTION,
    NOT_CONVERGED_BELOW,
    is_converged,
)

__all__ = ["CHANGE_METRIC", "FLAG_METRIC", "MARK", "MEANING", "SUFFIX", "converged", "counts",
           "legend_label", "marked", "measured", "not_converged_runs", "note"]

MARK = "‡"  # a double dagger: plain text in Markdown, CSV and HTML; \ddag in LaTeX
SUFFIX = " (not converged)"
WINDOW = "the last fifth" if FRACTION == 0.2 else f"the last {FRACTION:.0%}"
MEANING = (f"validation loss still fell by more than {abs(NOT_CONVERGED_BELOW) * 100:g} % over "
           f"{WINDOW} of training")


def _number(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


def converged(frame: pd.DataFrame) -> pd.Series:
    """Per row of ``frame`` (runs): True, False, or None where it was not measured. The run's
    own flag when it logged one (a run stopped early on a plateau is converged whatever the
    change over its last fifth), else the change judged by the threshold."""
    change = frame.get(METRIC + CHANGE_METRIC, pd.Series(math.nan, index=frame.index))
    flag = frame.get(METRIC + FLAG_METRIC, pd.Series(math.nan, index=frame.index))
    out: list[bool | None] = []
    for c, f in zip(change.map(_number), flag.map(_number), strict=True):
        if not math.isnan(f):
            out.append(f >= 0.5)
        else:
            out.append(None if math.isnan(c) else is_converged(c))
    return pd.Series(out, index=frame.index, dtype=object)


def measured(res: Resolved) -> bool:
    """Whether any finished run of the ablation carries the convergence metric."""
    return bool(converged(res.finished).notna().any())


def not_converged_runs(res: Resolved) -> pd.DataFrame:
    """Columns ``run_name``, ``variant``, ``seed``, ``change`` (NaN where only the flag was
    logged), in the ablation's variant and seed order."""
    f = res.finished
    rows = f[converged(f).map(lambda c: c is False).astype(bool)]
    change = rows.get(METRIC + CHANGE_METRIC, pd.Series(math.nan, index=rows.index))
    return pd.DataFrame({"run_name": rows["run_name"].astype(str), "variant": rows["variant"],
                         "seed": rows["seed"], "change": change.map(_number)}
                        ).reset_index(drop=True)


def counts(res: Resolved) -> dict[str, tuple[int, int]]:
    """``variant -> (runs not converged, runs)`` for the marked variants, in variant order."""
    bad = not_converged_runs(res)["variant"].value_counts()
    seeds = res.finished["variant"].value_counts()
    return {v: (int(bad[v]), int(seeds[v])) for v in res.variants if v in bad.index}


def marked(res: Resolved) -> set[str]:
    """The variants in which any seed's run is not converged."""
    return set(counts(res))


def note(res: Resolved) -> str:
    """The caption's footnote, e.g. ``‡ not converged: validation loss still fell by more than
    1 % over the last fifth of training in 1 of 3 seeds (complex).``; empty when no variant is
    marked."""
    found = counts(res)
    if not found:
        return ""
    parts = ", ".join(f"{n} of {total} seeds ({v})" for v, (n, total) in found.items())
    return f" {MARK} not converged: {MEANING} in {parts}."


def legend_label(variant: str, flagged: Collection[str]) -> str:
    """``variant``, with :data:`SUFFIX` when it is one of ``flagged``."""
    return f"{variant}{SUFFIX}" if variant in flagged else variant
