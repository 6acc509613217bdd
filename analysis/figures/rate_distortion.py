"""Rate-distortion: bitrate against quality, models (complex and real) and codec baselines.

A point is a variant's mean over seeds with its t-interval as an error bar. The bitrate of a
variant is ``rate/measured_bps`` (codecs: the payload), else ``rate/kl_bps`` (VAE), else
``rate/nominal_bps`` (VQ: latent vectors/s x log2 K); variants with no rate (plain autoencoders)
are left out. One line per model family (the variant without its rate setting: K, beta) and one
per codec, each point a setting; markers: the bottleneck. A variant in which any seed's run had
not converged (:mod:`analysis.convergence`) is drawn with a hollow marker, and its line's label
ends in `` (not converged)``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from analysis.catalog import header
from analysis.convergence import legend_label, marked
from analysis.figures import palette, save
from analysis.runs import METRIC, PARAM
from analysis.select import Resolved
from analysis.stats import mean_ci
from analysis.tables import si

QUALITY = ("test/si_sdr", "test/pesq_wb", "test/mel_distance")
RATES = ("rate/measured_bps", "rate/kl_bps", "rate/nominal_bps")


def _param(row: pd.Series, name: str) -> object:
    value = row.get(PARAM + name)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def family(row: pd.Series) -> str:
    domain = _param(row, "model.domain")
    if domain == "codec":
        return str(_param(row, "codec.name") or _param(row, "model.bottleneck"))
    twin = _param(row, "model.twin")
    return "complex" if domain == "complex" and twin in (None, "none") else "real"


def series(variant: str, fam: str, bottleneck: str) -> str:
    """The line a point belongs to: the variant without its rate setting (K, beta, codec
    bitrate), e.g. ``real-params-vq256 -> real-params (vq)``, ``opus-12 -> opus``."""
    if fam not in ("complex", "real"):
        return fam
    stem = re.sub(r"-(vq\d+|vae-b[^-]+|ae)(?=-|$)", "", variant)
    return f"{stem} ({bottleneck})"


def rate_of(row: pd.Series) -> float:
    for name in RATES:
        value = row.get(METRIC + name)
        if value is not None and math.isfinite(float(value)):
            return float(value)
    return math.nan


def points(parts: list[Resolved]) -> pd.DataFrame:
    """One row per (ablation, variant): family, bottleneck, rate and mean +- CI of each metric."""
    out = []
    for res in parts:
        flagged = marked(res)
        for variant, rows in res.finished.groupby("variant", sort=False):
            first = rows.iloc[0]
            rate = mean_ci([rate_of(r) for _, r in rows.iterrows()]).mean
            if not math.isfinite(rate):
                continue
            fam, bn = family(first), str(_param(first, "model.bottleneck"))
            item: dict[str, object] = {"variant": variant, "family": fam, "bottleneck": bn,
                                       "series": series(str(variant), fam, bn), "rate": rate,
                                       "not_converged": variant in flagged}
            for m in QUALITY:
                vals = rows[METRIC + m].astype(float).tolist() if METRIC + m in rows else []
                ci = mean_ci(vals)
                item[m], item[m + ":ci"] = ci.mean, ci.half_width
            out.append(item)
    return pd.DataFrame(out)


def series_labels(data: pd.DataFrame) -> dict[str, str]:
    """The legend label of each line of :func:`points`' frame: `` (not converged)`` appended
    where one of its points is a variant that had not converged."""
    lines = list(dict.fromkeys(data["series"]))
    flagged = set(data.loc[data["not_converged"].astype(bool), "series"])
    return {line: legend_label(str(line), flagged) for line in lines}


def rate_distortion(parts: list[Resolved], path: Path) -> list[Path]:
    """``parts``: the ablation and the codec baselines (any resolved runs); one PNG."""
    data = points(parts)
    if data.empty:
        return []
    names = series_labels(data)
    lines = list(names)
    colors = palette(lines)
    markers = dict(zip(sorted(data["bottleneck"].unique()), "osD^v<>ph*", strict=False))
    metrics = [m for m in QUALITY if m in data and data[m].notna().any()]
    if not metrics:
        return []
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    for ax, m in zip(axes[0], metrics, strict=True):
        for line in lines:
            group = data[data["series"] == line].sort_values("rate")
            ax.errorbar(group["rate"], group[m], yerr=group[m + ":ci"].fillna(0.0),
                        color=colors[line], marker=markers[group["bottleneck"].iloc[0]],
                        linestyle="-", capsize=2, label=names[line])
            hollow = group[group["not_converged"].astype(bool)]
            if not hollow.empty:
                ax.plot(hollow["rate"], hollow[m], linestyle="none", zorder=3,
                        marker=markers[group["bottleneck"].iloc[0]],
                        markerfacecolor="white", markeredgecolor=colors[line])
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: si(x)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("bitrate [bit/s]")
        ax.set_ylabel(header(m))
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 5), fontsize=7,
               bbox_to_anchor=(0.5, 1.02))
    fig.subplots_adjust(top=0.8)
    return [save(fig, path)]
