"""Quality in-domain, on unseen voices, cross-corpus and on whole prompts, per variant and codec.

One panel per metric (SI-SDR, PESQ-WB); along x the ablation's variants, then the codec
baselines (scored on the same clips); for each a marker per set (in-domain test, unseen
voices, cross-corpus, whole prompts) at the mean over seeds, with a bar from the lowest to the
highest seed. A fall from the first marker to the others is the generalization gap
(:mod:`analysis.generalization` tabulates it with intervals).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from analysis.catalog import SETS, axis_label
from analysis.figures import save
from analysis.figures.curves import legend_below
from analysis.figures.labels import variant_labels
from analysis.generalization import BASES, other_sets
from analysis.select import Resolved
from analysis.tables import values

MARKERS = {"test": "o", "unseen": "s", "cross": "^", "prompt": "D"}


def generalization_figure(res: Resolved, codecs: Resolved | None, path: Path) -> list[Path]:
    """The figure of the module docstring as a PNG; ``[]`` when no run was scored beyond test."""
    sets = ["test", *other_sets(res)]
    if len(sets) == 1:
        return []
    names = variant_labels(res)
    groups: list[tuple[Resolved, str, str]] = [(res, v, names.get(v, v)) for v in res.variants]
    if codecs is not None and codecs is not res:
        groups += [(codecs, v, v) for v in codecs.variants]
    fig, axes = plt.subplots(1, len(BASES), figsize=(3.2 + 0.55 * len(groups), 4.2),
                             squeeze=False, layout="constrained")
    x = np.arange(len(groups))
    for ax, base in zip(axes[0], BASES, strict=True):
        for k, s in enumerate(sets):
            offset = (k - (len(sets) - 1) / 2) * 0.18
            mean, low, high = [], [], []
            for r, v, _ in groups:
                vals = values(r, v, f"{s}/{base}").dropna()
                mean.append(vals.mean() if len(vals) else np.nan)
                low.append(vals.min() if len(vals) else np.nan)
                high.append(vals.max() if len(vals) else np.nan)
            m = np.asarray(mean)
            err = np.vstack([m - np.asarray(low), np.asarray(high) - m])
            ax.errorbar(x + offset, m, yerr=err, fmt=MARKERS[s], ms=5, capsize=2,
                        label=SETS[s] or "in-domain test", color=f"C{k}")
        ax.set_xticks(x, [label for *_, label in groups], rotation=35, ha="right")
        ax.set_ylabel(axis_label(f"test/{base}"))
        if codecs is not None and codecs is not res and len(groups) > len(res.variants):
            ax.axvline(len(res.variants) - 0.5, color="0.6", lw=0.8, ls=":")
    legend_below(fig, list(axes[0]), ncol=len(sets))
    return [save(fig, path, "constrained")]
