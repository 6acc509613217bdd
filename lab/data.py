"""The data of one run: cached features of the training and validation splits, the test clips as
waveforms, and the normalization statistics fitted on the training split.

Features come from :class:`lab.cache.FeatureCache` (computed once per feature config and clip
selection, shared by every run of a sweep); the test split stays as waveforms because evaluation
reconstructs waveforms (:mod:`lab.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from data_scripts.manifest import MANIFEST_NAME
from lab.cache import FeatureCache
from lab.config import ConfigError, RunConfig
from lab.dataset import ManifestDataset
from lab.features import FeatureTransform
from lab.normalization import Normalizer, normalizer_from_features


@dataclass
class RunData:
    train: Tensor  # (N, C, F, T) features, unnormalized
    val: Tensor
    test_waves: Tensor  # (M, L)
    normalizer: Normalizer
    words: tuple[str, ...]


def spread(n: int, k: int) -> Tensor:
    """``k`` indices evenly spaced over ``range(n)`` (all of them when ``k`` is 0 or >= ``n``):
    a subset of a word-sorted split that keeps every word."""
    if k <= 0 or k >= n:
        return torch.arange(n)
    return torch.tensor([i * n // k for i in range(k)])


def check_corpus(root: Path) -> None:
    """A clear error when ``root`` is not a corpus, with the command that makes one."""
    if not (root / MANIFEST_NAME).is_file():
        raise ConfigError(
            f"no corpus at {root} (no {MANIFEST_NAME}); make the offline one with `python -m "
            f"data_scripts.make_commands --out {root}` or prepare the real Speech Commands with "
            f"`python -m data_scripts.prepare_speech_commands`, then set data.root")


def load_run_data(config: RunConfig, transform: FeatureTransform) -> RunData:
    d = config.data
    root = Path(d.root)
    check_corpus(root)
    words = d.words or None
    sr = config.features.sample_rate
    cache = FeatureCache(d.cache_dir)

    def split(name: str, limit: int) -> ManifestDataset:
        return ManifestDataset(root, name, words=words, length=sr, sample_rate=sr,
                               max_clips=limit)

    train_ds = split("training", d.max_train_clips)
    train, _ = cache.load(train_ds, transform)
    val, _ = cache.load(split("validation", d.max_eval_clips), transform)
    test_ds = split("testing", d.max_eval_clips)
    test_waves = torch.stack([test_ds[i][0] for i in range(len(test_ds))])
    batches = (train[i:i + 256] for i in range(0, len(train), 256))
    normalizer = normalizer_from_features(batches, config.features.representation)
    if not d.normalize:  # the identity, kept so a run always saves its statistics
        normalizer = Normalizer(normalizer.representation, torch.zeros_like(normalizer.mean),
                                torch.ones_like(normalizer.scale))
    return RunData(train, val, test_waves, normalizer, train_ds.words)
