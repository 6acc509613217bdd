"""Latents of a finished run, and a linear probe predicting the spoken word (or voice) from them.

As the VQ-VAE paper's phoneme probe (van den Oord et al. 2017, sec. 4.3): the saved model
(``model/`` artifact, with its normalizer and ``config.json``) encodes clips of the validation and
test splits; each clip's latent ``(C, F', T')`` (complex: real and imaginary parts) is averaged
over time, giving one vector per clip; a multinomial logistic regression (scikit-learn, inputs
standardized) is fitted on the validation clips and scored on the test clips, which come from
other speakers. Chance is the test split's most frequent label's share.

The label is the spoken word on a keyword corpus (at most :data:`MAX_WORDS` words, as Speech
Commands or the TTS corpus), else the voice: a corpus of whole prompts or sentences (the recorded
corpus, a user's) labels each clip with its recording's id, a class per recording that the test
split never shares with the validation split; its voices it does share when its splits are by
recording (:func:`data_scripts.splits.corpus_splits`), so the probe then asks whether the latents
carry who is speaking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from analysis.artifacts import Artifacts
from data_scripts.manifest import read_manifest
from lab.artifacts import load_model
from lab.config import from_dict
from lab.dataset import ManifestDataset
from lab.features import FeatureTransform
from lab.reconstruction import Reconstructor

MAX_WORDS = 35  # Speech Commands v0.02 has 35 words


@dataclass
class Latents:
    features: np.ndarray  # (N, D) one time-averaged latent per clip
    labels: np.ndarray  # (N,) index into ``words``
    words: tuple[str, ...]  # the label names: words, or voices (``kind``)
    kind: str = "word"  # word | voice


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
    kind = "word" if len(ds.words) <= MAX_WORDS else "voice"
    names = ds.words if kind == "word" else tuple(sorted(
        {r.speaker for r in read_manifest(Path(config.data.root))}))
    index = {n: i for i, n in enumerate(names)}
    feats, labels = [], []
    with torch.inference_mode():
        for start in range(0, len(ds), batch):
            items = [ds[i] for i in range(start, min(start + batch, len(ds)))]
            wave = torch.stack([w for w, _ in items])
            feats.append(pooled(rec(wave).bottleneck.latent).double().numpy())
            labels += [label if kind == "word" else index[ds.rows[start + j].speaker]
                       for j, (_, label) in enumerate(items)]
    return Latents(np.concatenate(feats), np.asarray(labels), names, kind)


def linear_probe(train: Latents, test: Latents, seed: int = 0) -> ProbeResult:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    clf.fit(train.features, train.labels)
    accuracy = float((clf.predict(test.features) == test.labels).mean())
    chance = float(np.bincount(test.labels).max() / len(test.labels))
    return ProbeResult(accuracy, chance, len(train.labels), len(test.labels))
