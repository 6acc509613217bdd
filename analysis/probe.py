"""Latents of a finished run, and a linear probe predicting the spoken word from them.

As the VQ-VAE paper's phoneme probe (van den Oord et al. 2017, sec. 4.3): the saved model
(``model/`` artifact, with its normalizer and ``config.json``) encodes clips of the validation and
test splits; each clip's latent ``(C, F', T')`` (complex: real and imaginary parts) is averaged
over time, giving one vector per clip; a multinomial logistic regression (scikit-learn, inputs
standardized) is fitted on the validation clips and scored on the test clips, which come from
other speakers. Chance is the test split's most frequent word's share.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from analysis.artifacts import Artifacts
from lab.artifacts import load_model
from lab.config import from_dict
from lab.dataset import ManifestDataset
from lab.features import FeatureTransform
from lab.reconstruction import Reconstructor


@dataclass
class Latents:
    features: np.ndarray  # (N, D) one time-averaged latent per clip
    labels: np.ndarray  # (N,) word index
    words: tuple[str, ...]


@dataclass
class ProbeResult:
    accuracy: float
    chance: float
    n_train: int
    n_test: int


def pooled(latent: torch.Tensor) -> torch.Tensor:
    """``(B, C, F', T')`` (real or complex) -> ``(B, D)``: the time average, parts side by side."""
    z = latent.mean(dim=-1)
    if z.is_complex():
        z = torch.cat([z.real, z.imag], dim=1)
    return z.flatten(1)


def encode(run: pd.Series, artifacts: Artifacts, split: str, max_clips: int = 300,
           batch: int = 32) -> Latents | None:
    """The run's pooled latents of ``max_clips`` clips of ``split`` (``None``: no model saved)."""
    model_file = artifacts.path(run, "model/model.pt")
    config_file = artifacts.path(run, "config.json")
    norm_file = artifacts.path(run, "model/normalizer.json")
    if model_file is None or config_file is None or norm_file is None:
        return None
    config = from_dict(json.loads(config_file.read_text()))
    model, normalizer = load_model(model_file.parent)
    rec = Reconstructor(FeatureTransform(config.features), model, normalizer).eval()
    sr = config.features.sample_rate
    ds = ManifestDataset(Path(config.data.root), split, words=config.data.words or None,
                         length=sr, sample_rate=sr, max_clips=max_clips)
    feats, labels = [], []
    with torch.inference_mode():
        for start in range(0, len(ds), batch):
            items = [ds[i] for i in range(start, min(start + batch, len(ds)))]
            wave = torch.stack([w for w, _ in items])
            feats.append(pooled(rec(wave).bottleneck.latent).double().numpy())
            labels += [label for _, label in items]
    return Latents(np.concatenate(feats), np.asarray(labels), ds.words)


def linear_probe(train: Latents, test: Latents, seed: int = 0) -> ProbeResult:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    clf.fit(train.features, train.labels)
    accuracy = float((clf.predict(test.features) == test.labels).mean())
    chance = float(np.bincount(test.labels).max() / len(test.labels))
    return ProbeResult(accuracy, chance, len(train.labels), len(test.labels))
