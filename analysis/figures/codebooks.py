"""Codebooks: how the test clips use the codes, and perplexity / dead codes over training.

* Usage: each VQ variant's code histogram over the test clips (the ``codebook/counts.json``
  artifact lab writes), codes sorted by frequency, averaged over seeds rank by rank: the share
  of codes in use and how flat their use is (a flat curve at ``1/K`` is perfect use).
* Over training: ``train/codebook/perplexity`` and ``train/codebook/dead_fraction`` histories,
  mean and min–max band over seeds (:mod:`.curves`: the band stays within what the seeds took,
  so perplexity >= 1 and the dead fraction in [0, 1]).

Legends sit below the axes; variants are labelled as in every figure (:mod:`.labels`).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.artifacts import Artifacts
from analysis.figures import palette, save
from analysis.figures.curves import legend_below, training_curves
from analysis.figures.labels import variant_labels
from analysis.select import Resolved

COUNTS = "codebook/counts.json"


def usage(res: Resolved, artifacts: Artifacts) -> dict[str, tuple[np.ndarray, float]]:
    """Per variant: the code counts over the test clips sorted by rank (most used first) and
    averaged over seeds as shares (code ``k`` of one seed is unrelated to code ``k`` of
    another, so seeds are compared rank by rank), and the mean number of codes used."""
    out: dict[str, tuple[np.ndarray, float]] = {}
    for variant, rows in res.finished.groupby("variant", sort=False):
        shares: list[np.ndarray] = []
        used: list[float] = []
        for _, run in rows.iterrows():
            path = artifacts.path(run, COUNTS)
            if path is None:
                continue
            counts = np.asarray(json.loads(path.read_text()), dtype=np.float64)
            books = counts if counts.ndim == 2 else counts[None]  # RVQ: one row per codebook
            if (books.sum(axis=1) <= 0).any() or (shares and books.shape[1] != len(shares[0])):
                continue
            # several codebooks: their rank curves and used counts, averaged
            shares.append(np.mean([np.sort(c)[::-1] / c.sum() for c in books], axis=0))
            used.append(float((books > 0).sum(axis=1).mean()))
        if shares:
            out[str(variant)] = (np.mean(shares, axis=0), float(np.mean(used)))
    return out


def codebook_usage(res: Resolved, artifacts: Artifacts, path: Path) -> list[Path]:
    """The usage figure (see the module docstring) as a PNG; ``[]`` without code counts."""
    hist = usage(res, artifacts)
    if not hist:
        return []
    colors = palette(list(hist))
    names = variant_labels(res)
    fig, ax = plt.subplots(figsize=(6, 4.2), layout="constrained")
    for variant, (share, used) in hist.items():
        ax.step(np.arange(1, len(share) + 1), np.where(share > 0, share, np.nan),
                where="post", color=colors[variant],
                label=f"{names.get(variant, variant)} ({used:g} of {len(share)} used)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("code rank (most used first)")
    ax.set_ylabel("share of the test clips' codes [fraction]")
    legend_below(fig, [ax], ncol=2)
    return [save(fig, path, "constrained")]


TRAINING_KEYS = ("train/codebook/perplexity", "train/codebook/dead_fraction")


def codebook_training(res: Resolved, history: pd.DataFrame, path: Path) -> list[Path]:
    """Perplexity and dead fraction over training (:func:`.curves.training_curves`)."""
    return training_curves(res, history, path, TRAINING_KEYS)
