"""Training curves: the mean over seeds of a metric's history per variant, with the t-interval
band (the same interval as the tables, :func:`analysis.stats.mean_ci`) at each logged step.
A variant in which any seed's run had not converged is labelled so (:mod:`analysis.convergence`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.convergence import legend_label, marked
from analysis.figures import palette, save
from analysis.select import Resolved
from analysis.stats import mean_ci

KEYS = ("train/loss", "val/loss")


def band(res: Resolved, history: pd.DataFrame, key: str) -> pd.DataFrame:
    """Columns variant, step, mean, low, high (low = high = mean where one seed has the step)."""
    runs = res.finished[["run_id", "variant"]]
    h = history[history["key"] == key].merge(runs, on="run_id")
    out = []
    for (variant, step), group in h.groupby(["variant", "step"], sort=False):
        ci = mean_ci(group["value"].tolist())
        half = ci.half_width if ci.n > 1 else 0.0
        out.append({"variant": variant, "step": step, "mean": ci.mean, "low": ci.mean - half,
                    "high": ci.mean + half})
    return pd.DataFrame(out, columns=["variant", "step", "mean", "low", "high"])


def labels(res: Resolved) -> dict[str, str]:
    """The legend label of each variant: its name, `` (not converged)`` appended where a
    seed's run had not converged."""
    flagged = marked(res)
    return {v: legend_label(v, flagged) for v in res.variants}


def training_curves(res: Resolved, history: pd.DataFrame, path: Path,
                    keys: tuple[str, ...] = KEYS) -> list[Path]:
    bands = {k: band(res, history, k) for k in keys}
    bands = {k: b for k, b in bands.items() if not b.empty}
    if not bands:
        return []
    colors = palette(res.variants)
    names = labels(res)
    fig, axes = plt.subplots(1, len(bands), figsize=(5 * len(bands), 3.6), squeeze=False)
    for ax, (key, b) in zip(axes[0], bands.items(), strict=True):
        for variant in res.variants:
            v = b[b["variant"] == variant].sort_values("step")
            if v.empty:
                continue
            ax.plot(v["step"], v["mean"], color=colors[variant], label=names[variant], lw=1.2)
            ax.fill_between(v["step"], v["low"], v["high"], color=colors[variant], alpha=0.2,
                            lw=0)
        if (b["low"] > 0).all():
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(key)
    axes[0][-1].legend(fontsize=6, loc="upper right")
    return [save(fig, path)]
