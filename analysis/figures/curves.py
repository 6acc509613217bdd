"""Training curves: per variant, the mean over seeds of a metric's history at each logged step,
in a band from the lowest to the highest seed's value there (min–max over seeds: it never leaves
the range the quantity took, so a positive loss, a perplexity >= 1 or a fraction in [0, 1] stays
so; a t-interval over three seeds does not). A panel needs a curve: a key that no variant logged
at two steps or more is left out, and a variant logged at one step only is drawn as a marker and
labelled so. Axes: ``step`` and the metric with its unit (:func:`analysis.catalog.axis_label`);
a loss panel's title names the objective's terms (from the runs' ``loss.*`` params). Legends
sit below the panels. A variant in which any seed's run had not converged is labelled so
(:mod:`analysis.convergence`).

Equal FLOPs is one fairness, equal wall-clock the other: when the runs logged
``time/train_seconds`` at their validations (:mod:`lab.train`), a last panel draws validation
SI-SDR (the negative of ``val/recon/si_sdr``) against those seconds: per variant, at each
validation step, the mean over seeds of both, with the min–max band of SI-SDR."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.catalog import axis_label
from analysis.convergence import SUFFIX, marked
from analysis.figures import palette, save
from analysis.figures.labels import param, variant_labels
from analysis.select import Resolved

KEYS = ("train/loss", "val/loss")
CLOCK = "time/train_seconds"  # lab.train.CLOCK_METRIC
VAL_SI_SDR = "val/recon/si_sdr"  # the negative SI-SDR of the validation clips, dB
BAND = "min\u2013max over seeds"
ONE_POINT = " (one step logged)"
TERMS = {"snr": "\u2212SNR [dB]", "si_sdr": "\u2212SI-SDR [dB]",
         "compressed": "compressed spectrum", "spectral": "spectral MSE", "mrstft": "MR-STFT"}
LOSSES = {"train/loss": "training loss", "val/loss": "validation loss"}


def band(res: Resolved, history: pd.DataFrame, key: str) -> pd.DataFrame:
    """Columns variant, step, mean, low, high, n: the mean, lowest and highest value over the
    seeds that logged ``key`` at that step (low = high = mean with one seed)."""
    runs = res.finished[["run_id", "variant"]]
    h = history[history["key"] == key].merge(runs, on="run_id")
    h = h[np.isfinite(pd.to_numeric(h["value"], errors="coerce"))]
    cols = ["variant", "step", "mean", "low", "high", "n"]
    if h.empty:
        return pd.DataFrame(columns=cols)
    g = h.groupby(["variant", "step"], sort=False)["value"]
    out = g.agg(mean="mean", low="min", high="max", n="count").reset_index()
    return out[cols]


def clock_band(res: Resolved, history: pd.DataFrame) -> pd.DataFrame:
    """Columns variant, step, seconds, mean, low, high, n: per variant and validation step, the
    mean over seeds of ``time/train_seconds`` and of validation SI-SDR, and SI-SDR's range."""
    cols = ["variant", "step", "seconds", "mean", "low", "high", "n"]
    clock, quality = band(res, history, CLOCK), band(res, history, VAL_SI_SDR)
    if clock.empty or quality.empty:
        return pd.DataFrame(columns=cols)
    q = quality.assign(mean=-quality["mean"], low=-quality["high"], high=-quality["low"])
    out = q.merge(clock[["variant", "step", "mean"]].rename(columns={"mean": "seconds"}),
                  on=["variant", "step"])
    return out[cols]


def labels(res: Resolved) -> dict[str, str]:
    """The legend label of each variant: its name (``real`` in front for a real twin whose name
    does not say so), `` (not converged)`` appended where a seed's run had not converged."""
    flagged = marked(res)
    names = variant_labels(res)
    return {v: f"{names[v]}{SUFFIX}" if v in flagged else names[v] for v in res.variants}


def _term(name: str, weight: float) -> str:
    return TERMS[name] if weight == 1 else f"{weight:g} \u00d7 {TERMS[name]}"


def objective(res: Resolved) -> str:
    """The terms of the runs' training objective, e.g. ``−SNR [dB] + 10 × compressed
    spectrum + bottleneck terms``, from their ``loss.*`` params; empty when the runs do not log
    them, ``terms differ by variant`` when they are not all the same."""
    found: set[str] = set()
    bottleneck = False
    for _, row in res.finished.iterrows():
        parts = []
        for name in TERMS:
            w = param(row, f"loss.{name}")
            if isinstance(w, int | float) and not isinstance(w, bool) and w > 0:
                parts.append(_term(name, float(w)))
        found.add(" + ".join(parts))
        bottleneck |= param(row, "model.bottleneck") in ("vq", "rvq", "vae")
    if len(found) != 1:
        return "terms differ by variant" if found - {""} else ""
    terms = found.pop()
    if terms and bottleneck:
        terms += " + bottleneck terms"
    return terms


def y_label(res: Resolved, key: str) -> tuple[str, str]:
    """``key``'s axis label and the panel's title: a loss's names its terms
    (:func:`objective`), other metrics have none."""
    if key not in LOSSES:
        return axis_label(key), ""
    terms = objective(res)
    return LOSSES[key], f"{LOSSES[key]} = {terms}" if terms else ""


def drawable(b: pd.DataFrame) -> bool:
    """Whether a :func:`band` frame makes a curve: some variant logged at two steps or more."""
    return bool(len(b)) and int(b.groupby("variant")["step"].nunique().max()) >= 2


def legend_below(fig: Any, axes: list[Any], size: float = 7, ncol: int = 3) -> None:
    """One legend for the figure, below the axes (never over the data): the entries of every
    axes, each label once."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                   ncol=min(len(handles), ncol), fontsize=size, frameon=False)


def scale_y(ax: Any, b: pd.DataFrame) -> str:
    """A log axis for a positive quantity spanning more than a factor 20; a symmetric log axis
    (linear within the smallest final mean's decade) for one of either sign spanning more than
    1000 times its smallest final mean (a VAE's KL next to -SI-SDR); else linear. The scale."""
    top = float(np.abs(b[["low", "high"]].to_numpy()).max())
    if (b["low"] > 0).all() and b["high"].max() / b["low"].min() > 20:
        ax.set_yscale("log")
        return "log"
    final = np.abs(b.sort_values("step").groupby("variant")["mean"].last().to_numpy())
    small = float(final[final > 0].min()) if (final > 0).any() else 0.0
    if small > 0 and top / small > 1000:
        ax.set_yscale("symlog", linthresh=10 ** math.floor(math.log10(small)))
        return "symlog"
    return "linear"


def curves_figure(res: Resolved, history: pd.DataFrame, keys: tuple[str, ...] = KEYS
                  ) -> Any | None:
    """The figure (one panel per drawable key; see the module docstring), or ``None``."""
    bands = {k: band(res, history, k) for k in keys}
    bands = {k: b for k, b in bands.items() if drawable(b)}
    clock = clock_band(res, history)
    timed = drawable(clock)
    if not bands and not timed:
        return None
    colors = palette(res.variants)
    names = labels(res)
    n = len(bands) + timed
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 3.9), squeeze=False, layout="constrained")
    if timed:
        _clock_panel(axes[0][-1], res, clock, colors, names)
    for ax, (key, b) in zip(axes[0], bands.items(), strict=False):
        for variant in res.variants:
            v = b[b["variant"] == variant].sort_values("step")
            if v.empty:
                continue
            if len(v) == 1:
                ax.plot(v["step"], v["mean"], color=colors[variant], marker="o",
                        linestyle="none", label=names[variant] + ONE_POINT)
                continue
            ax.plot(v["step"], v["mean"], color=colors[variant], label=names[variant], lw=1.2,
                    marker="o" if len(v) <= 30 else None, ms=2.5)
            ax.fill_between(v["step"], v["low"], v["high"], color=colors[variant], alpha=0.2,
                            lw=0)
        scale_y(ax, b)
        ax.set_xlabel("step")
        label, title = y_label(res, key)
        ax.set_ylabel(label)
        ax.set_title(title, fontsize=7)
    legend_below(fig, list(axes[0]))
    return fig


def _clock_panel(ax: Any, res: Resolved, clock: pd.DataFrame, colors: dict[str, Any],
                 names: dict[str, str]) -> None:
    for variant in res.variants:
        v = clock[clock["variant"] == variant].sort_values("step")
        if len(v) >= 2:
            ax.plot(v["seconds"], v["mean"], color=colors[variant], label=names[variant],
                    lw=1.2, marker="o" if len(v) <= 30 else None, ms=2.5)
            ax.fill_between(v["seconds"], v["low"], v["high"], color=colors[variant],
                            alpha=0.2, lw=0)
    ax.set_xlabel("wall-clock training time [s] (steps and validations)")
    ax.set_ylabel("validation SI-SDR [dB]")
    ax.set_title("quality against wall-clock time (mean over seeds, min\u2013max band)",
                 fontsize=7)


def training_curves(res: Resolved, history: pd.DataFrame, path: Path,
                    keys: tuple[str, ...] = KEYS) -> list[Path]:
    """:func:`curves_figure` as a PNG at ``path``; ``[]`` when no key makes a curve."""
    fig = curves_figure(res, history, keys)
    return [] if fig is None else [save(fig, path, "constrained")]
