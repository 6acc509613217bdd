"""Rate-distortion: bitrate against quality, models (complex and real) and codec baselines.

A point is a variant's mean over seeds with its t-interval as an error bar, labelled with its
rate setting (:func:`setting`: ``K=256``, ``β=1``, ``6k`` for Opus at 6 kbit/s, the mode for
Codec2). The bitrate of a variant is ``rate/measured_bps`` (codecs: the payload), else
``rate/kl_bps`` (VAE), else ``rate/nominal_bps`` (VQ: latent vectors/s x log2 K), drawn in
kbit/s. One line per model family (the variant without its rate setting) and one per codec;
markers: the bottleneck. Points of several lines at the same bitrate (e.g. a complex model and
its real twins at one K) are shifted sideways by :data:`DODGE` decades each, so that none hides
another (the axis spans at least a factor :data:`MIN_SPAN`: the shift is not read as a rate).
A variant with no rate (a plain autoencoder: its latent is not a code) is a dashed horizontal
reference line at its mean (:func:`references`). A variant in which any seed's run had not
converged (:mod:`analysis.convergence`) is drawn with a hollow marker, and its line's label
ends in `` (not converged)``. Legend below the panels.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from analysis.catalog import BITRATES, axis_label, bitrate
from analysis.convergence import legend_label, marked
from analysis.figures import palette, save
from analysis.figures.curves import legend_below
from analysis.figures.labels import display, family, param
from analysis.runs import METRIC
from analysis.select import Resolved
from analysis.stats import mean_ci

__all__ = ["QUALITY", "RATES", "family", "points", "rate_distortion", "references", "series",
           "series_labels", "setting"]

QUALITY = ("test/si_sdr", "test/pesq_wb", "test/mel_distance")
RATES = tuple(BITRATES)
DODGE = 0.025  # decades between points of different lines at one bitrate
MIN_SPAN = 10.0  # the x axis spans at least this factor of bitrates
X_LABEL = "bitrate [kbit/s]"


def series(variant: str, fam: str, bottleneck: str) -> str:
    """The line a point belongs to: the variant without its rate setting (K, beta, codec
    bitrate), e.g. ``real-params-vq256 -> real-params (vq)``, ``opus-12 -> opus``."""
    if fam not in ("complex", "real"):
        return fam
    stem = re.sub(r"-(vq\d+|vae-b[^-]+(?:-fb[^-]+)?|ae)(?=-|$)", "", variant)
    return f"{display(stem, fam)} ({bottleneck})"


def setting(row: pd.Series) -> str:
    """A point's annotation: ``K=<codebook size>`` (VQ), ``NxK`` (RVQ), ``β=<beta>`` (VAE; with
    free bits ``β=<beta>, <n> free bits``), the
    codec's setting (Opus: ``<kbit/s>k``; Codec2: its mode); empty when the run does not log
    it."""
    bn = param(row, "model.bottleneck")
    if param(row, "model.domain") == "codec":
        value = param(row, "codec.setting")
        if value is None:
            return ""
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{text}k" if param(row, "codec.name") == "opus" else text
    if str(bn) == "rvq":  # N codebooks of K codes
        n, k = param(row, "vq.codebooks"), param(row, "vq.codebook_size")
        return f"{n}x{k}" if n is not None and k is not None else ""
    key, sign = {"vq": ("vq.codebook_size", "K"), "vae": ("vae.beta", "β")}.get(
        str(bn), ("", ""))
    value = param(row, key) if key else None
    if value is None:
        return ""
    text = f"{sign}={value:g}" if isinstance(value, float) else f"{sign}={value}"
    free = param(row, "vae.free_bits") if str(bn) == "vae" else None
    if isinstance(free, int | float | str) and float(free) > 0:
        text += f", {float(free):g} free bits"
    return text


def rate_of(row: pd.Series) -> float:
    return bitrate(row)[0]


def _summary(rows: pd.DataFrame, item: dict[str, object]) -> dict[str, object]:
    for m in QUALITY:
        vals = rows[METRIC + m].astype(float).tolist() if METRIC + m in rows else []
        ci = mean_ci(vals)
        item[m], item[m + ":ci"] = ci.mean, ci.half_width
    return item


def _dodge(data: pd.DataFrame) -> pd.Series:
    """The drawn x (kbit/s) of each point: its rate, spread by :data:`DODGE` decades around it
    where points of several lines share one bitrate (to 0.1 %)."""
    x = data["rate"] / 1000.0
    key = np.round(np.log10(data["rate"]), 3)
    out = x.copy()
    for _, idx in data.groupby(key, sort=False).groups.items():
        lines = list(dict.fromkeys(data.loc[idx, "series"]))
        if len(lines) < 2:
            continue
        for i in idx:
            j = lines.index(data.at[i, "series"]) - (len(lines) - 1) / 2
            out[i] = x[i] * 10 ** (DODGE * j)
    return out


def points(parts: list[Resolved]) -> pd.DataFrame:
    """One row per (ablation, variant) with a rate: family, bottleneck, series, rate (bit/s),
    x (drawn, kbit/s, :func:`_dodge`), setting and mean +- CI of each metric."""
    out = []
    for res in parts:
        flagged = marked(res)
        for variant, rows in res.finished.groupby("variant", sort=False):
            first = rows.iloc[0]
            rate = mean_ci([rate_of(r) for _, r in rows.iterrows()]).mean
            if not math.isfinite(rate):
                continue
            fam, bn = family(first), str(param(first, "model.bottleneck"))
            out.append(_summary(rows, {
                "variant": variant, "family": fam, "bottleneck": bn,
                "series": series(str(variant), fam, bn), "rate": rate,
                "setting": setting(first), "not_converged": variant in flagged}))
    data = pd.DataFrame(out)
    if not data.empty:
        data["x"] = _dodge(data)
    return data


def references(parts: list[Resolved]) -> pd.DataFrame:
    """One row per model variant without a rate (plain autoencoders): variant, family, label
    (e.g. ``complex AE (no bottleneck)``) and mean +- CI of each metric."""
    out = []
    for res in parts:
        for variant, rows in res.finished.groupby("variant", sort=False):
            first = rows.iloc[0]
            fam = family(first)
            if fam not in ("complex", "real") or any(
                    math.isfinite(rate_of(r)) for _, r in rows.iterrows()):
                continue
            bn = param(first, "model.bottleneck")
            what = "AE (no bottleneck)" if bn in (None, "none") else f"{bn} (no rate logged)"
            label = f"{fam} {what}" if str(variant) in (fam, f"{fam}-ae") \
                else f"{display(str(variant), fam)}: {what}"
            out.append(_summary(rows, {"variant": variant, "family": fam, "label": label}))
    return pd.DataFrame(out)


def series_labels(data: pd.DataFrame) -> dict[str, str]:
    """The legend label of each line of :func:`points`' frame: `` (not converged)`` appended
    where one of its points is a variant that had not converged."""
    lines = list(dict.fromkeys(data["series"]))
    flagged = set(data.loc[data["not_converged"].astype(bool), "series"])
    return {line: legend_label(str(line), flagged) for line in lines}


def annotate(ax: Any, xs: list[float], ys: list[float], texts: list[str],
             errs: list[float] | None = None, size: float = 6) -> list[Any]:
    """Each text next to its point (data coordinates), at the first of a few offsets where its
    box overlaps the fewest earlier labels (the axes' texts included), other points and error
    bars (``errs``: half-heights, data units) and stays inside the axes; the annotations
    made."""
    fig = ax.figure
    fig.canvas.draw()  # final limits and layout: display coordinates as saved
    scale = fig.dpi / 72.0
    xy = np.column_stack([xs, ys]) if xs else np.zeros((0, 2))
    pts = ax.transData.transform(xy)
    half = np.nan_to_num(np.asarray(errs if errs is not None else [0.0] * len(xs), float))
    lows = ax.transData.transform(np.column_stack([xy[:, 0], xy[:, 1] - half]))[:, 1]
    highs = ax.transData.transform(np.column_stack([xy[:, 0], xy[:, 1] + half]))[:, 1]
    obstacles = [(px - 4, py - 4, px + 4, py + 4) for px, py in pts]
    obstacles += [(px - 2, min(lo, hi), px + 2, max(lo, hi))
                  for (px, _), lo, hi in zip(pts, lows, highs, strict=True)]
    for t in ax.texts:  # labels drawn before (the reference lines'), as placed
        e = t.get_window_extent()
        obstacles.append((e.x0, e.y0, e.x1, e.y1))
    n_fixed = len(obstacles)
    frame = ax.get_window_extent()
    made = []
    for k, (text, (px, py)) in enumerate(zip(texts, pts, strict=True)):
        if not text:
            continue
        w, h = 0.62 * size * len(text) * scale, 1.1 * size * scale
        left, down = -4 - w / scale, -3 - h / scale
        top, bottom = (max(lows[k], highs[k]) - py) / scale, (min(lows[k], highs[k]) - py) / scale
        tries = [(4, 3), (4, down), (left, 3), (left, down), (4, 10), (4, down - 7),
                 (left, 10), (left, down - 7), (-w / scale / 2, top + 2),
                 (-w / scale / 2, bottom - 2 - h / scale), (16, 3), (left - 12, 3)]
        own = {k, k + len(pts)}  # its marker and its error bar

        def cost(d: tuple[float, float], px: float = px, py: float = py, w: float = w,
                 h: float = h, own: set[int] = own) -> int:
            box = (px + d[0] * scale, py + d[1] * scale, px + d[0] * scale + w,
                   py + d[1] * scale + h)
            outside = not (frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1]
                           and box[3] <= frame.y1)
            return 5 * outside + sum((3 if j >= n_fixed else 1) for j, o in enumerate(obstacles)
                                     if j not in own and _overlap(box, o))

        dx, dy = min(tries, key=cost)  # the first of the least crowded places
        obstacles.append((px + dx * scale, py + dy * scale, px + dx * scale + w,
                          py + dy * scale + h))
        made.append(ax.annotate(text, (xs[k], ys[k]), xytext=(dx, dy),
                                textcoords="offset points", fontsize=size, color="0.25",
                                ha="left", va="bottom"))
    return made


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]
             ) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _kbps(x: float, _: object) -> str:
    return f"{x:g}"


def _panel(ax: Any, m: str, data: pd.DataFrame, refs: pd.DataFrame, names: dict[str, str],
           colors: dict[str, Any], markers: dict[str, str]) -> None:
    for line in names:
        group = data[data["series"] == line].sort_values("rate")
        group = group[group[m].notna()]
        if group.empty:
            continue
        marker = markers[group["bottleneck"].iloc[0]]
        ax.errorbar(group["x"], group[m], yerr=group[m + ":ci"].fillna(0.0),
                    color=colors[line], marker=marker, linestyle="-", capsize=2, ms=4,
                    label=names[line])
        hollow = group[group["not_converged"].astype(bool)]
        if not hollow.empty:
            ax.plot(hollow["x"], hollow[m], linestyle="none", zorder=3, marker=marker, ms=4,
                    markerfacecolor="white", markeredgecolor=colors[line])
    for _, ref in refs.iterrows():
        if not math.isfinite(float(ref[m])):
            continue
        color = "0.2" if ref["family"] == "complex" else "0.55"
        ax.axhline(float(ref[m]), color=color, linestyle="--", lw=1, label=ref["label"])
        ax.annotate(str(ref["label"]), (0.01, float(ref[m])),
                    xycoords=("axes fraction", "data"), xytext=(0, 2),
                    textcoords="offset points", fontsize=6, color=color, va="bottom")
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    mid = math.sqrt(lo * hi)
    if hi / lo < MIN_SPAN:  # a sideways shift must not read as a difference in bitrate
        ax.set_xlim(mid / math.sqrt(MIN_SPAN), mid * math.sqrt(MIN_SPAN))
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(_kbps))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(X_LABEL)
    ax.set_ylabel(axis_label(m))


def rd_figure(parts: list[Resolved]) -> Any | None:
    """The figure (one panel per quality metric with data), or ``None``: see the module
    docstring. ``parts``: the ablation and the codec baselines (any resolved runs)."""
    data = points(parts)
    if data.empty:
        return None
    refs = references(parts)
    metrics = [m for m in QUALITY if m in data and data[m].notna().any()]
    if not metrics:
        return None
    names = series_labels(data)
    colors = palette(list(names))
    markers = dict(zip(sorted(data["bottleneck"].unique()), "osD^v<>ph*", strict=False))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.4 * len(metrics), 4.0), squeeze=False,
                             layout="constrained")
    for ax, m in zip(axes[0], metrics, strict=True):
        _panel(ax, m, data, refs, names, colors, markers)
    legend_below(fig, list(axes[0]))
    for ax, m in zip(axes[0], metrics, strict=True):
        shown = data[data[m].notna()]
        annotate(ax, shown["x"].tolist(), shown[m].tolist(), shown["setting"].tolist(),
                 shown[m + ":ci"].tolist())
    return fig


def rate_distortion(parts: list[Resolved], path: Path) -> list[Path]:
    """:func:`rd_figure` as a PNG at ``path``; ``[]`` when nothing has a rate."""
    fig = rd_figure(parts)
    return [] if fig is None else [save(fig, path, "constrained")]
