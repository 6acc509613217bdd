"""The data of one run: cached features of the training and validation splits and the
normalization statistics fitted on the training split.

Features come from :class:`lab.cache.FeatureCache` (computed once per feature config and clip
selection, shared by every run of a sweep); the clips a run is scored on stay waveforms, because
evaluation reconstructs waveforms (:mod:`lab.eval_sets`, :mod:`lab.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from data_scripts.engines import ENGINES
from data_scripts.manifest import read_manifest
from lab.cache import FeatureCache
from lab.config import RunConfig
from lab.corpus import check_corpus
from lab.dataset import ManifestDataset
from lab.features import FeatureTransform
from lab.normalization import Normalizer, normalizer_from_features


@dataclass
class RunData:
    train: Tensor  # (N, C, F, T) features, unnormalized
    val: Tensor
    normalizer: Normalizer
    words: tuple[str, ...]


def spread(n: int, k: int) -> Tensor:
    """``k`` indices evenly spaced over ``range(n)`` (all of them when ``k`` is 0 or >= ``n``):
    a subset of a word-sorted split that keeps every word."""
    if k <= 0 or k >= n:
        return torch.arange(n)
    return torch.tensor([i * n // k for i in range(k)])


def split_dataset(config: RunConfig, name: str, limit: int, root: Path | None = None,
                  words: tuple[str, ...] | None = None) -> ManifestDataset:
    """Split ``name`` of ``root`` (default ``data.root``, with ``data.words``) as 1-clip-long
    waveforms at the features' rate, ``limit`` clips spread over it (0: all)."""
    d, sr = config.data, config.features.sample_rate
    if root is None:
        root, words = Path(d.root), d.words or None
    return ManifestDataset(root, name, words=words, length=sr, sample_rate=sr, max_clips=limit)


def cached_features(config: RunConfig, transform: FeatureTransform
                    ) -> tuple[Tensor, Tensor, tuple[str, ...]]:
    """Features of the training and validation splits (computed once, then from the cache),
    and the vocabulary."""
    d = config.data
    check_corpus(Path(d.root), Path(d.cache_dir))
    cache = FeatureCache(d.cache_dir)
    train_ds = split_dataset(config, "training", d.max_train_clips)
    train, _ = cache.load(train_ds, transform)
    val, _ = cache.load(split_dataset(config, "validation", d.max_eval_clips), transform)
    return train, val, train_ds.words


def load_run_data(config: RunConfig, transform: FeatureTransform) -> RunData:
    train, val, words = cached_features(config, transform)
    rep = config.features.representation
    if config.data.normalize:
        batches = (train[i:i + 256] for i in range(0, len(train), 256))
        normalizer = normalizer_from_features(batches, rep)
    else:  # the identity, saved like any statistics so that a run re-evaluates the same way
        bins = train.shape[2]
        normalizer = Normalizer(rep, torch.zeros(bins, dtype=torch.float64),
                                torch.ones(bins, dtype=torch.float64))
    return RunData(train, val, normalizer, words)


def corpus_metrics(config: RunConfig, **clips: int) -> dict[str, float]:
    """What a reader needs to know about the corpus a run used, as final metrics:
    ``data/<split>_clips`` for each given count (e.g. ``train=2400``) and
    ``data/synthetic_fraction``, the fraction of the corpus's clips made by a speech engine
    (the manifest's ``source`` names one of :data:`data_scripts.engines.ENGINES`): 1.0 for
    the TTS corpus, 0.0 for recordings (``recorded``, ``speech_commands_v0.02``, a user's)."""
    rows = read_manifest(Path(config.data.root))
    words = set(config.data.words) if config.data.words else None
    used = [r for r in rows if words is None or r.word in words]
    out = {f"data/{name}_clips": float(n) for name, n in clips.items()}
    if used:
        out["data/synthetic_fraction"] = sum(r.source in ENGINES for r in used) / len(used)
    return out
