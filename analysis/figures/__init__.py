"""Figures (seaborn on matplotlib's non-interactive Agg backend), one module per kind.

Each function takes resolved runs (:class:`analysis.select.Resolved`) and writes PNG files into a
folder, returning the paths written (an empty list when the ablation has nothing to show, e.g. no
VQ runs for codebook figures):

* :mod:`.rate_distortion`: bitrate against SI-SDR, PESQ-WB and mel distance, codecs included;
* :mod:`.curves`: training and validation loss, mean and t-interval band over seeds;
* :mod:`.codebooks`: code usage of the test clips; perplexity and dead fraction over training;
* :mod:`.spectrograms`: one test clip, original and reconstructed by each variant;
* :mod:`.latents`: PCA of the latents coloured by word, and a linear probe's word accuracy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import seaborn as sns

sns.set_theme(context="paper", style="whitegrid")


def save(fig: Any, path: Path, layout: str = "tight") -> Path:
    """Save ``fig`` as PNG (parents created) with matplotlib's ``layout`` engine, and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.set_layout_engine(layout)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def palette(names: list[str]) -> dict[str, Any]:
    colors = sns.color_palette("tab10" if len(names) <= 10 else "husl", len(names))
    return dict(zip(names, colors, strict=True))
