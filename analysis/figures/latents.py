"""Latents: a 2-D PCA (scikit-learn) of each variant's pooled test-clip latents, coloured by the
spoken word, titled with the linear probe's accuracy (:mod:`analysis.probe`); the words' legend
sits below the panels."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from analysis.figures import palette, save
from analysis.figures.curves import legend_below
from analysis.probe import Latents, ProbeResult


def latent_pca(latents: dict[str, tuple[Latents, ProbeResult]], path: Path,
               names: dict[str, str] | None = None) -> list[Path]:
    """One panel per variant (titled ``names[variant]`` where given, e.g.
    :func:`analysis.figures.labels.variant_labels`); ``[]`` without latents."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    if not latents:
        return []
    words = next(iter(latents.values()))[0].words
    colors = palette(list(words))
    cols = min(4, len(latents))
    rows = -(-len(latents) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows + 0.6), squeeze=False,
                             layout="constrained")
    for ax, (variant, (lat, probe)) in zip(axes.flat, latents.items(), strict=False):
        x = StandardScaler().fit_transform(lat.features)
        xy = PCA(n_components=2, random_state=0).fit_transform(x) if x.shape[1] >= 2 \
            else np.hstack([x, np.zeros_like(x)])
        for i, word in enumerate(lat.words):
            mask = lat.labels == i
            if not mask.any():
                continue
            ax.scatter(xy[mask, 0], xy[mask, 1], s=6, color=colors.get(word), label=word)
        title = (names or {}).get(variant, variant)
        ax.set_title(f"{title}\nprobe {probe.accuracy:.0%} (chance {probe.chance:.0%})",
                     fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("PC 1 [standardized]", fontsize=6)
        ax.set_ylabel("PC 2 [standardized]", fontsize=6)
    for ax in axes.flat[len(latents):]:
        ax.axis("off")
    legend_below(fig, [axes.flat[0]], size=6, ncol=8)
    return [save(fig, path, "constrained")]
